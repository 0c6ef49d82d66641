"""The customer's status page of a request: each partner asked with what it did in the customer's words, the note's
alternatives once a partner dropped out, and a link that opens its own request only, for a while."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console import admin_services
from finder import alternatives, status
from finder.requests import RequestInput, send_request
from notifications import emails
from notifications.models import OutboxMessage
from partners.models import BusinessProfile, Location, Role
from referrals import services
from referrals.actors import ActorRef
from referrals.lifecycle import State
from tests import factories
from tests.api import counting
from tests.factories import NOW

pytestmark = pytest.mark.django_db
SITE = "https://leadshare.example"
H = timedelta(hours=1)


@pytest.fixture(autouse=True)
def site(settings):  # type: ignore[no-untyped-def]
    settings.SITE_ROOT = SITE


def signed_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def person_of(profile: BusinessProfile) -> ActorRef:
    return ActorRef.person(factories.user(profile.partner, role=Role.REFERRALS_ADMIN))


def test_each_partner_asked_is_shown_in_the_order_asked_with_what_it_did_and_since_when():
    names = ("Alpha Cloud", "Bravo Systems", "Cirrus IT", "Delta Mail", "Echo Data")
    alpha, bravo, cirrus, delta, echo = (factories.profile(factories.partner(n)) for n in names)
    engagement = factories.engagement([alpha, bravo, cirrus, delta, echo])
    ids = dict(engagement.referrals.values_list("profile_id", "pk"))
    services.mark_interested(ids[bravo.pk], person_of(bravo), NOW + H)
    services.mark_interested(ids[cirrus.pk], person_of(cirrus), NOW + H)
    services.accept(ids[cirrus.pk], person_of(cirrus), NOW + 2 * H, "9000", "EUR", factories.close_date())
    services.mark_interested(ids[delta.pk], person_of(delta), NOW + H)
    services.decline(ids[delta.pk], person_of(delta), NOW + 3 * H, "not-our-field", "Too small for us")
    services.skip(ids[echo.pk], person_of(echo), NOW + 4 * H, "spam")

    shown = status.read(engagement.public_token, signed_of(status.link(engagement, NOW)), NOW + 5 * H)

    assert (shown.company, shown.sent_at) == ("Contoso GmbH", NOW)
    assert [(a.partner_name, a.state, str(a.words), a.since, a.dropped_out) for a in shown.asked] == [
        ("Alpha Cloud", State.NEW, "Has not answered yet", NOW, False),
        ("Bravo Systems", State.EVALUATING, "Interested: will get in touch with you", NOW + H, False),
        ("Cirrus IT", State.NEGOTIATING, "Preparing an offer with you", NOW + 2 * H, False),
        ("Delta Mail", State.DECLINED, "Decided not to go ahead", NOW + 3 * H, True),
        ("Echo Data", State.SKIPPED, "Cannot help with this request", NOW + 4 * H, True),
    ]
    assert [a.profile_url for a in shown.asked] == [
        f"/partners/{p.locations.get().pk}/" for p in (alpha, bravo, cirrus, delta, echo)
    ]
    assert shown.more_url == f"/partners/?request={engagement.public_token}"


def test_every_state_has_customer_words():
    assert set(status.WORDS) == set(State)


def test_a_partner_customers_can_no_longer_find_is_named_without_a_link_and_another_location_is_never_guessed():
    paused = factories.profile(factories.partner("Paused Partner"))
    moved = factories.profile(factories.partner("Two Offices"))
    engagement = factories.engagement([paused, moved])
    BusinessProfile.objects.filter(pk=paused.pk).update(status=BusinessProfile.Status.PAUSED)
    second = Location.objects.create(profile=moved, city="Hamburg", lat=53.55, lon=9.99)
    engagement.referrals.filter(profile=moved).update(location=second)

    shown = status.read(engagement.public_token, signed_of(status.link(engagement, NOW)), NOW)

    assert [(a.partner_name, a.profile_url) for a in shown.asked] == [
        ("Paused Partner", ""),
        ("Two Offices", f"/partners/{second.pk}/"),
    ]


def test_no_alternatives_while_every_partner_may_still_follow_up():
    asked = factories.profile(factories.partner("Nordlicht IT"))
    factories.profile(factories.partner("Alpha Cloud"))
    engagement = factories.engagement([asked])
    services.mark_interested(engagement.referrals.get().pk, person_of(asked), NOW + H)

    shown = status.read(engagement.public_token, signed_of(status.link(engagement, NOW)), NOW + 2 * H)

    assert shown.alternatives == []


def test_once_a_partner_drops_out_the_notes_alternatives_appear_never_a_partner_already_asked():
    dropped = factories.profile(factories.partner("Nordlicht IT"))
    waiting = factories.profile(factories.partner("Waiting Partner"))
    factories.profile(dropped.partner, country="AT")  # the dropped partner's other country
    others = {factories.profile(factories.partner(f"Partner {n}")).pk for n in "ABCD"}
    engagement = factories.engagement([dropped, waiting])
    services.skip(engagement.referrals.get(profile=dropped).pk, person_of(dropped), NOW + H, "spam")

    shown = status.read(engagement.public_token, signed_of(status.link(engagement, NOW)), NOW + 2 * H)

    assert [a.profile_id for a in shown.alternatives] == [
        a.profile_id for a in alternatives.for_note(engagement, NOW + 2 * H)
    ]
    assert len(shown.alternatives) == alternatives.NOTE_ALTERNATIVES
    assert {a.profile_id for a in shown.alternatives} <= others
    for alternative in shown.alternatives:
        # The note's own one-click link, which sends this request to that partner.
        offer = alternatives.read(engagement.public_token, signed_of(alternative.url), NOW + 2 * H)
        assert (offer.engagement, offer.profile.pk) == (engagement, alternative.profile_id)


def test_a_request_confirmed_as_spam_offers_no_alternatives():
    asked = factories.profile(factories.partner("Nordlicht IT"))
    factories.profile(factories.partner("Alpha Cloud"))
    engagement = factories.engagement([asked])
    referral = engagement.referrals.get()
    services.skip(referral.pk, person_of(asked), NOW + H, "spam", "Nonsense text")
    boss = factories.user(None, role=Role.PROGRAMME_ADMIN)
    admin_services.confirm_spam(boss, referral.pk, "Bot traffic", NOW + 2 * H)

    shown = status.read(engagement.public_token, signed_of(status.link(engagement, NOW)), NOW + 3 * H)

    assert [a.dropped_out for a in shown.asked] == [True]
    assert shown.alternatives == []


def test_a_link_opens_its_own_request_and_never_another():
    profile = factories.profile()
    mine, theirs = factories.engagement([profile]), factories.engagement([factories.profile()], company="Fabrikam")
    my_signed = signed_of(status.link(mine, NOW))

    assert status.read(mine.public_token, my_signed, NOW).company == "Contoso GmbH"
    with pytest.raises(status.NotFound):
        status.read(theirs.public_token, my_signed, NOW)


@pytest.mark.parametrize("case", ["tampered", "another request's signature", "unknown token", "empty token", "expired"])
def test_a_link_that_opens_nothing_is_not_found_and_changes_nothing(case):
    engagement = factories.engagement([factories.profile()])
    token, signed, at = engagement.public_token, signed_of(status.link(engagement, NOW)), NOW + H
    if case == "tampered":
        signed = signing_of_another_time(engagement, signed)
    elif case == "another request's signature":
        signed = signed_of(status.link(factories.engagement([factories.profile()]), NOW))
    elif case == "unknown token":
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    elif case == "empty token":
        token = ""
    elif case == "expired":
        at = NOW + status.LINK_VALID + timedelta(seconds=1)
    before = counting.rows()

    with pytest.raises(status.NotFound):
        status.read(token, signed, at)

    assert counting.rows() == before


def test_a_link_whose_signature_fails_costs_no_query(django_assert_num_queries):  # type: ignore[no-untyped-def]
    engagement = factories.engagement([factories.profile()])
    signed = signed_of(status.link(engagement, NOW))

    with django_assert_num_queries(0), pytest.raises(status.NotFound):
        status.read(engagement.public_token, signed[:-1] + ("A" if signed[-1] != "A" else "B"), NOW)


def signing_of_another_time(engagement, signed: str) -> str:  # type: ignore[no-untyped-def]
    """The link's signature with its time moved back a day, the signature kept: what a hand-edited link holds."""
    earlier = signed_of(status.link(engagement, NOW - 24 * H))
    return earlier.split(":")[0] + ":" + signed.split(":")[1]


