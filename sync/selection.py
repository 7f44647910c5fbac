"""Which selected prospect rows a button (Excel) or a menu item (Google Sheets) may mark.

One rule for both add-ins, so "Make leads of selected rows" means the same in either.
"""

from __future__ import annotations

from sync.model import Flag, parse_flag
from sync.snapshot import Row


def wants_flag(row: Row, flag: Flag) -> bool:
    """An empty Lead cell, a company, no x, not already `flag`. A mark leadsync does not know
    is the person's: it is left for the pass to report."""
    try:
        current = parse_flag(row.get("flag"))
    except ValueError:
        return False
    return not (row.text("lead") or current in (Flag.STRIKE, flag) or not row.text("company"))
