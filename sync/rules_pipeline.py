"""Rule 7's cells in Leads: the Step a person picks, and the Closed date the engine keeps.

Pure helpers the planner calls per lead row; they decide, the planner writes.
"""

from __future__ import annotations

from datetime import date

from sync.model import LeadStatus
from sync.pipeline_config import PipelineSettings
from sync.snapshot import CellValue, Row


def step_problem(row: Row, settings: PipelineSettings) -> str | None:
    """Why the row's Step cell names no configured step; None when it does or is empty.

    An empty Step is the first step: a lead nobody has moved yet is where every lead starts.
    """
    text = row.text("step")
    if not text or settings.find(text) is not None:
        return None
    return (
        f"Step '{text}' is not one of {', '.join(settings.names())}: pick one from the list, "
        f"or leave it empty for {settings.first.name}"
    )


def closed_value(status: LeadStatus | None, current: CellValue, today: date) -> CellValue:
    """What the Closed cell should hold: the day the engine first saw the lead Won or Lost.

    A date already there stays (a person may correct it); a lead opened again loses it, so
    that it is counted afresh when it closes again. An unreadable status changes nothing.
    """
    empty = current is None or (isinstance(current, str) and not current.strip())
    if status in (LeadStatus.WON, LeadStatus.LOST):
        return today if empty else current
    if status is not None and status.is_open:
        return None
    return current
