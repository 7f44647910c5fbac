"""A worksheet part read as it decompresses: its head, then its rows a window at a time.

Shared by the sparse read (sync/xlsx_sparse.py) and the streamed patch
(sync/xlsx_sheet_stream.py): both need the part up to where its rows begin, then the rows in
pieces that each end where a row ends, so that no row is ever cut in two.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO


class PartEnded(Exception):
    """The part ended before what was looked for: no cell table, or one that never closes."""


def read_head(source: IO[bytes], start: re.Pattern[bytes], window: int) -> tuple[bytes, bytes]:
    """The part up to the end of the first match of `start` (the sheetData start tag), and
    what was read past it."""
    head = b""
    while True:
        chunk = source.read(window)
        head += chunk
        found = start.search(head)
        if found is not None:
            return head[: found.end()], head[found.end() :]
        if not chunk:
            raise PartEnded


def row_windows(
    source: IO[bytes], buffer: bytes, prefix: bytes, window: int
) -> Iterator[tuple[bytes, bytes]]:
    """The rows in pieces that end where a row ends, each with what follows the rows (b""
    until the last piece, then </sheetData> and the rest of the part). `buffer` is what was
    read past the sheetData start tag."""
    closing_rows = b"</" + prefix + b"sheetData>"
    closing_row = b"</" + prefix + b"row>"
    while True:
        closing = buffer.find(closing_rows)
        if closing >= 0:
            yield buffer[:closing], buffer[closing:] + source.read()
            return
        cut = buffer.rfind(closing_row)
        if cut >= 0:
            cut += len(closing_row)
            yield buffer[:cut], b""
            buffer = buffer[cut:]
        chunk = source.read(window)
        if not chunk:
            raise PartEnded
        buffer += chunk
