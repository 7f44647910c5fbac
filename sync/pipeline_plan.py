"""The Pipeline tab as cells, and the plan operation that rewrites it when it is out of date.

The tab is engine-owned and small, so it is laid out afresh every pass and written, in one
piece, only when what it shows differs from what the pass read: an idle pass stays idle.
The first block (steps, amounts) stays at a fixed place, A3 down, for the tracker's chart.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sync.config import Config
from sync.lead_cells import LeadsReader
from sync.pipeline import Pipeline, compute_rows, is_overdue, lead_rows
from sync.plan import Plan, Problem, RewriteTab
from sync.snapshot import CellValue, RawTab, Snapshot

Grid = tuple[tuple[CellValue, ...], ...]

STEP_HEADER = ("Step", "Probability %", "Leads", "Amount", "Weighted amount")
OWNER_HEADER = ("Owner", "To-do", "Standby", "Overdue", "Won this month", "Lost this month")
OVERDUE_HEADER = ("Lead ID", "Company", "Owner", "Next action", "Due", "Days overdue")
FIRST_STEP_ROW = 3  # the chart over the tab reads the steps from here down
TITLE = "Open leads by step"  # A1: how a pass knows the tab is its own


def _money(value: float) -> float:
    return round(value, 2)


def pipeline_grid(pipeline: Pipeline) -> Grid:
    """What the Pipeline tab shows, row by row from A1."""
    rows: list[tuple[CellValue, ...]] = [
        (TITLE, None, None, None, "As of", pipeline.today.isoformat()),
        STEP_HEADER,
    ]
    total_count, total_amount, total_weighted = 0, 0.0, 0.0
    for name, probability, bucket in pipeline.steps:
        rows.append(
            (name, probability, bucket.count, _money(bucket.amount), _money(bucket.weighted))
        )
        total_count += bucket.count
        total_amount += bucket.amount
        total_weighted += bucket.weighted
    rows.append(("Total", None, total_count, _money(total_amount), _money(total_weighted)))
    rows += [(), ("By step and owner",), ("Step", "Owner", "Leads", "Amount", "Weighted amount")]
    for step, owner, bucket in pipeline.by_step_owner:
        rows.append((step, owner, bucket.count, _money(bucket.amount), _money(bucket.weighted)))
    month = f"{pipeline.today:%Y-%m}"
    rows += [(), (f"By owner (won and lost in {month})",), OWNER_HEADER]
    for line in pipeline.owners:
        rows.append(
            (
                line.owner,
                line.todo,
                line.standby,
                line.overdue,
                line.won_this_month,
                line.lost_this_month,
            )
        )
    today = pipeline.today
    overdue = [lead for lead in pipeline.todo if is_overdue(lead, today)]
    rows += [(), (f"Overdue To-do leads ({len(overdue)})",), OVERDUE_HEADER]
    # Many overdue leads share their day: each day is written out once.
    shown: dict[date, tuple[str, int]] = {}
    for lead in overdue:
        due = lead.due
        assert due is not None  # overdue
        day = shown.get(due)
        if day is None:
            day = shown[due] = (due.isoformat(), (today - due).days)  # as days_overdue
        rows.append((lead.lead_id, lead.company, lead.owner, lead.next_action, *day))
    return tuple(rows)


def _cell(value: CellValue) -> CellValue:
    """A cell as the comparison sees it: '' is empty, 3 == 3.0, spaces around text ignored."""
    # The common kinds first, by type and not isinstance of a union: this sees every cell.
    if type(value) is str:
        return value.strip() or None
    if type(value) is int or type(value) is float:
        return round(float(value), 6)
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(float(value), 6)
    return value


def normalised(grid: Grid) -> list[list[CellValue]]:
    # _cell's first tests inline: most cells are text or numbers, and a call per cell cost
    # more than the test. A whole number is its float as it is: rounding an integral float to
    # 6 places gives it back, and round() with places is a decimal conversion there and back.
    rows = [
        [
            (v.strip() or None)
            if type(v) is str
            else float(v)
            if type(v) is int
            else round(v, 6)
            if type(v) is float
            else _cell(v)
            for v in row
        ]
        for row in grid
    ]
    for row in rows:
        while row and row[-1] is None:
            row.pop()
    while rows and not rows[-1]:
        rows.pop()
    return rows


def today_of(snapshot: Snapshot, now: datetime, config: Config) -> datetime:
    zone = ZoneInfo(snapshot.time_zone) if snapshot.time_zone else config.zone
    return now.astimezone(zone)


def pipeline_of(
    snapshot: Snapshot,
    plan: Plan,
    now: datetime,
    config: Config,
    leads: LeadsReader | None = None,
) -> Pipeline:
    """The numbers of the Pipeline tab (and of `leadsync today`) once `plan` is applied.

    `leads`: the pass's reading of the Leads tab, which the planner made already.
    """
    today = today_of(snapshot, now, config).date()
    rows, reader = lead_rows(snapshot, plan, config, leads)
    return compute_rows(rows, reader, today, config)


def _not_ours(tab: RawTab, shown: list[list[CellValue]]) -> Problem | None:
    """The problem with a tab of the Pipeline tab's name that leadsync did not write, as
    `normalised` shows it; None when it is leadsync's own or empty."""
    if not shown or shown[0][:1] == [TITLE]:
        return None
    # Someone's own tab of that name: rewriting it would lose their work.
    return Problem(
        str(tab.ref),
        f"this tab holds something leadsync did not write (A1 is not '{TITLE}'), so it "
        "is left as it is: rename it, or set tracker.pipeline_tab in leadsync.toml to a "
        "tab leadsync may fill",
    )


def foreign_pipeline_tab(tab: RawTab) -> Problem | None:
    """What every pass would report of the Pipeline tab as read (doctor asks before a pass):
    a problem when it holds someone's own work, None when leadsync may fill it."""
    return _not_ours(tab, normalised(tab.rows)) if tab.exists else None


def with_pipeline(
    plan: Plan,
    snapshot: Snapshot,
    now: datetime,
    config: Config,
    leads: LeadsReader | None = None,
) -> Plan:
    """`plan` with a rewrite of the Pipeline tab when what it shows is out of date."""
    tab = snapshot.pipeline
    if tab is None:
        return plan
    grid = pipeline_grid(pipeline_of(snapshot, plan, now, config, leads))
    shown = normalised(tab.rows)
    if tab.exists and shown == normalised(grid):
        return plan
    problem = _not_ours(tab, shown)
    if problem is not None:
        return replace(plan, problems=(*plan.problems, problem))
    verb = "rewrite" if tab.exists else "add the tab and write"
    return replace(
        plan,
        rewrites=(RewriteTab(tab.ref, grid, create=not tab.exists),),
        events=(*plan.events, f"{verb} {tab.ref} (pipeline numbers)"),
    )
