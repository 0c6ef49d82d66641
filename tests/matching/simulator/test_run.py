"""A comparison: every policy on the same seeds, written as JSON and a plot."""

from __future__ import annotations

import json

from matching.simulator import metrics, policies, run
from tests import factories
from tests.matching.simulator.conftest import SMALL


def test_the_json_has_the_config_and_each_metrics_mean_and_interval_per_policy(tmp_path):
    result = run.run(SMALL, ["random", "keyword", "engine"], factories.NOW)
    result.write_json(tmp_path / "out.json")
    written = json.loads((tmp_path / "out.json").read_text())
    assert written["config"] == SMALL.as_dict()
    ran = ["random", "keyword"] + (["engine"] if "engine" not in result.skipped else [])
    assert list(written["policies"]) == ran
    for figures in written["policies"].values():
        assert list(figures) == list(metrics.METRICS)
        for summary in figures.values():
            assert set(summary) == {"mean", "ci95"}
            low, high = summary["ci95"]
            assert low <= summary["mean"] <= high
    assert set(written["seconds"]) == set(ran)
    assert set(written["skipped"]) == {"engine"} - set(ran)


def test_a_skipped_policy_says_why():
    _, skipped = run.runnable(["keyword", "engine"])
    try:
        policies.check("engine")
    except policies.PolicyUnavailable as error:
        assert skipped == {"engine": str(error)}
    else:
        assert skipped == {}


def test_running_seeds_side_by_side_gives_the_same_figures():
    alone = run.run(SMALL, ["keyword", "odoo"], factories.NOW)
    side_by_side = run.run(SMALL, ["keyword", "odoo"], factories.NOW, workers=2)
    assert alone.figures == side_by_side.figures


def test_the_plot_is_a_png(tmp_path):
    result = run.run(SMALL.replace(seeds=1, preference_shift_day=20), ["random", "oracle"], factories.NOW)
    run.plot(result, tmp_path / "plot.png")
    assert (tmp_path / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
