"""`simulate --through-services`: a small simulated market played through the product's own services and database,
compared with the simulator's fast in-memory run of the same market (docs/matching.md, "Through the services").

The market's partners become real partners, business profiles and users; each request is real intake
(`referrals.services.create_engagement` with `route_count`, so `matching.routing` chooses); each partner answers
through the referral services (interested, No thanks, accept, decline, won, lost) as the market's hidden truth
says (`exchange.draw_fate`, the same draws as the fast run), and after each instant the worker's steps run:
the sweep (missed, expired), the engine learning the new history (`learning.learn_new_history`) and the cascade
(`cascade.offer_due`). Every service is given the simulated instant as `now`. Everything happens in one
transaction that is rolled back: nothing stays in the database (docs/matching.md says which database to use).

What the product cannot be told, the market is first made to say as the product would (`expressible`): a
customer's place is its city (the nearest city of the product's list in its country, `partners.cities`), a
request is in English or Russian, and a partner serves its own country (no remote partners). The fast run plays
that same market, with the engine drawing from the product's streams (`routing.decision_stream`, the engine's
seed `learning.SEED`) and the deals and profiles carrying the embeddings the product gave them (`embedded`), so
any difference in who is asked is a difference of rules, not of inputs.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from random import Random

from django.db import transaction

from kernel.errors import InvalidInput
from matching import cascade, learning, routing, vectors
from matching.embeddings import Vector
from matching.engine.policy import EnginePolicy
from matching.engine.types import Deal, Decision, Observation, Partner
from matching.models import EngineState, ProfileVector, RoutingCandidate
from matching.simulator.exchange import (
    ANSWER,
    ARRIVE,
    CLOSE,
    DECIDE,
    JOIN,
    LEAVE,
    Agenda,
    Fate,
    Trace,
    draw_fate,
    run_market,
)
from matching.simulator.market import ANSWER_HOURS, DECIDE_HOURS, Market
from partners import cities
from partners.models import BusinessProfile, Location, Role, User
from partners.models import Partner as PartnerRow
from referrals import lifecycle, services, timers
from referrals.actors import ActorRef
from referrals.models import Engagement, Programme, Referral
from taxonomy.models import CompanySize, Industry, Product, Reason

PRODUCT_LANGUAGES = ("en", "ru")  # referrals.engagement_validation takes requests in these only
# The simulated requests have no words (finder.text.stems gives none for this); routing still embeds it, so the
# fast run's deals carry that vector too (`embedded`).
NEED = "-"
INTAKE = ActorRef.system("simulated intake")
# Event kinds, in the order they run when due at the same instant (as in matching/simulator/exchange.py).


class NotExpressible(ValueError):
    """The market has something the product cannot be told, or the database is not empty."""


@dataclass(frozen=True)
class Expressed:
    market: Market
    city: tuple[str, ...]  # per request: the city the product is told


def expressible(market: Market) -> Expressed:
    """The market as the product can be told it: each customer at the nearest city of the product's list in its
    country, requests in English unless in Russian. Raises NotExpressible for remote partners (a product profile
    serves its own country; a partner serving more has a profile per country, which the simulator does not draw)."""
    if market.config.remote_share > 0:
        raise NotExpressible(
            "The product has no partner serving several countries from one profile: set remote_share = 0 "
            "for --through-services."
        )
    deals: list[Deal] = []
    names: list[str] = []
    for deal in market.deals:
        city = _nearest_city(deal.country, deal.lat or 0.0, deal.lon or 0.0)
        names.append(city.name)
        language = deal.language if deal.language in PRODUCT_LANGUAGES else "en"
        deals.append(replace(deal, lat=city.lat, lon=city.lon, language=language))
    return Expressed(replace(market, deals=tuple(deals), fits={}), tuple(names))


def _nearest_city(country: str, lat: float, lon: float) -> cities.City:
    return min(_findable(country), key=lambda c: _km(lat, lon, c.lat, c.lon))


@cache
def _findable(country: str) -> tuple[cities.City, ...]:
    """The country's cities the product finds again by name (lookup gives the biggest of several of one name)."""
    every = cities.search(country, "", limit=1_000_000)  # an empty query: all of them, the biggest first
    return tuple(c for c in every if cities.lookup(country, c.name) == c)


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


# --- The comparison ---------------------------------------------------------------------------

