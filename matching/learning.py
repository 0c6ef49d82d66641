"""The engine's view of the product: requests as `Deal`s, profiles as `Partner`s, recorded history as
`Observation`s; the trained engine kept in the database and in memory per process (docs/decisions.md 37).

The engine (matching/engine/) is pure: it learns only from what this module builds out of the rows, never
from anything else a page or a partner said. Imported referrals are left out (`Referral.objects.ranked()`):
they happened elsewhere, unseen.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.db import transaction
from django.db.models import Max

from finder import text
from matching import profiles, roster, vectors
from matching.engine.index import PartnerIndex
from matching.engine.policy import EnginePolicy
from matching.engine.types import TURNED_DOWN, Deal, Observation, Outcome, Partner
from matching.models import EngineState
from partners import cities
from referrals import lifecycle
from referrals.lifecycle import Action
from referrals.models import Engagement, Referral, ReferralEvent

SEED = 11  # the engine's own random stream; each decision adds its request's id (routing.py)
BATCH = 5000  # history rows one worker pass feeds to the engine at most

# A fixed table of EUR per unit of each currency the taxonomy seeds (taxonomy/seed.py), rounded: the engine
# compares deal sizes, it keeps no books, so a stale rate moves a deal between budget buckets at worst. A
# currency missing here gives "no value" (the engine then uses what it learned for deals like it).
EUR_PER_UNIT = {
    "EUR": 1.0,
    "USD": 0.92,
    "GBP": 1.17,
    "CHF": 1.05,
    "SEK": 0.088,
    "PLN": 0.23,
    "RUB": 0.010,
    "KZT": 0.0019,
    "BYN": 0.28,
    "UAH": 0.022,
}

# The engine knows four sources; an intake integration (API) is a campaign or landing form, like advertising.
SOURCES = {Engagement.Source.API.value: Engagement.Source.ADVERTISING.value}

# What each history row's action tells the engine ("create" is the offer itself).
OUTCOME_OF_ACTION = {
    "create": Outcome.OFFERED,
    Action.INTERESTED.value: Outcome.INTERESTED,
    Action.SKIP.value: Outcome.SKIPPED,
    Action.MISS.value: Outcome.MISSED,  # written by the sweep once the answer window closed
    Action.ACCEPT.value: Outcome.ACCEPTED,
    Action.DECLINE.value: Outcome.DECLINED,
    Action.EXPIRE.value: Outcome.EXPIRED,
    Action.WIN.value: Outcome.WON,
    Action.LOSE.value: Outcome.LOST,
}
FIRST_ANSWERS = (Outcome.INTERESTED, Outcome.SKIPPED)


def to_eur(amount: Decimal | float | None, currency: str) -> float | None:
    rate = EUR_PER_UNIT.get(currency.upper())
    if amount is None or rate is None:
        return None
    return float(amount) * rate


# --- Requests ---------------------------------------------------------------------------------


def deal(
    request_id: int,
    at: datetime,
    *,
    industry: str,
    requested_industries: Sequence[str],
    products: Iterable[str],
    services: Iterable[str],
    size: str,
    budget: Decimal | None,
    budget_currency: str,
    country: str,
    city: str,
    language: str,
    source: str,
    need: str,
    vector: Sequence[float] | Literal["embed"] | None = "embed",
) -> Deal:
    """A request as the engine knows it. The customer's own industry, else the first one asked for; the need's
    multilingual embedding (matching.vectors), unless the caller embedded it already (`vector`)."""
    place = cities.lookup(country, city) if city else None
    return Deal(
        request_id=request_id,
        at=at,
        industry=industry or (requested_industries[0] if requested_industries else ""),
        products=frozenset(products),
        services=frozenset(services),
        size=size,
        budget_eur=to_eur(budget, budget_currency),
        country=country.upper(),
        lat=place.lat if place else None,
        lon=place.lon if place else None,
        language=language,
        source=SOURCES.get(source, source),
        words=frozenset(text.stems(need)),
        vector=vectors.of_need(need) if isinstance(vector, str) else vector,
    )


def deal_of(engagement: Engagement, vector: Sequence[float] | Literal["embed"] | None = "embed") -> Deal:
    return deal(
        engagement.pk,
        engagement.created_at,
        industry=engagement.customer_industry_id or "",
        requested_industries=engagement.requested_industries,
        products=engagement.requested_products,
        services=engagement.requested_services,
        size=engagement.customer_size_id or "",
        budget=engagement.budget,
        budget_currency=engagement.budget_currency,
        country=engagement.customer_country,
        city=engagement.customer_city,
        language=engagement.language,
        source=engagement.source,
        need=engagement.need,
        vector=vector,
    )


# --- Profiles ---------------------------------------------------------------------------------


def partners() -> tuple[Partner, ...]:
    """Every business profile as the engine knows it, paused and suspended ones too (not accepting: the
    engine's hard rules exclude them and say so), kept current per process (matching.roster)."""
    return roster.partners()


def declared(profile_ids: Collection[int]) -> dict[int, tuple[Partner, tuple[str, ...]]]:
    """These profiles as the engine reads what they declared (tags, keywords, sizes...), with each one's
    keywords as written; their capacity and status play no part."""
    return {pk: (roster.declared(facts), facts.keywords) for pk, facts in profiles.read(sorted(profile_ids)).items()}


# --- History ----------------------------------------------------------------------------------


def observations(events: Iterable[ReferralEvent]) -> list[Observation]:
    """What the engine may learn from these history rows (with `referral` selected), in their order; rows that
    are no answer (edits, assignments) give nothing."""
    events = list(events)
    open_before = open_when_offered(events)
    found = []
    for event in events:
        outcome = OUTCOME_OF_ACTION.get(event.action)
        referral = event.referral
        if outcome is None:
            continue
        found.append(
            Observation(
                request_id=referral.engagement_id,
                profile_id=referral.profile_id,
                outcome=outcome,
                at=event.at,
                value_eur=_value_eur(referral, outcome),
                waited=event.at - referral.created_at if outcome in FIRST_ANSWERS else None,
                open_referrals=open_before.get(event.pk),
                reason=event.reason if outcome in TURNED_DOWN else "",
            )
        )
    return found


def open_when_offered(events: Sequence[ReferralEvent]) -> dict[int, int]:
    """For each offer ("create") among these history rows, by its id: how many referrals its profile had open
    just before it was written, as the roster counted them for the decision (every referral, imported ones
    too). The open referrals now, with the history written since the earliest offer undone, newest first:
    read later, a profile's count also holds this offer and whatever moved since."""
    offers = [event for event in events if event.action == "create"]
    if not offers:
        return {}
    offered_to = {event.referral.profile_id for event in offers}
    is_open = {state.value for state in lifecycle.OPEN}
    count = roster.open_counts(sorted(offered_to), "default")
    wanted = {event.pk for event in offers}
    later = (
        ReferralEvent.objects.filter(referral__profile_id__in=offered_to, id__gte=min(wanted))
        .order_by("-id")
        .values_list("id", "referral__profile_id", "from_state", "to_state")
    )
    found: dict[int, int] = {}
    for pk, profile_id, before, after in later.iterator():
        count[profile_id] = count.get(profile_id, 0) - (after in is_open) + (before in is_open)
        if pk in wanted:
            found[pk] = count[profile_id]
    return found


def _value_eur(referral: Referral, outcome: Outcome) -> float | None:
    """The accepted estimate (ACCEPTED) or the final value (WON), as the referral holds them now."""
    if outcome == Outcome.ACCEPTED:
        return to_eur(referral.deal_value, referral.deal_currency)
    if outcome == Outcome.WON:
        return to_eur(
            referral.final_value if referral.final_value is not None else referral.deal_value, referral.deal_currency
        )
    return None


def recorded_observations() -> list[Observation]:
    """Everything the recorded history teaches the engine, oldest first."""
    return observations(_history())


def _history(**filters: Any) -> Any:
    """History rows of the referrals that count (never imported ones), in the order they were written."""
    ranked = Referral.objects.ranked()
    return (
        ReferralEvent.objects.filter(referral__in=ranked, **filters)
        .select_related("referral__engagement")
        .order_by("id")
    )


def _deals_of(events: Sequence[ReferralEvent]) -> list[Deal]:
    engagements = list({event.referral.engagement_id: event.referral.engagement for event in events}.values())
    needs = vectors.of_needs([engagement.need for engagement in engagements])  # embedded together: faster
    return [deal_of(engagement, vector) for engagement, vector in zip(engagements, needs, strict=True)]


# --- The engine, stored and per process -------------------------------------------------------


def introduce(policy: EnginePolicy, deals: Iterable[Deal], known: Sequence[Partner]) -> None:
    """Tell the engine the requests and profiles that history is about, so it can read answers to pairs it
    did not choose (people and the finder chose most of them)."""
    policy.know(deals, known)


def train(now: datetime) -> EngineState:
    """A full refit from the whole recorded history, stored as the current engine; every profile is embedded
    first if it is not yet (outside the transaction: minutes on a large database without vectors)."""
    vectors.backfill()
    with transaction.atomic():
        last = _last_event_id()
        events = list(_history(id__lte=last))
        policy = EnginePolicy(seed=SEED)
        introduce(policy, _deals_of(events), partners())
        observed = observations(events)
        policy.fit(observed)
        state, _ = EngineState.objects.update_or_create(
            pk=1,
            defaults={
                "version": policy.model_version,
                "trained_at": now,
                "updated_at": now,
                "last_event_id": last,
                "observations": len(observed),
                "state": stored(policy),
            },
        )
    return state


def learn_new_history(now: datetime, limit: int = BATCH) -> int:
    """Feed the history rows written since the stored engine last learned to it (a full refit the first time);
    returns how many rows were read. Nothing new costs one indexed query."""
    mark = EngineState.objects.filter(pk=1).values_list("last_event_id", flat=True).first()
    if mark is None:
        train(now)
        return int(_last_event_id())
    if not ReferralEvent.objects.filter(id__gt=mark).exists():
        return 0
    with transaction.atomic():
        row = EngineState.objects.select_for_update().get(pk=1)
        new = list(
            ReferralEvent.objects.filter(id__gt=row.last_event_id).order_by("id")[:limit].values_list("id", flat=True)
        )
        if not new:
            return 0
        events = list(_history(id__in=new))
        policy: EnginePolicy = pickle.loads(row.state)  # noqa: S301 - written by train/learn_new_history only
        introduce(policy, _deals_of(events), partners())
        observed = observations(events)
        for observation in observed:
            policy.observe(observation)
        row.version = policy.model_version
        row.updated_at = now
        row.last_event_id = new[-1]
        row.observations += len(observed)
        row.state = stored(policy)
        row.save()
    return len(new)


def stored(policy: EnginePolicy) -> bytes:
    """The engine as kept in the database, without its index of partners: each process syncs its own from its
    roster (matching.roster) before deciding. A stored index would be every profile (with its 2 KB vector) in
    the blob every process reads when the version moves, and it would hold the training process's object ids,
    which `PartnerIndex.sync` would compare with this process's objects as if they were its own."""
    index, policy.index = policy.index, PartnerIndex()
    try:
        return pickle.dumps(policy, protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        policy.index = index


def _last_event_id() -> int:
    return int(ReferralEvent.objects.aggregate(last=Max("id"))["last"] or 0)


class _Current:
    """This process's copy of the stored engine, replaced when the stored version changes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # a decision changes the engine's memory (its index, its deals)
        self.version: str | None = None
        self.policy: EnginePolicy | None = None

    def get(self) -> EnginePolicy:
        stored = EngineState.objects.filter(pk=1).values_list("version", flat=True).first()
        if self.policy is None or stored != self.version:
            blob = EngineState.objects.filter(pk=1).values_list("state", flat=True).first()
            self.policy = pickle.loads(bytes(blob)) if blob else EnginePolicy(seed=SEED)  # noqa: S301
            self.version = stored
        return self.policy

    def forget(self) -> None:
        """Drop this process's copy (a test database rolled back under it)."""
        self.version, self.policy = None, None
        roster.forget()


current = _Current()
