"""The market: drawn from its seed alone, declared profiles that only partly reveal the hidden truth."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from matching.simulator import market as m
from referrals.lifecycle import Deadlines
from tests import factories
from tests.matching.simulator.conftest import SMALL


def declared_truly(market: m.Market) -> tuple[int, int]:
    """(declared industry tags that are true preferences, true preferred industries)."""
    hits = total = 0
    for i, profile in enumerate(market.profiles):
        true = {f"industry{x}" for x in np.nonzero(market.truth.industry_affinity[0, i] > 0)[0]}
        hits += len(true & profile.industries)
        total += len(true)
    return hits, total


def test_the_same_seed_draws_the_same_market_and_another_seed_another():
    one, again, other = (m.build_market(SMALL, seed, factories.NOW) for seed in (3, 3, 4))
    assert (one.profiles, one.deals) == (again.profiles, again.deals)
    assert np.array_equal(one.requests.value_eur, again.requests.value_eur)
    assert one.deals != other.deals


def test_a_partner_declares_all_its_true_preferences_and_nothing_else_at_full_recall_without_spurious_tags():
    market = m.build_market(SMALL.replace(tag_recall=1.0, spurious_tags=0.0), 0, factories.NOW)
    hits, total = declared_truly(market)
    assert hits == total == sum(len(p.industries) for p in market.profiles)


def test_a_partner_declares_about_tag_recall_of_its_true_preferences():
    market = m.build_market(SMALL.replace(partners=400, tag_recall=0.4), 0, factories.NOW)
    hits, total = declared_truly(market)
    assert 0.3 < hits / total < 0.5


def test_no_partner_declares_a_true_preference_at_zero_recall():
    market = m.build_market(SMALL.replace(tag_recall=0.0, spurious_tags=0.0), 0, factories.NOW)
    assert declared_truly(market)[0] == 0
    assert all(not p.industries and not p.products and not p.sizes for p in market.profiles)


def test_the_deadlines_are_the_lifecycles():
    assert m.ANSWER_HOURS == Deadlines().new / timedelta(hours=1) == 72
    assert m.DECIDE_HOURS == Deadlines().evaluating / timedelta(hours=1) == 7 * 24


def test_requests_arrive_in_order_over_the_configured_days_and_partners_join_every_few_days(small_market):
    hours = small_market.arrival_hours
    assert np.all(np.diff(hours) >= 0) and hours[0] >= 0 and hours[-1] < SMALL.days * 24
    assert [d.at for d in small_market.deals] == [factories.NOW + timedelta(hours=h) for h in hours]
    joiners = small_market.joins_day[SMALL.partners :]
    assert list(joiners) == [4 * k for k in range(1, len(joiners) + 1)]
    assert len(joiners) == (SMALL.days - 1) // 4


def test_preferences_change_on_the_shift_day_only():
    market = m.build_market(SMALL.replace(preference_shift_day=10), 0, factories.NOW)
    everyone = np.arange(len(market.profiles))
    zero = np.zeros(len(everyone))
    before = m.chances(market, 5, everyone, zero, 10 * 24 - 1)
    after = m.chances(market, 5, everyone, zero, 10 * 24)
    assert np.array_equal(before, m.chances(market, 5, everyone, zero, 0))
    assert not np.array_equal(before[1], after[1])


def test_a_busier_partner_is_less_likely_to_be_interested(small_market):
    one = np.array([0])
    idle = m.chances(small_market, 0, one, np.array([0.0]), 0)
    full = m.chances(small_market, 0, one, np.array([1.0]), 0)
    assert full[1, 0] < idle[1, 0]
    assert np.array_equal(np.delete(full, 1, axis=0), np.delete(idle, 1, axis=0))
