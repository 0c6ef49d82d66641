"""The routing service: the engine's choice under the hard rules, every decision stored and explained."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kernel.errors import InvalidInput
from matching import roster, routing
from matching.engine import eligibility, labels
from matching.models import RoutingCandidate, RoutingDecision
from partners.models import BusinessProfile, Partner
from referrals.models import Engagement, Referral
from taxonomy.models import CompanySize
from tests import factories
from tests.factories import NOW

pytestmark = pytest.mark.django_db


def _stored(engagement: Engagement) -> RoutingDecision:
    return RoutingDecision.objects.get(engagement=engagement)


def test_a_routed_request_is_stored_with_each_candidates_score_made_of_its_contributions():
    eligible = [factories.profile() for _ in range(4)]
    engagement = factories.engagement([], route_count=2)

    stored = _stored(engagement)
    candidates = list(stored.candidates.order_by("rank"))
    chosen = [c.profile_id for c in candidates if c.chosen]

    assert sorted(Referral.objects.filter(engagement=engagement).values_list("profile_id", flat=True)) == sorted(chosen)
    assert len(chosen) == 2 and set(chosen) <= {p.pk for p in eligible}
    assert (stored.policy, stored.count, stored.created_at) == ("engine", 2, NOW)
    assert stored.model_version.startswith("engine-")
    for candidate in candidates:
        assert sum((c["points"] for c in candidate.contributions), 0.0) == candidate.score
        assert all(c["template"] in labels.TEMPLATES for c in candidate.contributions)
    assert [c.rank for c in candidates] == list(range(1, len(candidates) + 1))
    assert [c.score for c in candidates] == sorted((c.score for c in candidates), reverse=True)


def test_paused_suspended_over_capacity_and_opted_out_profiles_are_never_routed():
    good = factories.profile()
    factories.profile(status=BusinessProfile.Status.PAUSED)
    suspended = factories.partner()
    Partner.objects.filter(pk=suspended.pk).update(status=Partner.Status.SUSPENDED)
    factories.profile(partner_=suspended)
    full = factories.profile(capacity=1)
    factories.engagement([full])
    opted_out = factories.profile(only_target_sizes=True)
    opted_out.target_sizes.set([CompanySize.objects.get(code="1-9")])
    before = Referral.objects.count()

    engagement = factories.engagement([], route_count=6)

    assert list(Referral.objects.filter(engagement=engagement).values_list("profile_id", flat=True)) == [good.pk]
    assert Referral.objects.count() == before + 1
    assert _stored(engagement).excluded == {
        eligibility.PAUSED: 2,
        eligibility.OVER_CAPACITY: 1,
        eligibility.SIZE_OPTED_OUT: 1,
    }


def test_route_never_chooses_a_profile_already_asked_for_the_request_nor_one_excluded():
    asked, excluded, left = factories.profile(), factories.profile(), factories.profile()
    engagement = factories.engagement([asked])

    decision = routing.route(engagement, 3, NOW, exclude={excluded.pk})

    assert decision.chosen == (left.pk,)
    assert decision.excluded == {asked.pk: eligibility.ALREADY_ASKED, excluded.pk: eligibility.ALREADY_ASKED}
    assert RoutingCandidate.objects.get(decision__engagement=engagement, chosen=True).profile_id == left.pk


def test_a_request_nobody_can_take_is_refused_and_leaves_nothing_behind():
    factories.profile(status=BusinessProfile.Status.PAUSED)

    with pytest.raises(InvalidInput) as refused:
        factories.engagement([], route_count=3)

    assert refused.value.errors == {"route": "No partner can take this request now."}
    assert (Engagement.objects.count(), RoutingDecision.objects.count(), Referral.objects.count()) == (0, 0, 0)


def test_the_preview_is_the_engines_order_and_stores_nothing():
    profiles = [factories.profile() for _ in range(3)]

    proposals = routing.preview(factories.engagement_input([]), NOW, limit=10)

    assert {p.profile_id for p in proposals} == {p.pk for p in profiles}
    assert [p.score for p in proposals] == sorted((p.score for p in proposals), reverse=True)
    assert all(p.why for p in proposals)
    assert RoutingDecision.objects.count() == 0


def test_alternatives_are_the_best_partners_not_yet_asked_one_profile_each_and_nothing_is_stored(monkeypatch):
    asked = factories.profile()
    twice = factories.partner()
    first, second = factories.profile(twice), factories.profile(twice, country="AT")
    # A partner whose Austrian profile serves Germany too: two of its profiles may take the request.
    made = roster._partner
    monkeypatch.setattr(
        roster, "_partner", lambda *args: replace(made(*args), serves_countries=frozenset({"AT", "DE"}))
    )
    factories.profile(status=BusinessProfile.Status.PAUSED)
    single = factories.profile()
    engagement = factories.engagement([asked])
    decisions = RoutingDecision.objects.count()

    offered = routing.alternatives(engagement, NOW, 3)

    assert len(offered) == 2
    assert {p.profile_id for p in offered} - {first.pk, second.pk} == {single.pk}
    assert len({p.profile_id for p in offered} & {first.pk, second.pk}) == 1
    assert [p.score for p in offered] == sorted((p.score for p in offered), reverse=True)
    assert RoutingDecision.objects.count() == decisions
    assert routing.alternatives(engagement, NOW, 1) == offered[:1]


def test_refusal_says_which_hard_rule_keeps_a_profile_from_the_request_now():
    asked, paused, free = factories.profile(), factories.profile(), factories.profile()
    engagement = factories.engagement([asked])
    BusinessProfile.objects.filter(pk=paused.pk).update(status=BusinessProfile.Status.PAUSED)

    assert routing.refusal(engagement, asked.pk, NOW) == eligibility.ALREADY_ASKED
    assert routing.refusal(engagement, paused.pk, NOW) == eligibility.PAUSED
    assert routing.refusal(engagement, free.pk, NOW) is None
