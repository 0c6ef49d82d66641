"""The simulator's settings, read from a TOML file (docs/matching.md, "The config file"). Pure.

Every key is optional; an unknown key or a value of the wrong kind is refused with one clear sentence.

| key | default | meaning |
| --- | --- | --- |
| `days` | 365 | simulated days of requests (the run goes on until every referral has closed) |
| `requests_per_day` | 12 | mean requests per day (Poisson) |
| `partners` | 150 | partners on the platform on day 0 |
| `partners_join_every_days` | 5 | one new partner joins every this many days (0: nobody joins) |
| `churn_per_day` | 0.001 | each partner's daily probability of leaving the platform |
| `countries` | 3 | countries of the market |
| `cities` | 8 | cities per country |
| `industries` | 10 | industries of the market |
| `products` | 24 | products of the market |
| `tag_recall` | 0.7 | share of a partner's true preferences it declares as tags |
| `spurious_tags` | 1.0 | mean number of declared tags that are not true preferences |
| `capacity_min` | 6 | the smallest declared capacity (open referrals at once) |
| `capacity_max` | 16 | the largest declared capacity |
| `median_response_hours` | 14.0 | the median partner's median time to a first answer |
| `preference_strength` | 1.0 | how much a partner's interest depends on its hidden preferences |
| `win_intercept_mean` | -0.6 | the mean of the partners' hidden win propensity (log-odds) |
| `win_intercept_sd` | 0.6 | its spread across partners |
| `accept_given_interested` | 0.6 | the median chance that an interested partner accepts |
| `remote_share` | 0.2 | share of partners that serve every country, wherever the customer is |
| `preference_shift_day` | 0 | the day partners' hidden preferences change (0: never) |
| `seeds` | 10 | independent markets simulated (seeds 0 .. seeds-1) |
| `warmup_requests` | 1500 | requests left out of the `_after_warmup` figures |
| `partners_per_request` | 3 | partners a request is first routed to |
| `cascade_window_hours` | 96 | the cascade offers a request again only while it is younger than this |
| `cascade_max_partners` | 6 | the most partners a request is ever offered to |
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A config the simulator cannot run: its message is one sentence a programme admin can act on."""


@dataclass(frozen=True)
class SimulationConfig:
    days: int = 365
    requests_per_day: float = 12.0
    partners: int = 150
    partners_join_every_days: int = 5
    churn_per_day: float = 0.001
    countries: int = 3
    cities: int = 8
    industries: int = 10
    products: int = 24
    tag_recall: float = 0.7
    spurious_tags: float = 1.0
    capacity_min: int = 6
    capacity_max: int = 16
    median_response_hours: float = 14.0
    preference_strength: float = 1.0
    win_intercept_mean: float = -0.6
    win_intercept_sd: float = 0.6
    accept_given_interested: float = 0.6
    remote_share: float = 0.2
    preference_shift_day: int = 0
    seeds: int = 10
    warmup_requests: int = 1500
    partners_per_request: int = 3
    cascade_window_hours: float = 96.0
    cascade_max_partners: int = 6

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def replace(self, **changes: Any) -> SimulationConfig:
        return from_mapping({**self.as_dict(), **changes})


# (lowest, highest) allowed for each key; None: unbounded on that side.
_BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "days": (1, None),
    "requests_per_day": (0.01, None),
    "partners": (1, None),
    "partners_join_every_days": (0, None),
    "churn_per_day": (0, 1),
    "countries": (1, 9),
    "cities": (1, None),
    "industries": (1, None),
    "products": (1, None),
    "tag_recall": (0, 1),
    "spurious_tags": (0, None),
    "capacity_min": (1, None),
    "capacity_max": (1, None),
    "median_response_hours": (0.01, None),
    "preference_strength": (0, None),
    "win_intercept_mean": (None, None),
    "win_intercept_sd": (0, None),
    "accept_given_interested": (0.001, 0.999),
    "remote_share": (0, 1),
    "preference_shift_day": (0, None),
    "seeds": (1, None),
    "warmup_requests": (0, None),
    "partners_per_request": (1, None),
    "cascade_window_hours": (0, None),
    "cascade_max_partners": (1, None),
}


def from_mapping(values: dict[str, Any]) -> SimulationConfig:
    """A config from already parsed values, each checked; raises ConfigError."""
    known = {f.name: f for f in fields(SimulationConfig)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError(f"Unknown config key {unknown[0]!r}; the keys are: {', '.join(known)}.")
    clean: dict[str, Any] = {}
    for name, value in values.items():
        clean[name] = _checked(name, value, int if known[name].type == "int" else float)
    config = SimulationConfig(**clean)
    if config.capacity_min > config.capacity_max:
        raise ConfigError(f"capacity_min ({config.capacity_min}) is above capacity_max ({config.capacity_max}).")
    if config.warmup_requests >= config.days * config.requests_per_day:
        raise ConfigError(
            f"warmup_requests ({config.warmup_requests}) leaves no requests after the warm-up: the run expects "
            f"about {config.days * config.requests_per_day:.0f} requests (days x requests_per_day)."
        )
    if config.cascade_max_partners < config.partners_per_request:
        raise ConfigError("cascade_max_partners must be at least partners_per_request.")
    return config


def load(path: str | Path) -> SimulationConfig:
    """The config in a TOML file; raises ConfigError for a missing or unreadable file or a bad key."""
    try:
        with open(path, "rb") as file:
            values = tomllib.load(file)
    except OSError as error:
        raise ConfigError(f"Cannot read the config file {str(path)!r}: {error.strerror}.") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"The config file {str(path)!r} is not valid TOML: {error}.") from error
    return from_mapping(values)


def _checked(name: str, value: Any, kind: type) -> int | float:
    # bool is an int to Python but never a sensible count or rate here.
    if isinstance(value, bool) or not isinstance(value, int | float) or (kind is int and not isinstance(value, int)):
        wanted = "a whole number" if kind is int else "a number"
        raise ConfigError(f"Config key {name!r} must be {wanted}, not {value!r}.")
    low, high = _BOUNDS[name]
    if (low is not None and value < low) or (high is not None and value > high):
        span = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ConfigError(f"Config key {name!r} must be {span}, not {value!r}.")
    return kind(value)