Decisions = dict[int, list[tuple[int, ...]]]  # request id -> each decision's partners (profile ids, sorted)


@dataclass
class Comparison:
    seed: int
    requests: int
    services: Decisions
    fast: Decisions
    differences: list[str] = field(default_factory=list)

    @property
    def decisions(self) -> int:
        return sum(len(d) for d in self.services.values())

    @property
    def same(self) -> bool:
        return not self.differences

    def as_json(self) -> dict[str, object]:
        return {
            "seed": self.seed,
            "requests": self.requests,
            "decisions_through_services": self.decisions,
            "decisions_in_memory": sum(len(d) for d in self.fast.values()),
            "same": self.same,
            "differences": self.differences,
        }


def compare(expressed: Expressed, start: datetime) -> Comparison:
    """Play the market through the services (rolled back), then in memory, and list where who was asked differs."""
    played = play(expressed, start)
    fast = run_market(embedded(expressed.market, played.vectors), ProductStreams(played.request_ids), record=True)
    in_memory = _by_request(fast)
    differences = [
        f"request {r}: through the services {played.decisions.get(r, [])}, in memory {in_memory.get(r, [])}"
        for r in sorted(set(played.decisions) | set(in_memory))
        if played.decisions.get(r, []) != in_memory.get(r, [])
    ]
    return Comparison(expressed.market.seed, len(expressed.market.deals), played.decisions, in_memory, differences)


def embedded(market: Market, profile_vectors: Mapping[int, Vector]) -> Market:
    """The market with the embeddings the product gave it: each request's need as routing embeds it, and each
    profile's vector as the product stored it (`vectors.of_profiles`, from the profile's tags as the product
    names them). Taken from the product rather than embedded again here, because the model's float32 rows
    differ in the last bits with the batch a text is embedded in, and a cosine a bit off can reorder a tie."""
    need = vectors.of_need(NEED)
    return replace(
        market,
        deals=tuple(replace(deal, vector=need) for deal in market.deals),
        profiles=tuple(replace(p, vector=profile_vectors.get(p.profile_id)) for p in market.profiles),
    )


def _by_request(trace: Trace) -> Decisions:
    found: Decisions = defaultdict(list)
    for request_id, chosen in trace.chosen:
        if chosen:  # the product keeps no decision that chose nobody (intake refuses it, the cascade retries)
            found[request_id].append(tuple(sorted(chosen)))
    return dict(found)


class ProductStreams:
    """The production engine as the product runs it: trained from an empty history (`learning.train`), drawing
    each request's random numbers from the product's stream for the request's id there."""

    name = "engine"

    def __init__(self, request_ids: dict[int, int]) -> None:
        self.engine = EnginePolicy(seed=learning.SEED)
        self.engine.fit([])
        self.request_ids = request_ids  # simulated request id -> the engagement's id in the product

    def decide(
        self, deal: Deal, partners: Sequence[Partner], count: int, asked: frozenset[int], now: datetime, rng: Random
    ) -> Decision:
        stream = routing.decision_stream(self.request_ids.get(deal.request_id, deal.request_id))
        return self.engine.decide(deal, partners, count, asked, now, stream)

    def observe(self, observation: Observation) -> None:
        self.engine.observe(observation)


# --- Through the services ---------------------------------------------------------------------


@dataclass
class Played:
    decisions: Decisions
    request_ids: dict[int, int]  # simulated request id -> engagement id
    vectors: dict[int, Vector]  # profile id -> the embedding the product stored for it


def play(expressed: Expressed, start: datetime) -> Played:
    """The whole market through the services, in a transaction rolled back at the end."""
    _check_empty()
    learning.current.forget()
    try:
        with transaction.atomic():
            played = _ThroughServices(expressed, start).run()
            transaction.set_rollback(True)
    finally:
        learning.current.forget()  # its copy of the engine learned from rows that are gone
    return played


def _check_empty() -> None:
    if BusinessProfile.objects.exists() or Engagement.objects.exists() or EngineState.objects.exists():
        raise NotExpressible(
            "--through-services needs a database with no partners, requests or engine yet (a fresh one: "
            "docs/matching.md): the engine would route to what is there."
        )


def _stored_vectors() -> dict[int, Vector]:
    rows = ProfileVector.objects.order_by("profile_id").values_list("profile_id", "vector")
    return {pk: Vector.from_bytes(bytes(data)) for pk, data in rows}


