"""spreadsheets.values: get, batchGet, update, batchUpdate, append, clear, batchClear."""

from __future__ import annotations

from typing import Any

from . import a1
from .a1 import Bounds
from .errors import ApiError, bad_request, invalid_field
from .model import Json, Sheet, Spreadsheet
from .render import for_values
from .writes import Written, grid_error, write_block

_LIST = "type.googleapis.com/google.protobuf.ListValue"


def locate(book: Spreadsheet, text: str) -> tuple[Sheet, a1.A1]:
    """The tab and cells a range names; "Unable to parse range" when it names nothing."""
    try:
        parsed = a1.parse(text, book.titles)
    except a1.RangeError:
        raise bad_request(f"Unable to parse range: {text}") from None
    sheet = book.sheets[0] if parsed.title is None else book.by_title(parsed.title)
    if sheet is None:
        raise bad_request(f"Unable to parse range: {text}")
    return sheet, parsed


def readable(sheet: Sheet, bounds: Bounds) -> Bounds:
    """A read range must start inside the grid; its open or far end stops at the grid's edge."""
    if bounds.start_row >= sheet.row_count or bounds.start_col >= sheet.col_count:
        raise grid_error(sheet, bounds)
    clipped = bounds.clip(sheet.row_count, sheet.col_count)
    return Bounds(
        clipped.start_row,
        min(clipped.end_row or 0, sheet.row_count),
        clipped.start_col,
        min(clipped.end_col or 0, sheet.col_count),
    )


def value_range(
    book: Spreadsheet, text: str, query: dict[str, list[str]], *, response: bool = False
) -> Json:
    """A ValueRange answer; `response` reads the responseValueRenderOption family instead."""
    sheet, parsed = locate(book, text)
    bounds = readable(sheet, parsed.bounds)
    major = (
        "ROWS" if response else _checked("majorDimension", _one(query, "majorDimension", "ROWS"))
    )
    render_key, dates_key = "valueRenderOption", "dateTimeRenderOption"
    if response:
        render_key, dates_key = "responseValueRenderOption", "responseDateTimeRenderOption"
    render = _checked("valueRenderOption", _one(query, render_key, "FORMATTED_VALUE"))
    dates = _checked("dateTimeRenderOption", _one(query, dates_key, "SERIAL_NUMBER"))
    answer: Json = {"range": a1.range_text(sheet.title, bounds), "majorDimension": major}
    values = read_block(book, sheet, bounds, major, render, dates)
    if values:
        answer["values"] = values
    return answer


def read_block(
    book: Spreadsheet, sheet: Sheet, bounds: Bounds, major: str, render: str, dates: str
) -> list[list[Any]]:
    """The cells of a range, trailing empty cells and rows left out, as the API answers."""
    assert bounds.end_row is not None and bounds.end_col is not None
    rows = range(bounds.start_row, min(bounds.end_row, len(sheet.rows)))
    cols = range(bounds.start_col, bounds.end_col)
    grid = [[for_values(book, sheet, r, c, render, dates) for c in cols] for r in rows]
    if major == "COLUMNS":
        grid = [list(column) for column in zip(*grid, strict=False)] if grid else []
    for line in grid:
        while line and line[-1] == "":
            line.pop()
    while grid and not grid[-1]:
        grid.pop()
    return grid


def get(book: Spreadsheet, text: str, query: dict[str, list[str]]) -> Json:
    return value_range(book, text, query)


def batch_get(book: Spreadsheet, query: dict[str, list[str]]) -> Json:
    ranges = query.get("ranges", [])
    return {
        "spreadsheetId": book.spreadsheet_id,
        "valueRanges": [value_range(book, text, query) for text in ranges],
    }


def _one(query: dict[str, list[str]], name: str, default: str) -> str:
    found = query.get(name)
    return found[0] if found else default


