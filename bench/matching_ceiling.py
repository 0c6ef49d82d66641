"""What the oracle's edge is made of: `python -m bench.matching_ceiling [default:0,1,... stress:0,1,...]` (a
diagnosis, docs/matching.md "What the oracle knows that the engine must learn"; not part of `make bench`).

The oracle routes by the market's hidden truth. Here it routes by a truth with one piece blinded (replaced by
what a policy could know without learning it per partner), while the partners still answer by the real truth.
How far each blinded oracle falls says what that piece of knowledge is worth, and so how much of the oracle's
figure a learner has to earn by learning it:

- `oracle`: the whole truth (the bench's oracle);
- `no intercepts`: every partner's base interest and win propensity at the market's mean: the oracle knows
  what each partner wants, not how keen or how good it is;
- `no answering habits`: every partner's chance to answer in time at the market's mean;
- `preferences from tags`: a partner's liking of each industry and product is the expected liking given
  whether it declared it (the share of declared, and of undeclared, codes that partners truly prefer, over the
  whole market, per phase of the preference shift); all else true;
- `... and a quarter known` (half, three quarters): as the fourth, but the true liking of that share of the
  (partner, code) pairs, drawn at random, is known: how much of the preferences a learner must know to reach a
  share of the oracle;
- `tags only`: both of the first and the fourth: nothing of a partner beyond its tags and the market's shares.
- `industries from tags`, `products from tags`: the fourth for one kind of code only;
- `no budget preference`: every partner's preferred deal size (log budget) at the market's mean;
- `sizes from tags`: a partner's liking of each company size as expected given whether it declared it;
- `tags, sizes, no budget`: the fourth and the two before: nothing of a partner's preferences beyond its tags.

BENCH_CEILING_VARIANTS="oracle;no budget preference" runs only the variants named.

Prints each variant's won deals per request after the warm-up (mean over the seeds, and each seed's), its share
of the oracle's, and its interested within 24 h.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import numpy as np

from bench.matching import SIMULATOR
from bench.matching_tune import START, jobs
from matching.engine.types import SIZES
from matching.simulator import config as simulator_config
from matching.simulator import market as m
from matching.simulator import metrics, policies
from matching.simulator.exchange import run_market


def _intercepts(market: m.Market, truth: m.PartnerTruth) -> m.PartnerTruth:
    return replace(
        truth,
        base_interest=np.full_like(truth.base_interest, float(np.mean(market.truth.base_interest))),
        win_intercept=np.full_like(truth.win_intercept, market.config.win_intercept_mean),
    )


def _habits(market: m.Market, truth: m.PartnerTruth) -> m.PartnerTruth:
    return replace(truth, answers_in_time=np.full_like(truth.answers_in_time, float(np.mean(truth.answers_in_time))))


def _tags(market: m.Market, truth: m.PartnerTruth) -> m.PartnerTruth:
    return replace(
        truth,
        industry_affinity=expected_affinity(market, truth.industry_affinity, "industry"),
        product_affinity=expected_affinity(market, truth.product_affinity, "product"),
    )


def _budget(market: m.Market, truth: m.PartnerTruth) -> m.PartnerTruth:
    return replace(truth, budget_centre=np.full_like(truth.budget_centre, float(np.mean(truth.budget_centre))))


def _sizes(market: m.Market, truth: m.PartnerTruth) -> m.PartnerTruth:
    """Each partner's liking of each company size as expected given whether it declared the size."""
    declared = np.zeros(truth.size_affinity.shape, dtype=bool)
    for i, profile in enumerate(market.profiles):
        for size in profile.sizes:
            declared[i, SIZES.index(size)] = True
    preferred = truth.size_affinity > 0
    share = np.where(declared, preferred[declared].mean(), preferred[~declared].mean())
    return replace(truth, size_affinity=(2 * share - 1) * m.SIZE_AFFINITY)


def _industry_tags(market: m.Market, truth: m.PartnerTruth) -> m.PartnerTruth:
    return replace(truth, industry_affinity=expected_affinity(market, truth.industry_affinity, "industry"))


def _product_tags(market: m.Market, truth: m.PartnerTruth) -> m.PartnerTruth:
    return replace(truth, product_affinity=expected_affinity(market, truth.product_affinity, "product"))


