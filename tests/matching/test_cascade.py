"""The cascade: a partner that drops out of a shared request is followed by the engine's next best partner, while
nobody is interested yet, within the programme's window and cap, never asking a partner twice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console import admin_services
from matching import cascade
from matching.models import RoutingDecision
from notifications.models import OutboxMessage
from partners.models import Role
from referrals import services
from referrals.actors import ActorRef
from referrals.models import Programme, Referral, ReferralEvent
from tests import factories
from tests.factories import NOW

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


def shared_request(profiles, **overrides):
    return factories.engagement(profiles, consent_share=True, **overrides)


def no_thanks(referral, at=NOW + H):
    user = factories.user(referral.partner, role=Role.REFERRALS_ADMIN)
    return services.skip(referral.pk, ActorRef.person(user), at, reason="not-our-field")


def asked(engagement):
    return sorted(Referral.objects.filter(engagement=engagement).values_list("profile_id", flat=True))


def test_a_partner_that_says_no_thanks_is_followed_by_the_next_best_one_with_a_history_row_and_an_alert():
    first, spare = factories.profile(), factories.profile(contacts=("spare@partner.example",))
    engagement = shared_request([first])
    no_thanks(engagement.referrals.get())

    assert cascade.offer_due(NOW + 2 * H) == 1

    offered = Referral.objects.get(engagement=engagement, profile=spare)
    assert (offered.state, offered.created_at) == ("new", NOW + 2 * H)
    created = ReferralEvent.objects.get(referral=offered)
    assert (created.action, created.actor_kind, created.actor_label, created.comment) == (
        "create",
        "system",
        "cascade",
        cascade.COMMENT,
    )
    assert OutboxMessage.objects.filter(referral=offered, to_address="spare@partner.example").count() == 1
    assert RoutingDecision.objects.filter(engagement=engagement).count() == 1
    assert cascade.offer_due(NOW + 3 * H) == 0  # that drop-out is answered once
    assert asked(engagement) == sorted([first.pk, spare.pk])


def test_without_the_customers_consent_to_share_nothing_is_offered():
    first, _spare = factories.profile(), factories.profile()
    engagement = factories.engagement([first], consent_share=False)
    no_thanks(engagement.referrals.get())

    assert cascade.offer_due(NOW + 2 * H) == 0
    assert asked(engagement) == [first.pk]
    assert not RoutingDecision.objects.exists()


def test_the_cascade_stops_once_someone_is_interested():
    first, second, _spare = factories.profile(), factories.profile(), factories.profile()
    engagement = shared_request([first, second])
    no_thanks(engagement.referrals.get(profile=first))
    user = factories.user(second.partner, role=Role.REFERRALS_ADMIN)
    services.mark_interested(engagement.referrals.get(profile=second).pk, ActorRef.person(user), NOW + H)

    assert cascade.offer_due(NOW + 2 * H) == 0
    assert asked(engagement) == sorted([first.pk, second.pk])


def test_a_missed_referral_counts_as_a_drop_out_too():
    first, spare = factories.profile(), factories.profile()
    engagement = shared_request([first])
    services.apply_deadline(engagement.referrals.get().pk, NOW + 72 * H)  # missed

    assert cascade.offer_due(NOW + 72 * H) == 1
    assert asked(engagement) == sorted([first.pk, spare.pk])


def test_never_past_the_programmes_cap_nor_its_window_and_never_a_partner_asked_before():
    Programme.objects.filter(pk=1).update(cascade_max_partners=3, cascade_window_hours=48)
    a, b = factories.profile(), factories.profile()
    other_location_of_a = factories.profile(partner_=a.partner, country="AT")  # the same partner, elsewhere
    spares = [factories.profile() for _ in range(3)]
    engagement = shared_request([a, b])
    for referral in engagement.referrals.all():
        no_thanks(referral)

    assert cascade.offer_due(NOW + 2 * H) == 1  # two drop-outs, but three partners in all at most
    offered = set(asked(engagement)) - {a.pk, b.pk}
    assert len(offered) == 1 and offered <= {s.pk for s in spares}
    assert other_location_of_a.pk not in asked(engagement)

    late = shared_request([spares[0]] if spares[0].pk not in offered else [spares[1]])
    no_thanks(late.referrals.get(), at=NOW + 49 * H)
    assert cascade.offer_due(NOW + 49 * H) == 0  # the request is older than the window
    assert len(asked(late)) == 1


def test_nobody_left_to_ask_offers_nothing_and_keeps_no_empty_decision():
    only = factories.profile()
    engagement = shared_request([only])
    no_thanks(engagement.referrals.get())

    assert cascade.offer_due(NOW + 2 * H) == 0
    assert cascade.offer_due(NOW + 3 * H) == 0
    assert not RoutingDecision.objects.filter(engagement=engagement).exists()
    assert asked(engagement) == [only.pk]


def test_a_request_confirmed_as_spam_is_offered_to_nobody_else():
    first, second, _spare = factories.profile(), factories.profile(), factories.profile()
    engagement = shared_request([first, second])
    flagged = engagement.referrals.get(profile=first)
    user = factories.user(first.partner, role=Role.REFERRALS_ADMIN)
    services.skip(flagged.pk, ActorRef.person(user), NOW + H, reason="spam")
    boss = factories.user(None, role=Role.PROGRAMME_ADMIN)
    admin_services.confirm_spam(boss, flagged.pk, "Bot traffic", NOW + 2 * H)  # closes the second's referral too

    assert cascade.offer_due(NOW + 3 * H) == 0
    assert asked(engagement) == sorted([first.pk, second.pk])
    assert not RoutingDecision.objects.exists()
