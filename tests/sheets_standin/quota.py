"""Per-user per-minute quota: separate read and write buckets, as the Sheets API counts them.

Google documents the limits per minute and refills them every minute; a sliding 60-second
window is used here because it is the stricter reading, so a client that passes here also
passes there. Refused requests do not use up quota.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

WINDOW = 60.0


class Quota:
    def __init__(self, per_minute: int, clock: Callable[[], float]) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._seen: dict[tuple[str, str], deque[float]] = {}

    def take(self, user: str, kind: str) -> bool:
        """Count one request of `kind` ("Read" or "Write"); False when the bucket is full."""
        now = self.clock()
        seen = self._seen.setdefault((user, kind), deque())
        while seen and seen[0] <= now - WINDOW:
            seen.popleft()
        if len(seen) >= self.per_minute:
            return False
        seen.append(now)
        return True
