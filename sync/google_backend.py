"""The Google Sheets backend: a pass reads each spreadsheet in two requests and writes in one.

Reading: the metadata (sheet IDs, grid size, locale, time zone, the tracker's issued lead
number as developer metadata) and one values.batchGet of every tab the engine needs, as
unformatted values with dates as serial numbers. Writing: one atomic spreadsheets.batchUpdate
per spreadsheet that has changes, prospecting spreadsheets before the tracker (see
Backend.apply). How the write makes sure it hit the rows it meant is in google_write.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from google.auth.credentials import Credentials

from sync.config import Config
from sync.errors import BackendError, SheetLayoutError
from sync.google_auth import load_credentials, who
from sync.google_cells import date_order, from_api, quote_tab
from sync.google_client import SheetsClient
from sync.google_grid import ColumnGrid, RowsByNumber
from sync.google_lease import GoogleLease
from sync.google_write import (
    RawSheet,
    SheetState,
    TabState,
    Writer,
    claims_in,
    reservations_in,
)
from sync.headers import TabKind, alias_table
from sync.layout import (
    HEADER_SEARCH_ROWS,
    find_headers,
    found_tab,
    require_headers,
)
from sync.plan import Plan
from sync.planner import PROSPECT_TRIGGERS
from sync.retry import Backoff
from sync.snapshot import CellValue, RawTab, Snapshot, Tab, TabRef, rows_of

METADATA_FIELDS = "properties(title,locale,timeZone),sheets.properties,developerMetadata"


# A runner's credentials (watch, serve), by key file and scope: a pass reuses the access token
# of the one before while it is valid, instead of signing in again every pass. A changed key
# file is a new entry. One-off passes sign in afresh, as a person would expect of a new run.
_RUNNER_CREDENTIALS: dict[tuple[str, int, bool], Credentials] = {}


def _runner_credentials(path: Path | None, write: bool) -> Credentials:
    try:
        stamp = path.stat().st_mtime_ns if path is not None else 0
    except OSError:
        return load_credentials(path, write)  # says what is wrong with the path
    key = (str(path), stamp, write)
    if key not in _RUNNER_CREDENTIALS:
        _RUNNER_CREDENTIALS[key] = load_credentials(path, write)
    return _RUNNER_CREDENTIALS[key]


# An empty cell ('') reads as None and any other value as itself: from_api for every value an
# answer holds, looked up in C rather than called per cell.
_EMPTY_AS_NONE: dict[Any, Any] = {"": None}


def _cell_values(row: list[Any]) -> tuple[CellValue, ...]:
    try:
        return tuple(map(_EMPTY_AS_NONE.get, row, row))
    except TypeError:  # a list or an object: no answer holds one, but from_api copes
        return tuple(map(from_api, row))


class GoogleBackend:
    def __init__(
        self,
        config: Config,
        client: SheetsClient | None = None,
        backoff: Backoff | None = None,
        lease: bool = False,
        every_row: bool = False,
    ) -> None:
        """`lease`: a writing session first takes the tracker's lease (sync/google_lease.py),
        so passes of scheduled runners do not overlap. It costs a request a pass, which
        is why a one-off pass, whose overlaps exactly-once covers anyway, goes without.
        `every_row`: the snapshot holds every prospect row, not only the rows a pass acts on
        (an import's duplicate check, doctor's counts)."""
        self.lease = lease
        self.every_row = every_row
        self.config = config
        tracker = config.tracker.spreadsheet
        assert tracker is not None, "the config validator guarantees a spreadsheet"
        self.tracker = tracker
        self._given = client
        self._client: SheetsClient | None = client
        self.backoff = backoff or Backoff()
        self._sheets: dict[str, SheetState] = {}
        self._pipeline: RawTab | None = None

    def spreadsheets(self) -> list[str]:
        ordered = [self.tracker, *(p.spreadsheet or "" for p in self.config.prospecting)]
        return [s for i, s in enumerate(ordered) if s and s not in ordered[:i]]

    @property
    def client(self) -> SheetsClient:
        if self._client is None:
            raise RuntimeError("use the backend inside session()")
        return self._client

    @contextmanager
    def session(self, write: bool) -> Iterator[None]:
        if self._given is None:
            path = self.config.resolve_optional_credentials()
            if self.lease:
                credentials = _runner_credentials(path, write)
            else:
                credentials = load_credentials(path, write)
            self._client = SheetsClient(credentials, who(credentials), self.backoff)
        # Kept between passes and renewed (one request): the runner gives it back when it stops.
        take = write and self.lease
        lease = GoogleLease(self.client, self.tracker, keep=True) if take else None
        try:
            if lease is not None:
                lease.acquire()
            yield
        finally:
            if lease is not None:
                lease.release()
            self._sheets.clear()
            self._client = self._given

    # ---- read -----------------------------------------------------------------------------

    def _forget(self) -> None:
        # A method, not two lines in read(): there, mypy (and so mypyc) would take the
        # Pipeline tab for None to the end of read(), past the call that reads it.
        self._sheets.clear()
        self._pipeline = None

    def read(self) -> Snapshot:
        self._forget()
        config = self.config
        wanted: dict[str, list[tuple[str, TabKind, str]]] = {}
        wanted.setdefault(self.tracker, []).extend(
            [
                (config.tracker.leads_tab, TabKind.LEADS, "tracker.leads_tab"),
                (config.tracker.clients_tab, TabKind.CLIENTS, "tracker.clients_tab"),
            ]
        )
        for index, source in enumerate(config.prospecting, start=1):
            for tab in source.tabs:
                assert source.spreadsheet is not None
                wanted.setdefault(source.spreadsheet, []).append(
                    (tab, TabKind.PROSPECTS, f"prospecting[{index}].tabs")
                )
        tabs: dict[tuple[str, str], Tab] = {}
        for spreadsheet in self.spreadsheets():
            tabs.update(self._read_spreadsheet(spreadsheet, wanted[spreadsheet]))
        prospects = tuple(
            tabs[source.spreadsheet or "", name]
            for source in config.prospecting
            for name in source.tabs
        )
        tracker = self._sheets[self.tracker]
        return Snapshot(
            prospects=prospects,
            leads=tabs[self.tracker, config.tracker.leads_tab],
            clients=tabs[self.tracker, config.tracker.clients_tab],
            # The tracker claims every number it ever held (see google_write).
            issued_lead_number=max(tracker.claims, default=None),
            reserved_lead_number=max(tracker.reserved, default=None),
            time_zone=tracker.time_zone,
            pipeline=self._pipeline,
        )

    def _read_spreadsheet(
        self, spreadsheet: str, wanted: list[tuple[str, TabKind, str]]
    ) -> dict[tuple[str, str], Tab]:
        meta = self.client.metadata(spreadsheet, METADATA_FIELDS)
        properties = meta.get("properties", {})
        title = str(properties.get("title") or spreadsheet)
        sheets = {s["properties"]["title"]: s["properties"] for s in meta.get("sheets", [])}
        for name, _kind, key in wanted:
            if name not in sheets:
                raise SheetLayoutError(
                    f"{title} has no tab named '{name}' (it has: {', '.join(sheets)}); fix "
                    f"{key} in leadsync.toml or rename the tab"
                )
        state = SheetState(
            spreadsheet=spreadsheet,
            title=title,
            time_zone=properties.get("timeZone"),
            claims=claims_in(meta.get("developerMetadata", [])),
            reserved=reservations_in(meta.get("developerMetadata", [])),
        )
        state.sheet_ids = {int(p.get("sheetId", 0)) for p in sheets.values()}
        self._sheets[spreadsheet] = state
        names = list(dict.fromkeys(name for name, _kind, _key in wanted))
        # The Pipeline tab comes in the same batchGet: no request more for it.
        pipeline = self.config.tracker.pipeline_tab if spreadsheet == self.tracker else None
        raw = [pipeline] if pipeline is not None and pipeline in sheets else []
        raw = [name for name in raw if name not in names]
        # By column: see google_grid for why.
        answers = self.client.values(
            spreadsheet, [quote_tab(n) for n in names + raw], major="COLUMNS"
        )
        grids = {
            name: ColumnGrid(answer.get("values", []))
            for name, answer in zip(names + raw, answers, strict=True)
        }
        if pipeline is not None:
            self._pipeline = self._raw_tab(state, pipeline, sheets.get(pipeline), grids)
        order = date_order(properties.get("locale"))
        found: dict[tuple[str, str], Tab] = {}
        for name, kind, _key in wanted:
            tab = self._tab(state, sheets[name], grids[name], kind, order)
            found[spreadsheet, name] = tab
        return found

    @staticmethod
    def _raw_tab(
        state: SheetState,
        name: str,
        properties: dict[str, Any] | None,
        grids: dict[str, ColumnGrid],
    ) -> RawTab:
        ref = TabRef(state.spreadsheet, name)
        if properties is None:
            return RawTab(ref, (), exists=False)
        grid = grids[name].rows() if name in grids else []
        sizes = properties.get("gridProperties", {})
        state.raw[name] = RawSheet(
            sheet_id=int(properties.get("sheetId", 0)),
            height=len(grid),
            width=max((len(row) for row in grid), default=0),
            grid_rows=int(sizes.get("rowCount", 1000)),
            grid_columns=int(sizes.get("columnCount", 26)),
        )
        return RawTab(ref, tuple(map(_cell_values, grid)))

    def _tab(
        self,
        state: SheetState,
        properties: dict[str, Any],
        grid: ColumnGrid,
        kind: TabKind,
        order: Any,
    ) -> Tab:
        name = properties["title"]
        label = f"{state.title} › {name}"
        aliases = alias_table(kind, self.config.headers.for_kind(kind))
        header_index, columns = find_headers(grid.head(HEADER_SEARCH_ROWS), aliases)
        require_headers(label, kind, columns)
        # Of a prospecting tab, the snapshot holds only the rows the planner acts on (as the
        # Excel backend reads them); every row stays readable for the write's checks.
        if kind is TabKind.PROSPECTS and not self.every_row:
            triggers = [columns[k] for k in PROSPECT_TRIGGERS if k in columns]
            wanted = grid.filled_rows(triggers, header_index)
            lines = grid.cut(wanted)
        else:
            wanted, lines = grid.data_rows(header_index)
        # Raw cells as they came, for google_write to compare rows with after a write; only the
        # engine's columns are converted, by the planner, once.
        numbers = [i + 1 for i in wanted]
        rows = rows_of(numbers, lines, columns)
        grid_props = properties.get("gridProperties", {})
        ref = TabRef(state.spreadsheet, name)
        state.tabs[ref] = TabState(
            sheet_id=int(properties.get("sheetId", 0)),
            header_row=header_index + 1,
            columns={k: i + 1 for k, i in columns.items()},
            width=grid.width,
            grid_columns=int(grid_props.get("columnCount", 26)),
            rows=RowsByNumber(grid, header_index, numbers, lines),
        )
        return found_tab(
            ref,
            kind,
            label,
            grid.width,
            header_index,
            columns,
            rows,
            source_name=state.title,
            date_order=order,
        )

    # ---- write ----------------------------------------------------------------------------

    def apply(self, plan: Plan) -> None:
        touched = {ref.workbook for ref in plan.tabs_touched()}
        if plan.issued_lead_number is not None:
            touched.add(self.tracker)
        # Prospecting spreadsheets first, the tracker last: see Backend.apply.
        order = [s for s in self.spreadsheets() if s != self.tracker] + [self.tracker]
        if any(s in touched for s in order[:-1]):
            Writer(self.client, self._sheets[self.tracker]).reserve(
                plan, self.config.rules.lead_id_prefix
            )
        for spreadsheet in order:
            if spreadsheet in touched:
                state = self._sheets.get(spreadsheet)
                if state is None:
                    raise BackendError(f"{spreadsheet} was not read in this pass")
                Writer(self.client, state).write(plan, self.config.rules.lead_id_prefix)
