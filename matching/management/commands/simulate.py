"""`manage.py simulate`: compare routing policies in the marketplace simulator (docs/matching.md).

python manage.py simulate --config FILE --json OUT [--plot OUT.png] [--seeds N] [--policies a,b]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from matching.simulator import config as simulator_config
from matching.simulator import policies, run

DEFAULT_CONFIG = Path(simulator_config.__file__).with_name("default.toml")
# A bad config or argument: CommandError prints its one line and the command exits with this.
USAGE_ERROR = 2


class Command(BaseCommand):
    help = "Compare routing policies on a simulated partner market and write the figures as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--config", default=str(DEFAULT_CONFIG), help="TOML file (default: the default market)")
        parser.add_argument("--json", required=True, help="where to write the figures")
        parser.add_argument("--plot", default="", help="where to write a PNG of won deals per request over time")
        parser.add_argument("--seeds", type=int, default=None, help="overrides the config's seeds")
        parser.add_argument("--policies", default=",".join(policies.NAMES), help="comma-separated policy names")
        parser.add_argument("--workers", type=int, default=1, help="processes running seeds side by side")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            config = simulator_config.load(options["config"])
            if options["seeds"] is not None:
                config = config.replace(seeds=options["seeds"])
        except simulator_config.ConfigError as error:
            raise CommandError(str(error), returncode=USAGE_ERROR) from error
        names = [n.strip() for n in options["policies"].split(",") if n.strip()]
        unknown = [n for n in names if n not in policies.NAMES]
        if unknown or not names:
            raise CommandError(
                f"Unknown policy {unknown[0] if unknown else '(none given)'!r}; the policies are: "
                f"{', '.join(policies.NAMES)}.",
                returncode=USAGE_ERROR,
            )
        start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        result = run.run(config, names, start, workers=max(1, options["workers"]), progress=_progress)
        for name, reason in result.skipped.items():
            self.stderr.write(f"{name}: skipped. {reason}")
        result.write_json(options["json"])
        if options["plot"]:
            run.plot(result, options["plot"])
        self.stdout.write(f"Wrote {options['json']}" + (f" and {options['plot']}" if options["plot"] else "") + ".")


def _progress(line: str) -> None:
    print(line, file=sys.stderr)