class _ThroughServices:
    def __init__(self, expressed: Expressed, start: datetime) -> None:
        self.market = expressed.market
        self.city = expressed.city
        self.config = self.market.config
        self.agenda = Agenda(self.market, self.config.days)
        self.users: dict[int, User] = {}  # partner index -> its referrals admin
        self.request_ids: dict[int, int] = {}
        self.request_of: dict[int, int] = {}  # engagement id -> simulated request index
        self.fates: dict[int, tuple[int, int, Fate]] = {}  # referral id -> (request index, partner index, fate)
        self.won: set[int] = set()
        self.due: datetime | None = None  # the latest deadline met at this instant (the sweep's now)
        self.known = 0  # the last referral id given a fate

    def run(self) -> Played:
        self._programme()
        self._taxonomy()
        for i, day in enumerate(self.market.joins_day):
            if day == 0:
                self._join(i)
        learning.learn_new_history(self.market.at(0.0))  # the engine as trained from an empty history
        handlers: dict[int, Callable[[float, int], object]] = {
            JOIN: lambda h, i: self._join(i),
            LEAVE: lambda h, i: self._leave(i),
            ARRIVE: self._arrive,
            ANSWER: self._answer,
            DECIDE: self._decide,
            CLOSE: self._close,
        }
        self.agenda.play(handlers, self._worker_pass)
        return Played(self._decisions(), self.request_ids, _stored_vectors())

    # The programme and its vocabulary.
    def _programme(self) -> None:
        Programme.objects.update_or_create(
            pk=1,
            defaults={
                "cascade_window_hours": int(self.config.cascade_window_hours),
                "cascade_max_partners": self.config.cascade_max_partners,
            },
        )

    def _taxonomy(self) -> None:
        for model, prefix, count in (
            (Industry, "industry", self.config.industries),
            (Product, "product", self.config.products),
        ):
            for k in range(count):
                name = f"{prefix} {k}"
                model.objects.get_or_create(code=f"{prefix}{k}", defaults={"name_en": name, "name_ru": name})
        self.decline_reason = Reason.objects.filter(kind="decline", active=True).values_list("code", flat=True).first()
        self.lose_reason = Reason.objects.filter(kind="lose", active=True).values_list("code", flat=True).first()

    # Partners joining and leaving.
    def _join(self, i: int) -> None:
        declared = self.market.profiles[i]
        partner = PartnerRow.objects.create(
            pk=declared.partner_id, name=f"Simulated partner {i + 1}", country=declared.country
        )
        profile = BusinessProfile.objects.create(
            pk=declared.profile_id,
            partner=partner,
            country=declared.country,
            languages=sorted(declared.languages),
            only_target_sizes=declared.only_target_sizes,
            capacity=declared.capacity,
        )
        profile.industries.set(Industry.objects.filter(code__in=declared.industries))
        profile.products.set(Product.objects.filter(code__in=declared.products))
        profile.target_sizes.set(CompanySize.objects.filter(code__in=declared.sizes))
        # The engine reads how long a partner has been on the platform from its profile's creation.
        BusinessProfile.objects.filter(pk=profile.pk).update(created_at=declared.joined_at)
        for k, place in enumerate(declared.places):
            Location.objects.create(profile=profile, city=f"Place {i + 1}.{k + 1}", lat=place.lat, lon=place.lon)
        self.users[i] = User.objects.create_user(
            email=f"partner{i + 1}@simulated.invalid", partner=partner, role=Role.REFERRALS_ADMIN
        )

    def _leave(self, i: int) -> None:
        BusinessProfile.objects.filter(pk=self.market.profiles[i].profile_id).update(
            status=BusinessProfile.Status.PAUSED
        )

    # Requests and answers.
    def _arrive(self, hours: float, r: int) -> None:
        deal = self.market.deals[r]
        data = services.EngagementInput(
            company=f"Simulated customer {r + 1}",
            size=deal.size,
            country=deal.country,
            need=NEED,
            contacts=[services.ContactInput(name="Customer", email=f"customer{r + 1}@simulated.invalid")],
            consent_contact=True,
            source=deal.source,
            targets=[],
            industry=deal.industry,
            city=self.city[r],
            requested_products=sorted(deal.products),
            budget=Decimal(int(deal.budget_eur)) if deal.budget_eur is not None else None,
            budget_currency="EUR" if deal.budget_eur is not None else "",
            language=deal.language,
            consent_share=True,
            route_count=self.config.partners_per_request,
        )
        try:
            engagement = services.create_engagement(data, INTAKE, self.market.at(hours))
        except InvalidInput as error:
            if services.NOBODY_ROUTED not in str(error.errors):
                raise
            return  # nobody may take it now: the product refuses the intake, the simulator routes it to nobody
        self.request_ids[deal.request_id] = engagement.pk
        self.request_of[engagement.pk] = r

    def _answer(self, hours: float, ref: int) -> None:
        _, i, fate = self.fates[ref]
        now = self.market.at(hours)
        if fate.answered_after is None:
            self._deadline(ref)
        elif not fate.interested:
            services.skip(ref, self._actor(i), now)
        else:
            services.mark_interested(ref, self._actor(i), now)
            self.agenda.push(
                hours + (fate.decided_after if fate.decided_after is not None else DECIDE_HOURS), DECIDE, ref
            )

    def _decide(self, hours: float, ref: int) -> None:
        _, i, fate = self.fates[ref]
        now = self.market.at(hours)
        if fate.decided_after is None:
            self._deadline(ref)
        elif fate.accepts:
            close = (now + timedelta(hours=fate.closes_after)).date()
            services.accept(ref, self._actor(i), now, Decimal(int(fate.estimate_eur)), "EUR", close)
            self.agenda.push(hours + fate.closes_after, CLOSE, ref)
        else:
            services.decline(ref, self._actor(i), now, self.decline_reason or "")

    def _close(self, hours: float, ref: int) -> None:
        r, i, fate = self.fates[ref]
        now = self.market.at(hours)
        # The customer buys once: a partner that would have won loses once another won the deal.
        if fate.wins and r not in self.won:
            self.won.add(r)
            value = Decimal(int(round(float(self.market.requests.value_eur[r]), -2)))
            services.win(ref, self._actor(i), now, value)
        else:
            services.lose(ref, self._actor(i), now, self.lose_reason or "")

    def _deadline(self, ref: int) -> None:
        """Nothing to do but wait: the sweep moves it; its deadline is the product's (a microsecond from the
        simulator's float hours at most), so the worker's pass at this instant runs then."""
        due = Referral.objects.filter(pk=ref).values_list("deadline_at", flat=True).get()
        if due is not None and (self.due is None or due > self.due):
            self.due = due

    def _actor(self, i: int) -> ActorRef:
        return ActorRef.person(self.users[i])

    # The worker, after each instant.
    def _worker_pass(self, hours: float) -> None:
        now = max(self.market.at(hours), self.due) if self.due is not None else self.market.at(hours)
        self.due = None
        timers.sweep(now)
        learning.learn_new_history(now)
        cascade.offer_due(now)
        learning.learn_new_history(now)  # the next pass's first step, before anything else happens
        self._new_referrals(hours)

    def _new_referrals(self, hours: float) -> None:
        """Each referral made at this instant meets its fate, in the order the product made them."""
        made = list(
            Referral.objects.filter(pk__gt=self.known).order_by("pk").values_list("pk", "engagement_id", "profile_id")
        )
        for ref, engagement_id, profile_id in made:
            r, i = self.request_of[engagement_id], profile_id - 1
            # Open when it was made: those made before it and not closed since (nothing closes after the cascade).
            open_before = Referral.objects.filter(
                profile_id=profile_id, state__in=sorted(lifecycle.OPEN), pk__lt=ref
            ).count()
            fate = draw_fate(self.market, r, i, open_before, hours)
            self.fates[ref] = (r, i, fate)
            self.agenda.push(
                hours + (fate.answered_after if fate.answered_after is not None else ANSWER_HOURS), ANSWER, ref
            )
            self.known = ref

    def _decisions(self) -> Decisions:
        found: Decisions = defaultdict(list)
        chosen = (
            RoutingCandidate.objects.filter(chosen=True)
            .order_by("decision__created_at", "decision_id", "profile_id")
            .values_list("decision_id", "decision__engagement_id", "profile_id")
        )
        grouped: dict[int, tuple[int, list[int]]] = {}
        for decision_id, engagement_id, profile_id in chosen:
            grouped.setdefault(decision_id, (engagement_id, []))[1].append(profile_id)
        for engagement_id, profiles in grouped.values():
            found[self.request_of[engagement_id] + 1].append(tuple(sorted(profiles)))
        return dict(found)
