"""The engine learns from the recorded history only: each history row becomes the observation it stands for."""

from __future__ import annotations

import pickle
from datetime import timedelta
from decimal import Decimal
from random import Random

import pytest

from matching import learning
from matching.engine.types import Observation, Outcome
from matching.models import EngineState
from partners.models import BusinessProfile
from referrals import services
from referrals.actors import ActorRef
from referrals.models import Engagement, Referral
from tests import factories
from tests.factories import NOW

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


def _referral(engagement, profile):  # type: ignore[no-untyped-def]
    return Referral.objects.get(engagement=engagement, profile=profile)


def test_the_history_becomes_observations_in_order_with_values_in_eur_and_imports_left_out():
    won, skipped = factories.profile(), factories.profile()
    engagement = factories.engagement([won, skipped])
    factories.engagement([factories.profile()], source="import")
    actor = ActorRef.system("test")
    first, second = _referral(engagement, won), _referral(engagement, skipped)
    services.skip(second.pk, actor, NOW + 1 * H)
    services.mark_interested(first.pk, actor, NOW + 2 * H)
    services.accept(first.pk, actor, NOW + 3 * H, "1000.00", "USD", factories.close_date())
    services.win(first.pk, actor, NOW + 4 * H, final_value="2000.00")

    assert learning.recorded_observations() == [
        Observation(engagement.pk, won.pk, Outcome.OFFERED, NOW, open_referrals=0),
        Observation(engagement.pk, skipped.pk, Outcome.OFFERED, NOW, open_referrals=0),
        Observation(engagement.pk, skipped.pk, Outcome.SKIPPED, NOW + 1 * H, waited=1 * H),
        Observation(engagement.pk, won.pk, Outcome.INTERESTED, NOW + 2 * H, waited=2 * H),
        Observation(engagement.pk, won.pk, Outcome.ACCEPTED, NOW + 3 * H, value_eur=920.0),
        Observation(engagement.pk, won.pk, Outcome.WON, NOW + 4 * H, value_eur=1840.0),
    ]


def test_a_no_thanks_and_a_decline_tell_the_partners_reason_and_no_other_answer_does():
    skipped, declined = factories.profile(), factories.profile()
    engagement = factories.engagement([skipped, declined])
    actor = ActorRef.system("test")
    services.skip(_referral(engagement, skipped).pk, actor, NOW + 1 * H, reason="no-capacity")
    services.mark_interested(_referral(engagement, declined).pk, actor, NOW + 2 * H)
    services.decline(_referral(engagement, declined).pk, actor, NOW + 3 * H, "region-not-served")

    assert learning.recorded_observations()[2:] == [
        Observation(engagement.pk, skipped.pk, Outcome.SKIPPED, NOW + 1 * H, waited=1 * H, reason="no-capacity"),
        Observation(engagement.pk, declined.pk, Outcome.INTERESTED, NOW + 2 * H, waited=2 * H),
        Observation(engagement.pk, declined.pk, Outcome.DECLINED, NOW + 3 * H, reason="region-not-served"),
    ]


def test_each_offer_tells_the_open_referrals_its_profile_had_when_offered_imported_ones_too_not_those_now():
    busy = factories.profile(capacity=5)
    first = factories.referral(busy, NOW)
    factories.engagement([busy], NOW + 1 * H, source="import")
    second = factories.referral(busy, NOW + 2 * H)
    services.skip(first.pk, ActorRef.system("test"), NOW + 3 * H)
    third = factories.referral(busy, NOW + 4 * H)

    offers = [o for o in learning.recorded_observations() if o.outcome is Outcome.OFFERED]

    assert [(o.request_id, o.open_referrals) for o in offers] == [
        (first.engagement_id, 0),
        (second.engagement_id, 2),  # the first and the imported one
        (third.engagement_id, 2),  # the first was skipped, the second is open
    ]
    assert learning.partners()[0].open_referrals == 3  # what the engine would read for all three now


def test_a_request_becomes_a_deal_with_its_budget_in_eur_its_citys_place_and_its_needs_stems():
    profile = factories.profile()
    engagement = factories.engagement(
        [profile], budget=Decimal("10000.00"), budget_currency="GBP", source="api", requested_services=["migration"]
    )

    deal = learning.deal_of(engagement)

    assert (deal.request_id, deal.industry, deal.size, deal.country, deal.language) == (
        engagement.pk,
        "manufacturing",
        "50-249",
        "DE",
        "en",
    )
    assert deal.products == {"office-suite"} and deal.services == {"migration"}
    assert deal.budget_eur == 11700.0
    assert deal.source == "advertising"  # an intake integration is a campaign
    assert (round(deal.lat or 0, 1), round(deal.lon or 0, 1)) == (52.5, 13.4)  # Berlin
    assert deal.words == {"move", "200", "mailbox", "cloud"}


def test_a_profile_becomes_a_partner_with_its_open_referrals_and_whether_it_accepts_requests():
    open_one = factories.profile(capacity=2, languages=["en", "de"], keywords=["cloud email migration"])
    paused = factories.profile(status=BusinessProfile.Status.PAUSED)
    factories.engagement([open_one])

    by_id = {p.profile_id: p for p in learning.partners()}

    assert (by_id[open_one.pk].capacity, by_id[open_one.pk].open_referrals) == (2, 1)
    assert by_id[open_one.pk].languages == {"en", "de"} and by_id[open_one.pk].accepting is True
    assert by_id[open_one.pk].keywords == {"cloud", "email", "migrat"}
    assert by_id[paused.pk].accepting is False


def test_an_unchanged_profile_gives_the_same_partner_object_so_the_engine_reencodes_nothing():
    factories.profile()

    assert [id(p) for p in learning.partners()] == [id(p) for p in learning.partners()]


def test_the_worker_feeds_new_history_to_the_stored_engine_and_reads_nothing_when_nothing_is_new():
    profile = factories.profile()
    engagement = factories.engagement([profile])
    trained = learning.train(NOW)
    assert (trained.observations, trained.last_event_id) == (1, trained.last_event_id)

    assert learning.learn_new_history(NOW + H) == 0
    services.mark_interested(_referral(engagement, profile).pk, ActorRef.system("test"), NOW + 2 * H)
    assert learning.learn_new_history(NOW + 3 * H) == 1

    stored = EngineState.objects.get(pk=1)
    assert (stored.observations, stored.trained_at, stored.updated_at) == (2, NOW, NOW + 3 * H)
    assert learning.current.get().learner.observations[-1].outcome == Outcome.INTERESTED


def test_the_stored_engine_holds_no_partners_each_process_indexes_its_own():
    profile = factories.profile()
    factories.engagement([profile])

    state = learning.train(NOW)
    loaded = pickle.loads(bytes(state.state))  # noqa: S301 - written by learning.train

    assert len(loaded.index) == 0 and len(learning.current.get().index) == 0
    assert loaded.learner.observations == learning.current.get().learner.observations
    assert learning.current.get().decide(
        learning.deal_of(Engagement.objects.get()), learning.partners(), 1, frozenset(), NOW, Random(0)
    ).chosen == (profile.pk,)