def _tags_and_some(share: float) -> Callable[[m.Market, m.PartnerTruth], m.PartnerTruth]:
    """`_tags`, but the truth of `share` of the (partner, code) likings, drawn at random, is known."""

    def blind(market: m.Market, truth: m.PartnerTruth) -> m.PartnerTruth:
        rng = np.random.default_rng([market.seed, 7])
        tagged = _tags(market, truth)
        kept = {}
        for name in ("industry_affinity", "product_affinity"):
            known = rng.random(getattr(truth, name).shape[1:]) < share
            kept[name] = np.where(known, getattr(truth, name), getattr(tagged, name))
        return replace(truth, **kept)

    return blind


def expected_affinity(market: m.Market, affinity: np.ndarray, kind: str) -> np.ndarray:
    """`affinity` (phase, partner, code) replaced by its expectation given whether the partner declared the code:
    P(preferred | declared) * the liking of a preferred code + the rest * that of another, and the same for the
    undeclared codes."""
    declared = np.zeros(affinity.shape[1:], dtype=bool)
    for i, profile in enumerate(market.profiles):
        for code in profile.industries if kind == "industry" else profile.products:
            declared[i, int(code.removeprefix(kind))] = True
    preferred_liking = m.CORE_AFFINITY
    other_liking = m.OTHER_INDUSTRY if kind == "industry" else m.OTHER_PRODUCT
    expected = np.empty_like(affinity)
    for phase in range(affinity.shape[0]):
        preferred = affinity[phase] > 0
        share = np.where(declared, preferred[declared].mean(), preferred[~declared].mean())
        expected[phase] = share * preferred_liking + (1 - share) * other_liking
    return expected


BLINDS: dict[str, tuple[Callable[[m.Market, m.PartnerTruth], m.PartnerTruth], ...]] = {
    "oracle": (),
    "no intercepts": (_intercepts,),
    "no answering habits": (_habits,),
    "preferences from tags": (_tags,),
    "... and a quarter known": (_tags_and_some(0.25),),
    "... and half known": (_tags_and_some(0.5),),
    "... and three quarters known": (_tags_and_some(0.75),),
    "tags only": (_intercepts, _tags),
    "industries from tags": (_industry_tags,),
    "products from tags": (_product_tags,),
    "no budget preference": (_budget,),
    "sizes from tags": (_sizes,),
    "tags, sizes, no budget": (_tags, _sizes, _budget),
}


def blinded(market: m.Market, variant: str) -> m.Market:
    """`market` as the oracle of `variant` sees it (its own cache of fits: they depend on the preferences)."""
    truth = market.truth
    for blind in BLINDS[variant]:
        truth = blind(market, truth)
    return replace(market, truth=truth, fits={})


def one(job: tuple[str, int, str]) -> tuple[str, int, str, float, float]:
    market_name, seed, variant = job
    config = simulator_config.load(SIMULATOR / f"{market_name}.toml")
    market = m.build_market(config, seed, START)
    trace = run_market(market, policies.OraclePolicy(blinded(market, variant)))
    figures = metrics.of_run(trace, market)
    return market_name, seed, variant, figures["won_per_request_after_warmup"], figures["interested_within_24h"]


def main() -> None:
    chosen = [v for v in os.environ.get("BENCH_CEILING_VARIANTS", "").split(";") if v] or list(BLINDS)
    todo = [(name, seed, variant) for name, seed in jobs(sys.argv[1:]) for variant in chosen]
    workers = int(os.environ.get("BENCH_MATCHING_WORKERS", "2"))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, todo))
    for name in dict.fromkeys(job[0] for job in todo):
        oracle = np.mean([r[3] for r in results if r[0] == name and r[2] == "oracle"])
        print(f"{name}: won/request after warm-up (% of the oracle; interested < 24 h) and per seed")
        for variant in chosen:
            rows = [r for r in results if r[0] == name and r[2] == variant]
            won = float(np.mean([r[3] for r in rows]))
            quick = 100 * float(np.mean([r[4] for r in rows]))
            seeds = " ".join(f"{r[3]:.3f}" for r in rows)
            print(f"  {variant:22s} {won:.4f} ({100 * won / oracle:.1f}%; {quick:.1f}%)  {seeds}")


if __name__ == "__main__":
    main()
