"""Appended rows go out as pre-encoded JSON (google_cells.RowTemplate): the body they make
must be the very bytes the dict rows (_append_data) made, and a row msgspec cannot encode
must still reach the standard library's fallback as before."""

from __future__ import annotations

import json
import random
from typing import Any

import msgspec
import pytest

from sync.google_client import _encode
from sync.google_write import DATED_FIELDS, VALUE_FIELDS
from sync.plan import AppendRow, Plan
from sync.snapshot import CellValue, TabRef
from tests.test_google_write_fragments import KEYS, REF, VALUES, _writer


def _requests(rows: list[dict[str, CellValue]]) -> tuple[list[Any], list[Any]]:
    writer = _writer()
    got: list[Any] = []
    plan = Plan(appends=tuple(AppendRow(REF, values) for values in rows))
    writer._appends(plan, got)
    columns = writer.state.tabs[REF].columns
    built = [writer._append_data(values, columns, len(KEYS)) for values in rows]
    dated = any(has_date for _, has_date in built)
    expected = [
        {
            "appendCells": {
                "sheetId": writer.state.tabs[REF].sheet_id,
                "rows": [row for row, _ in built],
                "fields": DATED_FIELDS if dated else VALUE_FIELDS,
            }
        }
    ]
    return got, expected


def _rows(seed: int, values: list[CellValue]) -> list[dict[str, CellValue]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(20):
        keys = rng.sample([*KEYS, "not a column"], rng.randint(0, len(KEYS)))
        rows.append({key: rng.choice(values) for key in keys})
    return rows


@pytest.mark.parametrize("seed", range(20))
def test_appended_rows_encode_to_the_bytes_the_dict_rows_encode_to(seed: int) -> None:
    got, expected = _requests(_rows(seed, VALUES))
    assert any(isinstance(r, msgspec.Raw) for r in got[0]["appendCells"]["rows"])
    assert _encode({"requests": got}) == _encode({"requests": expected})


def test_text_only_rows_say_so_in_their_fields() -> None:
    got, expected = _requests([{"f0": "Acme", "f3": ""}, {"f1": None}])
    assert got[0]["appendCells"]["fields"] == VALUE_FIELDS
    assert _encode({"requests": got}) == _encode({"requests": expected})


def test_a_row_with_a_lone_surrogate_still_goes_through_the_standard_library() -> None:
    rows = [*_rows(7, VALUES), {"f0": "Acme", "f1": "half a pair \ud800"}]
    got, expected = _requests(rows)
    assert not isinstance(got[0]["appendCells"]["rows"][-1], msgspec.Raw)
    assert _encode({"requests": got}) == json.dumps({"requests": expected}, allow_nan=False).encode(
        "utf-8"
    )


def test_rows_of_other_spreadsheets_are_not_appended() -> None:
    writer = _writer()
    got: list[Any] = []
    other = TabRef("another-sheet", "Prospects")
    writer._appends(Plan(appends=(AppendRow(other, {"f0": "x"}),)), got)
    assert got == []


def test_rows_of_one_shape_share_a_template_and_keep_their_own_values() -> None:
    rng = random.Random(5)
    shapes = [rng.sample([*KEYS, "not a column"], 6) for _ in range(3)]
    rows = []
    for n in range(60):
        keys = shapes[n % 3]
        # The same types in the same keys, other values: "" among the texts, other days.
        kinds = [VALUES[(n % 3) * 5 + k] for k in range(6)]
        rows.append(
            {
                key: rng.choice([v for v in VALUES if type(v) is type(kind)])
                for key, kind in zip(keys, kinds, strict=True)
            }
        )
    got, expected = _requests(rows)
    assert all(isinstance(r, msgspec.Raw) for r in got[0]["appendCells"]["rows"])
    assert _encode({"requests": got}) == _encode({"requests": expected})