def test_a_link_is_good_until_its_validity_ends():
    engagement = factories.engagement([factories.profile()])
    signed = signed_of(status.link(engagement, NOW))

    assert status.read(engagement.public_token, signed, NOW + status.LINK_VALID).company == "Contoso GmbH"


def request_input(profile_ids: list[int], language: str) -> RequestInput:
    return RequestInput(
        profile_ids=profile_ids,
        company="Contoso GmbH",
        size="50-249",
        industry="manufacturing",
        country="DE",
        city="Berlin",
        contact_name="Anna Schmidt",
        email="anna@contoso.example",
        phone="+49 30 1234567",
        need="Move 200 mailboxes to the cloud",
        consent_contact=True,
        language=language,
    )


STATUS_LINE = {
    "en": (
        "To follow your request (who has answered, and other partners if one cannot help): {url}\n",
        '<p><a href="{url}">Follow your request</a>: who has answered, and other partners if one cannot help.</p>',
    ),
    "ru": (
        "Следить за запросом (кто уже ответил и кто ещё подходит, если кто-то не сможет помочь): {url}\n",
        '<p><a href="{url}">Следить за запросом</a>: кто уже ответил и кто ещё подходит, если кто-то не сможет '
        "помочь.</p>",
    ),
}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_confirmation_email_carries_the_link_to_its_requests_page(language):
    profile = factories.profile(factories.partner("Alpha Cloud"))
    outcome = send_request(request_input([profile.pk], language), "203.0.113.7", NOW)
    assert outcome.engagement is not None
    message = OutboxMessage.objects.get(template="customer_request_sent")

    rendered = emails.render(message, NOW + H)

    url = status.link(outcome.engagement, NOW + H)
    assert url.startswith(f"{SITE}/partners/requests/{outcome.engagement.public_token}/status/")
    text_line, html_line = STATUS_LINE[language]
    assert text_line.format(url=url) in rendered.text
    assert html_line.format(url=url) in rendered.html
    assert status.read(outcome.engagement.public_token, signed_of(url), NOW + H).company == "Contoso GmbH"


def test_no_other_customer_email_carries_the_link():
    asked = factories.profile(factories.partner("Nordlicht IT"))
    engagement = factories.engagement([asked])
    services.skip(engagement.referrals.get().pk, person_of(asked), NOW + H, "spam")

    rendered = emails.render(OutboxMessage.objects.get(template="customer_partner_declined"), NOW + 2 * H)

    assert "/status/" not in rendered.text
