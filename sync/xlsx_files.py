"""File-level care for a person's workbook: is it open, did it change, save it atomically."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from sync.errors import WorkbookChanged, WorkbookInUse


def owner_files(path: Path) -> list[Path]:
    """The lock files Excel and LibreOffice keep beside a workbook they hold open.

    Excel names its owner file '~$' + the name, or, for longer names, replaces the first two
    characters of the name with '~$'; LibreOffice writes '.~lock.NAME#'.
    """
    name = path.name
    candidates = {f"~${name}", f"~${name[2:]}", f".~lock.{name}#"}
    return sorted(p for c in candidates if (p := path.with_name(c)).exists())


def refuse_if_open(path: Path) -> None:
    found = owner_files(path)
    if found:
        raise WorkbookInUse(
            f"{path.name} is open in Excel or LibreOffice (lock file {found[0].name} is there). "
            "Save and close it, then run leadsync again. Nothing was written."
        )


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def file_digest(path: Path) -> str:
    """digest() of a file's content, read a piece at a time."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def atomic_save(path: Path, write: Callable[[Path], None], expected_digest: str) -> None:
    """Write a new version beside the file, then swap it in with one rename.

    A crash leaves either the old file or the new one, never half of one. The swap is refused
    when the file on disk is no longer the one the pass read (a person saved in between).
    """
    refuse_if_open(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(temporary)
    try:
        write(tmp)
        shutil.copymode(path, tmp)
        # Flushed to disk before the rename, so a power cut cannot leave an empty file behind;
        # opened for writing because Windows refuses to flush a read-only handle.
        with tmp.open("r+b") as handle:
            os.fsync(handle.fileno())
        if file_digest(path) != expected_digest:
            raise WorkbookChanged(
                f"{path.name} was changed by someone else while leadsync was syncing; "
                "nothing was written to it. Run leadsync again."
            )
        refuse_if_open(path)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
