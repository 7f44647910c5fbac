"""The prospecting workbook with buttons (sync.xlsm_template), read back by readers we did not
write: openpyxl for the cells, olevba for the VBA project, the package's own relationships for
its structure, LibreOffice for what an office suite makes of the buttons and macros, and the
engine's own Excel path for what a pass does to it.

Real Excel is not on this machine; what only Excel can tell is listed in templates/README.md.
"""

from __future__ import annotations

import importlib.util
import inspect
import itertools
import posixpath
import re
import subprocess
import tempfile
import zipfile
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import openpyxl
import pytest
from libreoffice import MISSING, SOFFICE, TIMEOUT_SECONDS
from oletools.olevba import VBA_Parser

import excel_addin
import sync
from excel_addin.workbook import CONF_KEYS, CONF_SHEET
from sync.config import CONFIG_FILE, load_config, parse_config
from sync.errors import ConfigError
from sync.headers import FIELDS, TabKind, canonical_headers
from sync.layout import HEADER_SEARCH_ROWS
from sync.xlsm_template import BUTTONS_FILE, build_buttons_workbook, main

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

CT = "http://schemas.openxmlformats.org/package/2006/content-types"
PR = "http://schemas.openxmlformats.org/package/2006/relationships"
OR = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
VML = {
    "v": "urn:schemas-microsoft-com:vml",
    "x": "urn:schemas-microsoft-com:office:excel",
}
VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
VML_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/vmlDrawing"
MACRO_WORKBOOK = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"

