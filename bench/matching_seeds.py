"""Seeds of all five policies on the default and the stress market, kept as each finishes:
`python -m bench.matching_seeds OUT_DIR [SEEDS | FIRST-LAST]` runs them (default and stress seeds interleaved,
BENCH_MATCHING_WORKERS side by side), `python -m bench.matching_seeds OUT_DIR --report` prints the tables of the
seeds that finished and writes their JSON and plots. The figures are `bench.matching`'s (the same
`run._one_seed` per seed, the same fixed start); on a loaded machine a run that cannot finish still leaves the
seeds that did.
"""

from __future__ import annotations

import os
import pickle
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

from bench.children import print_table
from bench.matching import SIMULATOR, _table, recovery, targets
from bench.matching_tune import START
from matching.simulator import config as simulator_config
from matching.simulator import metrics, policies, run

MARKETS = ("default", "stress")


def job(market: str, seed: int, out: Path) -> str:
    config = simulator_config.load(SIMULATOR / f"{market}.toml")
    began = time.perf_counter()
    outcome = run._one_seed((config, seed, START, list(policies.NAMES)))
    (out / f"{market}-{seed}.pickle").write_bytes(pickle.dumps(outcome))
    engine = outcome[0]["engine"][0]["won_per_request_after_warmup"]
    return f"{market} seed {seed}: engine {engine:.3f} ({time.perf_counter() - began:.0f} s)"


def result(out: Path, market: str) -> run.Result | None:
    config = simulator_config.load(SIMULATOR / f"{market}.toml")
    done = sorted(out.glob(f"{market}-*.pickle"), key=lambda p: int(p.stem.split("-")[1]))
    if not done:
        return None
    outcomes = [pickle.loads(path.read_bytes()) for path in done]  # noqa: S301 - written by `job` above
    names = list(outcomes[0][0])
    figures = {n: {k: [o[0][n][0][k] for o in outcomes] for k in metrics.METRICS} for n in names}
    return run.Result(
        config=config.replace(seeds=len(done)),
        figures=figures,
        seconds={n: sum(o[0][n][1] for o in outcomes) for n in names},
        weekly_won={n: run._mean_series([o[0][n][2] for o in outcomes]) for n in names},
        warmup_week=float(np.mean([o[1] for o in outcomes])),
    )


def report(out: Path) -> None:
    for market in MARKETS:
        found = result(out, market)
        if found is None:
            continue
        found.write_json(out / f"matching-{market}.json")
        run.plot(found, out / f"matching-{market}.png")
        seeds = sorted(int(p.stem.split("-")[1]) for p in out.glob(f"{market}-*.pickle"))
        print(
            f"\n{market}: seeds {seeds}; engine per seed",
            [round(v, 3) for v in found.figures["engine"]["won_per_request_after_warmup"]],
        )
        print_table(*_table(found))
        shares = recovery(found)
        for name, row in shares.items():
            print(f"  recovery {name}: " + ", ".join(f"{100 * share:.1f}%" for share in row))
        for target, met, figure in targets(market, found, shares, float("inf")):
            print(f"  {'MET    ' if met else 'NOT MET'}  {target}: {figure}")


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    if sys.argv[2:] == ["--report"]:
        report(out)
        return
    spec = sys.argv[2] if len(sys.argv) > 2 else "10"
    first, last = (int(part) for part in spec.split("-")) if "-" in spec else (0, int(spec) - 1)
    workers = int(os.environ.get("BENCH_MATCHING_WORKERS", "2"))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(job, market, seed, out) for seed in range(first, last + 1) for market in MARKETS]
        for future in as_completed(futures):
            print(future.result(), flush=True)


if __name__ == "__main__":
    main()
