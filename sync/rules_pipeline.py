"""Rule 7's cells in Leads: the Step a person picks, and the Closed date the engine keeps.

Pure helpers the planner calls per lead row; they decide, the planner writes.
"""

from __future__ import annotations

from datetime import date

from sync.model import LeadStatus
from sync.pipeline_config import PipelineSettings, PipelineStep
from sync.snapshot import CellValue


def step_problem(text: str, step: PipelineStep | None, settings: PipelineSettings) -> str | None:
    """Why a Step cell's text names no configured step; None when it does or is empty.

    `step` is the step `text` names (`settings.find`, which the caller may have looked up
    once for many rows). An empty Step is the first step: a lead nobody has moved yet is where
    every lead starts.
    """
    if not text or step is not None:
        return None
    return (
        f"Step '{text}' is not one of {', '.join(settings.names())}: pick one from the list, "
        f"or leave it empty for {settings.first.name}"
    )


_CLOSED = (LeadStatus.WON, LeadStatus.LOST)  # looked up once: every lead's status is checked


def closed_value(status: LeadStatus | None, current: CellValue, today: date) -> CellValue:
    """What the Closed cell should hold: the day the engine first saw the lead Won or Lost.

    A date already there stays (a person may correct it); a lead opened again loses it, so
    that it is counted afresh when it closes again. An unreadable status changes nothing.
    """
    if status is None:
        return current
    if status in _CLOSED:
        # Only here is the cell looked at: most leads are open, and lose any date.
        empty = current is None or (isinstance(current, str) and not current.strip())
        return today if empty else current
    return None if status.is_open else current
