"""Rule 6: a lead typed by hand into the Leads tab (a business card, a web form, a call) is adopted.

It gets a lead ID from the same sequence as conversions, a status by Rule 2 when its Status is
empty, Source "Manual" when its Source is empty, and from then on it is a lead like any other
(client folders, follow-up rules). The engine writes only empty engine cells of that row.

Exactly once: the ID is the only thing that tells an adopted row from one still to adopt, so
two passes that read the row before either wrote would both adopt it. Each adoption hands out
a new lead number, and lead numbers are claimed atomically with the write that uses them (Google:
developer metadata IDs, see google_write; Excel: the save is refused when the file changed since
it was read). Numbers are handed out in order from the highest ever held, so two passes planned
on the same tracker always hand out overlapping numbers, and the second write is refused as a
whole: it writes nothing, reads again and finds the row adopted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sync.headers import FIELDS, TabKind
from sync.snapshot import Row, Tab

if TYPE_CHECKING:
    from sync.planner import _Planner

MANUAL_SOURCE = "Manual"
# What a person types into a lead row; the engine's own cells alone are no hand-typed lead.
_ENGINE_OWNED = frozenset(f.key for f in FIELDS[TabKind.LEADS] if f.engine_owned)
# The cells an adoption write checks are still as read: the row is found by its company.
EXPECT = ("lead_id", "company")


def is_hand_typed(tab: Tab, row: Row) -> bool:
    """A row without a lead ID holding something a person typed (not only engine cells)."""
    if row.text("lead_id"):
        return False
    return any(row.text(key) for key in tab.columns if key not in _ENGINE_OWNED)


def adopt(planner: _Planner, tab: Tab, row: Row) -> str | None:
    """The new lead ID of a hand-typed lead row, planned with its writes; None if it must wait.

    The Status cell is left to Rule 2 (`_next_steps`), which gives an empty one To-do or
    Standby and keeps one the person typed.
    """
    if not is_hand_typed(tab, row):
        return None
    company = row.text("company")
    if not company:
        why = (
            "Company is a formula leadsync cannot see the result of: open and save the file "
            "in Excel, or type the company"
            if "company" in row.unresolved
            else "Company is empty: fill it in and this lead gets its ID at the next sync"
        )
        planner._problem(tab, row, [why], EXPECT)
        return None
    lead_id = planner._new_lead_id()
    planner._set(tab, row, "lead_id", lead_id, EXPECT)
    if "source" in tab.columns and not row.text("source"):
        planner._set(tab, row, "source", MANUAL_SOURCE, EXPECT)
    planner.adopted.add(row.number)
    planner.counts["leads_adopted"] += 1
    planner.events.append(f"adopt {planner._where(tab, row)} ({company}) as {lead_id}")
    return lead_id
