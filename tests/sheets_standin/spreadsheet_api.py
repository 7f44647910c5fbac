"""spreadsheets.get and spreadsheets.create: the Spreadsheet resource, with or without grid data."""

from __future__ import annotations

import copy

from . import fields
from .a1 import Bounds
from .model import Json, Sheet, Spreadsheet
from .render import cell_data
from .values_api import locate, readable

_ROW_PIXELS, _COLUMN_PIXELS = 21, 100


def url_of(spreadsheet_id: str) -> str:
    return f"https://docs.google.com/spreadsheets/d/{spreadsheet_id}/edit"


def resource(
    book: Spreadsheet, ranges: list[str], include_grid: bool, mask: fields.Mask | None = None
) -> Json:
    """The Spreadsheet JSON. A field mask, when given, decides whether grid data is included."""
    grid = fields.covers(mask, "sheets", "data") if mask is not None else include_grid
    wanted: dict[int, list[Bounds]] = {}
    for text in ranges:
        sheet, parsed = locate(book, text)
        wanted.setdefault(sheet.sheet_id, []).append(readable(sheet, parsed.bounds))
    sheets = []
    for sheet in book.sheets:
        if ranges and sheet.sheet_id not in wanted:
            continue
        shown: Json = {"properties": sheet.public_properties()}
        if grid:
            areas = wanted.get(sheet.sheet_id) or [Bounds(0, sheet.row_count, 0, sheet.col_count)]
            shown["data"] = [grid_data(book, sheet, area) for area in areas]
        if sheet.charts:
            shown["charts"] = copy.deepcopy(sheet.charts)
        own = [copy.deepcopy(m) for m in book.metadata if _on_sheet(m, sheet.sheet_id)]
        if own:
            shown["developerMetadata"] = own
        sheets.append(shown)
    answer: Json = {
        "spreadsheetId": book.spreadsheet_id,
        "properties": copy.deepcopy(book.properties),
        "sheets": sheets,
        "spreadsheetUrl": url_of(book.spreadsheet_id),
    }
    top = [
        copy.deepcopy(m) for m in book.metadata if m["location"]["locationType"] == "SPREADSHEET"
    ]
    if top:
        answer["developerMetadata"] = top
    partial: Json = fields.select(answer, mask)
    return partial


def _on_sheet(metadata: Json, sheet_id: int) -> bool:
    location = metadata["location"]
    if location["locationType"] == "SHEET":
        return bool(location["sheetId"] == sheet_id)
    span = location.get("dimensionRange")
    return bool(span and span.get("sheetId") == sheet_id)


def grid_data(book: Spreadsheet, sheet: Sheet, area: Bounds) -> Json:
    """GridData: trailing empty cells and rows left out, row and column metadata for all."""
    assert area.end_row is not None and area.end_col is not None
    data: Json = {}
    if area.start_row:
        data["startRow"] = area.start_row
    if area.start_col:
        data["startColumn"] = area.start_col
    rows = []
    for r in range(area.start_row, min(area.end_row, len(sheet.rows))):
        line = [cell_data(book, sheet, r, c) for c in range(area.start_col, area.end_col)]
        while line and not line[-1]:
            line.pop()
        rows.append({"values": line} if line else {})
    while rows and not rows[-1]:
        rows.pop()
    if rows:
        data["rowData"] = rows
    data["rowMetadata"] = [
        _dimension(book, sheet, "ROWS", r, _ROW_PIXELS) for r in range(area.start_row, area.end_row)
    ]
    data["columnMetadata"] = [
        _dimension(book, sheet, "COLUMNS", c, _COLUMN_PIXELS)
        for c in range(area.start_col, area.end_col)
    ]
    return data


def _dimension(book: Spreadsheet, sheet: Sheet, dimension: str, index: int, pixels: int) -> Json:
    props: Json = {"pixelSize": pixels}
    own = [
        copy.deepcopy(m)
        for m in book.metadata
        if (span := m["location"].get("dimensionRange"))
        and span["sheetId"] == sheet.sheet_id
        and span["dimension"] == dimension
        and span["startIndex"] == index
    ]
    if own:
        props["developerMetadata"] = own
    return props
