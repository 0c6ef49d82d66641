"""The baselines: each asks the hard rules first, then chooses as its name says."""

from __future__ import annotations

import re
from random import Random

import pytest

from matching.engine.types import Deal, Observation, Outcome, Partner, Place
from matching.simulator import policies
from tests import factories

BERLIN = Place(52.52, 13.40)
HAMBURG = Place(53.55, 9.99)  # 2.13 deg west of Berlin: outside the first box, inside the second
MUNICH = Place(48.14, 11.58)  # 4.4 deg south: outside the second box, inside the third


def partner(profile_id: int, **fields) -> Partner:
    defaults = {
        "partner_id": profile_id,
        "joined_at": factories.NOW,
        "country": "DE",
        "places": (BERLIN,),
        "languages": frozenset({"de", "en"}),
    }
    return Partner(profile_id=profile_id, **{**defaults, **fields})


def deal() -> Deal:
    return Deal(
        request_id=1, at=factories.NOW, industry="industry1", products=frozenset({"product2", "product3"}),
        size="10-49", country="DE", lat=BERLIN.lat, lon=BERLIN.lon, language="de",
    )  # fmt: skip


def excluded_ones() -> list[Partner]:
    return [
        partner(90, accepting=False, industries=frozenset({"industry1"})),
        partner(91, capacity=1, open_referrals=1, industries=frozenset({"industry1"})),
        partner(92, country="FR", industries=frozenset({"industry1"})),
        partner(93, industries=frozenset({"industry1"})),  # already asked
    ]


@pytest.mark.parametrize("name", ["random", "keyword", "odoo"])
def test_no_policy_chooses_a_partner_the_hard_rules_exclude(name):
    allowed = partner(1, places=(MUNICH,))
    decision = policies.make(name, None).decide(
        deal(), [*excluded_ones(), allowed], 3, frozenset({93}), factories.NOW, Random(0)
    )
    assert decision.chosen == (1,)
    assert decision.excluded == {
        90: "paused",
        91: "over capacity",
        92: "does not serve the customer's country",
        93: "already asked for this request",
    }


@pytest.mark.parametrize("name", ["random", "keyword", "odoo"])
def test_a_policy_with_nobody_eligible_chooses_nobody(name):
    decision = policies.make(name, None).decide(deal(), excluded_ones(), 3, frozenset({93}), factories.NOW, Random(0))
    assert (decision.chosen, decision.ranked) == ((), ())


def test_keyword_prefers_the_most_declared_tags_in_common():
    partners = [
        partner(1),
        partner(2, products=frozenset({"product2"})),
        partner(3, industries=frozenset({"industry1"}), products=frozenset({"product2"})),
        partner(
            4,
            industries=frozenset({"industry1"}),
            products=frozenset({"product2", "product3"}),
            sizes=frozenset({"10-49"}),
        ),
    ]
    decision = policies.make("keyword", None).decide(deal(), partners, 3, frozenset(), factories.NOW, Random(0))
    assert decision.chosen == (4, 3, 2)
    assert [s.score for s in decision.ranked] == [4.5, 3.0, 1.0, 0.0]


def test_odoo_picks_inside_the_smallest_box_that_has_anyone_and_ignores_tags():
    far = partner(1, places=(MUNICH,), industries=frozenset({"industry1"}), products=frozenset({"product2"}))
    near = partner(2, places=(HAMBURG,))
    decision = policies.make("odoo", None).decide(deal(), [far, near], 1, frozenset(), factories.NOW, Random(0))
    assert decision.chosen == (2,)
    decision = policies.make("odoo", None).decide(deal(), [far, near], 2, frozenset(), factories.NOW, Random(0))
    assert decision.chosen == (2, 1)


def test_odoo_falls_back_to_the_nearest_partner_from_abroad():
    remote = partner(1, country="FR", places=(Place(48.85, 2.35),), serves_countries=frozenset({"DE", "FR"}))
    farther = partner(2, country="FR", places=(Place(43.3, 5.4),), serves_countries=frozenset({"DE", "FR"}))
    decision = policies.make("odoo", None).decide(deal(), [farther, remote], 2, frozenset(), factories.NOW, Random(0))
    assert decision.chosen == (1,)


def test_odoo_weighs_partners_by_a_grade_that_rises_with_deals_won():
    odoo = policies.OdooPolicy()
    for count in range(5):
        odoo.observe(Observation(request_id=count, profile_id=7, outcome=Outcome.WON, at=factories.NOW))
        odoo.observe(Observation(request_id=count, profile_id=8, outcome=Outcome.LOST, at=factories.NOW))
    assert (odoo.weight(7), odoo.weight(8)) == (40, 10)
    picks = [
        odoo.decide(deal(), [partner(7), partner(8)], 1, frozenset(), factories.NOW, Random(seed)).chosen
        for seed in range(400)
    ]
    assert 0.75 < picks.count((7,)) / 400 < 0.85  # 40 / (40 + 10)


def test_an_unknown_policy_is_refused_by_name():
    with pytest.raises(
        policies.PolicyUnavailable,
        match=re.escape("Unknown policy 'best'; the policies are: random, keyword, odoo, engine, oracle."),
    ):
        policies.check("best")
