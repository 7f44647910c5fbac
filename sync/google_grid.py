"""A tab as values.batchGet answers it column by column, and the rows the engine asks of it.

Why columns: a prospecting tab has tens of thousands of rows and a pass acts on the few with
a trigger cell filled (Flag, Lead, Sync note, Attempts). Read by column, those rows are found
by scanning a handful of lists with C-level iterators instead of visiting every row in
Python, and only they are assembled into rows. Rows come out exactly as a ROWS read gives
them: raw API values, trailing empty cells left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import compress, count, repeat, zip_longest
from operator import itemgetter, ne
from typing import Any

Cells = list[Any]


def _filled(column: list[Any]) -> Iterator[int]:
    """0-based indexes of the cells in `column` that hold something ('' is an empty cell)."""
    return compress(count(), map(ne, column, repeat("")))


def _has_value(column: list[Any]) -> bool:
    return next(_filled(column), None) is not None


def _trimmed(cells: Iterable[Any]) -> Cells:
    line = list(cells)
    while line and line[-1] == "":
        line.pop()
    return line


class ColumnGrid:
    """The values of one tab from A1, as a list of columns (majorDimension=COLUMNS)."""

    __slots__ = ("columns", "height", "width")

    def __init__(self, columns: list[list[Any]]) -> None:
        # The API leaves out trailing empty rows and columns; these hold either way.
        self.height = max(map(len, columns), default=0)
        self.width = next(
            (i + 1 for i in range(len(columns) - 1, -1, -1) if _has_value(columns[i])), 0
        )
        # Each column as the API sent it: below its last cell, a column is empty. Not padded
        # to the full height: a tab's mostly empty columns (a bench tab has three of 50,000
        # rows) would be filled with some 175,000 '' a pass, each copied, scanned and freed.
        self.columns = columns[: self.width]

    def row(self, index: int) -> Cells:
        """Row `index` (0-based) as a ROWS read gives it; [] for an empty row."""
        return _trimmed(self._padded(index))

    def cut(self, indexes: list[int]) -> list[tuple[Any, ...]]:
        """Rows `indexes` (0-based), each as wide as the tab: trailing '' cells are kept."""
        if not indexes or not self.columns:
            return [() for _ in indexes]
        if len(indexes) == 1:
            return [tuple(self._padded(indexes[0]))]
        pick = itemgetter(*indexes)
        first, last = min(indexes), max(indexes)
        picked: list[Iterable[Any]] = []
        for column in self.columns:
            if len(column) > last:
                picked.append(pick(column))
            elif len(column) <= first:  # every row asked for is below the column's end
                picked.append(repeat("", len(indexes)))
            else:
                picked.append(pick([*column, *repeat("", last + 1 - len(column))]))
        return list(zip(*picked, strict=True))

    def _padded(self, index: int) -> Cells:
        """Row `index` as wide as the tab, trailing '' cells kept."""
        return [column[index] if index < len(column) else "" for column in self.columns]

    def _lines(self) -> Iterator[tuple[Any, ...]]:
        """Every row from A1 as wide as the tab, trailing '' cells kept, down to the last row
        any kept column reaches."""
        return zip_longest(*self.columns, fillvalue="")

    def head(self, count_: int) -> list[Cells]:
        """The first `count_` rows (fewer when the tab is shorter), for finding headers."""
        return [self.row(i) for i in range(min(count_, self.height))]

    def rows(self) -> list[Cells]:
        """Every row from A1, as a ROWS read of the tab gives them."""
        if not self.columns:
            return []
        # The extra column of '' runs the rows down to the height even where only a column
        # with nothing in it (cut off at the width) reached that far; trimming drops its cell.
        lines = zip_longest(*self.columns, repeat("", self.height), fillvalue="")
        return [_trimmed(line) for line in lines]

    def filled_rows(self, columns: Iterable[int], after: int) -> list[int]:
        """0-based indexes of rows below row `after` with a value in any of `columns`."""
        # A column the API sent no cell of below row `after` fills no row there.
        picked = [
            self.columns[c]
            for c in columns
            if c < len(self.columns) and len(self.columns[c]) > after + 1
        ]
        if not picked:
            return []
        # Each column is scanned for its true cells by compress, in C with no call per cell,
        # and the row indexes made once for all columns: trigger columns are mostly empty,
        # and '' is false. A value that is false and no empty cell (0, False) would be
        # missed: the count of '' cells shows there is one, and that column is scanned
        # again comparing each cell with ''. A column shorter than the tab is scanned down to
        # its last cell: below it, nothing.
        indexes = list(range(self.height))
        found: set[int] = set()
        for column in picked:
            true = list(compress(indexes, column))
            if len(true) + column.count("") != len(column):
                true = list(compress(indexes, map(ne, column, repeat(""))))
            found.update(true)
        found.difference_update(indexes[: after + 1])
        return sorted(found)

    def data_rows(self, after: int) -> tuple[list[int], list[tuple[Any, ...]]]:
        """Every row below row `after` that holds something: 0-based indexes, and the rows as
        wide as the tab (trailing '' cells kept)."""
        lines = list(self._lines())
        del lines[: after + 1]
        filled = list(map(ne, lines, repeat(("",) * len(self.columns))))
        return list(compress(count(after + 1), filled)), list(compress(lines, filled))


class RowsByNumber(Mapping[int, Sequence[Any]]):
    """The data rows of a tab by 1-based row number, assembled only when asked for.

    What the write's checks compare a row with (google_write): the row as the pass read it,
    raw API values. A row may carry trailing '' cells, which read as the empty cells they are.
    `numbers` and `lines`: rows the read already assembled (the snapshot's), their numbers and
    their cells, so a pass looking up the rows it wrote does not assemble them again; only a
    write that missed its row walks them all. They are put in a dict by number on the first
    look-up: a pass that writes nothing never builds it.
    """

    __slots__ = ("_grid", "_header", "_known", "_lines", "_numbers", "_read")

    def __init__(
        self,
        grid: ColumnGrid,
        header_index: int,
        numbers: Sequence[int] = (),
        lines: Sequence[Sequence[Any]] = (),
    ) -> None:
        if len(numbers) != len(lines):
            raise ValueError(f"{len(numbers)} row numbers for {len(lines)} rows")
        self._grid = grid
        self._header = header_index  # 0-based row of the headers; rows below it are data
        self._read = numbers
        self._lines = lines
        self._known: dict[int, Sequence[Any]] | None = None
        self._numbers: list[int] | None = None

    def __getitem__(self, number: int) -> Sequence[Any]:
        known = self._known
        if known is None:
            known = self._known = dict(zip(self._read, self._lines, strict=True))
        found = known.get(number)
        if found is not None:
            return found
        index = number - 1
        if index <= self._header or index >= self._grid.height:
            raise KeyError(number)
        cells = self._grid.row(index)
        if not cells:
            raise KeyError(number)
        return cells

    def _all(self) -> list[int]:
        if self._numbers is None:
            self._numbers = [i + 1 for i in self._grid.data_rows(self._header)[0]]
        return self._numbers

    def __iter__(self) -> Iterator[int]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())
