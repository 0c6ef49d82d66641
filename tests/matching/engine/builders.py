"""Deals, partners and answers for the engine's tests: plain values, no database."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from matching.engine.policy import EnginePolicy
from matching.engine.types import Deal, Observation, Outcome, Partner, Place
from tests import clock

BERLIN = Place(52.52, 13.405)


def now() -> datetime:
    return clock.NOW


def deal(request_id: int, at: datetime | None = None, **fields: Any) -> Deal:
    values: dict[str, Any] = {
        "industry": "retail",
        "products": frozenset({"crm"}),
        "country": "DE",
        "lat": 52.5,
        "lon": 13.4,
        "budget_eur": 20_000.0,
    }
    values.update(fields)
    return Deal(request_id=request_id, at=at or now(), **values)


def partner(profile_id: int, **fields: Any) -> Partner:
    values: dict[str, Any] = {
        "joined_at": now() - timedelta(days=400),
        "country": "DE",
        "places": (BERLIN,),
        "industries": frozenset({"retail", "manufacturing"}),
        "products": frozenset({"crm", "erp"}),
        "capacity": 10,
    }
    values.update(fields)
    return Partner(profile_id=profile_id, partner_id=profile_id, **values)


def answer(engine: EnginePolicy, request_id: int, profile_id: int, outcomes: list[Outcome], at: datetime) -> None:
    """Record `outcomes` of one referral, an hour apart, as the product or the simulator would."""
    for i, outcome in enumerate(outcomes):
        value = 20_000.0 if outcome in (Outcome.ACCEPTED, Outcome.WON) else None
        waited = timedelta(hours=2) if outcome in (Outcome.INTERESTED, Outcome.SKIPPED) else None
        engine.observe(Observation(request_id, profile_id, outcome, at + timedelta(hours=i), value, waited))
