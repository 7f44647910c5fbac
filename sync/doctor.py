"""`leadsync doctor`: is everything in place for a pass? Reads, never writes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from sync.config import Config, load_config
from sync.engine import backend_for
from sync.errors import LeadsyncError
from sync.headers import header
from sync.pipeline_plan import foreign_pipeline_tab
from sync.planner import NEEDED_COLUMNS
from sync.snapshot import RawTab, Tab
from sync.workbook_check import check_workbook
from sync.xlsx_files import owner_files

Say = Callable[[str], None]


def _tab_line(tab: Tab) -> str:
    missing = [header(tab.kind, k) for k in NEEDED_COLUMNS[tab.kind] if k not in tab.columns]
    line = f"{tab.label}: header on row {tab.header_row}, {len(tab.rows)} rows"
    if missing:
        line += f"; the next sync adds the column(s) {', '.join(missing)}"
    return line


def check(config_path: Path, console: Console) -> bool:
    ok = True

    def good(text: str) -> None:
        console.print(f"[green]✓[/] {escape(text)}", highlight=False)

    def bad(text: str) -> None:
        nonlocal ok
        ok = False
        console.print(f"[red]✗[/] {escape(text)}", highlight=False)

    try:
        config: Config = load_config(config_path)
    except LeadsyncError as error:
        bad(str(error))
        return False
    good(f"{config_path} is valid (time zone {config.time_zone})")
    if config.tracker.backend == "google":
        _google_credentials(config, good, bad)
    else:
        _files(config, config_path, good, bad)
    if not ok:
        return False
    # Every row, so the counts it prints are the tabs' own, not the rows a pass acts on.
    backend = backend_for(config, every_row=True)
    try:
        with backend.session(write=False):
            snapshot = backend.read()
    except LeadsyncError as error:
        bad(str(error))
        return False
    for tab in (*snapshot.prospects, snapshot.leads, snapshot.clients):
        good(_tab_line(tab))
    flagged = sum(1 for t in snapshot.prospects for r in t.rows if r.text("flag") == "+")
    good(f"{flagged} prospect row(s) flagged + and waiting for the next sync")
    if snapshot.pipeline is not None:
        _pipeline_line(snapshot.pipeline, good, bad)
    return ok


def _pipeline_line(tab: RawTab, good: Say, bad: Say) -> None:
    name = f"Pipeline tab '{tab.ref.tab}'"
    if not tab.exists:
        good(f"{name} is not there yet: the next sync adds it")
    elif (problem := foreign_pipeline_tab(tab)) is not None:
        bad(f"{name}: {problem.message}")
    else:
        good(f"{name} is leadsync's: passes rewrite it when the numbers change")


def _files(config: Config, config_path: Path, good: Say, bad: Say) -> None:
    for path in [config.tracker_path, *config.prospecting_paths]:
        if not path.exists():
            bad(f"{path} does not exist: check its path in {config_path}")
        elif owner_files(path):
            bad(
                f"{path.name} is open in Excel or LibreOffice: a sync would stop until it is closed"
            )
        else:
            good(f"{path.name} exists and is not open elsewhere")


def _google_credentials(config: Config, good: Say, bad: Say) -> None:
    from sync.google_auth import load_credentials, who

    try:
        credentials = load_credentials(config.resolve_optional_credentials(), write=True)
    except LeadsyncError as error:
        bad(str(error))
        return
    good(f"Google credentials found: the spreadsheets must be shared with {who(credentials)}")


def check_workbook_file(
    path: Path, tab: str | None, config: Config | None, console: Console
) -> bool:
    result = check_workbook(path, tab, config)
    kind = result.kind.value if result.kind else "unknown"
    console.print(
        escape(f"{path.name} › {result.tab} ({kind} tab): a pass would write"), highlight=False
    )
    for line in result.written:
        console.print(f"  {escape(line)}", highlight=False)
    if result.refused is not None:
        console.print(f"[red]✗[/] {escape(result.refused)}", highlight=False)
        return False
    for line in result.expected:
        console.print(f"[green]✓[/] {escape(line)}", highlight=False)
    for line in result.unexpected:
        console.print(f"[red]✗[/] {escape(line)}", highlight=False)
    if result.ok:
        console.print(
            f"[green]✓[/] nothing else changed: {result.identical_parts} other parts of the "
            f"file are identical, byte for byte. {escape(path.name)} itself was only read.",
            highlight=False,
        )
    else:
        console.print(
            f"[red]✗[/] a pass would change more than its own cells in {escape(path.name)}; please "
            "report this with the file (or a copy without private data). Nothing was written.",
            highlight=False,
        )
    return result.ok
