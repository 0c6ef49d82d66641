"""The features of a (deal, partner) pair, computed for every row of a `PartnerIndex` at once.

Each feature compares the request with what the partner declared (its profile), never with its history: the
history is the learner's per-partner part (learner.py). `pair_features` is the one-pair view of the same
computation (a one-row index), so there is one implementation of each feature.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import cache
from math import log

import numpy as np

from matching.engine.eligibility import EARTH_RADIUS_KM
from matching.engine.index import PartnerIndex, Postings, unit_sphere
from matching.engine.types import Deal, Partner

# Budget buckets in EUR: 0 is "no budget given", then [0, 5k), [5k, 25k), [25k, 100k), [100k, ...).
BUDGET_EDGES = (5_000.0, 25_000.0, 100_000.0)
SOURCES = ("agent", "advertising", "import")  # one-hot; the finder is the baseline
LOCAL_KM = 50.0
DISTANCE_SCALE = log(1.0 + 1000.0)  # log km scaled so 1000 km is 1
KM_SCALE = 1000.0
# The distance features, whose log-odds a decision bounds for every partner from a table by the chord to its
# nearest place (`distance_bound`) rather than computing its km: CHORD_STEPS steps per unit of chord (a step
# is 0.78 km), a power of 2 so that a chord's step is exact.
DISTANCE_FEATURES = ("log_km", "remote", "local", "log_km_wide", "km_near")
CHORD_STEPS = 2**13

FEATURES = (
    "industry_match",  # the request's industry is one the partner declared
    "industry_unknown",  # the request names no industry, or the partner declared none
    "product_overlap",  # share of the request's products the partner offers
    "service_overlap",  # share of the request's services the partner offers
    "size_in_target",  # the company size is one of the partner's target sizes
    "size_any",  # the partner declared no sizes, or the request's size is unknown ("other" is neither)
    "log_km",  # log(1 + km to the nearest place) / log(1001); 0 when unknown
    "remote",  # the distance is unknown: the request or the partner has no place
    "local",  # within LOCAL_KM
    "log_km_wide",  # log_km again for a partner that serves other countries than its own (distance matters less)
    "km_near",  # km / 1000 for a partner serving its own country only: interest falls steadily with distance
    "language_declared",  # the partner declared the request's language
    "words_cosine",  # the need's stems against the partner's keyword stems (binary cosine)
    "vector_cosine",  # cosine of the multilingual embeddings, when both have one
    "vector_missing",
    "source_agent",
    "source_advertising",
    "source_import",
    "budget_small",
    "budget_medium",
    "budget_large",
    "budget_very_large",
    "load",  # open referrals / capacity when decided (0 when unlimited): a busy partner is less interested
    "industry_inferred",  # undeclared industry: the most the requests seen name it with a product it declares
    "products_inferred",  # undeclared products: share of them the requests seen name with an industry it declares
)
F = len(FEATURES)
Scale = float | Callable[[np.ndarray], np.ndarray]  # a weight's multiple, or each row's (given the rows)
COLUMN = {name: i for i, name in enumerate(FEATURES)}


ASSOCIATION_SMOOTHING = 5.0  # requests' worth of "not together" added to each count: rare codes infer little
# Only the strongest associations infer: a weak one says little, and each costs a pass over its postings (a
# market where every product goes with every industry would otherwise visit every row's products per decision).
ASSOCIATION_FLOOR = 0.1
ASSOCIATION_MOST = 8


class Associations:
    """Which industries and products the requests the engine saw name together, so a partner's declared
    products say which industries it likely works in and the other way round. Learned from requests alone (a
    deal carries its industry and products), never from answers or from anything hidden."""

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.industries: Counter[str] = Counter()
        self.products: Counter[str] = Counter()
        self.by_industry: dict[str, Counter[str]] = {}
        self.by_product: dict[str, Counter[str]] = {}

    def add(self, deal: Deal) -> None:
        """Count a request once, however often it is seen."""
        if deal.request_id in self.seen or not deal.industry or not deal.products:
            return
        self.seen.add(deal.request_id)
        self.industries[deal.industry] += 1
        for product in deal.products:
            self.products[product] += 1
            self.by_industry.setdefault(deal.industry, Counter())[product] += 1
            self.by_product.setdefault(product, Counter())[deal.industry] += 1

    def products_typical_of(self, industry: str, without: Deal | None = None) -> dict[str, float]:
        """P(the request's industry is `industry` | it names the product), for each product seen with it, over
        the requests seen but `without`: a request never explains itself, so its features are the same whether
        it was counted yet or not (a refit replays the offers in order, the deciding engine decided first)."""
        own = self._own(without)
        found = {}
        for product, n in sorted(self.by_industry.get(industry, Counter()).items()):
            together = n - (own is not None and own.industry == industry and product in own.products)
            if together > 0:
                alone = self.products[product] - (own is not None and product in own.products)
                found[product] = together / (alone + ASSOCIATION_SMOOTHING)
        return found

    def industries_naming(self, product: str, without: Deal | None = None) -> dict[str, float]:
        """P(the request names `product` | its industry), for each industry seen with it, over the requests seen
        but `without`."""
        own = self._own(without)
        found = {}
        for industry, n in sorted(self.by_product.get(product, Counter()).items()):
            mine = own is not None and own.industry == industry
            together = n - (own is not None and mine and product in own.products)
            if together > 0:
                found[industry] = together / (self.industries[industry] - mine + ASSOCIATION_SMOOTHING)
        return found

    def _own(self, deal: Deal | None) -> Deal | None:
        """`deal` when it was counted (it has an industry and products), else None."""
        return deal if deal is not None and deal.request_id in self.seen else None


def _strongest(found: dict[str, float]) -> list[tuple[str, float]]:
    """The ASSOCIATION_MOST strongest of `found` at or above ASSOCIATION_FLOOR, ties by code."""
    strong = sorted(((-p, code) for code, p in found.items() if p >= ASSOCIATION_FLOOR))[:ASSOCIATION_MOST]
    return [(code, -p) for p, code in strong]


def inferred(
    deal: Deal, index: PartnerIndex, associations: Associations | None, rows: np.ndarray | slice = slice(None)
) -> tuple[np.ndarray, np.ndarray]:
    """(`industry_inferred`, `products_inferred`) of each of `rows` (sorted; every row by default): 0 for what a
    row declares itself, since `industry_match` and `product_overlap` say that, and 0 without associations.
    Only the rows asked for are touched: a decision asks again for the few it scores exactly."""
    subset = None if isinstance(rows, slice) else rows
    n = len(index) if subset is None else len(subset)
    industry, products = np.zeros(n), np.zeros(n)
    if associations is None:
        return industry, products

    def declaring(postings: Postings, item: str) -> np.ndarray:
        return postings.of(item) if subset is None else postings.within(item, subset)

    if deal.industry:
        for product, p in _strongest(associations.products_typical_of(deal.industry, deal)):
            at = declaring(index.products, product)
            industry[at] = np.maximum(industry[at], p)
        industry[declaring(index.industries, deal.industry)] = 0.0
    for item in sorted(deal.products):  # in one order in every process: float sums depend on it
        best = np.zeros(n)
        for code, p in _strongest(associations.industries_naming(item, deal)):
            at = declaring(index.industries, code)
            best[at] = np.maximum(best[at], p)
        best[declaring(index.products, item)] = 0.0
        products += best / len(deal.products)
    return industry, products


def budget_bucket(deal: Deal) -> int:
    """0 when the request gives no budget, else 1..4 by BUDGET_EDGES."""
    if deal.budget_eur is None:
        return 0
    return 1 + sum(deal.budget_eur >= edge for edge in BUDGET_EDGES)


def matrix(
    deal: Deal,
    index: PartnerIndex,
    rows: np.ndarray,
    km: np.ndarray | None = None,
    associations: Associations | None = None,
) -> np.ndarray:
    """The features of `deal` against each of `rows` of `index`, one row each (len(rows) x F); `km` is
    `distances(deal, index)` when the caller has it already; `associations` those the engine learned."""
    n = len(index)
    # Built feature by feature, so each feature is a contiguous row here; the caller gets the transpose.
    columns = np.zeros((F, len(rows)), dtype=np.float64)
    out = columns.T

    industry = np.zeros(n, dtype=bool)
    if deal.industry:
        industry[index.industries.of(deal.industry)] = True
    out[:, COLUMN["industry_match"]] = industry[rows]
    out[:, COLUMN["industry_unknown"]] = (not deal.industry) | ~index.declares_industries[rows]

    if deal.products:
        out[:, COLUMN["product_overlap"]] = index.products.count(deal.products, n)[rows] / len(deal.products)
    if deal.services:
        out[:, COLUMN["service_overlap"]] = index.services.count(deal.services, n)[rows] / len(deal.services)

    any_size = ~index.declares_sizes[rows]
    if deal.size:
        in_target = np.zeros(n, dtype=bool)
        in_target[index.sizes.of(deal.size)] = True
        out[:, COLUMN["size_in_target"]] = in_target[rows]
        out[:, COLUMN["size_any"]] = any_size
    else:
        out[:, COLUMN["size_any"]] = True

    km = (distances(deal, index) if km is None else km)[rows]
    for name, values in distance_features(km, index.serves_wide[rows]).items():
        out[:, COLUMN[name]] = values

    if deal.language:
        declared = np.zeros(n, dtype=bool)
        declared[index.languages.of(deal.language)] = True
        out[:, COLUMN["language_declared"]] = declared[rows]

    if deal.words:
        shared = index.keywords.count(deal.words, n)[rows]
        norms = np.sqrt(len(deal.words) * np.maximum(index.keyword_count[rows], 1.0))
        out[:, COLUMN["words_cosine"]] = shared / norms

    out[:, COLUMN["vector_cosine"]], out[:, COLUMN["vector_missing"]] = _vector_cosines(deal, index, rows)

    if deal.source in SOURCES:
        out[:, COLUMN["source_" + deal.source]] = 1.0
    bucket = budget_bucket(deal)
    if bucket:
        out[:, COLUMN["budget_small"] + bucket - 1] = 1.0
    out[:, COLUMN["load"]] = load(index)[rows]
    # For the rows asked only (a decision's few listed candidates, not every partner).
    asked, back = np.unique(rows, return_inverse=True)
    industry_inferred, products_inferred = inferred(deal, index, associations, asked)
    out[:, COLUMN["industry_inferred"]] = industry_inferred[back]
    out[:, COLUMN["products_inferred"]] = products_inferred[back]
    return out


def logits(
    deal: Deal,
    index: PartnerIndex,
    rows: np.ndarray | None,
    weights: np.ndarray,
    intercepts: np.ndarray,
    km: np.ndarray | None,
    associations: Associations | None = None,
) -> np.ndarray:
    """`matrix(deal, index, rows, km, associations) @ weights.T + intercepts` (len(rows) x stages; every row
    when `rows` is None) without building the matrix: each feature's weights are added only to the rows that
    have it (from the postings), so a decision builds full rows only for the few candidates it lists. `km` is
    `distances(deal, index)` (it need be right at `rows` only), or None where the distance features weigh
    nothing (a decision's bound adds theirs apart: `distance_bound`). Held to `matrix` by a test."""
    every = rows is None
    at: np.ndarray | slice = slice(None) if rows is None else rows
    stages = range(len(intercepts))
    w = {name: weights[:, COLUMN[name]] for name in FEATURES}
    constant = np.array(intercepts, dtype=np.float64)
    # Stage-major: each stage's additions run over contiguous memory.
    z = _static(deal, index, w, at)

    def add_rows(name: str, postings: Postings, item: str, scale: Scale = 1.0) -> None:
        if not w[name].any():
            return
        where = postings.of(item) if every else postings.within(item, at)  # type: ignore[arg-type]
        factor = scale(where if every else at[where]) if callable(scale) else scale  # type: ignore[index]
        for stage in stages:
            if w[name][stage]:
                z[stage, where] += w[name][stage] * factor

    def add_dense(name: str, values: np.ndarray) -> None:
        for stage in stages:
            if w[name][stage]:
                z[stage] += w[name][stage] * values

    if deal.industry:
        add_rows("industry_match", index.industries, deal.industry)
    else:
        constant += w["industry_unknown"]
    for item in sorted(deal.products):  # in one order in every process: float sums depend on it
        add_rows("product_overlap", index.products, item, 1.0 / len(deal.products))
    for item in sorted(deal.services):
        add_rows("service_overlap", index.services, item, 1.0 / len(deal.services))
    if deal.size:
        add_dense("size_in_target", declared(index, "sizes", deal.size)[at])
    else:
        constant += w["size_any"]

    if km is not None:
        for name, values in distance_features(km[at], index.serves_wide[at]).items():
            add_dense(name, values)
    elif any(w[name].any() for name in DISTANCE_FEATURES):
        raise ValueError("the distance features weigh something: their km are needed")

    if deal.language:
        add_dense("language_declared", declared(index, "languages", deal.language)[at])
    if deal.words and w["words_cosine"].any():
        for item in sorted(deal.words):
            add_rows(
                "words_cosine",
                index.keywords,
                item,
                lambda r: 1.0 / np.sqrt(len(deal.words) * np.maximum(index.keyword_count[r], 1.0)),
            )
    if deal.vector:
        # The cosine costs a product with every vector (512 numbers each): not worth it where nothing weighs it.
        cosine, missing = _vector_cosines(deal, index, at, product=bool(w["vector_cosine"].any()))
        add_dense("vector_cosine", cosine)
        add_dense("vector_missing", missing)
    else:
        constant += w["vector_missing"]
    if associations is not None and (w["industry_inferred"].any() or w["products_inferred"].any()):
        industry_inferred, products_inferred = inferred(deal, index, associations, at)
        add_dense("industry_inferred", industry_inferred)
        add_dense("products_inferred", products_inferred)

    if deal.source in SOURCES:
        constant += w["source_" + deal.source]
    bucket = budget_bucket(deal)
    if bucket:
        constant += weights[:, COLUMN["budget_small"] + bucket - 1]
    return np.ascontiguousarray(z.T) + constant


def _static(deal: Deal, index: PartnerIndex, w: dict[str, np.ndarray], at: np.ndarray | slice) -> np.ndarray:
    """The log-odds terms (stages x rows) of the features that depend on the rows alone, given whether the deal
    names an industry and a size."""
    dense = [("load", load(index)[at])]
    if deal.industry:
        dense.append(("industry_unknown", ~index.declares_industries[at]))
    if deal.size:
        dense.append(("size_any", ~index.declares_sizes[at]))
    z = np.zeros((len(next(iter(w.values()))), len(dense[0][1])))
    for name, values in dense:
        for stage in range(len(z)):
            if w[name][stage]:
                z[stage] += w[name][stage] * values
    return z


def declared(index: PartnerIndex, attribute: str, item: str) -> np.ndarray:
    """Whether each row declared `item` among its `attribute` (industries, sizes, languages) (n,), kept by the
    index's memo, which patches only the rows that change between decisions."""
    return index.memo((attribute, item), lambda rows: _declares(index, attribute, item, rows))


def _declares(index: PartnerIndex, attribute: str, item: str, rows: np.ndarray | slice) -> np.ndarray:
    """Whether each of `rows` declared `item` among its `attribute`."""
    if isinstance(rows, slice):
        declared = np.zeros(len(index), dtype=bool)
        declared[getattr(index, attribute).of(item)] = True
        return declared[rows]
    return np.array([item in getattr(index.partners[row], attribute) for row in rows.tolist()], dtype=bool)


def distance_features(km: np.ndarray, serves_wide: np.ndarray) -> dict[str, np.ndarray]:
    """The DISTANCE_FEATURES of rows `km` from the request (nan: unknown) that serve other countries than their
    own or not: the one definition `matrix`, `logits` and `distance_bound` read."""
    known = ~np.isnan(km)
    log_km = np.where(known, np.log1p(np.where(known, km, 0.0)) / DISTANCE_SCALE, 0.0)
    return {
        "log_km": log_km,
        "remote": ~known,
        "local": known & (np.where(known, km, np.inf) <= LOCAL_KM),
        "log_km_wide": log_km * serves_wide,
        "km_near": np.where(known & ~serves_wide, np.where(known, km, 0.0), 0.0) / KM_SCALE,
    }


def load(index: PartnerIndex) -> np.ndarray:
    """Each row's open referrals over its capacity, at most 1 (0 when it set no capacity) (n,)."""
    return index.memo("load", lambda at: _load(index.capacity[at], index.open_referrals[at]))


def _load(capacity: np.ndarray, open_referrals: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        used = np.where(np.isnan(capacity) | (capacity <= 0), 0.0, open_referrals / capacity)
    return np.asarray(np.clip(used, 0.0, 1.0))


def qualifies(deal: Deal, index: PartnerIndex) -> np.ndarray:
    """Each row declares the request's industry, one of its products or one of its services (n,)."""
    qualified = np.zeros(len(index), dtype=bool)
    if deal.industry:
        qualified[index.industries.of(deal.industry)] = True
    for item in deal.products:
        qualified[index.products.of(item)] = True
    for item in deal.services:
        qualified[index.services.of(item)] = True
    return qualified


def matched_terms(deal: Deal, partner: Partner) -> frozenset[tuple[str, str]]:
    """What of the partner's declared profile the request matches, term by term: ("industry", code),
    ("product", code), ("service", code) and ("keyword", stem), the terms behind `industry_match`,
    `product_overlap`, `service_overlap` and `words_cosine` (held to `pair_features` by a test). The scorecard
    reads it to say which of a partner's tags bring the requests it turns down."""
    found = {("industry", deal.industry)} if deal.industry and deal.industry in partner.industries else set()
    found |= {("product", item) for item in deal.products & partner.products}
    found |= {("service", item) for item in deal.services & partner.services}
    found |= {("keyword", stem) for stem in deal.words & partner.keywords}
    return frozenset(found)


def pair_features(deal: Deal, partner: Partner, associations: Associations | None = None) -> np.ndarray:
    """The features of one pair (F,), by the same computation as `matrix`."""
    index = PartnerIndex()
    index.sync((partner,))
    return matrix(deal, index, np.zeros(1, dtype=np.intp), associations=associations)[0]


def distances(deal: Deal, index: PartnerIndex) -> np.ndarray:
    """Great-circle km from the request to each row's nearest place (nan when either has none)."""
    dots = nearest_dots(deal, index)
    return np.full(len(index), np.nan) if dots is None else km_of_dots(dots)


def nearest_dots(deal: Deal, index: PartnerIndex) -> np.ndarray | None:
    """The dot product of the request's point on the unit sphere with each row's nearest place (n,), nan for a
    row without a place; None when the request or every row has none. The nearest place has the largest one."""
    layers = index.places()
    if deal.lat is None or deal.lon is None or not layers:
        return None
    # Written out, not a BLAS product: a threaded one waits on other processes' cores.
    qx, qy, qz = unit_sphere(deal.lat, deal.lon)
    rows, points, _ = layers[0]
    nearest = points[0] * qx
    nearest += points[1] * qy
    nearest += points[2] * qz
    for _, others, at in layers[1:]:
        dots = others[0] * qx
        dots += others[1] * qy
        dots += others[2] * qz
        nearest[at] = np.maximum(nearest[at], dots)
    if len(rows) == len(index):  # every row has a place (rows are sorted and distinct)
        return nearest
    every = np.full(len(index), np.nan)
    every[rows] = nearest
    return every


def km_of_dots(dots: np.ndarray) -> np.ndarray:
    """The great-circle km of each `nearest_dots` value (nan stays nan), in a new array."""
    return _km_of_chords(_chords(dots))


def _km_of_chords(chord: np.ndarray) -> np.ndarray:
    """2R asin(min(1, chord / 2)), in place: a new array a step over 100,000 rows costs more than the arithmetic."""
    arc = chord
    arc *= 0.5
    np.minimum(arc, 1.0, out=arc)
    np.arcsin(arc, out=arc)
    arc *= 2 * EARTH_RADIUS_KM
    return arc


def _chords(dots: np.ndarray) -> np.ndarray:
    """The chord between two points on the unit sphere, sqrt(max(2 - 2 dot, 0)), in a new array (the same
    numbers for a row's km and for its step in `distance_bound`, so its km lies between its step's ends')."""
    chord = dots * -2.0
    chord += 2.0
    np.maximum(chord, 0.0, out=chord)
    np.sqrt(chord, out=chord)
    return chord


@cache
def _step_ends() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The distance features at each step's first chord (exact: a power of 2 divides it), for a partner serving
    its own country only and for one serving wider."""
    km = _km_of_chords(np.arange(2 * CHORD_STEPS + 2) / CHORD_STEPS)
    return distance_features(km, np.zeros(len(km), dtype=bool)), distance_features(km, np.ones(len(km), dtype=bool))


def distance_bound(dots: np.ndarray, serves_wide: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """An upper bound of what the distance features add to the log-odds weighed by `weights` (F,), for each row
    of `nearest_dots` (n,) and whether it serves other countries than its own (n,): each feature is monotone in
    the km, so over a step of chord its largest value is at one end, and their sum bounds theirs (held to the
    features by a property test). The km of a step's ends only, not of every row: no arcsine or logarithm of
    100,000 numbers per decision."""
    w = {name: float(weights[COLUMN[name]]) for name in DISTANCE_FEATURES}

    def most(values: np.ndarray) -> np.ndarray:  # a monotone term's largest value over each step
        return np.maximum(values[:-1], values[1:])

    def table(ends: dict[str, np.ndarray]) -> np.ndarray:
        # log_km and log_km_wide both rise with log km, so their sum is monotone; km_near and local apart
        logs = w["log_km"] * ends["log_km"] + w["log_km_wide"] * ends["log_km_wide"]
        return most(logs) + most(w["km_near"] * ends["km_near"]) + most(w["local"] * ends["local"])

    tables = np.concatenate([table(ends) for ends in _step_ends()])
    placed = ~np.isnan(dots)
    every = bool(placed.all())
    chord = _chords(dots if every else dots[placed])
    chord *= CHORD_STEPS
    step = np.minimum(chord.astype(np.intp), 2 * CHORD_STEPS)
    step += (serves_wide if every else serves_wide[placed]) * (2 * CHORD_STEPS + 1)
    if every:
        return tables[step]
    bound = np.full(len(dots), w["remote"])
    bound[placed] = tables[step]
    return bound


# Rows of the vector matrix gathered for their cosine: at most half of them (else one pass over all reads less),
# GATHER_CHUNK at a time, so that the copy stays in the cache instead of going out to memory and back (100,000 x
# 512 float32, 22% of rows: 16 ms gathered at once, 6.6 ms in chunks, 17 ms for one pass over all).
GATHERED_AT_MOST = 2
GATHER_CHUNK = 256


def _vector_cosines(
    deal: Deal, index: PartnerIndex, rows: np.ndarray | slice, product: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """(cosine of the need with each of `rows`' vectors, 0 without one, and 0 for all without the `product`;
    1 for the rows without a vector)."""
    with_vector, vectors, query = _comparable(deal, index)
    n = len(index) if isinstance(rows, slice) else len(rows)
    cosine, missing = np.zeros(n), np.ones(n)
    if query is None:
        return cosine, missing
    if isinstance(rows, slice):
        if product:
            cosine[with_vector] = vectors @ query
        missing[with_vector] = 0.0
        return cosine[rows], missing[rows]
    at = np.minimum(np.searchsorted(with_vector, rows), len(with_vector) - 1)
    has = np.flatnonzero(with_vector[at] == rows)
    if product and len(has) * GATHERED_AT_MOST > len(with_vector):
        cosine[has] = (vectors @ query)[at[has]]  # one pass over the matrix reads less than gathering most of it
    elif product:
        gathered = at[has]
        for start in range(0, len(gathered), GATHER_CHUNK):
            chunk = slice(start, start + GATHER_CHUNK)
            cosine[has[chunk]] = vectors[gathered[chunk]] @ query
    missing[has] = 0.0
    return cosine, missing


def cosine_bound(deal: Deal, index: PartnerIndex, upper: bool) -> np.ndarray | None:
    """An `upper` (else lower) bound of `vector_cosine` for every row (n,), from the index's compact vectors
    (compact.py) rather than the vectors; None when there is no compact copy or the need compares with none."""
    with_vector, _, query = _comparable(deal, index)
    found = index.compact_vectors() if query is not None else None
    if query is None or found is None:
        return None
    bound = found.bound(query, upper)
    if len(with_vector) == len(index):  # every row has a vector, in row order
        return bound
    every = np.zeros(len(index))
    every[with_vector] = bound
    return every


def vector_cosines(deal: Deal, index: PartnerIndex, rows: np.ndarray) -> np.ndarray:
    """`vector_cosine` of each of `rows` (0 for those without a vector), as `matrix` computes it."""
    return _vector_cosines(deal, index, rows)[0]


def _comparable(deal: Deal, index: PartnerIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(the rows with a vector, their vectors, the need's unit vector, or None when it compares with none)."""
    with_vector, vectors = index.vectors()
    if not deal.vector or not len(with_vector):
        return with_vector, vectors, None
    query = np.asarray(deal.vector, dtype=np.float32)
    norm = float(np.linalg.norm(query))
    if vectors.shape[1] != query.shape[0] or norm <= 0:
        return with_vector, vectors, None
    return with_vector, vectors, query / norm
