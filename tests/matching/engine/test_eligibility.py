"""The hard rules come before any score: each excludes a partner for one stated reason."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from random import Random

import pytest

from matching.engine import eligibility
from matching.engine.types import SIZES, Deal, Partner, Place
from tests.matching.engine.builders_random import random_partner

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a pure function of its arguments: any fixed instant will do
DEAL = Deal(request_id=1, at=AT, size="50-249", country="DE", language="de", lat=52.52, lon=13.405)
PARTNER = Partner(
    profile_id=7,
    partner_id=3,
    joined_at=AT,
    country="DE",
    places=(Place(48.137, 11.575),),
    sizes=frozenset({"10-49"}),
    languages=frozenset({"de", "en"}),
    capacity=2,
    open_referrals=1,
)


@pytest.mark.parametrize(
    ("change", "asked", "reason"),
    [
        ({}, frozenset(), ""),
        ({}, frozenset({7}), eligibility.ALREADY_ASKED),
        ({"accepting": False}, frozenset(), eligibility.PAUSED),
        ({"open_referrals": 2}, frozenset(), eligibility.OVER_CAPACITY),
        ({"only_target_sizes": True}, frozenset(), eligibility.SIZE_OPTED_OUT),
        ({"only_target_sizes": True, "sizes": frozenset()}, frozenset(), ""),
        ({"languages": frozenset({"en"})}, frozenset(), eligibility.LANGUAGE),
        ({"country": "AT"}, frozenset(), eligibility.REGION),
        ({"country": "AT", "serves_countries": frozenset({"AT", "DE"})}, frozenset(), ""),
    ],
)
def test_each_hard_rule_excludes_for_its_reason(change, asked, reason):
    assert eligibility.exclusion(DEAL, replace(PARTNER, **change), asked) == reason


def test_a_customer_of_unknown_size_reaches_only_partners_that_did_not_opt_out_of_sizes():
    unknown = replace(DEAL, size="")

    assert eligibility.exclusion(unknown, PARTNER, frozenset()) == ""
    assert eligibility.exclusion(unknown, replace(PARTNER, only_target_sizes=True), frozenset()) == (
        eligibility.SIZE_OPTED_OUT
    )
    assert (
        eligibility.exclusion(unknown, replace(PARTNER, only_target_sizes=True, sizes=frozenset()), frozenset()) == ""
    )


def test_the_distance_is_to_the_nearest_place():
    assert eligibility.distance_km(DEAL, PARTNER) == pytest.approx(504.3, abs=0.1)
    nearer = replace(PARTNER, places=(Place(48.137, 11.575), Place(52.4, 13.0)))
    assert eligibility.distance_km(DEAL, nearer) == pytest.approx(30.5, abs=0.1)
    assert eligibility.distance_km(replace(DEAL, lat=None), PARTNER) is None


def test_partners_alike_in_their_signature_are_excluded_alike_from_every_request():
    rng = Random(4)
    partners = [random_partner(rng, i) for i in range(3000)]
    requests = [
        replace(DEAL, size=size, language=language, country=country)
        for size in ("", *SIZES)
        for language in ("de", "en", "pl")
        for country in ("DE", "AT", "PL")
    ]
    alike: dict[eligibility.Signature, list[Partner]] = {}
    for partner in partners:
        alike.setdefault(eligibility.signature(partner), []).append(partner)

    assert len(alike) < 0.75 * len(partners)  # many share one: what else differs (places, capacity) is not read
    for group in alike.values():
        for request in requests:
            assert len({eligibility.exclusion(request, p, frozenset()) for p in group}) == 1
