"""The hard rules: who may not get a request at all, whatever any policy scores. Pure.

Every routing policy (the engine, the simulator's baselines, the oracle) asks `exclusion` first, so they
all compete on the same eligible partners.
"""

from __future__ import annotations

from math import asin, cos, radians, sin, sqrt

from matching.engine.types import Deal, Partner

EARTH_RADIUS_KM = 6371.0088

PAUSED = "paused"
OVER_CAPACITY = "over capacity"
SIZE_OPTED_OUT = "opted out of this company size"
LANGUAGE = "does not speak the customer's language"
REGION = "does not serve the customer's country"
ALREADY_ASKED = "already asked for this request"


def exclusion(deal: Deal, partner: Partner, asked: frozenset[int]) -> str:
    """The first hard rule that excludes `partner` from `deal`, or "" when it may get it."""
    if partner.profile_id in asked:
        return ALREADY_ASKED
    if not partner.accepting:
        return PAUSED
    if at_capacity(partner):
        return OVER_CAPACITY
    # A customer of unknown size may be of any size: a partner that opted out of the sizes it did not name is
    # not sent one (as `referrals.services.targetable_profiles(None)` reads it in the database).
    if partner.only_target_sizes and partner.sizes and deal.size not in partner.sizes:
        return SIZE_OPTED_OUT
    if deal.language and partner.languages and deal.language not in partner.languages:
        return LANGUAGE
    served = partner.serves_countries or frozenset({partner.country})
    if deal.country and deal.country not in served:
        return REGION
    return ""


def at_capacity(partner: Partner) -> bool:
    return partner.capacity is not None and partner.open_referrals >= partner.capacity


Signature = tuple[bool, bool, bool, frozenset[str], frozenset[str], frozenset[str], str]


def signature(partner: Partner) -> Signature:
    """What of a partner `exclusion` reads, besides its profile id (held to it by a test): partners alike in it
    are excluded alike from every request, so an index asks `exclusion` once per signature, not per partner."""
    return (
        partner.accepting,
        at_capacity(partner),
        partner.only_target_sizes,
        partner.sizes,
        partner.languages,
        partner.serves_countries,
        partner.country,
    )


def distance_km(deal: Deal, partner: Partner) -> float | None:
    """Great-circle km from the customer to the partner's nearest place, if both are known."""
    if deal.lat is None or deal.lon is None or not partner.places:
        return None
    return min(_haversine(deal.lat, deal.lon, p.lat, p.lon) for p in partner.places)


def _haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = radians(lat1), radians(lat2)
    h = sin((p2 - p1) / 2) ** 2 + cos(p1) * cos(p2) * sin(radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(min(1.0, sqrt(h)))
