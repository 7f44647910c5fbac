"""The prospecting workbook with buttons: an .xlsm whose buttons run `excel_addin` in Python.

Built, never stored: the VBA project holds xlwings' own VBA module (`xlwings.bas`, BSD-3) and
the `Dictionary` class module xlwings ships beside it (`addin/Dictionary.cls`, MIT, Tim Hall's
VBA-Dictionary), both read from the installed xlwings package at build time. Neither is this
repository's to commit, and xlwings.bas must match the installed xlwings' Python side (xlwings
refuses to run across versions).

How the file comes together:

1. The tabs are `sync.templates`' own layout (headers, dropdowns, formats), with the headers of
   the tabs that carry buttons on row 2: row 1 is the button bar (see `BUTTON_ROW_POINTS`).
2. An `xlwings.conf` sheet holds the LEADSYNC_* settings `excel_addin.workbook` reads.
3. openpyxl saves the package; then its parts are edited as text to make it macro-enabled
   (content types, the vbaProject part and its relationship) and to add the buttons as the VML
   drawing Excel itself writes for Form Control buttons (`sync.vml_buttons`).
4. `sync.vba_project` writes the VBA project: ThisWorkbook, one module per sheet named by the
   sheet's code name, `LeadsyncButtons` (one Sub per button), `xlwings` and the class module
   `Dictionary`.

Why the class module: on macOS, where there is no Scripting.Dictionary, xlwings.bas declares
`Dim d As Dictionary: Set d = New Dictionary` (the `#If Mac` branch of GetConfigFromSheet), and
VBA compiles a module as a whole before running any procedure of it, so without a `Dictionary`
class in the project no button would run on a Mac. On Windows the class is there but unused
(xlwings.bas takes Scripting.Dictionary, and so does the class itself outside `#If Mac`).

    python -m sync.xlsm_template prospecting.xlsm [--tracker leads.xlsx] [--owner NAME] [--force]
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import os
import posixpath
import re
import sys
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from openpyxl.utils import get_column_letter

from excel_addin.workbook import CONF_KEYS, CONF_SHEET, DEFAULT_OWNER
from sync.config import parse_config
from sync.errors import LeadsyncError
from sync.templates import (
    LEADS_TAB,
    PROSPECTS_TAB,
    create_exclusively,
    one_workbook,
    prospecting_workbook,
)
from sync.vba_project import VbaModule, build_vba_project, class_module_from_cls
from sync.vml_buttons import POINTS_PER_PIXEL, Button, button_bar, column_pixels, vml_drawing

BUTTONS_FILE = "prospecting.xlsm"
PROJECT_NAME = "VBAProject"  # what Excel calls a new workbook's project
WORKBOOK_CODE_NAME = "ThisWorkbook"
MACROS_MODULE = "LeadsyncButtons"
XLWINGS_MODULE = "xlwings"
DICTIONARY_CLASS = "Dictionary"  # the class name xlwings.bas declares under `#If Mac`

# Row 1 of a tab with buttons is a bar of buttons above the frozen header (row 2), so the
# buttons are on screen whatever the person scrolls to: the Prospects tab is about 1,900 pixels
# wide and Leads wider, so buttons right of the last column would start off screen, and rows
# below the header scroll away. Nothing of the data is under a button, and the engine finds the
# header on any of the first ten rows.
BUTTON_ROW_POINTS = 30
HEADER_ROW = 2


@dataclass(frozen=True)
class Macro:
    sub: str  # the VBA Sub behind the button
    function: str  # the function of excel_addin it runs
    caption: str  # what the button says
    tab: str  # the tab whose button bar shows it


MACROS: tuple[Macro, ...] = (
    Macro("SyncNow", "sync_now", "Sync now", PROSPECTS_TAB),
    Macro("ConvertSelection", "convert_selection", "Make leads of selected rows", PROSPECTS_TAB),
    Macro("StrikeSelection", "strike_selection", "Strike off selected rows", PROSPECTS_TAB),
    Macro("SetStandby", "set_standby", "Set selected leads to Standby…", LEADS_TAB),
    Macro("SetUp", "setup", "Set up tabs", PROSPECTS_TAB),
)

# Package facts (ECMA-376 Part 2 and the Excel-saved button07.xlsm of the test corpus).
_CONTENT_TYPES = "[Content_Types].xml"
_WORKBOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_MACRO_WORKBOOK_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
_VBA_TYPE = "application/vnd.ms-office.vbaProject"
_VML_TYPE = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
_VML_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/vmlDrawing"
_OFFICE_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_VBA_PART = "xl/vbaProject.bin"
# What follows <legacyDrawing> in CT_Worksheet (ECMA-376 Part 1, 18.3.1.99): it goes before
# the first of these the sheet has, else last.
_AFTER_LEGACY_DRAWING = (
    "legacyDrawingHF",
    "drawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
)
# A fixed time for the zip entries this module writes, so two builds differ only where the
# content does (openpyxl stamps the document properties with the time of the build).
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def macros_for(tabs: Sequence[str]) -> list[Macro]:
    """The buttons of a workbook with these tabs: Standby only where its Leads tab is."""
    return [macro for macro in MACROS if macro.tab in tabs]


def macros_source(macros: Sequence[Macro]) -> str:
    """The LeadsyncButtons module: one Sub per button, each running one excel_addin function."""
    lines = [
        "Option Explicit",
        "' The buttons of this workbook. Each runs one function of leadsync's excel_addin",
        "' package in Python, through RunPython of the xlwings module of this project.",
    ]
    for macro in macros:
        lines += [
            "",
            f"Sub {macro.sub}()",
            f'    RunPython "import excel_addin; excel_addin.{macro.function}()"',
            "End Sub",
        ]
    return "\r\n".join(lines) + "\r\n"


def _xlwings_file(relative: str) -> Path:
    """A file of the installed xlwings package.

    Found without importing xlwings: importing it starts its engines (and, in the tests, would
    do so before the remote engine's licence key is set).
    """
    spec = importlib.util.find_spec("xlwings")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("xlwings is not installed: pip install xlwings")
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: this xlwings installation has no {relative} to embed"
        )
    return path


def xlwings_bas_path() -> Path:
    """The installed xlwings package's own VBA module, the one its quickstart embeds."""
    return _xlwings_file("xlwings.bas")


def dictionary_cls_path() -> Path:
    """The installed xlwings package's `Dictionary` class as an exported .cls: the class
    xlwings' own standalone quickstart workbook holds beside its xlwings module."""
    return _xlwings_file("addin/Dictionary.cls")


def xlwings_source() -> str:
    """xlwings.bas as installed, without its `Attribute VB_Name` line (vba_project writes it).

    The file is ASCII; it is read as UTF-8 (ASCII's superset, how the xlwings repository stores
    text). vba_project then refuses anything code page 1252 cannot hold.
    """
    text = xlwings_bas_path().read_text(encoding="utf-8")
    kept = [
        line
        for line in text.splitlines()
        if not re.match(r"Attribute\s+VB_Name\s*=", line, flags=re.IGNORECASE)
    ]
    return "\r\n".join(kept) + "\r\n"


def dictionary_class() -> VbaModule:
    """The installed Dictionary.cls as a class module: its source without the export header
    and module-level attributes (vba_project writes them). ASCII, read as UTF-8 as xlwings.bas."""
    return class_module_from_cls(
        DICTIONARY_CLASS, dictionary_cls_path().read_text(encoding="utf-8")
    )


def vba_project(sheet_code_names: Sequence[str], macros: Sequence[Macro]) -> bytes:
    modules = [VbaModule(WORKBOOK_CODE_NAME, "", "workbook")]
    modules += [VbaModule(name, "", "worksheet") for name in sheet_code_names]
    modules += [
        VbaModule(MACROS_MODULE, macros_source(macros), "standard"),
        VbaModule(XLWINGS_MODULE, xlwings_source(), "standard"),
        dictionary_class(),
    ]
    return build_vba_project(PROJECT_NAME, modules)


def _conf_rows(tracker: str | None, time_zone: str | None, owner: str | None) -> dict[str, str]:
    given = {"LEADSYNC_TRACKER": tracker, "LEADSYNC_TIME_ZONE": time_zone, "LEADSYNC_OWNER": owner}
    unknown = sorted(set(given) - set(CONF_KEYS))
    if unknown:
        raise RuntimeError(f"excel_addin no longer reads {', '.join(unknown)}")
    # Every row excel_addin reads, in its order; the ones not given stay empty.
    return {key: given.get(key) or "" for key in CONF_KEYS}


_CONF_NOTES = (
    "How this sheet works: xlwings and the leadsync buttons read a setting's name in column A "
    "and its value in column B, from row 1 down to the first empty row. Add a row right below "
    "the last one, never after a gap; this column is only for you.",
    "A leadsync.toml beside this workbook, or the one LEADSYNC_CONFIG names, wins over the "
    "other LEADSYNC rows; empty rows mean: the tracker is this workbook, this computer's time "
    f'zone, owner "{DEFAULT_OWNER}".',
    "The Python that runs the buttons: add a row Interpreter_Win (Windows) or Interpreter_Mac "
    "(macOS) with its path, e.g. C:\\Users\\me\\leadsync\\.venv\\Scripts\\pythonw.exe; without "
    "one, xlwings' own settings (its ribbon or ~/.xlwings/xlwings.conf) are used.",
)


def _add_conf_sheet(wb: Any, rows: Mapping[str, str]) -> None:
    # Visible, as the last tab: it is where a person sets the tracker, owner and Python, and a
    # hidden sheet is one nobody finds. Hiding would not change what reads it: xlwings' VBA
    # (GetConfigFromSheet) and excel_addin both open it by name, hidden or not (xlwings' own
    # `release` command hides it and still reads it).
    ws = wb.create_sheet(CONF_SHEET)
    for number, (key, value) in enumerate(rows.items(), start=1):
        ws.cell(row=number, column=1, value=key)
        if value:
            ws.cell(row=number, column=2, value=value).data_type = "s"  # "=..." stays text
        ws.cell(row=number, column=3, value=CONF_KEYS[key])
    # Notes in column C only: column A must stay empty below the settings, or xlwings would
    # read a note as one more setting.
    for offset, note in enumerate(_CONF_NOTES):
        ws.cell(row=len(rows) + 2 + offset, column=3, value=note)
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 36
    ws.column_dimensions["C"].width = 100


def _workbook(
    tracker: str | None,
    time_zone: str | None,
    owner: str | None,
    prospects: Sequence[Mapping[str, object]],
    leads: Sequence[Mapping[str, object]],
) -> Any:
    if tracker is None:
        wb = one_workbook(prospects, leads, header_row=HEADER_ROW)
    elif leads:
        raise ValueError("leads go into the tracker file when the tracker is a file of its own")
    else:
        wb = prospecting_workbook(prospects, header_row=HEADER_ROW)
    for macro in MACROS:
        if macro.tab in wb.sheetnames:
            wb[macro.tab].row_dimensions[1].height = BUTTON_ROW_POINTS
    _add_conf_sheet(wb, _conf_rows(tracker, time_zone, owner))
    wb.code_name = WORKBOOK_CODE_NAME
    for number, ws in enumerate(wb.worksheets, start=1):
        ws.sheet_properties.codeName = f"Sheet{number}"
    return wb


def _check_settings(tracker: str | None, time_zone: str | None, owner: str | None) -> None:
    """Refuse what the buttons would refuse later: the settings as excel_addin reads them."""
    settings = {
        "time_zone": time_zone or "UTC",
        "default_owner": owner or DEFAULT_OWNER,
        "tracker": {"path": tracker or BUTTONS_FILE},
        "prospecting": [{"path": BUTTONS_FILE, "tabs": [PROSPECTS_TAB]}],
    }
    parse_config(settings, Path("."), "the workbook's settings")


def buttons_workbook_bytes(
    *,
    tracker: str | None = None,
    time_zone: str | None = None,
    owner: str | None = None,
    prospects: Sequence[Mapping[str, object]] = (),
    leads: Sequence[Mapping[str, object]] = (),
) -> bytes:
    """The .xlsm package: see the module docstring and `build_buttons_workbook`."""
    _check_settings(tracker, time_zone, owner)
    wb = _workbook(tracker, time_zone, owner, prospects, leads)
    macros = macros_for(wb.sheetnames)
    bars: dict[str, bytes] = {}
    for block, tab in enumerate(dict.fromkeys(m.tab for m in macros), start=1):
        ws = wb[tab]
        columns = [_column_pixels(ws, column) for column in range(1, ws.max_column + 1)]
        rows = [round(BUTTON_ROW_POINTS / POINTS_PER_PIXEL)]
        buttons = [Button(m.caption, m.sub) for m in macros if m.tab == tab]
        bars[tab] = vml_drawing(button_bar(buttons, rows[0]), columns, rows, block)
    buffer = io.BytesIO()
    wb.save(buffer)
    vba = vba_project([ws.sheet_properties.codeName for ws in wb.worksheets], macros)
    return macro_enabled(buffer.getvalue(), vba, bars)


def _column_pixels(ws: Any, column: int) -> int:
    letter = get_column_letter(column)
    # Looked up, not indexed: indexing would add an empty <col> entry for every column asked.
    dimension = ws.column_dimensions.get(letter)
    return column_pixels(dimension.width if dimension is not None and dimension.width else None)


def build_buttons_workbook(
    path: Path,
    *,
    tracker: str | None = None,
    time_zone: str | None = None,
    owner: str | None = None,
    prospects: Sequence[Mapping[str, object]] = (),
    leads: Sequence[Mapping[str, object]] = (),
) -> None:
    """Write the prospecting workbook with buttons to `path`, replacing it atomically.

    Without `tracker` it holds Prospects, Leads and Clients (the buttons' own tracker) and five
    buttons; with `tracker` (a tracker file, relative to the workbook's folder) only Prospects,
    the xlwings.conf sheet names the tracker and there is no Standby button, since the leads
    are in the other file. `time_zone` and `owner` fill their xlwings.conf rows. `prospects`
    and `leads` are rows below the headers, as in `sync.templates`.
    """
    content = buttons_workbook_bytes(
        tracker=tracker, time_zone=time_zone, owner=owner, prospects=prospects, leads=leads
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(content)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def create_buttons_workbook(path: Path, **options: Any) -> None:
    """As `build_buttons_workbook`, but never over an existing file (FileExistsError)."""
    create_exclusively(path, buttons_workbook_bytes(**options))


# ---- the package edits -------------------------------------------------------------------


def macro_enabled(package: bytes, vba: bytes, buttons: Mapping[str, bytes]) -> bytes:
    """`package` (an .xlsx as openpyxl saves it) as an .xlsm holding `vba`, with each VML
    drawing of `buttons` (tab name -> vmlDrawing part) as that tab's legacy drawing."""
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    types = parts[_CONTENT_TYPES].decode("utf-8")
    if f'ContentType="{_WORKBOOK_TYPE}"' not in types:
        raise ValueError("the package has no workbook part of type spreadsheetml.sheet.main")
    types = types.replace(_WORKBOOK_TYPE, _MACRO_WORKBOOK_TYPE)
    types = _with_default(types, "bin", _VBA_TYPE)
    if buttons:
        types = _with_default(types, "vml", _VML_TYPE)
    parts[_CONTENT_TYPES] = types.encode("utf-8")

    workbook_rels = "xl/_rels/workbook.xml.rels"
    parts[workbook_rels] = _add_relationship(parts[workbook_rels], _VBA_REL, "vbaProject.bin")[0]
    parts[_VBA_PART] = vba

    sheet_parts = _sheet_parts(parts["xl/workbook.xml"], parts[workbook_rels])
    for number, (tab, drawing) in enumerate(buttons.items(), start=1):
        vml = f"xl/drawings/vmlDrawing{number}.vml"
        if vml in parts:
            raise ValueError(f"the package already has {vml}")
        parts[vml] = drawing
        sheet = sheet_parts[tab]
        rels_name = posixpath.join(
            posixpath.dirname(sheet), "_rels", posixpath.basename(sheet) + ".rels"
        )
        rels = parts.get(rels_name, _EMPTY_RELS)
        parts[rels_name], rel_id = _add_relationship(
            rels, _VML_REL, f"../drawings/vmlDrawing{number}.vml"
        )
        parts[sheet] = _with_legacy_drawing(parts[sheet], rel_id)

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(zipfile.ZipInfo(name, _ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


_EMPTY_RELS = f'<Relationships xmlns="{_PACKAGE_RELS}"></Relationships>'.encode()


def _with_default(types: str, extension: str, content_type: str) -> str:
    if re.search(rf'<Default\s+Extension="{extension}"', types, flags=re.IGNORECASE):
        return types
    default = f'<Default Extension="{extension}" ContentType="{content_type}"/>'
    start = re.search(r"<Types\b[^>]*>", types)
    if start is None:
        raise ValueError("[Content_Types].xml has no <Types> element")
    # Defaults first, as Excel writes them; any order is valid.
    return types[: start.end()] + default + types[start.end() :]


def _add_relationship(rels: bytes, rel_type: str, target: str) -> tuple[bytes, str]:
    text = rels.decode("utf-8")
    taken = set(re.findall(r'\bId="([^"]*)"', text))
    number = 1
    while f"rId{number}" in taken:
        number += 1
    rel_id = f"rId{number}"
    element = f'<Relationship Id="{rel_id}" Type="{rel_type}" Target="{target}"/>'
    if "</Relationships>" not in text:
        raise ValueError("a relationships part without </Relationships>")
    return text.replace("</Relationships>", element + "</Relationships>", 1).encode(), rel_id


def _sheet_parts(workbook: bytes, rels: bytes) -> dict[str, str]:
    """Sheet name -> its part's name in the zip, from workbook.xml and its relationships."""
    targets = {}
    for rel in ElementTree.fromstring(rels).iter(f"{{{_PACKAGE_RELS}}}Relationship"):
        target = rel.attrib["Target"]
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        targets[rel.attrib["Id"]] = posixpath.normpath(part)
    sheets = ElementTree.fromstring(workbook).iter(f"{{{_MAIN}}}sheet")
    return {s.attrib["name"]: targets[s.attrib[f"{{{_OFFICE_RELS}}}id"]] for s in sheets}


def _with_legacy_drawing(sheet: bytes, rel_id: str) -> bytes:
    text = sheet.decode("utf-8")
    if re.search(r"<legacyDrawing\b", text):
        raise ValueError("the sheet already has a legacy drawing")
    root = re.search(r"<worksheet\b[^>]*>", text)
    if root is None:
        raise ValueError("not a worksheet part (no unprefixed <worksheet> element)")
    if 'xmlns:r="' not in root.group(0):
        opening = root.group(0)[:-1] + f' xmlns:r="{_OFFICE_RELS}">'
        text = text[: root.start()] + opening + text[root.end() :]
    positions = [
        match.start()
        for tag in _AFTER_LEGACY_DRAWING
        if (match := re.search(rf"<{tag}[\s/>]", text)) is not None
    ]
    at = min(positions) if positions else text.rindex("</worksheet>")
    element = f'<legacyDrawing r:id="{rel_id}"/>'
    return (text[:at] + element + text[at:]).encode("utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sync.xlsm_template",
        description="Build the prospecting workbook with buttons (an .xlsm) from the installed "
        "xlwings and leadsync's templates.",
    )
    parser.add_argument("out", type=Path, help="the .xlsm to write")
    parser.add_argument("--tracker", help="a tracker file beside it (default: the workbook itself)")
    parser.add_argument("--time-zone", help="IANA zone (default: the computer's, when pressed)")
    parser.add_argument("--owner", help='owner of leads with no Assign to (default "Sales team")')
    parser.add_argument("--force", action="store_true", help="replace OUT if it exists")
    args = parser.parse_args(argv)
    out: Path = args.out
    if out.suffix.lower() != ".xlsm":
        parser.error(f"{out}: a workbook with macros must end in .xlsm")
    options = {"tracker": args.tracker, "time_zone": args.time_zone, "owner": args.owner}
    try:
        if args.force:
            build_buttons_workbook(out, **options)
        else:
            create_buttons_workbook(out, **options)
    except (FileExistsError, ValueError, LeadsyncError) as error:
        print(f"{parser.prog}: {error}", file=sys.stderr)
        return 2
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
