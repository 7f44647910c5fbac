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

        The prospecting files are written before the tracker, which also keeps the highest
        lead number it has held (`Plan.issued_lead_number`): if a pass dies in between, each
        converted row already carries its lead's ID, and the next pass creates exactly the
        leads the tracker never got. A write whose row no longer holds the values it expects
        is refused.
        """
        ...
