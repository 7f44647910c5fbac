"""A tab read column by column gives the engine exactly the rows a read by row gives."""

from __future__ import annotations

import random
from typing import Any

import pytest

from sync.google_grid import ColumnGrid, RowsByNumber


def _trim(lines: list[list[Any]]) -> list[list[Any]]:
    """What the Sheets API leaves out of an answer: trailing empty cells, then empty lines."""
    out = [list(line) for line in lines]
    for line in out:
        while line and line[-1] == "":
            line.pop()
    while out and not out[-1]:
        out.pop()
    return out


def _answers(sheet: list[list[Any]]) -> tuple[list[list[Any]], list[list[Any]]]:
    """The ROWS and the COLUMNS answer for the same cells."""
    width = max(map(len, sheet), default=0)
    square = [row + [""] * (width - len(row)) for row in sheet]
    columns = [list(column) for column in zip(*square, strict=True)] if square else []
    return _trim(square), _trim(columns)


def _random_sheet(rng: random.Random) -> list[list[Any]]:
    values: list[Any] = ["", "", "", "x", "+", 0, 0.5, 45000, True, False, " "]
    height, width = rng.randint(0, 12), rng.randint(0, 7)
    return [[rng.choice(values) for _ in range(width)] for _ in range(height)]


@pytest.mark.parametrize("seed", range(200))
def test_rows_match_a_read_by_row(seed: int) -> None:
    rows, columns = _answers(_random_sheet(random.Random(seed)))
    grid = ColumnGrid(columns)
    assert grid.rows() == rows
    assert grid.width == max(map(len, rows), default=0)
    assert [grid.row(i) for i in range(len(rows))] == rows
    assert grid.head(3) == rows[:3]
    # Zeros and False are values, only '' is an empty cell.
    filled = [i for i, row in enumerate(rows) if i > 0 and row]
    found, lines = grid.data_rows(0)
    assert found == filled
    assert lines == grid.cut(filled)
    wanted = [i for i, row in enumerate(rows) if i > 1 and any(c != "" for c in row[1:3])]
    assert grid.filled_rows([1, 2, 40], after=1) == wanted
    cut = grid.cut(filled)
    assert [list(line[: len(rows[i])]) for i, line in zip(filled, cut, strict=True)] == [
        rows[i] for i in filled
    ]
    assert all(set(line[len(rows[i]) :]) <= {""} for i, line in zip(filled, cut, strict=True))


@pytest.mark.parametrize("seed", range(50))
def test_rows_by_number_are_the_data_rows_as_read(seed: int) -> None:
    rows, columns = _answers(_random_sheet(random.Random(seed)))
    view = RowsByNumber(ColumnGrid(columns), header_index=0)
    expected = {n: row for n, row in enumerate(rows, start=1) if n > 1 and row}
    assert dict(view.items()) == expected
    assert len(view) == len(expected)
    assert view.get(1) is None  # the header row is not a data row
    assert view.get(len(rows) + 5) is None


def test_an_empty_tab_and_an_empty_middle_column() -> None:
    assert ColumnGrid([]).rows() == [] and ColumnGrid([]).width == 0
    grid = ColumnGrid([["Flag", "+"], [], ["Company", "", "Acme"]])
    assert grid.rows() == [["Flag", "", "Company"], ["+"], ["", "", "Acme"]]
    assert grid.filled_rows([0], after=0) == [1]
    assert RowsByNumber(grid, 0)[3] == ["", "", "Acme"]
    with pytest.raises(KeyError):
        RowsByNumber(grid, 0)[1]


def test_rows_the_read_assembled_are_handed_back_as_they_are() -> None:
    grid = ColumnGrid([["Flag", "+", ""], ["Company", "Acme", "Beta"]])
    known = ("+", "Acme")
    view = RowsByNumber(grid, 0, [2], [known])
    assert view[2] is known  # not assembled again
    assert view[3] == ["", "Beta"]  # the others as a ROWS read gives them
    assert list(view) == [2, 3]


def test_cut_from_columns_of_different_lengths() -> None:
    # Columns are kept as the API sent them: one reaching past every row cut, one ending
    # above them all, one ending among them.
    grid = ColumnGrid([["A", "1", "2", "3", "4"], ["B"], ["C", "x", "", "y"]])
    assert grid.height == 5
    assert grid.cut([1, 2, 4]) == [("1", "", "x"), ("2", "", ""), ("4", "", "")]
    assert grid.cut([3]) == [("3", "", "y")]
    assert grid.cut([2, 3]) == [("2", "", ""), ("3", "", "y")]
    assert grid.data_rows(0) == ([1, 2, 3, 4], grid.cut([1, 2, 3, 4]))
    assert grid.row(4) == ["4"] and grid.row(3) == ["3", "", "y"]
    assert grid.filled_rows([2], after=0) == [1, 3]


def test_columns_with_nothing_in_them_make_no_rows() -> None:
    # As when the grid was padded: no kept column, no row; a cut-off empty column still
    # reaching further runs the kept ones' rows down to the height.
    assert ColumnGrid([[""], [""]]).rows() == []
    assert ColumnGrid([["a"], ["", "", ""]]).rows() == [["a"], [], []]
