"""One row's writes in a pass's batchUpdate, as google_write groups and checks them.

A module of its own because it is a msgspec Struct: google_write is compiled by mypyc, which
drops a class statement's keywords (eq=False here), and msgspec reads them from there.
"""

from __future__ import annotations

import msgspec

from sync.snapshot import CellValue, TabRef


# Told apart by identity (eq=False): two may name the same row. A Struct, not a dataclass: a
# busy pass makes thousands (one for each row it writes), and a Struct is made in C, without
# a dataclass __init__'s Python frame. Not frozen: google_write fills the cells in as it
# meets them.
class RowWrite(msgspec.Struct, eq=False):
    tab: TabRef
    row: int  # where the pass read the row
    at: int  # where this write goes (the same, unless the row moved)
    cells: dict[str, CellValue]
    expect: dict[str, CellValue]
    strike: bool = False
