"""A rewritten tab's rows go out as pre-encoded JSON (google_rewrite._rows, from
google_cells.RowTemplate): the body they make must be the very bytes the CellData dicts made,
and a row msgspec cannot encode must still reach the standard library's fallback as before."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from typing import Any

import msgspec

from sync.google_cells import cell_data
from sync.google_client import _encode
from sync.google_rewrite import rewrite_requests
from sync.google_write import RawSheet, SheetState
from sync.plan import Plan, RewriteTab
from sync.snapshot import CellValue, TabRef
from tests.test_google_write_fragments import VALUES

REF = TabRef("sheet-id", "Pipeline")


def _requests(rows: list[tuple[Any, ...]]) -> tuple[list[Any], list[Any]]:
    state = SheetState("sheet-id", "Team", None, set())
    state.raw["Pipeline"] = RawSheet(sheet_id=7, height=3, width=4, grid_rows=50, grid_columns=8)
    got: list[Any] = []
    rewrite_requests(Plan(rewrites=(RewriteTab(REF, tuple(rows)),)), state, got)
    expected = json.loads(json.dumps(got, default=lambda _: None))
    expected[-1]["updateCells"]["rows"] = [{"values": [cell_data(v) for v in row]} for row in rows]
    return got, expected


def _rows(seed: int, values: list[CellValue], shapes: int) -> list[tuple[CellValue, ...]]:
    """Rows of a few shapes (types by column), so that templates are made and used again."""
    rng = random.Random(seed)
    kinds = [[rng.choice(values) for _ in range(rng.randint(0, 7))] for _ in range(shapes)]
    rows = []
    for _ in range(40):
        shape = rng.choice(kinds)
        rows.append(tuple(rng.choice([v for v in values if type(v) is type(k)]) for k in shape))
    return rows


def test_rewritten_rows_encode_to_the_bytes_the_dict_rows_encode_to() -> None:
    for seed in range(30):
        got, expected = _requests(_rows(seed, VALUES, shapes=3))
        assert any(isinstance(r, msgspec.Raw) for r in got[-1]["updateCells"]["rows"])
        assert _encode({"requests": got}) == _encode({"requests": expected})


def test_empty_text_none_and_empty_rows_encode_as_the_dicts_do() -> None:
    rows: list[tuple[Any, ...]] = [("", "x", None, ""), (), (None,), ("", ""), ("Acme", 3, 2.5)]
    got, expected = _requests(rows)
    assert _encode({"requests": got}) == _encode({"requests": expected})


def test_a_row_with_a_lone_surrogate_still_goes_through_the_standard_library() -> None:
    rows: list[tuple[Any, ...]] = [("Acme", 1), ("half a pair \ud800", 2), ("Acme", 3)]
    got, expected = _requests(rows)
    sent = got[-1]["updateCells"]["rows"]
    assert [isinstance(row, msgspec.Raw) for row in sent] == [True, False, True]
    assert _encode({"requests": got}) == json.dumps({"requests": expected}, allow_nan=False).encode(
        "utf-8"
    )


def test_a_value_of_another_type_is_written_as_cell_data_writes_it() -> None:
    rows: list[tuple[Any, ...]] = [("Acme", Decimal("1.5")), ("Acme", 2**70)]
    got, expected = _requests(rows)
    assert not isinstance(got[-1]["updateCells"]["rows"][0], msgspec.Raw)
    assert _encode({"requests": got}) == _encode({"requests": expected})
