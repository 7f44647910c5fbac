"""`leadsync` on the command line: each command is one library call plus printing.

Exit codes: 0 ok, 1 rows with problems (each has a note in its Sync note cell),
2 configuration, file or connection error (nothing was written).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from sync import doctor as doctor_checks
from sync.config import (
    CONFIG_FILE,
    Config,
    load_config,
    spreadsheet_id,
    starter_config,
    starter_google_config,
)
from sync.demo import run_demo
from sync.engine import Report, run
from sync.errors import LeadsyncError
from sync.lease_status import lease_line, lease_report
from sync.output import DelayedProgress, print_report
from sync.templates import copy_templates
from sync.watch import Watcher
from sync.watch_log import LogFormat, format_line, pass_fields, status_json, status_lines
from sync.watch_signals import GracefulStop
from sync.watch_state import TrackerState, read_state
from sync.zones import local_zone_name

console = Console()
errors = Console(stderr=True)

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=CONFIG_FILE,
    envvar="LEADSYNC_CONFIG",
    show_default=True,
    help="The leadsync.toml to use.",
)


def _fail(error: Exception) -> None:
    errors.print(f"[bold red]leadsync:[/] {escape(str(error))}", highlight=False)
    sys.exit(2)


def _guarded(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except LeadsyncError as error:
        _fail(error)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="leadsync")
def main() -> None:
    """Turn + in a prospecting spreadsheet into tracked leads, each on a next step.

    \b
    Start here:  leadsync demo          (a full pass on a demo workbook)
    Your files:  leadsync init && leadsync sync
    """


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option(
    "--time-zone", default=None, help="IANA zone, e.g. Europe/Rome (default: this computer's)."
)
@click.option(
    "--owner", default="Sales team", show_default=True, help="Owner of leads with no Assign to."
)
@click.option(
    "--google",
    "spreadsheet",
    metavar="ID_OR_URL",
    default=None,
    help="Lay out the tabs in this Google spreadsheet instead of creating Excel files.",
)
@click.option(
    "--credentials",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="With --google: the service account's JSON key (default: Application Default).",
)
@click.option(
    "--excel-buttons",
    is_flag=True,
    help="Create prospecting.xlsm instead: Prospects, Leads and Clients in one workbook, with "
    "buttons that run leadsync from Excel (xlwings).",
)
def init(
    folder: Path,
    time_zone: str | None,
    owner: str,
    spreadsheet: str | None,
    credentials: Path | None,
    excel_buttons: bool,
) -> None:
    """Create prospects.xlsx, leads.xlsx and leadsync.toml in FOLDER from the templates.

    With --google, lay out the Prospects, Leads and Clients tabs in an existing spreadsheet
    shared with the service account instead; running it again changes nothing. With
    --excel-buttons, create prospecting.xlsm (every tab, and buttons) and leadsync.toml.

    \b
    Example: leadsync init sales/ --time-zone Europe/Rome --owner "Giulia"
    Example: leadsync init sales/ --excel-buttons --time-zone Europe/Rome
    Example: leadsync init sales/ --google https://docs.google.com/spreadsheets/d/ID/edit \\
               --credentials service-account.json
    """
    config = folder / CONFIG_FILE
    if spreadsheet is not None and excel_buttons:
        _fail(LeadsyncError("--google and --excel-buttons: choose one"))
    if spreadsheet is not None:
        _init_google(folder, spreadsheet, credentials, time_zone, owner)
        return
    if excel_buttons:
        _init_excel_buttons(folder, time_zone, owner)
        return
    if config.exists():
        _fail(LeadsyncError(f"{config} already exists; leadsync init never overwrites it"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        prospects, tracker = copy_templates(folder)
    except FileExistsError as error:
        _fail(error)
    zone = time_zone or local_zone_name()
    config.write_text(starter_config(prospects.name, tracker.name, zone, owner), encoding="utf-8")
    _guarded(lambda: load_config(config))
    console.print(
        f"Created [bold]{escape(str(prospects))}[/], [bold]{escape(str(tracker))}[/] "
        f"and [bold]{escape(str(config))}[/]."
    )
    console.print("Type + in the Flag column of a prospect, save, then run: leadsync sync")


def _init_excel_buttons(folder: Path, zone: str | None, owner: str) -> None:
    # Imported here: building it reads the installed xlwings' VBA module.
    from sync.xlsm_template import BUTTONS_FILE, create_buttons_workbook

    config = folder / CONFIG_FILE
    workbook = folder / BUTTONS_FILE
    if config.exists():
        _fail(LeadsyncError(f"{config} already exists; leadsync init never overwrites it"))
    if workbook.exists():
        _fail(FileExistsError(f"{workbook} already exists; leadsync will not overwrite it."))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        # Settings live in leadsync.toml (beside the workbook, so the buttons find it); the
        # workbook's own xlwings.conf rows stay empty rather than say the same thing twice.
        create_buttons_workbook(workbook)
    except (FileExistsError, FileNotFoundError) as error:
        _fail(error)
    text = starter_config(workbook.name, workbook.name, zone or local_zone_name(), owner)
    config.write_text(text, encoding="utf-8")
    _guarded(lambda: load_config(config))
    console.print(f"Created [bold]{escape(str(workbook))}[/] and [bold]{escape(str(config))}[/].")
    console.print(
        "Open it in Excel and enable macros, type + in the Flag column of a prospect, then "
        "press Sync now (or run: leadsync sync)"
    )


def _init_google(
    folder: Path, spreadsheet: str, credentials: Path | None, zone: str | None, owner: str
) -> None:
    from sync.google_setup import lay_out  # only Google users pay for its imports

    config_path = folder / CONFIG_FILE
    try:
        wanted = spreadsheet_id(spreadsheet)
    except ValueError as error:
        _fail(LeadsyncError(f"--google: {error}"))
    if not config_path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        key = None
        if credentials is not None:  # written relative to the config, as its paths are read
            key = Path(os.path.relpath(credentials.resolve(), folder.resolve())).as_posix()
        text = starter_google_config(wanted, key, zone or local_zone_name(), owner)
        config_path.write_text(text, encoding="utf-8")
        console.print(f"Created [bold]{escape(str(config_path))}[/].")
    config: Config = _guarded(lambda: load_config(config_path))
    if config.tracker.spreadsheet != wanted:
        _fail(
            LeadsyncError(
                f"{config_path} names another tracker spreadsheet "
                f"({config.tracker.spreadsheet}); edit it or choose another folder"
            )
        )
    for line in _guarded(lambda: lay_out(config)):
        console.print(escape(line), highlight=False)
    console.print("Type + in the Flag column of a prospect, then run: leadsync sync")


@main.command(name="sync")
@config_option
@click.option("--dry-run", is_flag=True, help="Print the plan; write nothing.")
def sync_command(config_path: Path, dry_run: bool) -> None:
    """Run one pass: convert + rows, move due Standby leads to To-do, open client folders.

    Example: leadsync sync --dry-run
    """
    config: Config = _guarded(lambda: load_config(config_path))
    report: Report = _guarded(lambda: _run_with_progress(config, dry_run))
    print_report(console, report)
    sys.exit(report.exit_code)


def _run_with_progress(config: Config, dry_run: bool, now: datetime | None = None) -> Report:
    with DelayedProgress(errors) as progress:
        return run(config, now=now, dry_run=dry_run, progress=progress.stage)


@main.command(name="today")
@config_option
@click.option("--owner", default=None, help="Only this owner's leads (case does not matter).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
def today_command(config_path: Path, owner: str | None, as_json: bool) -> None:
    """The To-do list of the day, overdue first, and To-do, Standby, overdue, won and lost
    counts per owner: the numbers of the Pipeline tab. Reads only; writes nothing.

    \b
    Example: leadsync today --owner "Giulia Neri"
    Example: leadsync today --json
    """
    from sync.output_today import print_today
    from sync.today import today

    config: Config = _guarded(lambda: load_config(config_path))
    day = _guarded(lambda: today(config, owner=owner))
    if as_json:
        click.echo(json.dumps(day.as_json(), ensure_ascii=False, indent=2))
    else:
        print_today(console, day)
    sys.exit(day.exit_code)


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), default="leadsync-demo")
def demo(folder: Path) -> None:
    """Make a demo folder with about 50 prospects and a small tracker, and run one pass on it.

    Example: leadsync demo /tmp/leadsync-demo
    """
    _guarded(lambda: run_demo(folder, console, _run_with_progress))


@main.command()
@config_option
@click.option(
    "--workbook",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Check that a sync would change nothing in this workbook but the engine's cells.",
)
@click.option("--tab", default=None, help="With --workbook: the tab to check (default: first).")
def doctor(config_path: Path, workbook: Path | None, tab: str | None) -> None:
    """Check the configuration, the files and their headers, without writing anything.

    With --workbook, write the engine's cells into a copy of that workbook held in memory and
    compare it with the file part by part: "nothing else changed", or exactly what would.

    \b
    Example: leadsync doctor --config sales/leadsync.toml
    Example: leadsync doctor --workbook "Prospects 2026.xlsx" --tab Italy
    """
    if workbook is not None:
        config = _guarded(lambda: load_config(config_path)) if config_path.exists() else None
        ok = _guarded(lambda: doctor_checks.check_workbook_file(workbook, tab, config, console))
    else:
        ok = doctor_checks.check(config_path, console)
    sys.exit(0 if ok else 2)


@main.command(name="import")
@click.argument("list_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE")
@click.option(
    "--into",
    required=True,
    metavar="PROSPECTING_FILE",
    help="A prospecting file of leadsync.toml: its path (Excel) or spreadsheet ID or URL (Google).",
)
@click.option(
    "--source", required=True, metavar="NAME", help="Where the list comes from, for Source."
)
@click.option("--tab", default=None, help="The prospecting tab (default: the file's first).")
@click.option("--sheet", default=None, help="The sheet of an .xlsx list (default: its first).")
@click.option(
    "--keep-duplicates",
    is_flag=True,
    help="Append rows that match a prospect or lead you have too (they are still reported).",
)
@click.option(
    "--dry-run", is_flag=True, help="Print what would be appended and skipped; write nothing."
)
@config_option
def import_command(
    list_file: Path,
    into: str,
    source: str,
    tab: str | None,
    sheet: str | None,
    keep_duplicates: bool,
    dry_run: bool,
    config_path: Path,
) -> None:
    """Append a CSV or .xlsx list to a prospecting file as prospects, with NAME in Source.

    It never creates leads: a whole list turned into leads would bury the real ones among
    contacts nobody has qualified. Type + on a prospect worth following, and leadsync sync
    makes it a lead. Rows that match a prospect or lead you already have (same e-mail, phone
    or company) are skipped and reported; columns leadsync does not know go into Notes.
    Exit code 1 when some rows were refused (no company).

    \b
    Example: leadsync import fiera.csv --into prospects.xlsx --source "Fiera Milano 2026" --dry-run
    Example: leadsync import crm.xlsx --sheet Contatti --into prospects.xlsx --source CRM
    """
    from sync.import_output import print_import  # only an import pays for its modules
    from sync.importer import import_list

    config: Config = _guarded(lambda: load_config(config_path))
    report = _guarded(
        lambda: import_list(
            config,
            list_file,
            into,
            source,
            tab=tab,
            sheet=sheet,
            keep_duplicates=keep_duplicates,
            dry_run=dry_run,
        )
    )
    print_import(console, report)
    sys.exit(report.exit_code)


configs_option = click.option(
    "--config",
    "config_paths",
    type=click.Path(dir_okay=False, path_type=Path),
    multiple=True,
    default=(CONFIG_FILE,),
    envvar="LEADSYNC_CONFIG",
    show_default=True,
    help="A leadsync.toml to watch; repeat it for several trackers (one tracker each).",
)


@main.command()
@configs_option
@click.option(
    "--every",
    type=click.FloatRange(min=1),
    default=None,
    metavar="SECONDS",
    help="Seconds between passes of each tracker (default: [watch] every in its leadsync.toml, "
    "else 60). Each wait varies by up to 10% so that watchers do not run in step.",
)
@click.option(
    "--once",
    is_flag=True,
    help="Run one pass of each tracker and exit with the exit code of leadsync sync "
    "(the worst of them): for cron, systemd timers and container schedulers.",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="One line per pass on standard output: key=value text, or JSON for log collectors.",
)
def watch(
    config_paths: tuple[Path, ...], every: float | None, once: bool, log_format: LogFormat
) -> None:
    """Run passes on a schedule until stopped: each tracker every [watch] every seconds.

    A tracker whose pass fails waits twice as long each time (up to [watch] max_backoff
    seconds) and goes back to its interval after a success; the others keep theirs. Ctrl-C or
    SIGTERM lets the pass in progress finish and exits 0; a second one exits at once (files
    are saved atomically, so they stay valid). Each pass is recorded in .leadsync-state.json
    beside its leadsync.toml, for leadsync status.

    \b
    Example: leadsync watch
    Example: leadsync watch --config north/leadsync.toml --config south/leadsync.toml
    Example: leadsync watch --once --log-format json     (from cron)
    """

    def log(path: Path, state: TrackerState) -> None:
        click.echo(format_line(pass_fields(str(path), state), log_format))

    watcher = Watcher(list(config_paths), every=every, log=log)
    if once:
        sys.exit(watcher.run_once())
    stop = threading.Event()
    GracefulStop(stop).install()
    watcher.run(stop)
    sys.exit(0)


@main.command()
@configs_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON, for scripts.")
def status(config_paths: tuple[Path, ...], as_json: bool) -> None:
    """Show each tracker's last pass (time, counts, duration, last error) and its next run.

    Reads the .leadsync-state.json that leadsync watch keeps beside each leadsync.toml; for a
    Google tracker it also reads whether a pass holds the tracker's lease right now.

    \b
    Example: leadsync status
    Example: leadsync status --config north/leadsync.toml --config south/leadsync.toml --json
    """
    now = datetime.now(UTC)
    found = [(str(path), read_state(path), lease_report(path, now)) for path in config_paths]
    if as_json:
        answers = []
        for name, state, lease in found:
            answer = status_json(name, state)
            if lease is not None:
                answer["lease"] = lease
            answers.append(answer)
        click.echo(json.dumps(answers, indent=2))
        return
    for name, state, lease in found:
        for line in status_lines(name, state, now):
            click.echo(line)
        shown = lease_line(lease)
        if shown is not None:
            click.echo(shown)


@main.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default="serve.toml",
    envvar="LEADSYNC_SERVE_CONFIG",
    show_default=True,
    help="The serve.toml listing the spreadsheets that may call, their secrets and trackers.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8787, show_default=True)
def serve(config_path: Path, host: str, port: int) -> None:
    """Run the webhook the Google Sheets add-in calls: signed sync, convert and strike calls.

    \b
    Example: LEADSYNC_NORTH_SECRET=... leadsync serve --config serve.toml --port 8787
    """
    # Imported here: only a server pays for the web framework.
    import uvicorn

    from sheets_addin.server import create_app
    from sheets_addin.settings import load_serve_settings

    settings = _guarded(lambda: load_serve_settings(config_path))
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
