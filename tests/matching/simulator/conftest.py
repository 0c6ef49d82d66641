"""Small markets: a few seconds each, big enough for every rule to happen."""

from __future__ import annotations

import pytest

from matching.simulator.config import SimulationConfig
from matching.simulator.market import Market, build_market
from tests import factories

SMALL = SimulationConfig(
    days=40,
    requests_per_day=6,
    partners=30,
    partners_join_every_days=4,
    churn_per_day=0.005,
    capacity_min=2,
    capacity_max=4,
    seeds=2,
    warmup_requests=60,
)


@pytest.fixture(scope="session")
def small_market() -> Market:
    return build_market(SMALL, 0, factories.NOW)
