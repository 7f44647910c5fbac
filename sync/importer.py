"""`leadsync import`: a list appended to a prospecting tab, duplicates skipped (Rule 6).

The shell around `plan_import`: read the list, read what the team has through the same backend
a sync pass uses (so duplicates are looked for in every prospecting tab and in Leads), plan, and
write the appends with the backend's own apply: on Excel one atomic patch of the prospecting
file that leaves the rest of the workbook byte for byte, on Google one batchUpdate whose text
cells are literal values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sync.config import Config, spreadsheet_id
from sync.engine import backend_for
from sync.errors import BackendError, LeadsyncError, RetryPass
from sync.headers import TabKind, alias_table
from sync.import_plan import ImportPlan, plan_import
from sync.list_file import read_list
from sync.port import Backend
from sync.snapshot import TabRef
from sync.xlsx_backend import XlsxBackend
from sync.xlsx_files import refuse_if_open


@dataclass(frozen=True)
class ImportReport:
    read_as: str  # how the list was read: encoding and delimiter, or its sheet
    source: str
    plan: ImportPlan
    dry_run: bool

    @property
    def exit_code(self) -> int:
        """0 when every row went in or was a duplicate, 1 when some rows were refused."""
        return 1 if self.plan.refused else 0


def find_target(config: Config, into: str, tab: str | None = None) -> TabRef:
    """The prospecting tab `--into` and `--tab` name, as the backend's snapshot names it."""
    wanted = Path(into).expanduser()
    google = config.tracker.backend == "google"
    tabs: list[str] = []
    workbook = ""
    for entry, where in zip(config.prospecting, _workbooks(config), strict=True):
        if google:
            try:
                hit = spreadsheet_id(into) == entry.spreadsheet
            except ValueError:
                hit = False
        else:
            hit = wanted == entry.path or wanted.resolve() == Path(where).resolve()
        if hit:
            workbook = where
            tabs += [t for t in entry.tabs if t not in tabs]
    if not tabs:
        listed = "; ".join(f"{e.where} (tabs: {', '.join(e.tabs)})" for e in config.prospecting)
        raise LeadsyncError(
            f"--into {into} is not a prospecting file of leadsync.toml, which lists: {listed}. "
            "Name one of those, or add the file under [[prospecting]] first"
        )
    chosen = tab if tab is not None else tabs[0]
    if chosen not in tabs:
        raise LeadsyncError(
            f"--tab {chosen}: {into} has no prospecting tab of that name in leadsync.toml "
            f"(it lists: {', '.join(tabs)})"
        )
    return TabRef(workbook, chosen)


def _workbooks(config: Config) -> list[str]:
    """Each prospecting entry's workbook, spelled as the backend spells it in a TabRef."""
    if config.tracker.backend == "google":
        return [entry.spreadsheet or "" for entry in config.prospecting]
    return [str(path) for path in config.prospecting_paths]


def import_list(
    config: Config,
    list_path: Path,
    into: str,
    source: str,
    *,
    tab: str | None = None,
    sheet: str | None = None,
    keep_duplicates: bool = False,
    dry_run: bool = False,
    backend: Backend | None = None,
) -> ImportReport:
    """Append the rows of `list_path` to a prospecting tab, each with `source` in Source.

    Raises a LeadsyncError (exit code 2) when the list, the configuration or a file stops
    the import; nothing is written then.
    """
    source = source.strip()
    if not source:
        raise LeadsyncError("--source is empty: name where the list comes from")
    target = find_target(config, into, tab)
    aliases = alias_table(TabKind.PROSPECTS, config.headers.prospects)
    table = read_list(list_path, aliases, sheet)
    # Duplicates are looked for among every prospect, not only the flagged ones a pass reads.
    backend = backend or backend_for(config, every_row=True)
    if not getattr(backend, "every_row", True):
        raise ValueError("an import needs a backend that reads every prospect row (every_row)")
    # Only the prospecting file is written: the tracker may stay open in Excel meanwhile.
    excel = isinstance(backend, XlsxBackend)
    if excel and not dry_run:
        refuse_if_open(Path(target.workbook))
    with backend.session(write=not (dry_run or excel)):
        snapshot = backend.read()
        tab_read = next(t for t in snapshot.prospects if t.ref == target)
        planned = plan_import(
            table.rows,
            table.name,
            snapshot,
            tab_read,
            source,
            aliases,
            keep_duplicates=keep_duplicates,
            phone_region=config.phone_region,
        )
        if not dry_run and not planned.plan.is_empty:
            try:
                backend.apply(planned.plan)
            except RetryPass as uncertain:
                # Sent again blindly, the rows could land twice; imported again, the rows
                # that did land are found as duplicates and skipped.
                raise BackendError(
                    f"{uncertain}; the rows may or may not be in {tab_read.label}: run the "
                    "same leadsync import again (without --keep-duplicates), rows already "
                    "there are skipped as duplicates"
                ) from None
    return ImportReport(table.read_as, source, planned, dry_run)
