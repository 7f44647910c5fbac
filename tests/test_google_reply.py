"""The write's reply check never misses a cell that differs from what the pass read.

google_reply.unequal is the fast first look (C-level maps over Structs); every index it does
not name must be one that `same(from_cell_data(cell), read)` calls the same, the check
google_write made cell by cell before. Random CellData JSON, decoded as a real reply is.
"""

from __future__ import annotations

import json
import random
from typing import Any

import msgspec
import pytest

from sync.google_cells import from_cell_data
from sync.google_reply import Reply, as_cell_data, landed, shows_as_text, swapped, unequal
from sync.planner import same


class _Any:
    """Equal to anything: a read value `unequal` must never name (once google_write's
    stand-in for a cell the write sets)."""

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    def __hash__(self) -> int:
        return id(self)


_ANY = _Any()

READ_VALUES: list[Any] = ["", "Acme", "acme ", "3", 3, 3.0, 2.5, 0, True, False, "#N/A", "x"]


def _random_cell(rng: random.Random) -> dict[str, Any]:
    shown = rng.choice(
        [
            None,
            {"stringValue": rng.choice(["", "Acme", "acme", "3", "x", "#N/A"])},
            {"numberValue": rng.choice([3, 3.0, 2.5, 0, 1])},
            {"boolValue": rng.choice([True, False])},
            {"errorValue": {"type": "N_A", "message": "no value"}},
        ]
    )
    cell: dict[str, Any] = {}
    if shown is not None:
        cell["effectiveValue"] = shown
        if "errorValue" in shown:
            cell["formattedValue"] = "#N/A"
        else:
            cell["formattedValue"] = str(next(iter(shown.values())))
    return cell


def _reply(rows: list[list[dict[str, Any]]]) -> Reply:
    body = {
        "replies": [{"findReplace": {"occurrencesChanged": 1}}, {}],
        "updatedSpreadsheet": {
            "sheets": [
                {
                    "properties": {"title": "Leads"},
                    "data": [{"startRow": 4, "rowData": [{"values": r} for r in rows]}],
                }
            ]
        },
    }
    return msgspec.json.decode(json.dumps(body).encode(), type=Reply)


@pytest.mark.parametrize("seed", range(40))
def test_unequal_names_every_cell_same_would_call_different(seed: int) -> None:
    rng = random.Random(seed)
    width = 12
    raw = [[_random_cell(rng) for _ in range(width)] for _ in range(20)]
    read = [rng.choice(READ_VALUES) for _ in range(20 * width)]
    rows = landed(_reply(raw))
    assert list(rows) == ["Leads"] and sorted(rows["Leads"]) == list(range(5, 25))
    cells = [c for n in range(5, 25) for c in rows["Leads"][n]]
    named = set(unequal(cells, read))
    for index, (cell, want) in enumerate(zip(cells, read, strict=True)):
        data = raw[index // width][index % width]
        assert as_cell_data(cell).get("effectiveValue", {}) == data.get("effectiveValue", {})
        if not same(from_cell_data(data), want):
            # Named, unless it is an error cell whose text is what the read gave.
            assert index in named or (cell.formattedValue == want and shows_as_text(cell))
        if index in named:  # an error read as its own text is no difference
            assert not (cell.formattedValue == want and shows_as_text(cell))


def test_empty_cells_match_empty_reads_and_errors_show_as_text() -> None:
    reply = _reply([[{}, {"effectiveValue": {"errorValue": {"type": "REF"}}}]])
    cells = landed(reply)["Leads"][5]
    assert unequal(cells, ["", "#REF!"]) == [1]
    assert shows_as_text(cells[1]) and not shows_as_text(cells[0])
    assert swapped(reply, 0) and not swapped(reply, 1) and not swapped(reply, 7)
    assert not swapped(reply, None)


def test_error_cells_read_as_their_text_are_left_out() -> None:
    error = {"effectiveValue": {"errorValue": {"type": "N_A"}}, "formattedValue": "#N/A"}
    empty_shown = {"effectiveValue": {}, "formattedValue": "x"}
    no_shown = {"formattedValue": "x"}
    cells = landed(_reply([[error, error, empty_shown, no_shown, {}]]))["Leads"][5]
    assert unequal(cells, ["#N/A", "#REF!", "x", "x", ""]) == [1, 3]
    read = ["#N/A", "#N/A", "", "", "y"]
    named = unequal(cells, read)
    assert [i for i in named if not same(from_cell_data(as_cell_data(cells[i])), read[i])] == [4]
    assert as_cell_data(cells[3]) == no_shown and as_cell_data(cells[4]) == {}


def _unequal_as_before(cells: list[Any], read: list[Any]) -> list[int]:
    """unequal as it was before its first look became a text compare: kind by kind."""
    kinds = {int: "numberValue", float: "numberValue", bool: "boolValue"}
    named = []
    for index, (cell, want) in enumerate(zip(cells, read, strict=True)):
        shown = cell.effectiveValue
        if getattr(shown, kinds.get(type(want), "stringValue")) == want:
            continue
        error = (shown.stringValue, shown.numberValue, shown.boolValue) == (None, None, None)
        if cell.formattedValue != want or not error:
            named.append(index)
    return named


@pytest.mark.parametrize("seed", range(40))
def test_unequal_names_exactly_the_cells_it_named_kind_by_kind(seed: int) -> None:
    rng = random.Random(seed)
    width = 12
    raw = [[_random_cell(rng) for _ in range(width)] for _ in range(20)]
    raw[0][:4] = [{}, {"effectiveValue": {}}, {"formattedValue": "x"}, {"effectiveValue": {}}]
    rows = landed(_reply(raw))
    cells = [c for n in range(5, 25) for c in rows["Leads"][n]]
    read = [rng.choice([*READ_VALUES, _ANY, None, 1, 0.0]) for _ in cells]
    assert unequal(cells, read) == _unequal_as_before(cells, read)
