"""rows_of makes the rows a backend reads as lists exactly as Row and CellsView do."""

from __future__ import annotations

import random
from typing import Any

import pytest

from sync.snapshot import CellsView, Row, rows_of


@pytest.mark.parametrize("seed", range(30))
def test_rows_of_is_row_of_a_cells_view(seed: int) -> None:
    rng = random.Random(seed)
    values: list[Any] = ["", "x", 0, 1.5, True, None]
    columns = {"a": 0, "b": 2, "c": 5}
    lines = [tuple(rng.choice(values) for _ in range(rng.randint(0, 6))) for _ in range(20)]
    numbers = sorted(rng.sample(range(2, 100), len(lines)))
    made = rows_of(numbers, lines, columns)
    expected = [Row(n, CellsView(cells, columns)) for n, cells in zip(numbers, lines, strict=True)]
    assert made == expected
    for row, cells, number in zip(made, lines, numbers, strict=True):
        assert type(row) is Row and type(row.values) is CellsView
        assert row.number is number and row.values._cells is cells
        assert row.values._columns is columns
        assert row.unresolved == frozenset() and row.text("a") == Row(number, row.values).text("a")
        assert row.fetched() == Row(number, CellsView(cells, columns)).fetched()


def test_rows_of_refuses_numbers_that_do_not_match_the_rows() -> None:
    assert rows_of([], [], {}) == []
    with pytest.raises(ValueError, match="2 row numbers for 1 rows"):
        rows_of([2, 3], [("x",)], {"a": 0})
