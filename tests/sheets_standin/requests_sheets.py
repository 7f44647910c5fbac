"""batchUpdate requests that change tabs, their grid, the spreadsheet, and developer metadata."""

from __future__ import annotations

import copy
import random
from typing import Any

from . import defaults, fields
from .errors import bad_request
from .model import Json, Sheet, Spreadsheet
from .requests_cells import sheet_of


def _mask(text: Any) -> fields.Mask:
    if not text:
        raise bad_request("At least one field must be specified in 'fields'.")
    try:
        return fields.parse(str(text))
    except fields.MaskError:
        raise bad_request(f"Invalid field mask: {text}") from None


def _title_taken(book: Spreadsheet, title: str, other_than: int | None = None) -> bool:
    return any(s.title.lower() == title.lower() and s.sheet_id != other_than for s in book.sheets)


def _taken_message(title: str) -> str:
    return f'A sheet with the name "{title}" already exists. Please enter another name.'


def add_sheet(book: Spreadsheet, request: Json, rng: random.Random) -> Json:
    props = copy.deepcopy(request.get("properties") or {})
    used = {s.sheet_id for s in book.sheets}
    sheet_id = props.get("sheetId")
    if sheet_id is None:
        sheet_id = rng.randrange(1, 2**31 - 1)
        while sheet_id in used:
            sheet_id = rng.randrange(1, 2**31 - 1)
    elif int(sheet_id) in used:
        raise bad_request(f"Sheet with id {sheet_id} already exists.")
    title = props.get("title")
    if not title:
        number = len(book.sheets) + 1
        while _title_taken(book, f"Sheet{number}"):
            number += 1
        title = f"Sheet{number}"
    if _title_taken(book, title):
        raise bad_request(_taken_message(title))
    grid = props.pop("gridProperties", {}) or {}
    index = min(int(props.pop("index", len(book.sheets))), len(book.sheets))
    base = defaults.sheet_properties(
        int(sheet_id),
        title,
        index,
        int(grid.get("rowCount", 1000)),
        int(grid.get("columnCount", 26)),
    )
    for key in ("frozenRowCount", "frozenColumnCount", "hideGridlines"):
        if grid.get(key):
            base["gridProperties"][key] = grid[key]
    for key, value in props.items():
        if key not in ("sheetId", "title", "sheetType"):
            base[key] = value
    sheet = Sheet(base)
    book.sheets.insert(index, sheet)
    book.reindex()
    return {"addSheet": {"properties": sheet.public_properties()}}


def delete_sheet(book: Spreadsheet, request: Json) -> Json:
    sheet = sheet_of(book, request.get("sheetId"))
    if len(book.sheets) == 1:
        raise bad_request("You can't remove all the sheets in a document.")
    book.sheets.remove(sheet)
    book.metadata = [m for m in book.metadata if _sheet_of_location(m) != sheet.sheet_id]
    book.reindex()
    return {}


def update_sheet_properties(book: Spreadsheet, request: Json) -> Json:
    props = request.get("properties") or {}
    sheet = sheet_of(book, props.get("sheetId"))
    mask = _mask(request.get("fields"))
    updated = copy.deepcopy(sheet.properties)
    fields.apply(updated, props, mask)
    updated["sheetId"] = sheet.sheet_id
    updated.setdefault("sheetType", "GRID")
    if not updated.get("title"):
        raise bad_request("Sheet title must not be empty.")
    if _title_taken(book, str(updated["title"]), sheet.sheet_id):
        raise bad_request(_taken_message(str(updated["title"])))
    grid = updated.setdefault("gridProperties", {})
    rows = int(grid.get("rowCount") or sheet.row_count)
    cols = int(grid.get("columnCount") or sheet.col_count)
    grid["rowCount"], grid["columnCount"] = sheet.row_count, sheet.col_count
    sheet.properties = updated
    if (rows, cols) != (sheet.row_count, sheet.col_count):
        sheet.resize(rows, cols)
        book.drop_metadata_beyond(sheet)
    index = int(updated.get("index", 0))
    if book.sheets.index(sheet) != index:
        book.sheets.remove(sheet)
        book.sheets.insert(min(index, len(book.sheets)), sheet)
    book.reindex()
    return {}


def update_spreadsheet_properties(book: Spreadsheet, request: Json) -> Json:
    fields.apply(book.properties, request.get("properties") or {}, _mask(request.get("fields")))
    return {}


def _dimension_range(book: Spreadsheet, span: Json) -> tuple[Sheet, str, int, int]:
    sheet = sheet_of(book, span.get("sheetId"))
    dimension = span.get("dimension")
    if dimension not in ("ROWS", "COLUMNS"):
        raise bad_request("Dimension must be ROWS or COLUMNS.")
    count = sheet.row_count if dimension == "ROWS" else sheet.col_count
    start = int(span.get("startIndex", 0))
    end = int(span["endIndex"]) if "endIndex" in span else count
    if start < 0 or end <= start:
        raise bad_request(f"Invalid dimensionRange: startIndex {start}, endIndex {end}.")
    return sheet, dimension, start, end


