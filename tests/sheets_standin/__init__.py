"""A local stand-in for the Google Sheets API v4 (plus the Drive v3 calls gspread makes and the
OAuth token endpoint), served over real HTTP on 127.0.0.1.

    with StandIn() as google:
        sheet_id = google.create_spreadsheet("Leads", {"Leads": [["ID", "Company"]]})
        ...point gspread at google.url with RedirectSession (see session.py)...

URL layout under `StandIn.url`: /v4/spreadsheets/... as on sheets.googleapis.com,
/drive/v3/files... as on www.googleapis.com, and POST /token as oauth2.googleapis.com/token.
The methods below are the test's hands: they change the data as a person in the browser
would, and they are neither logged nor counted against quota.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any

from . import a1, requests_cells, typed
from .model import Cell, Json, Sheet, Spreadsheet
from .numfmt import serial
from .server import FAULTS, Logged, Recorder, make_server
from .service import Service
from .values_api import read_block

__all__ = ["Logged", "StandIn"]


class StandIn:
    url: str

    def __init__(
        self,
        *,
        require_auth: bool = True,
        quota_per_minute: int = 60,
        clock: Callable[[], float] = time.monotonic,
        keep_bodies: bool = False,
    ) -> None:
        """`keep_bodies`: each log entry keeps the bytes of its answer (a benchmark decodes
        exactly what a pass received); off, the log holds sizes only."""
        self._service = Service(require_auth, quota_per_minute, clock)
        self._recorder = Recorder()
        self._recorder.keep_bodies = keep_bodies
        self._server = make_server(self._service, self._recorder)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> StandIn:
        # A short poll keeps stop() quick: serve_forever looks for a shutdown this often.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- accounts ---------------------------------------------------------------------------

    def add_service_account(self, email: str, public_key_pem: bytes) -> None:
        with self._service.lock:
            self._service.auth.add_service_account(email, public_key_pem)

    def add_user(self, email: str, refresh_token: str) -> None:
        with self._service.lock:
            self._service.auth.add_user(email, refresh_token)

    # -- spreadsheets, as their owner sets them up ----------------------------------------------

    def create_spreadsheet(
        self,
        title: str,
        tabs: Mapping[str, Sequence[Sequence[object]]],
        *,
        time_zone: str = "Etc/GMT",
        locale: str = "en_US",
        shared_with: Iterable[str] | None = None,
        rows: int = 1000,
        cols: int = 26,
    ) -> str:
        """A spreadsheet whose tabs hold these rows, typed in as a person would type them."""
        with self._service.lock:
            shared = None if shared_with is None else set(shared_with)
            book = self._service.new_book(title, locale, time_zone, shared)
            for name, lines in (tabs or {"Sheet1": []}).items():
                width = max((len(line) for line in lines), default=0)
                sheet = self._service.add_tab(book, name, max(rows, len(lines)), max(cols, width))
                for r, line in enumerate(lines):
                    for c, value in enumerate(line):
                        self._type(book, sheet, r, c, value)
            return book.spreadsheet_id

    def add_tab(self, spreadsheet_id: str, title: str, rows: Sequence[Sequence[object]]) -> None:
        """A tab added by hand (+ at the bottom of the sheet) and typed into."""
        with self._service.lock:
            book = self._book(spreadsheet_id)
            width = max((len(line) for line in rows), default=0)
            sheet = self._service.add_tab(book, title, max(1000, len(rows)), max(26, width))
            for r, line in enumerate(rows):
                for c, value in enumerate(line):
                    self._type(book, sheet, r, c, value)

    def share(self, spreadsheet_id: str, email: str) -> None:
        with self._service.lock:
            book = self._book(spreadsheet_id)
            if book.shared_with is not None:
                book.shared_with.add(email)

    # -- a person at the keyboard -------------------------------------------------------------

    def set_cell(self, spreadsheet_id: str, tab: str, a1_cell: str, value: object) -> None:
        with self._service.lock:
            book, sheet = self._tab(spreadsheet_id, tab)
            bounds = a1.parse_cells(a1_cell)
            self._type(book, sheet, bounds.start_row, bounds.start_col, value)

    def insert_rows(
        self, spreadsheet_id: str, tab: str, before_row: int, rows: Sequence[Sequence[object]]
    ) -> None:
        """Insert rows above 1-based `before_row`; rows below and their metadata move down."""
        with self._service.lock:
            book, sheet = self._tab(spreadsheet_id, tab)
            start = before_row - 1
            sheet.insert("ROWS", start, len(rows))
            book.dimension_changed(sheet, "ROWS", start, len(rows))
            for i, line in enumerate(rows):
                for c, value in enumerate(line):
                    self._type(book, sheet, start + i, c, value)

    def sort_rows(
        self,
        spreadsheet_id: str,
        tab: str,
        column: int,
        *,
        header_rows: int = 1,
        descending: bool = False,
    ) -> None:
        """Sort the rows below the header by a 0-based column, as Data > Sort range does."""
        with self._service.lock:
            book, sheet = self._tab(spreadsheet_id, tab)
            order = "DESCENDING" if descending else "ASCENDING"
            requests_cells.sort_range(
                book,
                {
                    "range": {"sheetId": sheet.sheet_id, "startRowIndex": header_rows},
                    "sortSpecs": [{"dimensionIndex": column, "sortOrder": order}],
                },
            )

    # -- looking at the result ------------------------------------------------------------------

    def values(self, spreadsheet_id: str, tab: str) -> list[list[object]]:
        """Effective values, unformatted, dates as serial numbers, trailing blanks trimmed."""
        with self._service.lock:
            book, sheet = self._tab(spreadsheet_id, tab)
            whole = a1.Bounds(0, sheet.row_count, 0, sheet.col_count)
            return read_block(book, sheet, whole, "ROWS", "UNFORMATTED_VALUE", "SERIAL_NUMBER")

    def cell_format(self, spreadsheet_id: str, tab: str, a1_cell: str) -> dict[str, Any]:
        cell = self._cell(spreadsheet_id, tab, a1_cell)
        return copy.deepcopy(cell.format) if cell is not None and cell.format else {}

    def validation(self, spreadsheet_id: str, tab: str, a1_cell: str) -> dict[str, Any] | None:
        cell = self._cell(spreadsheet_id, tab, a1_cell)
        return copy.deepcopy(cell.validation) if cell is not None and cell.validation else None

    def sheet_properties(self, spreadsheet_id: str, tab: str) -> dict[str, Any]:
        with self._service.lock:
            return copy.deepcopy(self._tab(spreadsheet_id, tab)[1].public_properties())

    def charts(self, spreadsheet_id: str, tab: str) -> list[dict[str, Any]]:
        """The EmbeddedChart resources placed on a tab."""
        with self._service.lock:
            return copy.deepcopy(self._tab(spreadsheet_id, tab)[1].charts)

    def developer_metadata(self, spreadsheet_id: str) -> list[dict[str, Any]]:
        with self._service.lock:
            return copy.deepcopy(self._book(spreadsheet_id).metadata)

    # -- the call log and faults ----------------------------------------------------------------

    @property
    def log(self) -> list[Logged]:
        """Every Sheets and Drive request, oldest first (token requests are in `token_log`)."""
        return self._recorder.log

    @property
    def token_log(self) -> list[Logged]:
        return self._recorder.token_log

    def clear_log(self) -> None:
        with self._recorder.lock:
            self._recorder.log.clear()
            self._recorder.token_log.clear()

    def fail(self, nth: int, kind: str) -> None:
        """Make the nth API request from now (1 = the next one) fail as `kind`.

        "500" and "429" answer that error without applying the request; "drop" closes the
        connection before the request has any effect; "drop_after" applies it, then closes
        the connection without answering.
        """
        if kind not in FAULTS or nth < 1:
            raise ValueError(f"fail(nth >= 1, kind in {FAULTS}), not ({nth}, {kind!r})")
        with self._recorder.lock:
            self._recorder.faults[self._recorder.count + nth - 1] = kind

    def before_request(self, callback: Callable[[int], None] | None) -> None:
        """Call `callback(index)` before each API request is handled; index counts from 0."""
        self._recorder.before = callback

    # -- helpers --------------------------------------------------------------------------------

    def _book(self, spreadsheet_id: str) -> Spreadsheet:
        book = self._service.books.get(spreadsheet_id)
        if book is None:
            raise KeyError(f"no spreadsheet {spreadsheet_id}")
        return book

    def _tab(self, spreadsheet_id: str, tab: str) -> tuple[Spreadsheet, Sheet]:
        book = self._book(spreadsheet_id)
        sheet = book.by_title(tab)
        if sheet is None:
            raise KeyError(f"no tab {tab!r} in {spreadsheet_id}")
        return book, sheet

    def _cell(self, spreadsheet_id: str, tab: str, a1_cell: str) -> Cell | None:
        with self._service.lock:
            sheet = self._tab(spreadsheet_id, tab)[1]
            bounds = a1.parse_cells(a1_cell)
            return sheet.cell(bounds.start_row, bounds.start_col)

    @staticmethod
    def _type(book: Spreadsheet, sheet: Sheet, row: int, col: int, value: object) -> None:
        """A person typing: text is read as Sheets reads it; a date becomes a dated serial."""
        locale = str(book.properties.get("locale", "en_US"))
        number_format: Json | None = None
        if isinstance(value, dt.date):
            kind = "DATE_TIME" if isinstance(value, dt.datetime) else "DATE"
            pattern = typed.locale_of(locale).date_pattern
            number = serial(value)
            stored: Json | None = {"numberValue": int(number) if number.is_integer() else number}
            number_format = {
                "type": kind,
                "pattern": pattern + (" H:mm:ss" if kind == "DATE_TIME" else ""),
            }
        elif value is None:
            stored = None
        else:
            stored, number_format = typed.user_entered(value, locale)
        cell = sheet.cell(row, col) or Cell()
        cell.value = stored
        if number_format:
            cell.format = {**(cell.format or {}), "numberFormat": number_format}
        while sheet.row_count <= row:
            sheet.grid["rowCount"] = row + 1
        sheet.set(row, col, cell)
