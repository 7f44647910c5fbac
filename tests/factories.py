"""A sales team's folder on disk, built from real workbooks, and ways to look inside it.

Tests drive the real engine over real .xlsx files: the point is to see what a salesperson would
see when they open the workbooks after a pass, not what a mock was told.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from copy import copy
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
from click.testing import Result

import sync
from sync.config import CONFIG_FILE, Config, load_config
from sync.engine import Report
from sync.headers import FIELDS, TabKind
from sync.templates import (
    CLIENTS_TAB,
    LEADS_TAB,
    PROSPECTING_FILE,
    PROSPECTS_TAB,
    TRACKER_FILE,
    build_prospecting_workbook,
    build_tracker_workbook,
)

ZONE = "Europe/Rome"
ROME = ZoneInfo(ZONE)
# A Tuesday morning in Rome: the moment most tests sync at.
MORNING = datetime(2026, 3, 10, 9, 0, tzinfo=ROME)
OWNER = "Luca Ferrari"

Cli = Callable[..., Result]  # `leadsync ARGS...`, see the cli fixture in conftest.py
Record = dict[str, Any]
Cells = list[tuple[Any, Any]]  # (value, style) per cell of a row
Values = dict[str, list[tuple[Any, ...]]]


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML spelling for {value!r}")


def config_text(
    settings: Mapping[str, object] | None = None,
    rules: Mapping[str, object] | None = None,
    tracker: str = TRACKER_FILE,
    prospecting: str = PROSPECTING_FILE,
) -> str:
    """A leadsync.toml as a person would write it; `settings` override the top-level keys."""
    top: dict[str, object] = {"time_zone": ZONE, "default_owner": OWNER, "date_order": "DMY"}
    top.update(settings or {})
    lines = [f"{key} = {toml_value(value)}" for key, value in top.items()]
    lines += ["", "[tracker]", f"path = {toml_value(tracker)}"]
    lines += ["", "[[prospecting]]", f"path = {toml_value(prospecting)}", 'tabs = ["Prospects"]']
    if rules:
        lines += ["", "[rules]", *(f"{k} = {toml_value(v)}" for k, v in rules.items())]
    return "\n".join(lines) + "\n"


def workbook_values(path: Path) -> Values:
    """Every cell value of every tab: what "nothing changed" means to a person."""
    workbook = openpyxl.load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook.worksheets}


def read_records(path: Path, tab: str, kind: TabKind) -> list[Record]:
    """The data rows of a tab keyed by field key, each with its sheet row number under '_row'."""
    ws = openpyxl.load_workbook(path)[tab]
    by_header = {f.header: f.key for f in FIELDS[kind]}
    header = [by_header.get(str(c.value)) if c.value is not None else None for c in ws[1]]
    records = []
    for number, cells in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        if all(c is None for c in cells):
            continue
        record: Record = {"_row": number}
        for key, value in zip(header, cells, strict=False):
            if key is not None:
                record[key] = value
        records.append(record)
    return records


def day_of(value: object) -> date | None:
    """A cell's date whether openpyxl hands back a date or a midnight datetime."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    assert value is None, f"{value!r} is not a date"
    return None


@dataclass
class Team:
    """One team's folder: the prospecting file, the tracker and the leadsync.toml beside them."""

    folder: Path
    prospects: Path
    tracker: Path
    config_path: Path
    reports: list[Report] = field(default_factory=list)

    @property
    def config(self) -> Config:
        return load_config(self.config_path)

    def sync(self, now: datetime = MORNING) -> Report:
        report = sync.run(self.config, now=now)
        self.reports.append(report)
        return report

    def prospect_rows(self) -> list[Record]:
        return read_records(self.prospects, PROSPECTS_TAB, TabKind.PROSPECTS)

    def leads(self) -> list[Record]:
        return read_records(self.tracker, LEADS_TAB, TabKind.LEADS)

    def clients(self) -> list[Record]:
        return read_records(self.tracker, CLIENTS_TAB, TabKind.CLIENTS)

    def lead(self, lead_id: str) -> Record:
        matches = [lead for lead in self.leads() if lead["lead_id"] == lead_id]
        assert len(matches) == 1, f"{lead_id} is on {len(matches)} rows of Leads"
        return matches[0]

    def row_of(self, company: str) -> Record:
        matches = [row for row in self.prospect_rows() if row["company"] == company]
        assert len(matches) == 1, f"{company!r} is on {len(matches)} prospect rows"
        return matches[0]

    def values(self) -> tuple[Values, Values]:
        return workbook_values(self.prospects), workbook_values(self.tracker)

    def file_bytes(self) -> tuple[bytes, bytes]:
        return self.prospects.read_bytes(), self.tracker.read_bytes()

    @contextmanager
    def editing(self, path: Path) -> Iterator[Any]:
        """Open a workbook as a person would in Excel, change it, and save it on the way out."""
        workbook = openpyxl.load_workbook(path)
        yield workbook
        workbook.save(path)

    def edit_prospect(self, row: int, **values: object) -> None:
        """Type into a prospect row, by the field keys of sync.headers."""
        with self.editing(self.prospects) as workbook:
            ws = workbook[PROSPECTS_TAB]
            columns = header_columns(ws)
            for key, value in values.items():
                cell = ws.cell(row, columns[key])
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"


def take_rows(ws: Any) -> list[Cells]:
    return [[(c.value, copy(c._style)) for c in row] for row in ws.iter_rows(min_row=2)]


def put_rows(ws: Any, rows: list[Cells], first: int = 2) -> None:
    for offset, cells in enumerate(rows):
        for column, (value, style) in enumerate(cells, start=1):
            cell = ws.cell(first + offset, column)
            cell.value = value
            cell._style = style
            if isinstance(value, str):
                cell.data_type = "s"


def reverse_rows(ws: Any) -> None:
    """Sort Z→A as Excel does: whole rows move, values and formatting together."""
    put_rows(ws, take_rows(ws)[::-1])


def header_columns(ws: Any, kind: TabKind = TabKind.PROSPECTS) -> dict[str, int]:
    by_header = {f.header: f.key for f in FIELDS[kind]}
    return {by_header[str(c.value)]: c.column for c in ws[1] if str(c.value) in by_header}


def prospect(company: str | None, flag: str | None = "+", **more: object) -> Record:
    return {"flag": flag, "company": company, **more}


def make_team(
    folder: Path,
    prospects: Sequence[Mapping[str, object]] = (),
    leads: Sequence[Mapping[str, object]] = (),
    settings: Mapping[str, object] | None = None,
    rules: Mapping[str, object] | None = None,
    tracker_hook: Callable[[Path], None] | None = None,
) -> Team:
    """Lay out a team folder; `tracker_hook` may rework the tracker file before anyone syncs."""
    folder.mkdir(parents=True, exist_ok=True)
    team = Team(
        folder=folder,
        prospects=folder / PROSPECTING_FILE,
        tracker=folder / TRACKER_FILE,
        config_path=folder / CONFIG_FILE,
    )
    build_prospecting_workbook(team.prospects, prospects)
    build_tracker_workbook(team.tracker, leads)
    if tracker_hook is not None:
        tracker_hook(team.tracker)
    team.config_path.write_text(config_text(settings, rules), encoding="utf-8")
    return team


def lead_row(lead_id: str, company: str, status: str | None, **more: object) -> Record:
    """A lead already in the tracker, as the engine would have left it."""
    return {
        "lead_id": lead_id,
        "created": date(2026, 1, 5),
        "company": company,
        "owner": OWNER,
        "status": status,
        "source": PROSPECTING_FILE,
        **more,
    }
