"""LibreOffice headless as a second, independent reader of the workbooks leadsync writes.

`python3 dev.py test` installs it where it can (Debian's libreoffice-calc, as root); elsewhere
the tests that need it skip and say why.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
MISSING = "LibreOffice (soffice) is not installed: `python3 dev.py test` installs it when root"
# Comma-separated, double quotes, UTF-8 (76), from row 1, values as shown, every sheet (-1).
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
TIMEOUT_SECONDS = 600


def sheets_as_shown(workbooks: Sequence[Path]) -> dict[tuple[str, str], list[list[str]]]:
    """Every sheet of every workbook as LibreOffice shows it: (file stem, sheet) -> rows.

    One soffice process converts them all, with a profile of its own so it never meets a
    LibreOffice a person has open.
    """
    if SOFFICE is None:
        raise RuntimeError(MISSING)
    with tempfile.TemporaryDirectory(prefix="leadsync-lo-") as scratch:
        root = Path(scratch)
        out = root / "out"
        command = [
            SOFFICE,
            f"-env:UserInstallation={(root / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            CSV_FILTER,
            "--outdir",
            str(out),
            *map(str, workbooks),
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=TIMEOUT_SECONDS)
        shown: dict[tuple[str, str], list[list[str]]] = {}
        for workbook in workbooks:
            for path in out.glob(f"{workbook.stem}-*.csv"):
                sheet = path.stem[len(workbook.stem) + 1 :]
                with path.open(encoding="utf-8", newline="") as handle:
                    shown[workbook.stem, sheet] = list(csv.reader(handle))
        return shown


def cell(rows: list[list[str]], row: int, column: int) -> str:
    """The text LibreOffice shows in a 1-based cell; '' past the sheet's end."""
    if row > len(rows) or column > len(rows[row - 1]):
        return ""
    return rows[row - 1][column - 1]
