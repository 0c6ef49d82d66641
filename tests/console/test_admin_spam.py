"""The spam queue: a partner's no thanks or decline with the spam reason puts the request in the queue;
a programme admin confirms it (closing its other waiting referrals, telling the customer nothing) or
dismisses it (recording the verdict only)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import ngettext

from console import admin_services
from console.models import SpamVerdict
from notifications import delivery, outbox
from notifications.models import OutboxMessage
from partners.models import Role
from partners.services import Conflict
from referrals import services
from referrals.actors import ActorRef
from referrals.models import Referral, ReferralEvent
from tests import factories
from tests.console.admin_fixtures import NOW, at, programme_admin, snapshot

pytestmark = pytest.mark.django_db
LATER = NOW + timedelta(hours=2)


@pytest.fixture
def boss(client: Any) -> Any:
    user = programme_admin()
    client.force_login(user)
    return user


@pytest.fixture
def request_to_four(db: Any) -> dict[str, Any]:
    """One request sent to four partners: the first flags it as spam at once, the second has not answered,
    the third is evaluating it, the fourth has accepted it."""
    profiles = [factories.profile(factories.partner(f"Partner {n}")) for n in "ABCD"]
    engagement = factories.engagement(profiles)
    refs = {r.profile_id: r for r in Referral.objects.filter(engagement=engagement)}
    people = [ActorRef.person(factories.user(p.partner, role=Role.REFERRALS_ADMIN)) for p in profiles]
    flagged, waiting, evaluating, accepted = (refs[p.pk] for p in profiles)
    services.skip(flagged.pk, people[0], NOW + timedelta(minutes=5), "spam", "Nonsense text")
    services.mark_interested(evaluating.pk, people[2], NOW + timedelta(minutes=10))
    services.mark_interested(accepted.pk, people[3], NOW + timedelta(minutes=10))
    services.accept(accepted.pk, people[3], NOW + timedelta(minutes=20), "500", "EUR", factories.close_date())
    return {
        "engagement": engagement,
        "flagged": flagged.pk,
        "waiting": waiting.pk,
        "evaluating": evaluating.pk,
        "accepted": accepted.pk,
    }


def state(pk: int) -> tuple[str, str]:
    r = Referral.objects.get(pk=pk)
    return r.state, r.reason


def customer_notes() -> list[tuple[int | None, Any, Any, str]]:
    return list(
        OutboxMessage.objects.filter(template=outbox.CUSTOMER_PARTNER_WONT_FOLLOW_UP)
        .order_by("pk")
        .values_list("referral_id", "due_at", "failed_at", "last_error")
    )


def test_a_partners_spam_answer_puts_the_request_in_the_queue(client, boss, request_to_four):
    page = client.get("/console/spam/").content.decode()
    assert "1 flag to review" in page
    flag = page.split(f'data-flag="{request_to_four["flagged"]}"')[1].split("</article>")[0]
    assert f"Request {request_to_four['engagement'].pk}: Contoso GmbH" in flag
    assert "flagged by Partner A (Skipped" in flag
    assert "The partner's comment: Nonsense text" in flag
    assert "Sent to 4 partners; 2 still to answer." in flag


def test_a_decline_with_the_spam_reason_is_flagged_too(db):
    profile = factories.profile()
    me = ActorRef.person(factories.user(profile.partner))
    referral = factories.referral(profile)
    services.mark_interested(referral.pk, me, NOW)
    services.decline(referral.pk, me, NOW, "spam")
    other = factories.referral(profile, company="Fabrikam")
    services.mark_interested(other.pk, me, NOW)
    services.decline(other.pk, me, NOW, "duplicate")
    assert list(admin_services.spam_queue().values_list("pk", flat=True)) == [referral.pk]


def test_confirming_closes_the_waiting_referrals_as_spam_and_tells_the_customer_nothing(
    client, boss, request_to_four, monkeypatch, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    r = request_to_four
    at(monkeypatch, LATER)
    response = client.post(f"/console/spam/{r['flagged']}/", {"verdict": "confirm", "note": "Bot traffic"})
    assert response.status_code == 302 and response["Location"] == "/console/spam/"
    assert state(r["flagged"]) == ("skipped", "spam")
    assert state(r["waiting"]) == ("skipped", "spam")
    assert state(r["evaluating"]) == ("declined", "spam")
    assert state(r["accepted"]) == ("negotiating", "")  # a partner already working the deal keeps it
    closing = ReferralEvent.objects.filter(referral_id__in=[r["waiting"], r["evaluating"]], at=LATER).order_by("pk")
    assert [(e.action, e.actor_kind, e.actor.email, e.actor_label, e.reason) for e in closing] == [
        ("skip", "system", "boss@operator.example", "spam confirmed by boss@operator.example", "spam"),
        ("decline", "system", "boss@operator.example", "spam confirmed by boss@operator.example", "spam"),
    ]  # fmt: skip
    verdicts = SpamVerdict.objects.order_by("referral_id").values_list("referral_id", "verdict", "decided_at", "note")
    assert list(verdicts) == [
        (pk, "confirmed", LATER, "Bot traffic") for pk in sorted([r["flagged"], r["waiting"], r["evaluating"]])
    ]
    # Three "partner will not follow up" notes were queued (the flag and the two closures): none goes out.
    assert customer_notes() == [
        (pk, None, LATER, admin_services.SUPPRESSED_NOTE) for pk in (r["flagged"], r["waiting"], r["evaluating"])
    ]
    assert admin_services.spam_queue().count() == 0
    delivery.deliver_due(LATER + timedelta(minutes=1))
    assert [m.to for m in mail.outbox if "anna@contoso.example" in m.to] == []
    assert "Nothing to review." in client.get("/console/spam/").content.decode()


def test_confirming_says_how_many_referrals_it_closed(client, boss, request_to_four):
    page = client.post(f"/console/spam/{request_to_four['flagged']}/", {"verdict": "confirm"}, follow=True)
    text = page.content.decode()
    assert f"Request {request_to_four['engagement'].pk} confirmed as spam: 2 open referrals closed" in text


def test_confirming_one_referral_says_so_in_the_singular(client, boss):
    profiles = [factories.profile(factories.partner(f"Partner {n}")) for n in "AB"]
    engagement = factories.engagement(profiles)
    flagged, waiting = (Referral.objects.get(engagement=engagement, profile=p) for p in profiles)
    admin = ActorRef.person(factories.user(profiles[0].partner, role=Role.REFERRALS_ADMIN))
    services.skip(flagged.pk, admin, NOW + timedelta(minutes=5), "spam", "Nonsense text")
    page = client.post(f"/console/spam/{flagged.pk}/", {"verdict": "confirm"}, follow=True).content.decode()
    assert (
        f"Request {engagement.pk} confirmed as spam: 1 open referral closed, and the customer gets no e-mail about it."
        in page
    )
    assert state(waiting.pk) == ("skipped", "spam")


def test_confirming_says_how_many_it_closed_in_russian(client, boss, request_to_four):
    boss.language = "ru"
    boss.save(update_fields=["language"])
    page = client.post(f"/console/spam/{request_to_four['flagged']}/", {"verdict": "confirm"}, follow=True)
    assert (
        f"Запрос {request_to_four['engagement'].pk} признан спамом: закрыты 2 открытые рекомендации, клиенту о них "
        "писем не будет."
    ) in page.content.decode()


@pytest.mark.parametrize(
    ("closed", "words"),
    [
        (1, "закрыта 1 открытая рекомендация, клиенту о ней"),
        (2, "закрыты 2 открытые рекомендации, клиенту о них"),
        (5, "закрыто 5 открытых рекомендаций, клиенту о них"),
        (21, "закрыта 21 открытая рекомендация, клиенту о ней"),
    ],
)
def test_the_russian_confirmation_has_each_plural_form(closed, words):
    with translation.override("ru"):
        text = ngettext(
            "Request %(id)s confirmed as spam: %(closed)s open referral closed, and the customer gets no e-mail "
            "about it.",
            "Request %(id)s confirmed as spam: %(closed)s open referrals closed, and the customer gets no e-mail "
            "about them.",
            closed,
        ) % {"id": 7, "closed": closed}
    assert text == f"Запрос 7 признан спамом: {words} писем не будет."


def test_dismissing_records_the_verdict_and_changes_nothing_else(client, boss, request_to_four, monkeypatch):
    r = request_to_four
    before = snapshot()
    at(monkeypatch, LATER)
    response = client.post(f"/console/spam/{r['flagged']}/", {"verdict": "dismiss", "note": "Real customer"})
    assert response.status_code == 302
    after = snapshot()
    assert after.pop("verdicts") == 1 and before.pop("verdicts") == 0
    assert after == before
    assert list(SpamVerdict.objects.values_list("referral_id", "verdict", "note")) == [
        (r["flagged"], "dismissed", "Real customer")
    ]
    assert admin_services.spam_queue().count() == 0


def test_every_flag_on_the_request_leaves_the_queue_with_one_verdict(boss, request_to_four):
    r = request_to_four
    waiting_partner = Referral.objects.get(pk=r["waiting"]).partner
    services.skip(r["waiting"], ActorRef.person(factories.user(waiting_partner)), NOW + timedelta(hours=1), "spam")
    assert admin_services.spam_queue().count() == 2
    decision = admin_services.dismiss_spam(boss, r["waiting"], "", LATER)
    assert decision.decided == [r["flagged"], r["waiting"]]
    assert admin_services.spam_queue().count() == 0


def test_deciding_twice_is_refused_and_changes_nothing(client, boss, request_to_four):
    r = request_to_four
    client.post(f"/console/spam/{r['flagged']}/", {"verdict": "dismiss"})
    before = snapshot()
    page = client.post(f"/console/spam/{r['flagged']}/", {"verdict": "confirm"}, follow=True).content.decode()
    assert "Someone has already decided on this request." in page
    assert snapshot() == before
    with pytest.raises(Conflict):
        admin_services.confirm_spam(boss, r["flagged"], "", LATER)
    assert snapshot() == before


def test_a_referral_that_is_not_flagged_is_404_and_changes_nothing(client, boss, request_to_four):
    before = snapshot()
    for pk in (request_to_four["waiting"], request_to_four["accepted"], 999999):
        assert client.post(f"/console/spam/{pk}/", {"verdict": "confirm"}).status_code == 404
    assert snapshot() == before


def test_an_unknown_verdict_or_a_long_note_is_refused_and_changes_nothing(client, boss, request_to_four):
    before = snapshot()
    bad = client.post(f"/console/spam/{request_to_four['flagged']}/", {"verdict": "maybe"})
    assert bad.status_code == 422 and "Choose confirm or dismiss." in bad.content.decode()
    long = client.post(f"/console/spam/{request_to_four['flagged']}/", {"verdict": "confirm", "note": "x" * 2001})
    assert long.status_code == 422 and "Keep the comment under 2000 characters." in long.content.decode()
    assert snapshot() == before


def test_a_waiting_referral_whose_deadline_passed_is_left_to_the_timer(boss, request_to_four):
    r = request_to_four
    late = NOW + timedelta(hours=73)  # the 72 h deadline of the waiting referral has passed
    decision = admin_services.confirm_spam(boss, r["flagged"], "", late)
    assert state(r["waiting"]) == ("missed", "")
    assert decision.closed == [r["evaluating"]]
    # The timer's closure also queued a note to the customer: suppressed like the others.
    assert [n[0] for n in customer_notes() if n[1] is not None] == []
