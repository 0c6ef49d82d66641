"""A clock the test moves by hand, for code that takes `clock` (the worker's delivery passes)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at
        self._lock = threading.Lock()  # a receiver's thread may move it while the worker reads it

    def __call__(self) -> datetime:
        with self._lock:
            return self.at

    def advance(self, by: timedelta) -> None:
        with self._lock:
            self.at += by
