"""The alternatives of the customer's note: the engine's best partners not yet asked, each with a signed link that
sends the request to it in one click, and nothing else."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console import admin_services
from finder import alternatives
from notifications.models import OutboxMessage
from partners.models import BusinessProfile, Role
from referrals import services
from referrals.actors import ActorRef
from referrals.models import Referral, ReferralEvent
from tests import factories
from tests.api import counting
from tests.factories import NOW

pytestmark = pytest.mark.django_db
SITE = "https://leadshare.example"


@pytest.fixture(autouse=True)
def site(settings):  # type: ignore[no-untyped-def]
    settings.SITE_ROOT = SITE


def _signed(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def test_the_note_names_at_most_three_partners_never_one_already_asked_one_profile_each():
    asked = factories.profile(factories.partner("Nordlicht IT"))
    factories.profile(asked.partner, country="AT")  # the asked partner's other country
    others = [factories.profile(factories.partner(f"Partner {name}")) for name in "ABCD"]
    engagement = factories.engagement([asked])

    offered = alternatives.for_note(engagement, NOW)

    assert len(offered) == 3
    assert {a.profile_id for a in offered} <= {p.pk for p in others}
    assert len({a.partner_name for a in offered}) == 3
    for alternative in offered:
        assert alternative.url.startswith(f"{SITE}/partners/requests/{engagement.public_token}/add/")
        assert alternatives.read(engagement.public_token, _signed(alternative.url), NOW).profile.pk == (
            alternative.profile_id
        )


def test_sending_from_a_link_makes_one_referral_with_its_history_row_and_alert():
    asked, other = factories.profile(), factories.profile(contacts=("other@partner.example",))
    engagement = factories.engagement([asked])
    signed = _signed(alternatives.link(engagement, other.pk, NOW))
    before = counting.rows()

    offer = alternatives.send(engagement.public_token, signed, NOW + timedelta(hours=1))

    referral = Referral.objects.get(engagement=engagement, profile=other)
    assert offer.profile == other
    event = ReferralEvent.objects.get(referral=referral)
    assert (event.action, event.actor_kind, event.actor_label, event.comment, event.at) == (
        "create",
        "system",
        "customer",
        "Chosen by the customer from the alternatives",
        NOW + timedelta(hours=1),
    )
    assert list(OutboxMessage.objects.filter(referral=referral).values_list("template", "to_address")) == [
        ("referral_new", "other@partner.example")
    ]
    after = counting.rows()
    assert (after["Referral"], after["ReferralEvent"]) == (before["Referral"] + 1, before["ReferralEvent"] + 1)


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("tampered", alternatives.INVALID),
        ("another request's token", alternatives.INVALID),
        ("expired", alternatives.EXPIRED),
        ("clicked twice", alternatives.ALREADY_ASKED),
        ("partner asked since", alternatives.ALREADY_ASKED),
        ("partner paused since", alternatives.UNAVAILABLE),
        ("partner over capacity since", alternatives.UNAVAILABLE),
    ],
)
def test_a_link_that_may_not_send_is_refused_and_changes_nothing(case, reason):
    asked, other = factories.profile(), factories.profile(capacity=1)
    engagement = factories.engagement([asked])
    token, signed, at = engagement.public_token, _signed(alternatives.link(engagement, other.pk, NOW)), NOW
    if case == "tampered":
        signed = signed.replace(f"{other.pk}.", f"{asked.pk}.", 1)
    elif case == "another request's token":
        token = factories.engagement([asked]).public_token
    elif case == "expired":
        at = NOW + alternatives.LINK_VALID + timedelta(seconds=1)
    elif case == "clicked twice":
        alternatives.send(token, signed, NOW)
    elif case == "partner asked since":
        services.offer_to_more(engagement.pk, [other.pk], ActorRef.system("cascade"), NOW)
    elif case == "partner paused since":
        BusinessProfile.objects.filter(pk=other.pk).update(status=BusinessProfile.Status.PAUSED)
    elif case == "partner over capacity since":
        factories.engagement([other])
    before = counting.rows()

    with pytest.raises(alternatives.LinkRefused) as refused:
        alternatives.send(token, signed, at)
    with pytest.raises(alternatives.LinkRefused):
        alternatives.read(token, signed, at)

    assert refused.value.reason == reason
    assert counting.rows() == before


def test_a_link_is_good_until_its_validity_ends():
    asked, other = factories.profile(), factories.profile()
    engagement = factories.engagement([asked])
    signed = _signed(alternatives.link(engagement, other.pk, NOW))

    assert alternatives.send(engagement.public_token, signed, NOW + alternatives.LINK_VALID).profile == other


def flagged_as_spam(engagement):
    """The request's partner says no thanks with the spam reason; returns that referral's id."""
    referral = engagement.referrals.get()
    user = factories.user(referral.partner, role=Role.REFERRALS_ADMIN)
    services.skip(referral.pk, ActorRef.person(user), NOW + timedelta(minutes=5), "spam", "Nonsense text")
    return referral.pk


def test_a_link_of_a_request_confirmed_as_spam_sends_nothing():
    asked, other = factories.profile(), factories.profile()
    engagement = factories.engagement([asked])
    signed = _signed(alternatives.link(engagement, other.pk, NOW))
    boss = factories.user(None, role=Role.PROGRAMME_ADMIN)
    admin_services.confirm_spam(boss, flagged_as_spam(engagement), "Bot traffic", NOW + timedelta(hours=1))
    before = counting.rows()

    with pytest.raises(alternatives.LinkRefused) as refused:
        alternatives.send(engagement.public_token, signed, NOW + timedelta(hours=2))
    with pytest.raises(alternatives.LinkRefused):
        alternatives.read(engagement.public_token, signed, NOW + timedelta(hours=2))

    assert refused.value.reason == alternatives.CLOSED
    assert counting.rows() == before
    assert not Referral.objects.filter(profile=other).exists()


def test_a_link_of_a_request_whose_spam_flag_was_dismissed_still_sends():
    asked, other = factories.profile(), factories.profile()
    engagement = factories.engagement([asked])
    signed = _signed(alternatives.link(engagement, other.pk, NOW))
    boss = factories.user(None, role=Role.PROGRAMME_ADMIN)
    admin_services.dismiss_spam(boss, flagged_as_spam(engagement), "A real customer", NOW + timedelta(hours=1))

    assert alternatives.send(engagement.public_token, signed, NOW + timedelta(hours=2)).profile == other
    assert Referral.objects.filter(engagement=engagement, profile=other).count() == 1