_ENUMS = {
    "valueInputOption": ("value_input_option", "ValueInputOption", ("RAW", "USER_ENTERED")),
    "valueRenderOption": (
        "value_render_option",
        "ValueRenderOption",
        ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"),
    ),
    "dateTimeRenderOption": (
        "date_time_render_option",
        "DateTimeRenderOption",
        ("SERIAL_NUMBER", "FORMATTED_STRING"),
    ),
    "majorDimension": ("major_dimension", "Dimension", ("ROWS", "COLUMNS")),
    "insertDataOption": ("insert_data_option", "InsertDataOption", ("OVERWRITE", "INSERT_ROWS")),
}


def _checked(name: str, value: str) -> str:
    """An enum parameter; anything else is refused as the API refuses it."""
    field, kind, allowed = _ENUMS[name]
    if value not in allowed:
        raise invalid_field(field, value, f"type.googleapis.com/google.apps.sheets.v4.{kind}")
    return value


def _input_option(option: str | None) -> str:
    if not option:
        raise bad_request("'valueInputOption' is required but not specified")
    return _checked("valueInputOption", option)


def checked_values(body: Json, field: str) -> list[list[Any]] | None:
    """The body's values as rows, refused in Google's words when they are not a list of lists."""
    values = body.get("values")
    if values is None:
        return None
    if not isinstance(values, list):
        raise invalid_field(f"{field}.values", values, _LIST)
    for i, row in enumerate(values):
        if not isinstance(row, list):
            raise invalid_field(f"{field}.values[{i}]", row, _LIST)
        for j, item in enumerate(row):
            if isinstance(item, dict | list):
                raise bad_request(f"Invalid values[{i}][{j}]: {item}")
    if body.get("majorDimension") == "COLUMNS":
        width = max((len(r) for r in values), default=0)
        values = [[col[i] if i < len(col) else None for col in values] for i in range(width)]
    return values


def _updated(book: Spreadsheet, sheet: Sheet, written: Written | None) -> Json:
    answer: Json = {"spreadsheetId": book.spreadsheet_id}
    if written is not None:
        answer.update(
            updatedRange=a1.range_text(sheet.title, written.bounds),
            updatedRows=len(written.rows),
            updatedColumns=len(written.cols),
            updatedCells=written.cells,
        )
    return answer


def _with_data(answer: Json, book: Spreadsheet, query: dict[str, list[str]]) -> Json:
    if (
        _one(query, "includeValuesInResponse", "false").lower() == "true"
        and "updatedRange" in answer
    ):
        answer["updatedData"] = value_range(book, answer["updatedRange"], query, response=True)
    return answer


def update(book: Spreadsheet, text: str, body: Json, query: dict[str, list[str]]) -> Json:
    option = _input_option(_one(query, "valueInputOption", ""))
    sheet, parsed = locate(book, text)
    values = checked_values(body, "data")
    written = None
    if values:
        written = write_block(book, sheet, parsed, values, option, grow=False)
    return _with_data(_updated(book, sheet, written), book, query)


def batch_update(book: Spreadsheet, body: Json) -> Json:
    option = _input_option(body.get("valueInputOption"))
    responses, rows, cols, sheets, cells = [], set(), set(), set(), 0
    for index, item in enumerate(body.get("data") or []):
        try:
            sheet, parsed = locate(book, str(item.get("range", "")))
            values = checked_values(item, f"data[{index}]")
            written = None
            if values:
                written = write_block(book, sheet, parsed, values, option, grow=False)
        except ApiError as error:
            error.message = f"Invalid data[{index}]: {error.message}"
            raise
        responses.append(_updated(book, sheet, written))
        if written is not None:
            rows |= {(sheet.sheet_id, r) for r in written.rows}
            cols |= {(sheet.sheet_id, c) for c in written.cols}
            sheets.add(sheet.sheet_id)
            cells += written.cells
    answer: Json = {"spreadsheetId": book.spreadsheet_id}
    if responses:
        answer.update(
            totalUpdatedRows=len(rows),
            totalUpdatedColumns=len(cols),
            totalUpdatedCells=cells,
            totalUpdatedSheets=len(sheets),
            responses=responses,
        )
    return answer


