"""SIGINT and SIGTERM for `leadsync watch`: the first lets the pass finish, the second quits.

Quitting at once is safe for the files: every save is a rename of a complete file, so a pass
cut short leaves each workbook as it was or as the pass wrote it, and the next pass completes
the rest (each converted row already carries its lead's ID).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

INTERRUPTED = 130  # the shell's code for a process ended by a signal it did not let finish


class GracefulStop:
    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop

    def install(self) -> None:
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, self.handle)

    def handle(self, number: int, frame: FrameType | None) -> None:
        if self.stop.is_set():
            # SystemExit unwinds through the pass's finally blocks: temporary files go, the
            # lock is released.
            raise SystemExit(INTERRUPTED)
        self.stop.set()
