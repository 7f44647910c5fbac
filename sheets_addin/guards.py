"""Replay protection and rate limiting for `leadsync serve`.

Replay: a request ID is accepted once per spreadsheet. Where seen IDs are kept is serve.toml's
`replay` setting:

- `"sheets"` (the default, sheets_addin/replay_sheets.py): in the spreadsheet the call names,
  as developer metadata. Every replica, on every host, talks to that spreadsheet, so a replay
  is refused whichever replica it reaches, with no store for the team to run. It costs one
  Sheets write request per accepted call.
- `"sqlite"` (SqliteReplayStore below): in a small SQLite file beside serve.toml (`replay_db`).
  A restarted server, and every server process on the same host, still refuse an ID seen
  before, because "insert if absent" is one atomic statement on a primary key; replicas on
  *different* hosts each have their own file and do not. It costs no Google request: the
  better choice for a single host, where the write quota is tight.

An ID only has to be remembered while its timestamp could still be accepted (signing.MAX_SKEW
either way), so old entries are purged and either store stays small.

Rate limit: a token bucket per spreadsheet (burst RATE_BURST, one more every RATE_EVERY
seconds), in memory, so per replica: N replicas allow N times the rate. The per-tracker lease
still keeps passes on one tracker from overlapping across replicas.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from sheets_addin.signing import MAX_SKEW
from sync.errors import LeadsyncError

RATE_BURST = 5
RATE_EVERY = 2.0  # seconds per token
KEEP_SECONDS = 2 * MAX_SKEW + 60


class ReplayUnavailable(LeadsyncError):
    """The store could not record the ID: serve refuses the call (503) rather than risk a replay."""


class ReplayStore(Protocol):
    def first_time(self, spreadsheet: str, request_id: str, now: float) -> bool:
        """Record the ID; True the first time it is seen, False for a replay.

        Raises ReplayUnavailable when it cannot tell."""
        ...


class SqliteReplayStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS seen (spreadsheet TEXT NOT NULL, "
                "request_id TEXT NOT NULL, at REAL NOT NULL, "
                "PRIMARY KEY (spreadsheet, request_id))"
            )
            db.execute("CREATE INDEX IF NOT EXISTS seen_at ON seen (at)")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10.0, isolation_level=None)

    def first_time(self, spreadsheet: str, request_id: str, now: float) -> bool:
        with self._lock:
            db = self._connect()
            try:
                db.execute("BEGIN IMMEDIATE")
                db.execute("DELETE FROM seen WHERE at < ?", (now - KEEP_SECONDS,))
                cursor = db.execute(
                    "INSERT OR IGNORE INTO seen (spreadsheet, request_id, at) VALUES (?, ?, ?)",
                    (spreadsheet, request_id, now),
                )
                db.execute("COMMIT")
                return cursor.rowcount == 1
            finally:
                db.close()


class RateLimiter:
    """Token buckets by key; `clock` is injectable for tests."""

    def __init__(
        self,
        burst: int = RATE_BURST,
        every: float = RATE_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst = burst
        self.every = every
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0.0 when a token was taken; else the seconds until the next one."""
        with self._lock:
            now = self.clock()
            tokens, at = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) / self.every)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) * self.every
