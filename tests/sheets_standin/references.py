"""Formula references follow inserted and deleted rows and columns, as they do in Sheets.

=C2*2 below a row inserted above row 2 becomes =C3*2; a reference to a deleted row becomes
#REF!; a range loses the rows deleted from it.
"""

from __future__ import annotations

import re

from .a1 import column_index, column_letters

_PART = re.compile(
    r"""(?P<text>"(?:[^"]|"")*")
    | (?P<sheet>(?:'(?:[^']|'')+'|[A-Za-z_][\w.]*)!)?
      (?P<c1>\$?[A-Za-z]{1,3})(?P<r1>\$?\d+)(?::(?P<c2>\$?[A-Za-z]{1,3})(?P<r2>\$?\d+))?
      (?![\w(])""",
    re.VERBOSE,
)


def shift(formula: str, home: str, changed: str, rows: bool, start: int, delta: int) -> str:
    """Rewrite the references of a formula on tab `home` after tab `changed` had `delta`
    rows (or columns) inserted (delta > 0) or deleted (delta < 0) at 0-based `start`."""

    def rewrite(match: re.Match[str]) -> str:
        if match.group("text"):
            return match.group()
        prefix = match.group("sheet") or ""
        title = prefix[:-1]
        if title.startswith("'"):
            title = title[1:-1].replace("''", "'")
        if (title or home) != changed:
            return match.group()
        ends = [(match.group("c1"), match.group("r1"))]
        if match.group("c2"):
            ends.append((match.group("c2"), match.group("r2")))
        moved = _move(ends, rows, start, delta)
        if moved is None:
            return "#REF!"
        return prefix + ":".join(col + row for col, row in moved)

    return _PART.sub(rewrite, formula)


def _move(
    ends: list[tuple[str, str]], rows: bool, start: int, delta: int
) -> list[tuple[str, str]] | None:
    indexes = [_index(row if rows else col, rows) for col, row in ends]
    if delta > 0:
        indexes = [i + delta if i >= start else i for i in indexes]
    else:
        end = start - delta
        first, last = indexes[0], indexes[-1]
        if start <= first and last < end:
            return None  # everything it named is gone
        first = first if first < start else max(start, first + delta if first >= end else start)
        last = last if last < start else (last + delta if last >= end else start - 1)
        indexes = [first, last][: len(indexes)]
    moved = []
    for (col, row), index in zip(ends, indexes, strict=True):
        if rows:
            moved.append((col, ("$" if row.startswith("$") else "") + str(index + 1)))
        else:
            moved.append((("$" if col.startswith("$") else "") + column_letters(index), row))
    return moved


def _index(part: str, rows: bool) -> int:
    bare = part.lstrip("$")
    return int(bare) - 1 if rows else column_index(bare)
