"""A row write's cells go out as pre-encoded JSON fragments (google_write._row_requests): the
body they make must be the very bytes the dict requests (_cell) made, and a cell msgspec cannot
encode must still reach the standard library's fallback as before."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, cast

import msgspec
import pytest

from sync.google_client import SheetsClient, _encode
from sync.google_row_write import RowWrite
from sync.google_write import SheetState, TabState, Writer
from sync.snapshot import CellValue, TabRef

REF = TabRef("sheet-id", "Prospects")
KEYS = [f"f{n}" for n in range(12)]


def _writer() -> Writer:
    tab = TabState(
        sheet_id=123456789,
        header_row=1,
        columns={key: n for n, key in enumerate(KEYS, start=1)},
        width=len(KEYS),
        grid_columns=len(KEYS),
        rows={},
    )
    state = SheetState("sheet-id", "Team", None, set(), tabs={REF: tab})
    return Writer(cast(SheetsClient, None), state)


VALUES: list[CellValue] = [
    "Acme",
    "",
    None,
    'quote " back \\ slash',
    "line\nbreak\ttab\x00\x1f",
    "Acmé 東京 😀",
    "=SUM(A1)",
    date(2026, 12, 7),
    date(2026, 12, 7),  # the same day again: the fragment remembered for it
    datetime(2026, 12, 7, 9, 30),
    datetime(2026, 12, 7),
    datetime(2026, 12, 7, 9, 30, tzinfo=UTC),
    datetime(2026, 12, 7, 9, 30, tzinfo=timezone(timedelta(hours=2))),
    0,
    -17,
    2**70,
    3.25,
    1e-300,
    True,
    False,
]


def _bodies(values: list[CellValue], row: int = 42) -> tuple[list[Any], list[Any]]:
    writer = _writer()
    got: list[Any] = []
    for start in range(0, len(values), len(KEYS)):
        chunk = values[start : start + len(KEYS)]
        write = RowWrite(REF, row, row, dict(zip(KEYS, chunk, strict=False)), {})
        writer._row_requests([write], got, {})
    expected = [
        writer._cell(REF, row, KEYS[n % len(KEYS)], value) for n, value in enumerate(values)
    ]
    return got, expected


def test_fragments_encode_to_the_bytes_the_dict_requests_encode_to() -> None:
    got, expected = _bodies(VALUES)
    assert any(isinstance(r, msgspec.Raw) for r in got)
    assert _encode({"requests": got}) == _encode({"requests": expected})
    for one, other in zip(got, expected, strict=True):
        assert _encode({"requests": [one]}) == _encode({"requests": [other]})


@pytest.mark.parametrize("row", [1, 2, 1000, 10_000_000])
def test_fragments_name_the_row_and_column_as_the_dict_requests_do(row: int) -> None:
    got, expected = _bodies(["x"] * len(KEYS), row)
    assert _encode({"requests": got}) == _encode({"requests": expected})


def test_a_lone_surrogate_still_goes_through_the_standard_library() -> None:
    values: list[CellValue] = ["Acme", "half a pair \ud800", date(2026, 12, 7), None]
    got, expected = _bodies(values)
    assert _encode({"requests": got}) == json.dumps({"requests": expected}, allow_nan=False).encode(
        "utf-8"
    )


def test_a_body_the_standard_library_cannot_write_still_fails_as_before() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        _encode({"requests": [msgspec.Raw(b"{}"), "\ud800", object()]})


@pytest.mark.parametrize(
    ("old", "new"),
    [("+", "✓"), ('a "quoted" flag', "back \\ slash"), ("+", "Acmé 東京 😀"), ("+", "\ud800")],
)
def test_a_flag_swap_encodes_to_the_bytes_of_its_dict_request(old: str, new: str) -> None:
    writer = _writer()
    got: list[Any] = []
    swaps: dict[RowWrite, int] = {}
    write = RowWrite(REF, 42, 40, {"f3": "x", "flag": new}, {"flag": old})
    writer.state.tabs[REF].columns["flag"] = 13
    writer._row_requests([write], got, swaps)
    assert swaps == {write: 1}
    expected = [writer._cell(REF, 40, "f3", "x"), writer._swap(REF, 40, "flag", old, new)]
    assert _encode({"requests": got}) == _encode({"requests": expected})
