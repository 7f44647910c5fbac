"""spreadsheets.batchUpdate: every request applied to a copy, kept only if all succeed."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from . import requests_cells as cells
from . import requests_charts as charts
from . import requests_sheets as tabs
from .errors import ApiError, bad_request, in_request
from .model import Json, Spreadsheet
from .spreadsheet_api import resource

Handler = Callable[[Spreadsheet, Json, random.Random], Json]


def _plain(handler: Callable[[Spreadsheet, Json], Json]) -> Handler:
    return lambda book, request, rng: handler(book, request)


HANDLERS: dict[str, Handler] = {
    "updateCells": _plain(cells.update_cells),
    "appendCells": _plain(cells.append_cells),
    "repeatCell": _plain(cells.repeat_cell),
    "setDataValidation": _plain(cells.set_data_validation),
    "sortRange": _plain(cells.sort_range),
    "findReplace": _plain(cells.find_replace),
    "addSheet": tabs.add_sheet,
    "addChart": charts.add_chart,
    "deleteSheet": _plain(tabs.delete_sheet),
    "updateSheetProperties": _plain(tabs.update_sheet_properties),
    "updateSpreadsheetProperties": _plain(tabs.update_spreadsheet_properties),
    "insertDimension": _plain(tabs.insert_dimension),
    "deleteDimension": _plain(tabs.delete_dimension),
    "appendDimension": _plain(tabs.append_dimension),
    "createDeveloperMetadata": tabs.create_developer_metadata,
    "updateDeveloperMetadata": _plain(tabs.update_developer_metadata),
    "deleteDeveloperMetadata": _plain(tabs.delete_developer_metadata),
}

# Requests Google has but the stand-in does not model: refused loudly rather than ignored.
KNOWN_ELSEWHERE = {
    "mergeCells", "unmergeCells", "updateBorders", "updateDimensionProperties",
    "autoResizeDimensions",
    "addConditionalFormatRule", "updateConditionalFormatRule", "deleteConditionalFormatRule",
    "addProtectedRange", "updateProtectedRange", "deleteProtectedRange", "addNamedRange",
    "updateNamedRange", "deleteNamedRange", "setBasicFilter", "clearBasicFilter", "addFilterView",
    "copyPaste", "cutPaste", "pasteData", "duplicateSheet", "moveDimension",
    "deleteRange", "insertRange", "textToColumns", "addBanding", "trimWhitespace",
    "deleteDuplicates", "randomizeRange", "autoFill", "addDimensionGroup",
}  # fmt: skip


def batch_update(book: Spreadsheet, body: Any, rng: random.Random) -> tuple[Spreadsheet, Json]:
    """Apply the requests to a copy of the spreadsheet; the caller keeps the copy on success."""
    if not isinstance(body, dict):
        raise bad_request("Invalid JSON payload received. Expected an object.")
    requests = body.get("requests") or []
    if not isinstance(requests, list):
        raise bad_request(
            "Invalid value at 'requests' (type.googleapis.com/google.apps.sheets.v4.Request)"
        )
    work = book.clone()
    replies = []
    for index, request in enumerate(requests):
        if not isinstance(request, dict) or len(request) != 1:
            raise bad_request(
                f"Invalid requests[{index}]: exactly one kind of request must be set."
            )
        kind, payload = next(iter(request.items()))
        handler = HANDLERS.get(kind)
        if handler is None:
            if kind in KNOWN_ELSEWHERE:
                raise bad_request(
                    f"The Sheets stand-in does not implement requests[{index}].{kind}."
                )
            raise bad_request(
                f"Invalid JSON payload received. Unknown name \"{kind}\" at 'requests[{index}]': "
                "Cannot find field."
            )
        try:
            replies.append(handler(work, payload if isinstance(payload, dict) else {}, rng))
        except ApiError as error:
            raise in_request(index, kind, error) from None
        except (KeyError, TypeError, ValueError) as error:
            raise in_request(index, kind, bad_request(f"Invalid request: {error}")) from None
    answer: Json = {"spreadsheetId": work.spreadsheet_id, "replies": replies}
    if body.get("includeSpreadsheetInResponse"):
        answer["updatedSpreadsheet"] = resource(
            work, list(body.get("responseRanges") or []), bool(body.get("responseIncludeGridData"))
        )
    return work, answer
