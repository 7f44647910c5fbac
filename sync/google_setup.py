"""`leadsync init --google`: lay out the engine's tabs in a spreadsheet a team already has.

A tab that is missing is added; a tab that exists but is empty gets the headers, the dropdowns
and the formats; a tab that already has leadsync's headers is left exactly as it is, so running
it again changes nothing. A tab with someone's data but no header leadsync knows is never
touched: the message says what to do.
"""

from __future__ import annotations

from typing import Any

from sync.config import Config
from sync.errors import SheetLayoutError
from sync.google_auth import load_credentials, who
from sync.google_cells import cell_data, quote_tab
from sync.google_client import SheetsClient
from sync.headers import FIELDS, TabKind, alias_table, canonical_headers
from sync.layout import HEADER_SEARCH_ROWS, find_headers
from sync.pipeline_layout import empty_grid, google_chart_request
from sync.templates import COLUMN_FORMATS, FLAG_CHOICES, STATUS_CHOICES, VALIDATED_LAST_ROW

_HEADER_FORMAT = {
    "textFormat": {"bold": True, "foregroundColor": {"red": 1, "green": 1, "blue": 1}},
    "backgroundColor": {"red": 0.12, "green": 0.22, "blue": 0.39},
}
_FIELDS_OF_HEADER = "userEnteredValue,userEnteredFormat(textFormat,backgroundColor)"


def _column(kind: TabKind, key: str) -> int:
    return [f.key for f in FIELDS[kind]].index(key)


def _span(sheet_id: int, column: int) -> dict[str, int]:
    return {
        "sheetId": sheet_id,
        "startRowIndex": 1,
        "endRowIndex": VALIDATED_LAST_ROW,
        "startColumnIndex": column,
        "endColumnIndex": column + 1,
    }


def _dropdown(sheet_id: int, column: int, choices: tuple[str, ...]) -> dict[str, Any]:
    return {
        "setDataValidation": {
            "range": _span(sheet_id, column),
            "rule": {
                "condition": {
                    "type": "ONE_OF_LIST",
                    "values": [{"userEnteredValue": c} for c in choices],
                },
                "showCustomUi": True,
                "strict": False,  # a person may type a note; the engine explains what it reads
            },
        }
    }


def _layout_requests(
    sheet_id: int, kind: TabKind, steps: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    headers = canonical_headers(kind)
    requests: list[dict[str, Any]] = [
        {
            "updateCells": {
                "rows": [
                    {
                        "values": [
                            {
                                "userEnteredValue": {"stringValue": h},
                                "userEnteredFormat": _HEADER_FORMAT,
                            }
                            for h in headers
                        ]
                    }
                ],
                "fields": _FIELDS_OF_HEADER,
                "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
            }
        },
        {
            "updateSheetProperties": {
                "properties": {"sheetId": sheet_id, "gridProperties": {"frozenRowCount": 1}},
                "fields": "gridProperties.frozenRowCount",
            }
        },
    ]
    if kind is TabKind.PROSPECTS:
        requests.append(_dropdown(sheet_id, _column(kind, "flag"), FLAG_CHOICES))
    if kind is TabKind.LEADS:
        requests.append(_dropdown(sheet_id, _column(kind, "status"), STATUS_CHOICES))
        if steps:
            requests.append(_dropdown(sheet_id, _column(kind, "step"), steps))
    for f in FIELDS[kind]:
        pattern = COLUMN_FORMATS.get(f.key)
        if pattern:
            kind_of_number = (
                "NUMBER" if "#" in pattern else "DATE_TIME" if "h" in pattern else "DATE"
            )
            requests.append(
                {
                    "repeatCell": {
                        "range": _span(sheet_id, _column(kind, f.key)),
                        "cell": {
                            "userEnteredFormat": {
                                "numberFormat": {"type": kind_of_number, "pattern": pattern}
                            }
                        },
                        "fields": "userEnteredFormat.numberFormat",
                    }
                }
            )
    return requests


def lay_out(config: Config, client: SheetsClient | None = None) -> list[str]:
    """Lay out the tracker spreadsheet's tabs; returns one line per tab saying what it did."""
    spreadsheet = config.tracker.spreadsheet
    assert spreadsheet is not None
    if client is None:
        credentials = load_credentials(config.resolve_optional_credentials(), write=True)
        client = SheetsClient(credentials, who(credentials))
    wanted: list[tuple[str, TabKind]] = [
        (config.prospecting[0].tabs[0], TabKind.PROSPECTS),
        (config.tracker.leads_tab, TabKind.LEADS),
        (config.tracker.clients_tab, TabKind.CLIENTS),
    ]
    if config.prospecting[0].spreadsheet != spreadsheet:
        wanted = wanted[1:]  # a prospecting spreadsheet of its own is the team's, as it is
    meta = client.metadata(spreadsheet, "sheets.properties")
    sheets = {s["properties"]["title"]: s["properties"] for s in meta.get("sheets", [])}
    present = [name for name, _kind in wanted if name in sheets]
    tops: dict[str, list[list[Any]]] = {}
    if present:
        ranges = [f"{quote_tab(n)}!1:{HEADER_SEARCH_ROWS}" for n in present]
        answers = client.values(spreadsheet, ranges)
        tops = {n: a.get("values", []) for n, a in zip(present, answers, strict=True)}
    used_ids = {int(p.get("sheetId", 0)) for p in sheets.values()}
    steps = tuple(config.pipeline.names())
    requests: list[dict[str, Any]] = []
    said: list[str] = []
    for name, kind in wanted:
        if name not in sheets:
            sheet_id = max(used_ids, default=0) + 1
            used_ids.add(sheet_id)
            requests.append({"addSheet": {"properties": {"sheetId": sheet_id, "title": name}}})
            requests += _layout_requests(sheet_id, kind, steps)
            said.append(f"{name}: added, with headers, dropdowns and formats")
            continue
        top = tops.get(name, [])
        if not any(c not in ("", None) for row in top for c in row):
            requests += _layout_requests(int(sheets[name].get("sheetId", 0)), kind, steps)
            said.append(f"{name}: was empty; headers, dropdowns and formats added")
            continue
        _index, found = find_headers(top, alias_table(kind, config.headers.for_kind(kind)))
        required = [f.key for f in FIELDS[kind] if f.required]
        if all(key in found for key in required):
            said.append(f"{name}: already laid out; left as it is")
            continue
        raise SheetLayoutError(
            f"{name} holds data but no {', '.join(required)} header leadsync knows; "
            "leadsync init leaves it alone: add the headers "
            f"({', '.join(canonical_headers(kind))}) or name another tab in leadsync.toml"
        )
    pipeline = config.tracker.pipeline_tab
    if pipeline in sheets:
        said.append(f"{pipeline}: already there; left as it is")
    else:
        sheet_id = max(used_ids, default=0) + 1
        requests += _pipeline_requests(sheet_id, pipeline, config)
        said.append(f"{pipeline}: added, with a chart of the open pipeline by step")
    if requests:
        client.batch_update(spreadsheet, {"requests": requests})
    return said


def _pipeline_requests(sheet_id: int, title: str, config: Config) -> list[dict[str, Any]]:
    """The Pipeline tab with its steps block and a chart over it; passes keep it current."""
    rows = [{"values": [cell_data(v) for v in row]} for row in empty_grid(config.pipeline)]
    return [
        {"addSheet": {"properties": {"sheetId": sheet_id, "title": title}}},
        {
            "updateCells": {
                "rows": rows,
                "fields": "userEnteredValue",
                "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
            }
        },
        google_chart_request(sheet_id, config.pipeline),
    ]
