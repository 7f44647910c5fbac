"""`leadsync demo`: a realistic folder, one real pass over it, and what happened, told plainly."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import openpyxl
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sync.config import CONFIG_FILE, Config, load_config, starter_config
from sync.demo_data import TEAM, demo_leads, demo_prospects
from sync.engine import Report
from sync.errors import LeadsyncError
from sync.output import print_report
from sync.templates import (
    LEADS_TAB,
    PROSPECTING_FILE,
    TRACKER_FILE,
    build_prospecting_workbook,
    build_tracker_workbook,
)
from sync.zones import local_zone_name

MARKER = ".leadsync-demo"
Runner = Callable[[Config, bool, datetime | None], Report]


def make_demo_folder(folder: Path) -> Path:
    """Lay out the demo files afresh; returns the config path. Never clobbers a non-demo folder."""
    if folder.exists() and any(folder.iterdir()) and not (folder / MARKER).exists():
        raise LeadsyncError(
            f"{folder} exists and is not a leadsync demo folder; name another folder, "
            "e.g. leadsync demo demo-2"
        )
    if (folder / MARKER).exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("made by leadsync demo; safe to delete\n", encoding="utf-8")
    today = datetime.now().date()
    build_prospecting_workbook(folder / PROSPECTING_FILE, demo_prospects(today))
    build_tracker_workbook(folder / TRACKER_FILE, demo_leads(today))
    config = folder / CONFIG_FILE
    config.write_text(
        starter_config(PROSPECTING_FILE, TRACKER_FILE, local_zone_name(), TEAM[0]),
        encoding="utf-8",
    )
    return config


def leads_table(tracker: Path) -> Table:
    workbook = openpyxl.load_workbook(tracker, read_only=True)
    try:
        rows = list(workbook[LEADS_TAB].iter_rows(values_only=True))
    finally:
        workbook.close()
    header = [str(h) for h in rows[0]]
    shown = ["Lead ID", "Company", "Owner", "Status", "Next action date", "Folder", "Sync note"]
    columns = [header.index(name) for name in shown if name in header]
    table = Table(title=f"{tracker.name} › {LEADS_TAB} after the pass")
    for index in columns:
        table.add_column(header[index])
    for row in rows[1:]:
        cells = ["" if row[i] is None else str(row[i]).removesuffix(" 00:00:00") for i in columns]
        table.add_row(*cells)
    return table


def run_demo(folder: Path, console: Console, runner: Runner) -> Report:
    config_path = make_demo_folder(folder)
    config = load_config(config_path)
    console.print(
        f"Demo folder: [bold]{folder}[/] with {PROSPECTING_FILE} (50 prospects, 5 flagged +, "
        f"1 struck off x) and {TRACKER_FILE} (3 leads, one Standby and already due)."
    )
    console.print("Running one pass, as [bold]leadsync sync[/] would ...\n")
    report = runner(config, False, None)
    console.print("[bold]What happened[/]")
    for event in report.plan.events:
        console.print(f"  • {escape(event)}", highlight=False)
    print_report(console, report)
    console.print(leads_table(config.tracker_path))
    console.print(
        "\nThe row without a company kept its + and got a note: fill in the company and run "
        f"[bold]leadsync sync --config {config_path}[/] to convert it. "
        "Open the two workbooks to see the Lead IDs, ✓ marks, the Clients tab and the "
        f"Pipeline tab; [bold]leadsync today --config {escape(str(config_path))}[/] lists the "
        "day's To-do."
    )
    return report
