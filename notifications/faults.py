"""Fault injection for crash tests: named points where the process can be made to die at once.

`crash_point(name)` does nothing unless the environment variable LEADSHARE_CRASH_AT equals `name`;
then it sends the process SIGKILL, so no `finally`, no atexit and no database rollback runs, as when
a machine loses power or the kernel's OOM killer strikes. Never set the variable in production.
"""

from __future__ import annotations

import os
import signal

ENV = "LEADSHARE_CRASH_AT"


def crash_point(name: str) -> None:
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
