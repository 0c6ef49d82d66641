"""`python -m bench` runs the whole suite; `python -m bench generate|sweep ...` is one step of it.

A step runs in its own process because Django reads DATABASE_URL once, at start-up, and each
step works on another database.
"""

from __future__ import annotations

import os
import sys


def step(name: str, argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadshare.settings")
    import django

    django.setup()
    # Imported only now: the models need the app registry that django.setup() fills.
    if name == "generate":
        from bench import generate

        generate.main(argv)
    elif name == "sweep":
        from bench import sweep

        sweep.main(argv)
    else:
        raise SystemExit(f"unknown step {name!r}: use generate or sweep")


def main() -> None:
    if len(sys.argv) > 1:
        step(sys.argv[1], sys.argv[2:])
    else:
        from bench import suite

        suite.main()


if __name__ == "__main__":
    main()