def insert_dimension(book: Spreadsheet, request: Json) -> Json:
    sheet, dimension, start, end = _dimension_range(book, request.get("range") or {})
    count = sheet.row_count if dimension == "ROWS" else sheet.col_count
    if start > count:
        raise bad_request(f"Cannot insert {dimension.lower()} after the end of the grid ({count}).")
    if request.get("inheritFromBefore") and start == 0:
        raise bad_request("Cannot inherit from before when inserting at the start of the grid.")
    sheet.insert(dimension, start, end - start)
    book.dimension_changed(sheet, dimension, start, end - start)
    return {}


def delete_dimension(book: Spreadsheet, request: Json) -> Json:
    sheet, dimension, start, end = _dimension_range(book, request.get("range") or {})
    count = sheet.row_count if dimension == "ROWS" else sheet.col_count
    end = min(end, count)
    if start >= count:
        raise bad_request(f"Range exceeds the grid: {dimension.lower()} {start} of {count}.")
    if start == 0 and end >= count:
        what = "rows" if dimension == "ROWS" else "columns"
        raise bad_request(f"You can't delete all the {what} on the sheet.")
    sheet.delete(dimension, start, end)
    book.dimension_changed(sheet, dimension, start, start - end)
    return {}


def append_dimension(book: Spreadsheet, request: Json) -> Json:
    sheet = sheet_of(book, request.get("sheetId"))
    length = int(request.get("length", 0))
    if length < 1:
        raise bad_request("length must be at least 1.")
    key = "rowCount" if request.get("dimension") == "ROWS" else "columnCount"
    sheet.grid[key] = int(sheet.grid.get(key, 0)) + length
    return {}


def _sheet_of_location(metadata: Json) -> int | None:
    location = metadata.get("location", {})
    if "sheetId" in location:
        return int(location["sheetId"])
    if "dimensionRange" in location:
        return int(location["dimensionRange"].get("sheetId", 0))
    return None


def _location(book: Spreadsheet, given: Json) -> Json:
    """A DeveloperMetadataLocation as the API answers it, with its locationType filled in."""
    if given.get("spreadsheet"):
        return {"locationType": "SPREADSHEET", "spreadsheet": True}
    if "sheetId" in given:
        return {"locationType": "SHEET", "sheetId": sheet_of(book, given["sheetId"]).sheet_id}
    if "dimensionRange" in given:
        sheet, dimension, start, end = _dimension_range(book, given["dimensionRange"])
        if end - start != 1:
            raise bad_request("Developer metadata must be on a single row or column.")
        span = {
            "sheetId": sheet.sheet_id,
            "dimension": dimension,
            "startIndex": start,
            "endIndex": end,
        }
        return {"locationType": "ROW" if dimension == "ROWS" else "COLUMN", "dimensionRange": span}
    raise bad_request("Developer metadata needs a location.")


def create_developer_metadata(book: Spreadsheet, request: Json, rng: random.Random) -> Json:
    given = request.get("developerMetadata") or {}
    if given.get("visibility") not in ("DOCUMENT", "PROJECT"):
        raise bad_request("Developer metadata visibility must be DOCUMENT or PROJECT.")
    used = {int(m["metadataId"]) for m in book.metadata}
    metadata_id = given.get("metadataId")
    if metadata_id is None:
        metadata_id = rng.randrange(1, 2**31 - 1)
        while metadata_id in used:
            metadata_id = rng.randrange(1, 2**31 - 1)
    elif int(metadata_id) <= 0 or int(metadata_id) in used:
        raise bad_request(f"Developer metadata id {metadata_id} is invalid or already in use.")
    created: Json = {"metadataId": int(metadata_id)}
    for key in ("metadataKey", "metadataValue"):
        if key in given:
            created[key] = given[key]
    created["location"] = _location(book, given.get("location") or {})
    created["visibility"] = given["visibility"]
    book.metadata.append(created)
    return {"createDeveloperMetadata": {"developerMetadata": copy.deepcopy(created)}}


def matches(book: Spreadsheet, metadata: Json, data_filter: Json) -> bool:
    lookup = data_filter.get("developerMetadataLookup")
    if not isinstance(lookup, dict):
        raise bad_request(
            "Only developerMetadataLookup data filters are supported by the stand-in."
        )
    for key in ("metadataId", "metadataKey", "metadataValue", "visibility"):
        if key in lookup and metadata.get(key) != lookup[key]:
            return False
    location = metadata.get("location", {})
    if "locationType" in lookup and location.get("locationType") != lookup["locationType"]:
        return False
    if "metadataLocation" in lookup:
        wanted = _location(book, lookup["metadataLocation"])
        if wanted != location:
            return False
    return True


def update_developer_metadata(book: Spreadsheet, request: Json) -> Json:
    mask = _mask(request.get("fields"))
    given = copy.deepcopy(request.get("developerMetadata") or {})
    if "location" in given:
        given["location"] = _location(book, given["location"])
    filters = request.get("dataFilters") or []
    updated = []
    for item in book.metadata:
        if any(matches(book, item, f) for f in filters):
            fields.apply(item, given, mask)
            updated.append(copy.deepcopy(item))
    return {"updateDeveloperMetadata": {"developerMetadata": updated}}


def delete_developer_metadata(book: Spreadsheet, request: Json) -> Json:
    data_filter = request.get("dataFilter") or {}
    deleted = [m for m in book.metadata if matches(book, m, data_filter)]
    book.metadata = [m for m in book.metadata if m not in deleted]
    return {"deleteDeveloperMetadata": {"deletedDeveloperMetadata": deleted}}
