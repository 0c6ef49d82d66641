"""Random partners and deals that exercise every hard rule."""

from __future__ import annotations

from random import Random

from matching.engine.types import SIZES, Place
from tests.matching.engine.builders import deal, partner


def random_partner(rng: Random, profile_id: int):
    return partner(
        profile_id,
        country=rng.choice(["DE", "AT"]),
        serves_countries=frozenset(rng.sample(["DE", "AT", "PL"], rng.randint(0, 2))),
        places=tuple(Place(rng.uniform(45, 55), rng.uniform(5, 20)) for _ in range(rng.randint(0, 3))),
        sizes=frozenset(rng.sample(SIZES, rng.randint(0, 2))),
        only_target_sizes=rng.random() < 0.5,
        languages=frozenset(rng.sample(["de", "en", "pl"], rng.randint(1, 2))),
        accepting=rng.random() < 0.8,
        capacity=rng.choice([None, 1, 3]),
        open_referrals=rng.randint(0, 3),
    )


def random_deal(rng: Random, request_id: int):
    return deal(
        request_id,
        size=rng.choice(["", *SIZES]),
        language=rng.choice(["de", "en", "pl"]),
        country=rng.choice(["DE", "AT", "PL"]),
        lat=rng.uniform(45, 55),
        lon=rng.uniform(5, 20),
    )
