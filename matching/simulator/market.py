"""A synthetic partner market with a hidden truth (docs/matching.md, "The market"). Pure: numpy, no Django.

`build_market` draws one market for a seed: partners with hidden preferences, win propensity, answering
habits and capacity (`PartnerTruth`), the profiles they declare (`matching.engine.types.Partner`, which only
partly reveal that truth), and a stream of requests (`Deal`, with the hidden deal value in `RequestTruth`).

The truth lives in its own objects. Only `matching/simulator/exchange.py` (which draws partners' answers)
and the oracle policy read them; every other policy sees the declared profiles and the observations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from matching.engine.types import SIZES, Deal, Partner, Place
from matching.simulator.config import SimulationConfig
from referrals.lifecycle import Deadlines

# The product's deadlines (the lifecycle's defaults): to give a first answer, then to accept or decline.
ANSWER_HOURS = Deadlines().new / timedelta(hours=1)
DECIDE_HOURS = Deadlines().evaluating / timedelta(hours=1)

COUNTRIES = ("DE", "FR", "NL", "AT", "BE", "CH", "PL", "IT", "ES")
LANGUAGES = ("de", "fr", "nl", "de", "fr", "de", "pl", "it", "es")
SIZE_WEIGHTS = (0.30, 0.30, 0.20, 0.10, 0.06, 0.04)

# How the hidden truth is shaped (docs/matching.md explains each). Fixed, so configs stay short.
CORE_AFFINITY = 1.0  # a partner's liking of an industry or product it truly prefers
OTHER_INDUSTRY = -1.5  # ... of an industry it does not
OTHER_PRODUCT = -0.7  # ... of a product it does not
SIZE_AFFINITY = 0.4  # +/- for a company size it prefers or not
BUDGET_CURVATURE = 0.3  # interest falls with the squared log distance from its preferred deal size
KM_PER_POINT = 250.0  # a local partner's interest falls one log-odds point per this many km
LOAD_PENALTY = 1.2  # a partner at its capacity is this many log-odds points less interested
ACCEPT_FIT = 0.5  # how much fit moves acceptance (log-odds per point)
WIN_FIT = 0.4  # how much fit moves winning
RESPONSE_SPREAD = 0.8  # log-sd of one partner's response times around its median
DECIDE_MEDIAN_HOURS = 48.0  # an interested partner's median time to accept or decline
DECIDE_SPREAD = 0.8  # log-sd of that time
SILENT_AFTER_INTEREST = 0.1  # share of interested partners that never decide (the referral expires)
CLOSE_MEDIAN_DAYS = 30.0  # an accepted deal's median time to won or lost
CLOSE_SPREAD = 0.6  # log-sd of that time
FITS_KEPT = 512  # requests whose fit vectors are kept (a request is routed only while young)
SHIFTED_SHARE = 0.5  # share of a partner's preferred industries and products replaced at the shift


@dataclass(frozen=True)
class PartnerTruth:
    """What partners really want and do. Index i is the partner with profile id i + 1.

    Arrays over partners; `industry_affinity` and `product_affinity` have a first axis of 2: before and
    after the preference shift."""

    industry_affinity: np.ndarray  # (2, P, industries)
    product_affinity: np.ndarray  # (2, P, products)
    size_affinity: np.ndarray  # (P, sizes)
    budget_centre: np.ndarray  # (P,) log EUR of the deal size it prefers
    base_interest: np.ndarray  # (P,) log-odds
    win_intercept: np.ndarray  # (P,) log-odds
    answer_rate: np.ndarray  # (P,) chance it answers at all
    median_response_hours: np.ndarray  # (P,)
    answers_in_time: np.ndarray  # (P,) chance it answers before the first deadline
    remote: np.ndarray  # (P,) bool: serves every country, distance does not matter to it
    lat: np.ndarray
    lon: np.ndarray


@dataclass(frozen=True)
class RequestTruth:
    """What the platform does not know of each request: its category indexes and the deal's real value."""

    industry: np.ndarray  # (R,) index
    products: tuple[np.ndarray, ...]  # (R,) indexes
    size: np.ndarray  # (R,) index into SIZES
    log_budget: np.ndarray  # (R,) log EUR the customer means to spend, given or not
    value_eur: np.ndarray  # (R,) what the deal is worth when won


