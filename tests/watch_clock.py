"""A clock for `leadsync watch` tests: time moves only when the watcher sleeps."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta


class FakeClock:
    """Starts at `start`; each sleep jumps ahead, and past `until` the watcher is stopped."""

    def __init__(self, start: datetime, until: timedelta) -> None:
        self.time = start
        self.end = start + until
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.time

    def sleep(self, seconds: float, stop: threading.Event) -> None:
        self.sleeps.append(seconds)
        self.time += timedelta(seconds=max(0.0, seconds))
        if self.time >= self.end:
            stop.set()
