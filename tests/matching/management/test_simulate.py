"""`manage.py simulate`: figures to a file; a bad config in one line, exit code 2, nothing written."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def simulate(*args: str) -> str:
    out = StringIO()
    call_command("simulate", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_writes_the_figures_of_the_chosen_policies(tmp_path):
    config = tmp_path / "market.toml"
    config.write_text("days = 20\nrequests_per_day = 4\npartners = 20\nwarmup_requests = 20\n")
    said = simulate(
        "--config", str(config), "--json", str(tmp_path / "out.json"), "--seeds", "2", "--policies", "random,keyword"
    )
    written = json.loads((tmp_path / "out.json").read_text())
    assert said == f"Wrote {tmp_path / 'out.json'}.\n"
    assert (written["config"]["days"], written["config"]["seeds"]) == (20, 2)
    assert list(written["policies"]) == ["random", "keyword"]


@pytest.mark.parametrize(
    ("config", "policies", "message"),
    [
        ("days = 20\ncolour = 'red'\n", "keyword", "Unknown config key 'colour'; the keys are: days, "),
        ("days = -1\n", "keyword", "Config key 'days' must be at least 1, not -1."),
        (
            "days = 20\nrequests_per_day = 4\nwarmup_requests = 20\n",
            "keyword,best",
            "Unknown policy 'best'; the policies are: ",
        ),
    ],
)
def test_a_bad_config_or_policy_is_one_line_and_exit_code_2_and_nothing_is_written(tmp_path, config, policies, message):
    path = tmp_path / "market.toml"
    path.write_text(config)
    with pytest.raises(CommandError) as refused:
        simulate("--config", str(path), "--json", str(tmp_path / "out.json"), "--policies", policies)
    assert message in str(refused.value) and "\n" not in str(refused.value)
    assert refused.value.returncode == 2
    assert not (tmp_path / "out.json").exists()


SERVICES_TOML = "matching/simulator/services.toml"


@pytest.mark.django_db
def test_through_the_services_it_says_and_writes_that_each_seed_asked_the_same_partners(tmp_path):
    said = simulate("--config", SERVICES_TOML, "--through-services", "--json", str(tmp_path / "out.json"))

    written = json.loads((tmp_path / "out.json").read_text())
    (seed,) = written["through_services"]
    assert (seed["seed"], seed["same"], seed["differences"]) == (0, True, [])
    assert seed["decisions_through_services"] == seed["decisions_in_memory"] > seed["requests"] > 0
    assert said == (
        f"seed 0: {seed['requests']} requests, {seed['decisions_through_services']} routing decisions through the "
        f"services; who was asked: the same in the fast run.\nWrote {tmp_path / 'out.json'}.\n"
    )


@pytest.mark.django_db
def test_through_the_services_a_market_with_remote_partners_is_exit_code_2_and_nothing_is_written(tmp_path):
    path = tmp_path / "market.toml"
    path.write_text("days = 3\npartners = 5\nremote_share = 0.2\nwarmup_requests = 0\n")

    with pytest.raises(CommandError) as refused:
        simulate("--config", str(path), "--through-services", "--json", str(tmp_path / "out.json"))

    assert "remote_share = 0" in str(refused.value) and "\n" not in str(refused.value)
    assert refused.value.returncode == 2
    assert not (tmp_path / "out.json").exists()
