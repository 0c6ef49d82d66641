"""`python -m tests.clocked SCRIPT ARGS...`: run SCRIPT with the wall clock a test passed (tests/clock.py)."""

from __future__ import annotations

import runpy
import sys

from tests.clock import start_from_environment

if __name__ == "__main__":
    start_from_environment()
    sys.argv = sys.argv[1:]
    runpy.run_path(sys.argv[0], run_name="__main__")
