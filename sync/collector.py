"""Pausing Python's cyclic garbage collector while passes run.

A pass builds a snapshot of some hundred thousand objects (a 50,000-row tab) and frees it at
the end, with next to no reference cycles among them. The collector would walk that snapshot
again and again while it grows, which cost a Google pass about a third of its CPU time. Passes
may run in several threads (a webhook, a scheduler), so the collector is paused while any pass
runs and restored, as it was, when the last one ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_running = 0
_restore = False


@contextmanager
def collector_paused() -> Iterator[None]:
    global _running, _restore
    with _lock:
        if _running == 0:
            _restore = gc.isenabled()
            gc.disable()
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0 and _restore:
                gc.enable()
