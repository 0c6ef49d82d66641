"""`manage.py simulate`: compare routing policies in the marketplace simulator (docs/matching.md).

python manage.py simulate --config FILE --json OUT [--plot OUT.png] [--seeds N] [--policies a,b]
python manage.py simulate --config matching/simulator/services.toml --through-services --json OUT
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from matching import simulator_services
from matching.simulator import config as simulator_config
from matching.simulator import policies, run
from matching.simulator.config import SimulationConfig
from matching.simulator.market import build_market

DEFAULT_CONFIG = Path(simulator_config.__file__).with_name("default.toml")
# A bad config or argument: CommandError prints its one line and the command exits with this.
USAGE_ERROR = 2
# --through-services found a request whose partners differ from the fast run's.
DIFFERENT = 1
SHOWN_DIFFERENCES = 10


class Command(BaseCommand):
    help = "Compare routing policies on a simulated partner market and write the figures as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--config", default=str(DEFAULT_CONFIG), help="TOML file (default: the default market)")
        parser.add_argument("--json", required=True, help="where to write the figures")
        parser.add_argument("--plot", default="", help="where to write a PNG of won deals per request over time")
        parser.add_argument("--seeds", type=int, default=None, help="overrides the config's seeds")
        parser.add_argument("--policies", default=",".join(policies.NAMES), help="comma-separated policy names")
        parser.add_argument("--workers", type=int, default=1, help="processes running seeds side by side")
        parser.add_argument(
            "--through-services",
            action="store_true",
            help="play each seed's market through the product's services and an empty database (rolled back) and "
            "compare who was asked with the fast run (docs/matching.md)",
        )

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
        if options["through_services"]:
            self._through_services(config, start, options["json"])
            return
        result = run.run(config, names, start, workers=max(1, options["workers"]), progress=_progress)
        for name, reason in result.skipped.items():
            self.stderr.write(f"{name}: skipped. {reason}")
        result.write_json(options["json"])
        if options["plot"]:
            run.plot(result, options["plot"])
        self.stdout.write(f"Wrote {options['json']}" + (f" and {options['plot']}" if options["plot"] else "") + ".")

    def _through_services(self, config: SimulationConfig, start: Any, out: str) -> None:
        comparisons = []
        for seed in range(config.seeds):
            try:
                expressed = simulator_services.expressible(build_market(config, seed, start))
                comparison = simulator_services.compare(expressed, start)
            except simulator_services.NotExpressible as error:
                raise CommandError(str(error), returncode=USAGE_ERROR) from error
            comparisons.append(comparison)
            verdict = "the same" if comparison.same else f"{len(comparison.differences)} requests differ"
            self.stdout.write(
                f"seed {seed}: {comparison.requests} requests, {comparison.decisions} routing decisions through the "
                f"services; who was asked: {verdict} in the fast run."
            )
            for line in comparison.differences[:SHOWN_DIFFERENCES]:
                self.stdout.write(f"  {line}")
        written = {"config": config.as_dict(), "through_services": [c.as_json() for c in comparisons]}
        Path(out).write_text(json.dumps(written, indent=2) + "\n", encoding="utf-8")
        self.stdout.write(f"Wrote {out}.")
        if not all(c.same for c in comparisons):
            raise CommandError("The services and the fast run asked different partners.", returncode=DIFFERENT)


def _progress(line: str) -> None:
    print(line, file=sys.stderr)
