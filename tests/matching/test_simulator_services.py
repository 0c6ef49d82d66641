"""A small market played through the product's services and database makes the same decisions as the simulator's
fast in-memory run of the same market."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from matching import simulator_services, vectors
from matching.embeddings import Vector
from matching.models import EngineState, RoutingDecision
from matching.simulator import config as simulator_config
from matching.simulator.market import build_market
from partners import cities
from partners.models import BusinessProfile
from referrals.models import Engagement, Referral
from tests import factories

pytestmark = pytest.mark.django_db

SERVICES_TOML = Path(simulator_config.__file__).with_name("services.toml")


def test_a_small_market_through_the_services_asks_the_same_partners_as_the_fast_run():
    expressed = simulator_services.expressible(build_market(simulator_config.load(SERVICES_TOML), 0, factories.NOW))

    comparison = simulator_services.compare(expressed, factories.NOW)

    assert comparison.differences == []
    assert comparison.decisions > comparison.requests  # the cascade asked more partners too
    assert (BusinessProfile.objects.count(), Engagement.objects.count(), Referral.objects.count()) == (0, 0, 0)
    assert (RoutingDecision.objects.count(), EngineState.objects.count()) == (0, 0)


def test_the_fast_run_gets_the_need_routing_embeds_and_each_profile_the_vector_the_product_stored():
    market = simulator_services.expressible(build_market(simulator_config.load(SERVICES_TOML), 0, factories.NOW)).market
    first, *others = market.profiles

    given = simulator_services.embedded(market, {first.profile_id: Vector([0.6, 0.8])})

    assert [deal.vector for deal in given.deals] == [vectors.of_need(simulator_services.NEED)] * len(market.deals)
    assert given.deals[0].vector is not None
    assert [p.vector for p in given.profiles] == [Vector([0.6, 0.8])] + [None] * len(others)
    assert [replace(p, vector=None) for p in given.profiles] == list(market.profiles)
    assert [replace(d, vector=None) for d in given.deals] == list(market.deals)


def test_a_market_with_remote_partners_is_refused_before_anything_is_written():
    market = build_market(simulator_config.load(SERVICES_TOML).replace(remote_share=0.2), 0, factories.NOW)

    with pytest.raises(simulator_services.NotExpressible, match="remote_share = 0"):
        simulator_services.expressible(market)

    assert (BusinessProfile.objects.count(), Engagement.objects.count()) == (0, 0)


def test_a_database_with_partners_in_it_is_refused_and_left_as_it_was():
    factories.profile()
    expressed = simulator_services.expressible(build_market(simulator_config.load(SERVICES_TOML), 0, factories.NOW))

    with pytest.raises(simulator_services.NotExpressible, match="no partners, requests or engine"):
        simulator_services.play(expressed, factories.NOW)

    assert (BusinessProfile.objects.count(), Engagement.objects.count(), EngineState.objects.count()) == (1, 0, 0)


def test_the_market_the_product_is_told_names_a_city_it_finds_and_a_language_it_takes():
    market = build_market(simulator_config.load(SERVICES_TOML), 0, factories.NOW)

    expressed = simulator_services.expressible(market)

    for deal, said, city in zip(market.deals, expressed.market.deals, expressed.city, strict=True):
        found = cities.lookup(deal.country, city)
        assert found is not None and (said.lat, said.lon) == (found.lat, found.lon)
        assert said.language == (deal.language if deal.language in ("en", "ru") else "en")
        assert replace(said, lat=deal.lat, lon=deal.lon, language=deal.language) == deal