@dataclass(frozen=True)
class Market:
    """One seed's market. `profiles[i]` is what partner i declares (open_referrals 0); it joins on day
    `joins_day[i]` and leaves on day `leaves_day[i]` (inf: never)."""

    config: SimulationConfig
    seed: int
    start: datetime
    profiles: tuple[Partner, ...]
    joins_day: np.ndarray
    leaves_day: np.ndarray
    deals: tuple[Deal, ...]
    arrival_hours: np.ndarray  # (R,) hours after start
    truth: PartnerTruth = field(repr=False)
    requests: RequestTruth = field(repr=False)
    fits: dict[tuple[int, int], np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def at(self, hours: float) -> datetime:
        return self.start + timedelta(hours=hours)

    def shifted(self, hours: float) -> bool:
        shift = self.config.preference_shift_day
        return bool(shift) and hours >= shift * 24.0


@dataclass(frozen=True)
class _Catalogue:
    industry_products: tuple[np.ndarray, ...]  # products of each industry
    industry_weights: np.ndarray
    city_lat: np.ndarray  # (countries, cities)
    city_lon: np.ndarray
    city_weights: np.ndarray  # (cities,)


def build_market(config: SimulationConfig, seed: int, start: datetime) -> Market:
    """The market of one seed: the same for every policy, so they meet the same partners and requests."""
    rng = np.random.default_rng([seed, 1])
    catalogue = _catalogue(config, rng)
    total = config.partners + _joiners(config)
    truth, declared_core = _partner_truth(config, catalogue, total, rng)
    joins_day = np.concatenate(
        [np.zeros(config.partners), np.arange(1, total - config.partners + 1) * config.partners_join_every_days]
    )
    lifetime = rng.exponential(1 / config.churn_per_day, total) if config.churn_per_day else np.full(total, np.inf)
    profiles = tuple(
        _declared_profile(config, truth, declared_core[i], i, start, joins_day[i], rng) for i in range(total)
    )
    arrival_hours = _arrivals(config, rng)
    requests, deals = _requests(config, catalogue, arrival_hours, start, rng)
    return Market(
        config=config,
        seed=seed,
        start=start,
        profiles=profiles,
        joins_day=joins_day,
        leaves_day=joins_day + lifetime,
        deals=deals,
        arrival_hours=arrival_hours,
        truth=truth,
        requests=requests,
    )


def chances(market: Market, request: int, index: np.ndarray, load: np.ndarray, hours: float) -> np.ndarray:
    """The true chances for request `request` and partners `index` carrying `load` (open referrals over
    capacity), shape (5, len(index)): it answers before the first deadline; it is interested; it decides
    before the second deadline; it accepts (having decided); it wins (having accepted). Their product is
    the chance that sending it the request wins the deal."""
    truth = market.truth
    fit = _fit_all(market, request, 1 if market.shifted(hours) else 0)[index]
    in_time = truth.answers_in_time[index]
    interested = _sigmoid(truth.base_interest[index] + fit - LOAD_PENALTY * load)
    decides = np.full(len(index), DECIDES_IN_TIME)
    accepts = _sigmoid(_logit(market.config.accept_given_interested) + ACCEPT_FIT * fit)
    wins = _sigmoid(truth.win_intercept[index] + WIN_FIT * fit)
    return np.vstack([in_time, interested, decides, accepts, wins])


def _fit_all(market: Market, request: int, phase: int) -> np.ndarray:
    """How well every partner fits the request (log-odds points), computed once per request: a policy and
    the answers ask it many times while the request is young."""
    key = (request, phase)
    fit = market.fits.get(key)
    if fit is None:
        if len(market.fits) >= FITS_KEPT:
            market.fits.clear()
        fit = market.fits[key] = _fit(market, request, np.arange(len(market.profiles)), phase)
    return fit


def _fit(market: Market, request: int, index: np.ndarray, phase: int) -> np.ndarray:
    truth, req, config = market.truth, market.requests, market.config
    products = req.products[request]
    fit = (
        truth.industry_affinity[phase, index, req.industry[request]]
        + truth.product_affinity[phase][np.ix_(index, products)].mean(axis=1)
        + truth.size_affinity[index, req.size[request]]
        - BUDGET_CURVATURE * (req.log_budget[request] - truth.budget_centre[index]) ** 2
    )
    deal = market.deals[request]
    km = _km(deal.lat or 0.0, deal.lon or 0.0, truth.lat[index], truth.lon[index])
    fit = config.preference_strength * fit - np.where(truth.remote[index], 0.0, km / KM_PER_POINT)
    return fit


def _sigmoid(x: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _normal_cdf(x: np.ndarray | float) -> np.ndarray:
    return 0.5 * (1.0 + np.vectorize(math.erf)(np.asarray(x, dtype=float) / math.sqrt(2.0)))


DECIDES_IN_TIME = float(
    (1 - SILENT_AFTER_INTEREST) * _normal_cdf(math.log(DECIDE_HOURS / DECIDE_MEDIAN_HOURS) / DECIDE_SPREAD)
)


def _km(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    p1, p2 = np.radians(lat), np.radians(lats)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lons - lon) / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def _joiners(config: SimulationConfig) -> int:
    every = config.partners_join_every_days
    return (config.days - 1) // every if every else 0


def _catalogue(config: SimulationConfig, rng: np.random.Generator) -> _Catalogue:
    industries, products = config.industries, config.products
    # Each product belongs to one or two industries, so industries share some products (as CRM and ERP do).
    owners: list[list[int]] = [[] for _ in range(industries)]
    for product in range(products):
        owners[product % industries].append(product)
        second = int(rng.integers(industries))
        if second != product % industries and rng.random() < 0.5:
            owners[second].append(product)
    weights = 1.0 / np.arange(1, industries + 1) ** 0.7
    rng.shuffle(weights)
    centre_lat = 46.0 + 5.0 * (np.arange(config.countries) // 3)
    centre_lon = 4.0 + 9.0 * (np.arange(config.countries) % 3)
    city_lat = centre_lat[:, None] + rng.uniform(-2.5, 2.5, (config.countries, config.cities))
    city_lon = centre_lon[:, None] + rng.uniform(-3.5, 3.5, (config.countries, config.cities))
    city_weights = 1.0 / np.arange(1, config.cities + 1)
    return _Catalogue(
        industry_products=tuple(np.array(sorted(set(o)) or [0]) for o in owners),
        industry_weights=weights / weights.sum(),
        city_lat=city_lat,
        city_lon=city_lon,
        city_weights=city_weights / city_weights.sum(),
    )


@dataclass(frozen=True)
class _Core:
    industries: frozenset[int]
    products: frozenset[int]
    sizes: frozenset[int]
    country: int
    languages: frozenset[str]


def _partner_truth(
    config: SimulationConfig, catalogue: _Catalogue, total: int, rng: np.random.Generator
) -> tuple[PartnerTruth, list[_Core]]:
    industry_affinity = np.full((2, total, config.industries), OTHER_INDUSTRY)
    product_affinity = np.full((2, total, config.products), OTHER_PRODUCT)
    size_affinity = np.full((total, len(SIZES)), -SIZE_AFFINITY)
    cores: list[_Core] = []
    country = rng.integers(config.countries, size=total)
    city = rng.choice(config.cities, size=total, p=catalogue.city_weights)
    remote = rng.random(total) < config.remote_share
    for i in range(total):
        industries, products = _preferences(config, catalogue, rng)
        for phase in (0, 1):
            if phase == 1:
                industries, products = _shifted(config, catalogue, industries, products, rng)
            industry_affinity[phase, i, sorted(industries)] = CORE_AFFINITY
            product_affinity[phase, i, sorted(products)] = CORE_AFFINITY
        low = int(rng.choice(len(SIZES), p=SIZE_WEIGHTS))
        sizes = frozenset(range(max(0, low - 1), min(len(SIZES), low + 2)))
        size_affinity[i, sorted(sizes)] = SIZE_AFFINITY
        own = LANGUAGES[int(country[i])]
        others = {LANGUAGES[c] for c in range(config.countries) if remote[i] and rng.random() < 0.5}
        first_industries = {int(x) for x in np.nonzero(industry_affinity[0, i] > 0)[0]}
        first_products = {int(x) for x in np.nonzero(product_affinity[0, i] > 0)[0]}
        cores.append(
            _Core(
                frozenset(first_industries),
                frozenset(first_products),
                sizes,
                int(country[i]),
                frozenset({own, "en"} | others),
            )
        )
    answer_rate = rng.beta(8.0, 1.5, total)
    median_response_hours = config.median_response_hours * np.exp(rng.normal(0.0, 0.9, total))
    in_time = _normal_cdf((math.log(ANSWER_HOURS) - np.log(median_response_hours)) / RESPONSE_SPREAD)
    truth = PartnerTruth(
        industry_affinity=industry_affinity,
        product_affinity=product_affinity,
        size_affinity=size_affinity,
        budget_centre=np.log(5000.0) + rng.normal(1.2, 1.0, total),
        base_interest=rng.normal(0.3, 0.5, total),
        win_intercept=rng.normal(config.win_intercept_mean, config.win_intercept_sd, total),
        answer_rate=answer_rate,
        median_response_hours=median_response_hours,
        answers_in_time=answer_rate * in_time,
        remote=remote,
        lat=catalogue.city_lat[country, city] + rng.normal(0, 0.1, total),
        lon=catalogue.city_lon[country, city] + rng.normal(0, 0.1, total),
    )
    return truth, cores


def _preferences(
    config: SimulationConfig, catalogue: _Catalogue, rng: np.random.Generator
) -> tuple[set[int], set[int]]:
    count = 1 + int(rng.random() < 0.4)
    industries = {int(x) for x in rng.choice(config.industries, size=count, p=catalogue.industry_weights)}
    products: set[int] = set()
    for industry in industries:
        own = catalogue.industry_products[industry]
        products |= {int(p) for p in own if rng.random() < 0.6} or {int(rng.choice(own))}
    if rng.random() < 0.3:
        products.add(int(rng.integers(config.products)))
    return industries, products


def _shifted(
    config: SimulationConfig, catalogue: _Catalogue, industries: set[int], products: set[int], rng: np.random.Generator
) -> tuple[set[int], set[int]]:
    """Half of a partner's preferred industries move to new ones, with their products."""
    kept = {i for i in industries if rng.random() >= SHIFTED_SHARE}
    moved = len(industries) - len(kept)
    new = {int(x) for x in rng.choice(config.industries, size=moved, p=catalogue.industry_weights)} if moved else set()
    products = {p for p in products if any(p in catalogue.industry_products[i] for i in kept)}
    for industry in new:
        own = catalogue.industry_products[industry]
        products |= {int(p) for p in own if rng.random() < 0.6} or {int(rng.choice(own))}
    return (kept | new) or industries, products or {int(rng.integers(config.products))}


def _declared_profile(
    config: SimulationConfig,
    truth: PartnerTruth,
    core: _Core,
    i: int,
    start: datetime,
    joins_day: float,
    rng: np.random.Generator,
) -> Partner:
    recall = config.tag_recall
    industries = {f"industry{x}" for x in sorted(core.industries) if rng.random() < recall}
    products = {f"product{x}" for x in sorted(core.products) if rng.random() < recall}
    for _ in range(int(rng.poisson(config.spurious_tags))):
        if rng.random() < 0.3:
            industries.add(f"industry{int(rng.integers(config.industries))}")
        else:
            products.add(f"product{int(rng.integers(config.products))}")
    sizes = frozenset(SIZES[x] for x in sorted(core.sizes) if rng.random() < recall)
    capacity = int(rng.integers(config.capacity_min, config.capacity_max + 1))
    country = COUNTRIES[core.country]
    # Partners on the platform from day 0 have been on it for a while; the others are new when they join.
    tenure = timedelta(days=float(rng.uniform(60, 1000))) if joins_day == 0 else timedelta(0)
    return Partner(
        profile_id=i + 1,
        partner_id=i + 1001,
        joined_at=start + timedelta(days=float(joins_day)) - tenure,
        country=country,
        places=(Place(float(truth.lat[i]), float(truth.lon[i])),),
        industries=frozenset(industries),
        products=frozenset(products),
        sizes=sizes,
        only_target_sizes=bool(sizes) and rng.random() < 0.1,
        languages=core.languages,
        serves_countries=frozenset(COUNTRIES[: config.countries]) if truth.remote[i] else frozenset({country}),
        capacity=capacity,
    )


def _arrivals(config: SimulationConfig, rng: np.random.Generator) -> np.ndarray:
    per_day = rng.poisson(config.requests_per_day, config.days)
    day = np.repeat(np.arange(config.days), per_day)
    return np.sort(day * 24.0 + rng.uniform(0, 24.0, len(day)))


def _requests(
    config: SimulationConfig,
    catalogue: _Catalogue,
    arrival_hours: np.ndarray,
    start: datetime,
    rng: np.random.Generator,
) -> tuple[RequestTruth, tuple[Deal, ...]]:
    total = len(arrival_hours)
    industry = rng.choice(config.industries, size=total, p=catalogue.industry_weights)
    size = rng.choice(len(SIZES), size=total, p=SIZE_WEIGHTS)
    log_budget = np.log(5000.0) + 0.8 * size + rng.normal(0, 0.6, total)
    value = np.exp(log_budget + rng.normal(0, 0.4, total))
    budget_given = rng.random(total) < 0.6
    country = rng.integers(config.countries, size=total)
    city = rng.choice(config.cities, size=total, p=catalogue.city_weights)
    lat = catalogue.city_lat[country, city] + rng.normal(0, 0.1, total)
    lon = catalogue.city_lon[country, city] + rng.normal(0, 0.1, total)
    english = rng.random(total) < 0.3
    products: list[np.ndarray] = []
    deals: list[Deal] = []
    for r in range(total):
        own = catalogue.industry_products[industry[r]]
        chosen = rng.choice(own, size=min(len(own), 1 + int(rng.integers(3))), replace=False)
        products.append(np.sort(chosen))
        deals.append(
            Deal(
                request_id=r + 1,
                at=start + timedelta(hours=float(arrival_hours[r])),
                industry=f"industry{industry[r]}",
                products=frozenset(f"product{p}" for p in chosen),
                size=SIZES[size[r]],
                budget_eur=round(float(np.exp(log_budget[r])), -2) if budget_given[r] else None,
                country=COUNTRIES[country[r]],
                lat=float(lat[r]),
                lon=float(lon[r]),
                language="en" if english[r] else LANGUAGES[country[r]],
                source="advertising",
            )
        )
    truth = RequestTruth(industry=industry, products=tuple(products), size=size, log_budget=log_budget, value_eur=value)
    return truth, tuple(deals)