ALL_TABS = ["Prospects", "Leads", "Clients", CONF_SHEET]
# What a salesperson reads on each tab's buttons, and the Sub each one runs.
PROSPECTS_BUTTONS = {
    "Sync now": "SyncNow",
    "Make leads of selected rows": "ConvertSelection",
    "Strike off selected rows": "StrikeSelection",
    "Set up tabs": "SetUp",
}
LEADS_BUTTONS = {"Set selected leads to Standby…": "SetStandby"}
RUN_PYTHON = re.compile(
    r'Sub (\w+)\(\)\r?\n    RunPython "import excel_addin; excel_addin\.(\w+)\(\)"\r?\nEnd Sub'
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One workbook holding everything, as `leadsync init --excel-buttons` makes it."""
    path = tmp_path_factory.mktemp("one") / BUTTONS_FILE
    build_buttons_workbook(path)
    return path


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A prospecting workbook whose tracker is a file of its own."""
    path = tmp_path_factory.mktemp("split") / "Prospecting.xlsm"
    build_buttons_workbook(path, tracker="leads.xlsx", time_zone="Europe/Rome", owner="Giulia Neri")
    return path


# ---- readers -------------------------------------------------------------------------------


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


def relationships(package: dict[str, bytes], part: str) -> dict[str, tuple[str, str]]:
    """Id -> (type, target part) of a part's relationships ({} when it has none)."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    if rels not in package:
        return {}
    found = {}
    for rel in ElementTree.fromstring(package[rels]).iter(f"{{{PR}}}Relationship"):
        target = rel.attrib["Target"]
        resolved = target[1:] if target.startswith("/") else posixpath.join(folder, target)
        found[rel.attrib["Id"]] = (rel.attrib["Type"], posixpath.normpath(resolved))
    return found


def sheet_parts(package: dict[str, bytes]) -> dict[str, str]:
    """Tab name -> worksheet part."""
    rels = relationships(package, "xl/workbook.xml")
    book = ElementTree.fromstring(package["xl/workbook.xml"])
    return {
        s.attrib["name"]: rels[s.attrib[f"{{{OR}}}id"]][1] for s in book.iter(f"{{{MAIN}}}sheet")
    }


def code_names(package: dict[str, bytes]) -> tuple[str | None, dict[str, str | None]]:
    """The workbook's codeName and each tab's, as the XML holds them."""
    book = ElementTree.fromstring(package["xl/workbook.xml"]).find(f"{{{MAIN}}}workbookPr")
    tabs = {}
    for tab, part in sheet_parts(package).items():
        properties = ElementTree.fromstring(package[part]).find(f"{{{MAIN}}}sheetPr")
        tabs[tab] = None if properties is None else properties.get("codeName")
    return (None if book is None else book.get("codeName")), tabs


def buttons(package: dict[str, bytes]) -> dict[str, list[dict[str, Any]]]:
    """Tab -> the shapes of its legacy (VML) drawing, found through <legacyDrawing r:id>."""
    found: dict[str, list[dict[str, Any]]] = {}
    for tab, part in sheet_parts(package).items():
        legacy = ElementTree.fromstring(package[part]).find(f"{{{MAIN}}}legacyDrawing")
        if legacy is None:
            continue
        rel_type, vml = relationships(package, part)[legacy.attrib[f"{{{OR}}}id"]]
        assert rel_type == VML_REL
        shapes = []
        for shape in ElementTree.fromstring(package[vml]).iter(f"{{{VML['v']}}}shape"):
            data = shape.find("x:ClientData", VML)
            assert data is not None
            textbox = shape.find("v:textbox", VML)
            shapes.append(
                {
                    "kind": data.get("ObjectType"),
                    "macro": data.findtext("x:FmlaMacro", default="", namespaces=VML),
                    "caption": "".join(textbox.itertext()).strip() if textbox is not None else "",
                    "anchor": [
                        int(n) for n in data.findtext("x:Anchor", "", VML).split(",") if n.strip()
                    ],
                    "part": vml,
                }
            )
        found[tab] = shapes
    return found


def vba_modules(path: Path) -> dict[str, str]:
    """Module name -> source as olevba extracts it, its Attribute header left out."""
    parser = VBA_Parser(str(path))
    try:
        assert parser.detect_vba_macros()
        extracted = [(stream, code) for _, stream, _, code in parser.extract_macros()]
    finally:
        parser.close()
    modules = {}
    for stream, code in extracted:
        lines = code.replace("\r\n", "\n").split("\n")
        while lines and lines[0].startswith("Attribute VB_"):
            lines.pop(0)
        modules[stream.removeprefix("VBA/")] = "\n".join(lines)
    return modules


def installed_xlwings_file(relative: str) -> str:
    """The text of a file of the installed xlwings, LF line ends."""
    spec = importlib.util.find_spec("xlwings")  # not imported: see xlwings_remote
    assert spec is not None and spec.origin is not None
    path = Path(spec.origin).parent / relative
    return path.read_text(encoding="utf-8").replace("\r\n", "\n")


def installed_xlwings_bas() -> str:
    """xlwings.bas of the installed xlwings, without its Attribute VB_Name line."""
    lines = installed_xlwings_file("xlwings.bas").split("\n")
    assert lines[0].startswith("Attribute VB_Name")
    return "\n".join(lines[1:])


def installed_dictionary_cls() -> str:
    """xlwings' Dictionary.cls as installed, less what is not code: the VERSION 1.0 CLASS /
    BEGIN / END header of an exported class and the module-level Attribute lines below it."""
    lines = installed_xlwings_file("addin/Dictionary.cls").split("\n")
    assert lines[:2] == ["VERSION 1.0 CLASS", "BEGIN"]
    lines = lines[lines.index("END") + 1 :]
    assert lines[0] == 'Attribute VB_Name = "Dictionary"'
    while lines[0].startswith("Attribute VB_"):
        lines.pop(0)
    return "\n".join(lines)


def module_files(path: Path) -> dict[str, str]:
    """Module name -> the file name olevba gives it: .bas for a standard module, .cls for a
    class or document module (from the PROJECT stream's Module=, Class=, Document= lines)."""
    parser = VBA_Parser(str(path))
    try:
        return {s.removeprefix("VBA/"): name for _, s, name, _ in parser.extract_macros()}
    finally:
        parser.close()


def header_row(ws: Any, kind: TabKind) -> int:
    wanted = canonical_headers(kind)
    for number in range(1, HEADER_SEARCH_ROWS + 1):
        if [c.value for c in ws[number]][: len(wanted)] == wanted:
            return number
    raise AssertionError(f"{ws.title}: no {kind} header in the first rows")


def records(path: Path, tab: str, kind: TabKind) -> list[dict[str, Any]]:
    ws = openpyxl.load_workbook(path)[tab]
    top = header_row(ws, kind)
    keys = [f.key for f in FIELDS[kind]]
    return [
        dict(zip(keys, row, strict=False))
        for row in ws.iter_rows(min_row=top + 1, values_only=True)
        if any(c is not None for c in row)
    ]


def subs(module: str) -> dict[str, str]:
    """Sub name -> excel_addin function, for each Sub of the buttons module."""
    declared = re.findall(r"^Sub (\w+)\(", module, flags=re.MULTILINE)
    calls = dict(RUN_PYTHON.findall(module.replace("\r\n", "\n")))
    assert sorted(declared) == sorted(calls), "a Sub that does not just RunPython excel_addin"
    return calls


# ---- cells ---------------------------------------------------------------------------------


def test_the_tabs_headers_and_settings_are_the_templates(built: Path) -> None:
    book = openpyxl.load_workbook(built, keep_vba=True)
    assert book.sheetnames == ALL_TABS
    # Row 1 of the tabs with buttons is the button bar: empty, tall enough for a button.
    for tab, kind, top in (
        ("Prospects", TabKind.PROSPECTS, 2),
        ("Leads", TabKind.LEADS, 2),
        ("Clients", TabKind.CLIENTS, 1),
    ):
        ws = book[tab]
        assert header_row(ws, kind) == top
        assert ws.freeze_panes == f"A{top + 1}"
        if top == 2:
            assert all(c.value is None for c in ws[1])
            assert ws.row_dimensions[1].height >= 22
    (flag,) = book["Prospects"].data_validations.dataValidation
    assert str(flag.sqref) == "A3:A5000" and flag.formula1 == '"+,x,✓"'

    conf = book[CONF_SHEET]
    assert conf.sheet_state == "visible"
    # xlwings reads A1 downwards to the first empty cell: the settings are exactly that block.
    column_a = [c.value for c in conf["A"]]
    assert column_a[: len(CONF_KEYS)] == list(CONF_KEYS)
    assert all(v is None for v in column_a[len(CONF_KEYS) :])
    assert all(conf.cell(row=n, column=2).value is None for n in range(1, len(CONF_KEYS) + 1))
    assert all(conf.cell(row=n, column=3).value for n in range(1, len(CONF_KEYS) + 1))


def test_a_separate_tracker_leaves_only_prospects_and_names_the_tracker(split: Path) -> None:
    book = openpyxl.load_workbook(split, keep_vba=True)
    assert book.sheetnames == ["Prospects", CONF_SHEET]
    conf = book[CONF_SHEET]
    settings = {
        conf.cell(row=n, column=1).value: conf.cell(row=n, column=2).value for n in (1, 2, 3, 4)
    }
    assert settings == {
        "LEADSYNC_CONFIG": None,
        "LEADSYNC_TRACKER": "leads.xlsx",
        "LEADSYNC_TIME_ZONE": "Europe/Rome",
        "LEADSYNC_OWNER": "Giulia Neri",
    }


def test_settings_the_buttons_would_refuse_are_refused_when_building(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="time_zone"):
        build_buttons_workbook(tmp_path / "x.xlsm", time_zone="Rome")
    assert not (tmp_path / "x.xlsm").exists()


# ---- VBA -----------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["built", "split"])
def test_olevba_finds_every_module_named_as_excel_needs(which: str, request: Any) -> None:
    path: Path = request.getfixturevalue(which)
    modules = vba_modules(path)
    workbook_name, tab_names = code_names(parts(path))
    assert workbook_name == "ThisWorkbook"
    assert sorted(tab_names.values()) == [f"Sheet{n}" for n in range(1, len(tab_names) + 1)]
    # A document module attaches to the workbook or sheet whose codeName is its name.
    assert set(modules) == {
        "ThisWorkbook",
        *tab_names.values(),
        "LeadsyncButtons",
        "xlwings",
        "Dictionary",
    }


def test_the_xlwings_module_is_the_installed_xlwings_bas(built: Path) -> None:
    source = vba_modules(built)["xlwings"]
    assert source.rstrip("\n") == installed_xlwings_bas().rstrip("\n")
    assert f'XLWINGS_VERSION As String = "{version("xlwings")}"' in source


@pytest.mark.parametrize("which", ["built", "split"])
def test_the_dictionary_class_is_the_installed_dictionary_cls(which: str, request: Any) -> None:
    path: Path = request.getfixturevalue(which)
    # What xlwings.bas needs it for: on a Mac there is no Scripting.Dictionary.
    assert re.search(
        r"#If Mac Then\n\s*Dim d As Dictionary\n\s*Set d = New Dictionary",
        vba_modules(path)["xlwings"],
    )
    source = vba_modules(path)["Dictionary"]
    assert source.rstrip("\n") == installed_dictionary_cls().rstrip("\n")
    files = module_files(path)
    assert (files["Dictionary"], files["xlwings"]) == ("Dictionary.cls", "xlwings.bas")


@pytest.mark.parametrize("which", ["built", "split"])
def test_each_button_macro_runs_a_real_excel_addin_function(which: str, request: Any) -> None:
    modules = vba_modules(request.getfixturevalue(which))
    calls = subs(modules["LeadsyncButtons"])
    # A button names its macro without its module: the name must be unique in the project.
    procedures = re.findall(
        r"^(?:Public |Private )?(?:Sub|Function) (\w+)", modules["xlwings"], flags=re.MULTILINE
    )
    assert procedures and not {p.upper() for p in procedures} & {c.upper() for c in calls}
    assert calls  # and each is a public function of excel_addin that takes the calling book
    for function in calls.values():
        assert function in excel_addin.__all__ and callable(getattr(excel_addin, function))
        assert list(inspect.signature(getattr(excel_addin, function)).parameters) == ["book"]


# ---- buttons -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("which", "expected"),
    [
        ("built", {"Prospects": PROSPECTS_BUTTONS, "Leads": LEADS_BUTTONS}),
        # The leads are in the other file, and with them the Standby button.
        ("split", {"Prospects": PROSPECTS_BUTTONS}),
    ],
)
def test_each_button_is_a_form_button_running_a_sub_of_the_buttons_module(
    which: str, expected: dict[str, dict[str, str]], request: Any
) -> None:
    path: Path = request.getfixturevalue(which)
    calls = subs(vba_modules(path)["LeadsyncButtons"])
    found = buttons(parts(path))
    seen: dict[str, dict[str, str]] = {}
    for tab, shapes in found.items():
        for shape in shapes:
            assert shape["kind"] == "Button"
            macro = re.fullmatch(r"\[0\]!(\w+)", shape["macro"])
            assert macro is not None and macro.group(1) in calls, shape
            assert shape["caption"]
            seen.setdefault(tab, {})[shape["caption"]] = macro.group(1)
    assert seen == expected
    # ... and no Sub without its button.
    assert sorted(calls) == sorted(s for tab in expected.values() for s in tab.values())


def test_the_buttons_sit_in_the_bar_above_the_header(built: Path) -> None:
    for shapes in buttons(parts(built)).values():
        lefts = []
        for shape in shapes:
            left_col, left_off, top_row, _, right_col, right_off, bottom_row, _ = shape["anchor"]
            assert top_row == bottom_row == 0  # row 1; the header is row 2
            lefts.append((left_col, left_off, right_col, right_off))
        # Side by side, none over another.
        ordered = sorted(lefts)
        for before, after in itertools.pairwise(ordered):
            assert before[2:] < after[:2]


# ---- package -------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["built", "split"])
def test_every_relationship_resolves_and_every_part_has_a_content_type(
    which: str, request: Any
) -> None:
    package = parts(request.getfixturevalue(which))
    types = ElementTree.fromstring(package["[Content_Types].xml"])
    defaults = {
        d.attrib["Extension"].lower(): d.attrib["ContentType"]
        for d in types.iter(f"{{{CT}}}Default")
    }
    overrides = {
        o.attrib["PartName"].lstrip("/"): o.attrib["ContentType"]
        for o in types.iter(f"{{{CT}}}Override")
    }
    assert set(overrides) <= set(package)
    for name in package:
        if name != "[Content_Types].xml":
            assert name in overrides or name.rsplit(".", 1)[-1].lower() in defaults, name
    assert overrides["xl/workbook.xml"] == MACRO_WORKBOOK
    assert defaults["bin"] == "application/vnd.ms-office.vbaProject"

    for name in [n for n in package if n.endswith(".rels")]:
        folder = posixpath.dirname(posixpath.dirname(name))
        source = posixpath.join(folder, posixpath.basename(name)[: -len(".rels")])
        assert source in package or name == "_rels/.rels", name
        for rel_type, target in relationships(package, source).values():
            assert target in package, (name, rel_type, target)

    workbook_rels = relationships(package, "xl/workbook.xml")
    assert [t for kind, t in workbook_rels.values() if kind == VBA_REL] == ["xl/vbaProject.bin"]
    drawings = buttons(package)
    assert drawings and all(shape["part"] in package for s in drawings.values() for shape in s)
    # legacyDrawing sits where the schema puts it: after pageMargins, the last element before it.
    for tab in drawings:
        sheet = ElementTree.fromstring(package[sheet_parts(package)[tab]])
        tags = [child.tag.split("}")[1] for child in sheet]
        assert tags.index("legacyDrawing") == tags.index("pageMargins") + 1


# ---- LibreOffice ---------------------------------------------------------------------------


@pytest.mark.skipif(SOFFICE is None, reason=MISSING)
def test_libreoffice_sees_the_macros_and_the_buttons_wired_to_them(built: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="leadsync-lo-") as scratch:
        root = Path(scratch)
        command = [
            str(SOFFICE),
            f"-env:UserInstallation={(root / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "ods",
            "--outdir",
            str(root),
            str(built),
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=TIMEOUT_SECONDS)
        ods = parts(root / (built.stem + ".ods"))

    # LibreOffice imports the VBA project as a Basic library of the same modules.
    module = ElementTree.fromstring(ods["Basic/VBAProject/LeadsyncButtons.xml"])
    assert subs(module.text or "") == subs(vba_modules(built)["LeadsyncButtons"])
    assert "Basic/VBAProject/xlwings.xml" in ods
    # ... the Dictionary module as a class module ("Option ClassModule"), its code intact.
    dictionary = ElementTree.fromstring(ods["Basic/VBAProject/Dictionary.xml"])
    assert dictionary.get("{http://openoffice.org/2000/script}moduleType") == "class"
    lines = (dictionary.text or "").split("\n")
    assert lines[:3] == [
        "Rem Attribute VBA_ModuleType=VBAClassModule",
        "Option VBASupport 1",
        "Option ClassModule",
    ]
    # (LibreOffice Basic has no procedure attributes: it drops `Attribute Item.VB_...` lines.)
    code = [
        line for line in installed_dictionary_cls().split("\n") if not line.startswith("Attribute ")
    ]
    assert "\n".join(lines[3:]).rstrip("\n") == "\n".join(code).rstrip("\n")

    # ... and each button as a form button whose press runs that module's Sub.
    form = "urn:oasis:names:tc:opendocument:xmlns:form:1.0"
    script = "urn:oasis:names:tc:opendocument:xmlns:script:1.0"
    xlink = "http://www.w3.org/1999/xlink"
    pressed = {}
    for button in ElementTree.fromstring(ods["content.xml"]).iter(f"{{{form}}}button"):
        (listener,) = button.iter(f"{{{script}}}event-listener")
        target = re.fullmatch(
            r"vnd\.sun\.star\.script:VBAProject\.LeadsyncButtons\.(\w+)\?.*",
            listener.attrib[f"{{{xlink}}}href"],
        )
        assert target is not None, listener.attrib
        pressed[button.attrib[f"{{{form}}}label"]] = target.group(1)
    assert pressed == PROSPECTS_BUTTONS | LEADS_BUTTONS


# ---- the engine ----------------------------------------------------------------------------


def test_a_pass_makes_the_lead_once_and_keeps_buttons_and_vba(tmp_path: Path) -> None:
    path = tmp_path / "Sales.xlsm"
    build_buttons_workbook(
        path, prospects=[{"flag": "+", "company": "Acme Inc"}, {"company": "Beta Srl"}]
    )
    before = parts(path)
    kept = ["xl/vbaProject.bin", *{s["part"] for v in buttons(before).values() for s in v}]
    config = parse_config(
        {
            "default_owner": "Giulia",
            "tracker": {"path": path.name},
            "prospecting": [{"path": path.name, "tabs": ["Prospects"]}],
        },
        tmp_path,
    )
    for _ in range(2):  # the second pass finds nothing left to do
        sync.run(config, now=NOW)
        (lead,) = records(path, "Leads", TabKind.LEADS)
        assert lead["company"] == "Acme Inc"
    rows = {r["company"]: r for r in records(path, "Prospects", TabKind.PROSPECTS)}
    assert (rows["Acme Inc"]["flag"], rows["Acme Inc"]["lead"]) == ("✓", lead["lead_id"])
    assert rows["Beta Srl"]["flag"] is None
    after = parts(path)
    assert len(kept) == 3 and all(after[name] == before[name] for name in kept)
    assert buttons(after) == buttons(before)  # still wired to the same parts


# ---- making one ----------------------------------------------------------------------------


def test_init_excel_buttons_makes_the_workbook_and_its_config_and_never_overwrites(
    tmp_path: Path, cli: Any
) -> None:
    folder = tmp_path / "sales"
    result = cli("init", folder, "--excel-buttons", "--time-zone", "Europe/Rome")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == [CONFIG_FILE, BUTTONS_FILE]
    config = load_config(folder / CONFIG_FILE)
    assert config.tracker_path == config.prospecting_paths[0] == folder / BUTTONS_FILE
    assert config.time_zone == "Europe/Rome"
    assert buttons(parts(folder / BUTTONS_FILE))

    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    again = cli("init", folder, "--excel-buttons")
    assert again.exit_code == 2 and "already exists" in again.output
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before

    (folder / CONFIG_FILE).unlink()  # the workbook alone still stops it
    alone = cli("init", folder, "--excel-buttons")
    assert alone.exit_code == 2 and BUTTONS_FILE in alone.output
    assert not (folder / CONFIG_FILE).exists()


def test_building_one_by_hand_never_replaces_a_file_unless_told(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mine.xlsm"
    out.write_bytes(b"a person's workbook")
    assert main([str(out)]) == 2
    assert (
        out.read_bytes() == b"a person's workbook" and "already exists" in capsys.readouterr().err
    )
    assert main([str(out), "--force", "--owner", "Giulia"]) == 0
    assert openpyxl.load_workbook(out)[CONF_SHEET]["B4"].value == "Giulia"
