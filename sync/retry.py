"""Truncated exponential backoff with jitter, as Google asks clients to retry 429 and 5xx."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Backoff:
    attempts: int = 6  # tries in all, the first included
    base: float = 1.0  # seconds before the first retry, doubled for each one after it
    cap: float = 32.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (0 for the first)."""
        return min(self.cap, self.base * 2.0**retry) + self.rng.uniform(0, self.base)

    def wait(self, retry: int, hint: float | None = None) -> None:
        # A Retry-After the server sent wins when it asks for longer.
        self.sleep(max(self.delay(retry), min(hint or 0.0, self.cap)))
