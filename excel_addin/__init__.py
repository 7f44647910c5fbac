"""Excel side of leadsync: the entry points behind the workbook's buttons.

Each button runs `RunPython "import excel_addin; excel_addin.sync_now()"` (or another function
here) through xlwings' open-source Excel engine, which hands the code the workbook that called
it (`xw.Book.caller()`). Each function takes that book as an argument too, which is how the
tests drive them through xlwings' remote engine. Whatever happens, the person sees a short
message in Excel, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from excel_addin.workbook import config_for, lay_out
from sync.config import Config
from sync.dates import DateError, read_date
from sync.engine import Report, run
from sync.errors import LeadsyncError
from sync.headers import TabKind
from sync.model import Flag, LeadStatus
from sync.port import Backend
from sync.selection import wants_flag
from sync.snapshot import CellValue, Row
from sync.xlsx_backend import XlsxBackend
from sync.xlwings_backend import SplitBackend, XlwingsBackend

TITLE = "leadsync"


class _Refused(Exception):
    """What the person asked for cannot be done as asked; the message says what to do."""


def _caller() -> Any:
    import xlwings as xw  # only when Excel calls: the tests hand a book in

    return xw.Book.caller()


def _tell(book: Any, message: str, loud: bool = False) -> None:
    """In the status bar where Excel has one; in a message box for problems or otherwise."""
    if not loud:
        try:
            book.app.status_bar = message
            return
        except (NotImplementedError, AttributeError):
            pass  # xlwings' remote engine has no status bar
    book.app.alert(message, title=TITLE)


@contextmanager
def _shown(book: Any) -> Iterator[None]:
    try:
        yield
    except (_Refused, LeadsyncError) as error:
        _tell(book, str(error), loud=True)
    except Exception as error:  # a person gets a sentence, never a traceback
        _tell(book, f"leadsync stopped: {type(error).__name__}: {error}", loud=True)


def summary(report: Report) -> str:
    counts = report.plan.counts
    parts = [
        f"{counts.leads_created + counts.leads_recovered} lead(s) created",
        f"{counts.moved_to_todo} moved to To-do",
        f"{counts.folders_created} client folder(s) opened",
    ]
    if counts.struck_off:
        parts.append(f"{counts.struck_off} struck off")
    text = "Done: " + ", ".join(parts) + "."
    if report.plan.problems:
        text += f" {len(report.plan.problems)} row(s) need you: see their Sync note."
    return text


def _backend(config: Config, book: Any, in_book: XlwingsBackend | None = None) -> Backend:
    """This workbook alone, or this workbook's prospects and the tracker file leadsync.toml
    names (written last, atomically, and refused while someone has it open)."""
    in_book = in_book or XlwingsBackend(config, book)
    if config.tracker_path.name == Path(str(book.fullname)).name:
        return in_book
    return SplitBackend(in_book, XlsxBackend(config, tracker_only=True))


def _pass(book: Any, before: str = "", in_book: XlwingsBackend | None = None) -> None:
    config = config_for(book)
    report = run(config, backend=_backend(config, book, in_book))
    _tell(book, (before + " " if before else "") + summary(report), loud=bool(report.plan.problems))


def _selected_rows(book: Any, tabs: list[str], what: str) -> tuple[str, range]:
    selection = book.app.selection
    name = selection.sheet.name
    if name not in tabs:
        raise _Refused(
            f"Select {what} on the {' or '.join(tabs)} tab first, then press the button."
        )
    first = selection.row
    return name, range(first, first + selection.rows.count)


def sync_now(book: Any | None = None) -> None:
    """One pass over this workbook: + rows become leads, due Standby leads go to To-do."""
    book = book or _caller()
    with _shown(book):
        _pass(book)


def _flag_selection(book: Any, flag: Flag, verb: str) -> None:
    config = config_for(book)
    tabs = [t for p in config.prospecting for t in p.tabs]
    name, rows = _selected_rows(book, tabs, "the prospect rows")

    def decide(row: Row) -> CellValue:
        return flag.value if wants_flag(row, flag) else None

    backend = XlwingsBackend(config, book)
    marked = backend.set_in_rows(name, TabKind.PROSPECTS, rows, "flag", decide)
    _pass(book, f"{marked} row(s) {verb}.", backend)


def convert_selection(book: Any | None = None) -> None:
    """The selected prospect rows become leads, as if + had been typed in each."""
    book = book or _caller()
    with _shown(book):
        _flag_selection(book, Flag.CONVERT, "marked +")


def strike_selection(book: Any | None = None) -> None:
    """The selected prospect rows are struck off, as if x had been typed in each."""
    book = book or _caller()
    with _shown(book):
        _flag_selection(book, Flag.STRIKE, "marked x")


def set_standby(book: Any | None = None) -> None:
    """The selected open leads go to Standby until the date in their Next action date."""
    book = book or _caller()
    with _shown(book):
        config = config_for(book)
        name, rows = _selected_rows(book, [config.tracker.leads_tab], "the leads")
        today = datetime.now(config.zone).date()
        undated: list[int] = []
        word = LeadStatus.STANDBY.word(config.language)

        def decide(row: Row) -> CellValue:
            if not row.text("lead_id"):
                return None
            try:
                due = read_date(row.get("next_action_date"), config.date_order)
            except DateError:
                due = None
            if due is None or due.date() <= today:
                undated.append(row.number)
                return None
            return word

        backend = XlwingsBackend(config, book)
        moved = backend.set_in_rows(name, TabKind.LEADS, rows, "status", decide)
        before = f"{moved} lead(s) set to Standby."
        if undated:
            listed = ", ".join(str(n) for n in undated)
            before += (
                f" Row(s) {listed} need a future Next action date first (type the day the "
                "lead should come back, then press Set Standby again)."
            )
        _pass(book, before, backend)


def setup(book: Any | None = None) -> None:
    """Lay out the Prospects, Leads and Clients tabs in this workbook; existing ones are kept."""
    book = book or _caller()
    with _shown(book):
        done = lay_out(book, config_for(book))
        _tell(book, " ".join(done))


__all__ = [
    "convert_selection",
    "set_standby",
    "setup",
    "strike_selection",
    "summary",
    "sync_now",
]
