"""Leases a long-running process keeps from one pass to the next, given back when it stops.

A watcher that renews its own lease each pass spends one request on it instead of two (take,
give back); the lease still expires on its own if the process dies. Kept here, free of any
backend's imports, so the watcher can give them back without loading Google's libraries.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

_kept: dict[str, Callable[[], None]] = {}
_lock = threading.Lock()


def keep(key: str, give_back: Callable[[], None]) -> None:
    with _lock:
        _kept[key] = give_back


def forget(key: str) -> None:
    with _lock:
        _kept.pop(key, None)


def release_all() -> None:
    """Give back every kept lease; one that cannot be given back expires by itself."""
    with _lock:
        pending = list(_kept.values())
        _kept.clear()
    for give_back in pending:
        # Best effort on the way out: a lease that is not given back expires anyway.
        with contextlib.suppress(Exception):
            give_back()
