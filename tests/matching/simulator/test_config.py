"""The config file: every key optional with its documented default, anything else refused in one sentence."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from matching.simulator import config
from matching.simulator.config import ConfigError, SimulationConfig

SIMULATOR = Path(config.__file__).parent
REQUIRED_KEYS = {
    "days", "requests_per_day", "partners", "partners_join_every_days", "churn_per_day", "countries", "cities",
    "industries", "products", "tag_recall", "spurious_tags", "capacity_min", "capacity_max",
    "median_response_hours", "preference_strength", "win_intercept_mean", "win_intercept_sd",
    "accept_given_interested", "remote_share", "preference_shift_day", "seeds", "warmup_requests",
}  # fmt: skip


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "market.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_empty_file_gives_every_default(tmp_path):
    assert config.load(write(tmp_path, "")) == SimulationConfig()


def test_the_config_names_every_key_the_issue_asks_for():
    assert {f.name for f in fields(SimulationConfig)} >= REQUIRED_KEYS


def test_the_documented_defaults_are_the_defaults():
    table = dict(re.findall(r"^\| `(\w+)` \| ([^|]+) \|", config.__doc__ or "", re.MULTILINE))
    defaults = SimulationConfig().as_dict()
    assert set(table) == set(defaults)
    assert {k: float(v) for k, v in table.items()} == {k: float(v) for k, v in defaults.items()}


def test_the_shipped_default_file_is_the_defaults_and_names_every_key():
    path = SIMULATOR / "default.toml"
    assert config.load(path) == SimulationConfig()
    assert {
        line.split("=")[0].strip() for line in path.read_text().splitlines() if "=" in line and not line.startswith("#")
    } == set(SimulationConfig().as_dict())


def test_the_stress_file_lowers_tag_recall_halves_capacity_and_shifts_preferences_on_day_180():
    stress = config.load(SIMULATOR / "stress.toml")
    assert stress == SimulationConfig(tag_recall=0.4, capacity_min=3, capacity_max=8, preference_shift_day=180)


def test_a_key_sets_its_value(tmp_path):
    loaded = config.load(write(tmp_path, "days = 30\ntag_recall = 0.5\nrequests_per_day = 4\nwarmup_requests = 10\n"))
    assert (loaded.days, loaded.tag_recall, loaded.requests_per_day, loaded.warmup_requests) == (30, 0.5, 4.0, 10)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tag_recal = 0.5", "Unknown config key 'tag_recal'; the keys are: days, requests_per_day, "),
        ("days = 'many'", "Config key 'days' must be a whole number, not 'many'."),
        ("days = 2.5", "Config key 'days' must be a whole number, not 2.5."),
        ("days = true", "Config key 'days' must be a whole number, not True."),
        ("tag_recall = 1.5", "Config key 'tag_recall' must be between 0 and 1, not 1.5."),
        ("partners = 0", "Config key 'partners' must be at least 1, not 0."),
        ("capacity_min = 9\ncapacity_max = 3", "capacity_min (9) is above capacity_max (3)."),
        ("days = 10\nwarmup_requests = 500", "warmup_requests (500) leaves no requests after the warm-up"),
        ("days = [", "is not valid TOML"),
    ],
)
def test_a_bad_config_is_refused_in_one_sentence(tmp_path, text, message):
    with pytest.raises(ConfigError) as refused:
        config.load(write(tmp_path, text))
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_missing_file_is_refused_by_name(tmp_path):
    with pytest.raises(ConfigError) as refused:
        config.load(tmp_path / "absent.toml")
    assert str(refused.value) == f"Cannot read the config file '{tmp_path / 'absent.toml'}': No such file or directory."
