"""Finding the engine's columns in a tab, the same way for every backend.

A person's sheet may have a title or a blank line above its headers, so the header row is the
one among the first rows that names the most known columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sync.errors import SheetLayoutError
from sync.headers import FIELDS, TabKind, match_headers
from sync.snapshot import Row, Tab, TabRef

HEADER_SEARCH_ROWS = 10


def find_headers(
    grid: Sequence[Sequence[object]], aliases: dict[str, str]
) -> tuple[int, dict[str, int]]:
    """The 0-based index of the header row and its field key -> 0-based column map."""
    best_index, best = 0, dict[str, int]()
    for index, cells in enumerate(grid[:HEADER_SEARCH_ROWS]):
        found = match_headers(cells, aliases)
        if len(found) > len(best):
            best_index, best = index, found
    return best_index, best


def require_headers(label: str, kind: TabKind, columns: dict[str, int]) -> None:
    missing = [f for f in FIELDS[kind] if f.required and f.key not in columns]
    if missing:
        names = " and ".join(f"'{f.header}'" for f in missing)
        raise SheetLayoutError(
            f"{label}: no {names} column in the header row; add a column headed "
            f"{names} (or an alias set under [headers.{kind.value}] in leadsync.toml)"
        )


def last_used(cells: Sequence[object]) -> int:
    """1-based index of the last non-empty cell, 0 for an empty row."""
    for index in range(len(cells) - 1, -1, -1):
        if cells[index] not in (None, ""):
            return index + 1
    return 0


def found_tab(
    ref: TabRef,
    kind: TabKind,
    label: str,
    used: int,
    header_index: int,
    columns: dict[str, int],
    rows: Sequence[Row],
    **more: Any,
) -> Tab:
    """The snapshot's Tab for a tab read; `columns` are 0-based as find_headers gives them, and
    `used` is the last column anything is typed in, header or not: a missing engine column is
    added right of it, never over a person's cells."""
    return Tab(
        ref=ref,
        kind=kind,
        label=label,
        header_row=header_index + 1,
        columns={k: i + 1 for k, i in columns.items()},
        rows=tuple(rows),
        first_free_column=used + 1,
        **more,
    )