def append(book: Spreadsheet, text: str, body: Json, query: dict[str, list[str]]) -> Json:
    option = _input_option(_one(query, "valueInputOption", ""))
    insert = _checked("insertDataOption", _one(query, "insertDataOption", "OVERWRITE"))
    sheet, parsed = locate(book, text)
    values = checked_values(body, "data") or []
    table = find_table(book, sheet, parsed.bounds)
    answer: Json = {"spreadsheetId": book.spreadsheet_id}
    if table is not None:
        answer["tableRange"] = a1.range_text(sheet.title, table)
        start_row, start_col = table.end_row or 0, table.start_col
    else:
        start_row, start_col = parsed.bounds.start_row, parsed.bounds.start_col
    written = None
    if values:
        if insert == "INSERT_ROWS" and start_row < sheet.row_count:
            sheet.insert("ROWS", start_row, len(values))
            book.dimension_changed(sheet, "ROWS", start_row, len(values))
        anchor = a1.A1(sheet.title, None, Bounds(start_row, None, start_col, None), False)
        written = write_block(book, sheet, anchor, values, option, grow=True)
    answer["updates"] = _with_data(_updated(book, sheet, written), book, query)
    return answer


def find_table(book: Spreadsheet, sheet: Sheet, bounds: Bounds) -> Bounds | None:
    """The "table" values.append adds to.

    Observed behaviour, which the documentation leaves open: the table is the block of
    touching filled cells that holds the last filled cell of the input range (last row, then
    last column). A row typed as A1, (blank), C1 therefore makes C1 the table, and the next
    append lands in C2 — exactly what the recording of a row with an empty value shows.
    """
    clipped = bounds.clip(sheet.row_count, sheet.col_count)
    assert clipped.end_row is not None and clipped.end_col is not None
    last = None
    for r in range(min(clipped.end_row, len(sheet.rows)) - 1, clipped.start_row - 1, -1):
        for c in range(min(clipped.end_col, len(sheet.rows[r])) - 1, clipped.start_col - 1, -1):
            if _filled(sheet, r, c):
                last = (r, c)
                break
        if last:
            break
    if last is None:
        return None
    seen, todo = {last}, [last]
    while todo:
        r, c = todo.pop()
        for nr, nc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
            if nr >= 0 and nc >= 0 and (nr, nc) not in seen and _filled(sheet, nr, nc):
                seen.add((nr, nc))
                todo.append((nr, nc))
    rows = [r for r, _ in seen]
    cols = [c for _, c in seen]
    return Bounds(min(rows), max(rows) + 1, min(cols), max(cols) + 1)


def _filled(sheet: Sheet, row: int, col: int) -> bool:
    cell = sheet.cell(row, col)
    return cell is not None and bool(cell.value)


def clear(book: Spreadsheet, text: str) -> str:
    sheet, parsed = locate(book, text)
    bounds = readable(sheet, parsed.bounds)
    assert bounds.end_row is not None and bounds.end_col is not None
    for r in range(bounds.start_row, min(bounds.end_row, len(sheet.rows))):
        for c in range(bounds.start_col, min(bounds.end_col, len(sheet.rows[r]))):
            cell = sheet.cell(r, c)
            if cell is not None:
                cell.value = None
                sheet.set(r, c, cell)
    return a1.range_text(sheet.title, bounds)


def clear_one(book: Spreadsheet, text: str) -> Json:
    return {"spreadsheetId": book.spreadsheet_id, "clearedRange": clear(book, text)}


def batch_clear(book: Spreadsheet, body: Json) -> Json:
    cleared = [clear(book, str(text)) for text in body.get("ranges") or []]
    return {"spreadsheetId": book.spreadsheet_id, "clearedRanges": cleared}
