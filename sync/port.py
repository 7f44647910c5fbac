"""The one boundary between the engine and a spreadsheet: read a snapshot, apply a plan.

Everything above this line is pure data handling (the planner never imports a backend);
everything below it does I/O. Excel files (openpyxl), Google Sheets and live Excel (xlwings)
are implementations of this protocol.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from sync.plan import Plan
from sync.snapshot import Snapshot


class Backend(Protocol):
    def session(self, write: bool) -> AbstractContextManager[None]:
        """Hold whatever serialises passes on the tracker (a lock) for one read-plan-apply.

        With write=True it first refuses, with a clear error, when the files cannot be
        written safely (open in Excel, for instance), so that nothing is read in vain.
        """
        ...

    def read(self) -> Snapshot:
        """Read every tab the engine needs, headers matched, as one consistent snapshot."""
        ...

    def apply(self, plan: Plan) -> None:
        """Write the plan with as few saves or calls as the medium allows.

        The tracker is written before the prospecting files: if a pass dies in between, the
        next pass finds the new leads and links their rows to them instead of creating them
        again. A write whose row no longer holds the values it expects is refused.
        """
        ...
