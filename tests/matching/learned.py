"""A hand-trained engine for tests that need one: two partners' answers to five CRM deals."""

from __future__ import annotations

from datetime import timedelta

from matching import learning
from matching.engine.policy import EnginePolicy
from matching.engine.types import Deal, Observation, Outcome, Partner
from tests.factories import NOW

ACCEPTING, DECLINING, UNKNOWN = 101, 102, 103


def crm_deal(request_id: int) -> Deal:
    return Deal(request_id, NOW - timedelta(days=10), industry="retail", products=frozenset({"crm"}), budget_eur=50e3)


def trained(accepting: int = ACCEPTING, declining: int = DECLINING) -> EnginePolicy:
    """An engine that saw `accepting` accept 5 CRM deals and `declining` decline them (both interested first)."""
    policy = EnginePolicy(seed=1)
    partners = [Partner(pid, pid, NOW - timedelta(days=400), "DE") for pid in (accepting, declining, UNKNOWN)]
    deals = [crm_deal(i) for i in range(1, 6)]
    learning.introduce(policy, deals, partners)
    observed = []
    for deal in deals:
        for pid, answer in ((accepting, Outcome.ACCEPTED), (declining, Outcome.DECLINED)):
            observed.append(Observation(deal.request_id, pid, Outcome.INTERESTED, deal.at + timedelta(hours=2)))
            observed.append(Observation(deal.request_id, pid, answer, deal.at + timedelta(days=1)))
    policy.fit(observed)
    return policy
