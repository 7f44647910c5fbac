"""FastWorkbook (sync/xlsx_read.py) reads every cell exactly as the openpyxl backend does.

The reference is always openpyxl itself, loaded the way the openpyxl backend loaded a workbook
(a full load, not read-only), with data_only=True so a formula cell shows its cached result,
and each value passed through that backend's rule (`_as_snapshot` below, its `_cell_value`).
Formula cells are taken from a second load without data_only, where openpyxl marks them with
data_type "f".
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from factories import Cli
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904

import sync.xlsx_read
from sync.demo_data import demo_leads, demo_prospects
from sync.errors import BackendError
from sync.snapshot import CellValue
from sync.templates import build_one_workbook, build_prospecting_workbook, build_tracker_workbook
from sync.xlsx_read import FastWorkbook, SheetGrid

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(
    os.environ.get("LEADSYNC_EXCEL_CORPUS") or REPO / ".." / "shared" / "excel-corpus" / "files"
)
# Corpus workbooks that cannot be compared, each with the reason. Empty: all 236 workbooks of
# the corpus open in openpyxl and match cell for cell. A workbook openpyxl cannot open fails
# the test until it is listed here with the reason: none is ever skipped silently.
NOT_COMPARABLE: dict[str, str] = {}
TODAY = date(2025, 3, 14)
# The reference loads make openpyxl warn about what it would drop on save; not our concern here.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:openpyxl")

Typed = list[list[tuple[type, CellValue]]]


# ---- the reference: openpyxl --------------------------------------------------------------


def _as_snapshot(value: object) -> CellValue:
    """How the openpyxl backend put an openpyxl value into a snapshot (its `_cell_value`)."""
    if value is None or isinstance(value, str | int | float | bool | datetime | date):
        return value
    if isinstance(value, time):
        return value.isoformat()
    return str(value)


def _meaningful(rows: Any) -> Typed:
    """Rows without their trailing empty cells and without trailing empty rows, each value
    paired with its type, so 3 never passes for 3.0, nor True for 1, nor a date for a datetime.

    Only the ends may differ in length: openpyxl's grid runs to the last cell the file names
    (cells that carry only a style, or lie in a merged range, count, and hold None), while a
    SheetGrid ends at its last value or a little past it. Every cell up to the last value of
    either must match.
    """
    typed = [[(type(v), v) for v in row] for row in rows]
    for row in typed:
        while row and row[-1][1] is None:
            row.pop()
    while typed and not typed[-1]:
        typed.pop()
    return typed


def _openpyxl_view(content: bytes) -> dict[str, tuple[Typed, set[tuple[int, int]], set[Any]]]:
    """Per worksheet: values, formula cells, and formula cells with no cached value."""
    values = openpyxl.load_workbook(io.BytesIO(content), data_only=True)
    formulas = openpyxl.load_workbook(io.BytesIO(content))
    view = {}
    for sheet in values.worksheets:
        rows = [tuple(_as_snapshot(v) for v in row) for row in sheet.iter_rows(values_only=True)]
        found = {
            (cell.row, cell.column)
            for row in formulas[sheet.title].iter_rows()
            for cell in row
            if cell.data_type == "f"
        }
        unresolved = {ref for ref in found if sheet.cell(*ref).value is None}
        view[sheet.title] = (_meaningful(rows), found, unresolved)
    return view


def _assert_reads_as_openpyxl(content: bytes, name: str = "book.xlsx") -> dict[str, SheetGrid]:
    expected = _openpyxl_view(content)
    reference = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    grids = {}
    with FastWorkbook(content, name) as book:
        assert book.sheet_names == reference.sheetnames
        assert book.date1904 == (reference.epoch == CALENDAR_MAC_1904)
        for sheet, (rows, found, unresolved) in expected.items():
            grid = book.grid(sheet)
            assert len({len(row) for row in grid.rows}) <= 1, "a grid is a rectangle"
            got = _meaningful(grid.rows)
            for number, (mine, theirs) in enumerate(zip(got, rows, strict=False), start=1):
                assert mine == theirs, f"{name} › {sheet} row {number}"
            assert len(got) == len(rows), f"{name} › {sheet}: rows"
            assert grid.formulas == found, f"{name} › {sheet}: formula cells"
            assert grid.unresolved == unresolved, f"{name} › {sheet}: uncalculated formulas"
            grids[sheet] = grid
    reference.close()
    return grids


@pytest.fixture
def openpyxl_parser_used(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the workbooks whose tabs went through openpyxl's parser, not the fast path."""
    used: list[str] = []
    original = FastWorkbook._openpyxl_grid

    def spy(self: FastWorkbook, xml: Any) -> SheetGrid:
        used.append(self.name)
        return original(self, xml)

    monkeypatch.setattr(FastWorkbook, "_openpyxl_grid", spy)
    return used


# ---- every workbook of the corpus ------------------------------------------------------------


def _corpus() -> Iterator[Any]:
    if not CORPUS.is_dir():
        reason = f"no Excel corpus at {CORPUS.resolve()} (set LEADSYNC_EXCEL_CORPUS to one)"
        yield pytest.param(None, marks=pytest.mark.skip(reason=reason), id="no-corpus")
        return
    for path in sorted(p for p in CORPUS.iterdir() if p.is_file()):
        marks = []
        if path.name in NOT_COMPARABLE:
            marks.append(pytest.mark.xfail(reason=NOT_COMPARABLE[path.name], strict=True))
        yield pytest.param(path, marks=marks, id=path.name)


@pytest.mark.parametrize("path", list(_corpus()))
def test_corpus_workbook_reads_as_openpyxl(path: Path) -> None:
    _assert_reads_as_openpyxl(path.read_bytes(), path.name)


# ---- the project's own workbooks ------------------------------------------------------------


def test_templates_as_init_writes_them(
    tmp_path: Path, cli: Cli, openpyxl_parser_used: list[str]
) -> None:
    assert cli("init", tmp_path, "--time-zone", "UTC").exit_code == 0
    for name in ("prospects.xlsx", "leads.xlsx"):
        grids = _assert_reads_as_openpyxl((tmp_path / name).read_bytes(), name)
        assert all(grid.rows and grid.rows[0][0] is not None for grid in grids.values())
    assert openpyxl_parser_used == []


def test_workbooks_built_from_the_templates(
    tmp_path: Path, openpyxl_parser_used: list[str]
) -> None:
    build_prospecting_workbook(tmp_path / "prospects.xlsx", demo_prospects(TODAY))
    build_tracker_workbook(tmp_path / "leads.xlsx", demo_leads(TODAY))
    build_one_workbook(tmp_path / "one.xlsx", demo_prospects(TODAY), demo_leads(TODAY))
    for path in sorted(tmp_path.iterdir()):
        _assert_reads_as_openpyxl(path.read_bytes(), path.name)
    assert openpyxl_parser_used == []


def test_workbooks_after_a_pass(tmp_path: Path, cli: Cli, openpyxl_parser_used: list[str]) -> None:
    # The demo runs one real pass: ticks, lead IDs and notes written back into the files.
    assert cli("demo", tmp_path / "demo").exit_code == 0
    for name in ("prospects.xlsx", "leads.xlsx"):
        _assert_reads_as_openpyxl((tmp_path / "demo" / name).read_bytes(), name)
    assert openpyxl_parser_used == []


# ---- a workbook holding every kind of value -----------------------------------------------

HEADERS = ["Flag", "Company", "Amount", "Count", "Active", "Since", "Last call", "Call at"]
HEADERS += ["Took", "Formula", "Note"]


def _every_kind(date1904: bool) -> bytes:
    """Title rows, then a header in row 3, rows with every kind of value and empty rows between
    them; formulas with and without cached results (openpyxl saves none: the results are put
    in afterwards, as Excel stores them when it saves)."""
    wb = openpyxl.Workbook()
    if date1904:
        wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.title = "Prospects"
    ws["A1"] = "Team prospects, spring"
    ws.append([])
    ws.append(HEADERS)
    ws.append(
        [
            "+",
            "Acme",
            1200.5,
            3,
            True,
            date(2025, 3, 14),
            datetime(2025, 3, 14, 9, 30, 15),
            time(9, 30),
            timedelta(hours=30),
            "=C4*2",
            "  padded  ",
        ]
    )
    ws.append(
        [
            None,
            "=HYPERLINK(1)",
            3.0,
            -7,
            False,
            date(1900, 1, 15),
            datetime(2025, 3, 14, 9, 30, 15, 250000),
            time(0, 0),
            timedelta(days=2, minutes=5),
            "=C5+1",
            " ",
        ]
    )
    ws.append([])
    ws.append([])
    ws.append(
        [
            "x",
            "Bäckerei Müller ✓",
            0.1,
            12345678901234567891,
            None,
            date(2024, 2, 29),
            None,
            None,
            None,
            '=B8&" GmbH"',
            "line one\nline two",
        ]
    )
    ws.append(["", "#N/A", 1e-7, 10**15, None, None, None, None, None, "=1/0", "tab\there"])
    ws.append([None, "12", 2.5, 0, None, None, None, None, None, "=TRUE()", "_x000D_ stays"])
    ws.append([None, "Dated by formula", None, None, None, None, None, None, None, "=F4+1", None])
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.column != 10 and cell.value != "#N/A":
                cell.data_type = "s"  # text, even when it starts with "=" (as the engine writes)
    ws["J11"].number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    wb.save(buffer)
    return _calculated(
        buffer.getvalue(),
        {
            "J4": (None, "2401"),
            "J8": ("str", "Bäckerei Müller ✓ GmbH"),
            "J9": ("e", "#DIV/0!"),
            "J10": ("b", "1"),
            "J11": (None, "45731" if not date1904 else "44269"),
        },
    )


def _calculated(content: bytes, results: dict[str, tuple[str | None, str]]) -> bytes:
    """The workbook with cached results for these formula cells: ref -> (type, stored text)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    part = "xl/worksheets/sheet1.xml"
    xml = source.read(part).decode()
    for ref, (kind, text) in results.items():
        cell = re.compile(rf'(<c r="{ref}"[^>]*)>(<f>.*?</f>)<v\s*/>')
        typed = f' t="{kind}"' if kind else ""
        xml, count = cell.subn(lambda m: f"{m[1]}{typed}>{m[2]}<v>{text}</v>", xml)  # noqa: B023
        assert count == 1, ref
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, xml if item.filename == part else source.read(item))
    return buffer.getvalue()


@pytest.mark.parametrize("date1904", [False, True], ids=["1900", "1904"])
def test_every_kind_of_value(date1904: bool, openpyxl_parser_used: list[str]) -> None:
    grid = _assert_reads_as_openpyxl(_every_kind(date1904))["Prospects"]

    rows = grid.rows
    assert rows[1] == (None,) * len(rows[1])  # an empty row in the middle is all None
    assert rows[2][: len(HEADERS)] == tuple(HEADERS)  # the header, in row 3
    assert rows[3][2:10] == (
        1200.5,
        3,
        True,
        datetime(2025, 3, 14),
        datetime(2025, 3, 14, 9, 30, 15),
        "09:30:00",
        "1 day, 6:00:00",
        2401,
    )
    assert rows[3][10] == "  padded  "
    assert rows[4][1:5] == ("=HYPERLINK(1)", 3, -7, False)
    assert type(rows[4][2]) is int  # openpyxl stores 3.0 as "3", and reads it back as 3
    assert rows[4][5] == datetime(1900, 1, 15)
    assert rows[4][6] == datetime(2025, 3, 14, 9, 30, 15, 250000)
    assert rows[4][10] == " "
    assert rows[5] == rows[6] == (None,) * len(rows[5])
    assert rows[7][9:] == ("Bäckerei Müller ✓ GmbH", "line one\nline two")
    assert rows[8][1] == "#N/A"
    assert rows[8][9] == "#DIV/0!"
    assert rows[9][1:3] == ("12", 2.5)
    assert rows[9][9:] == (True, "_x000D_ stays")
    assert rows[10][9] == datetime(2025, 3, 15)
    assert grid.formulas == {(4, 10), (5, 10), (8, 10), (9, 10), (10, 10), (11, 10)}
    assert grid.unresolved == {(5, 10)}  # =C5+1 was never calculated
    assert openpyxl_parser_used == []


def test_1904_date_reads_as_the_right_date() -> None:
    content = _raw_workbook(
        '<row r="1"><c r="A1" s="1"><v>44268</v></c><c r="B1" s="1"><v>1.5</v></c></row>',
        formats={164: "yyyy-mm-dd hh:mm"},
        styles=[0, 164],
        date1904=True,
    )
    with FastWorkbook(content, "mac.xlsx") as book:
        assert book.date1904
        # 44268 days after 1904-01-01 (in the 1900 system the same number is 2021-03-13).
        assert book.grid("S").rows == [(datetime(2025, 3, 14), datetime(1904, 1, 2, 12))]
    _assert_reads_as_openpyxl(content)


# ---- where calamine and openpyxl part ways ---------------------------------------------------

_CONTENT_TYPES = (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
    'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
    'worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/'
    'sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.sharedStrings+xml"/></Types>'
)
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _raw_workbook(
    rows: str,
    strings: tuple[str, ...] = (),
    formats: dict[int, str] | None = None,
    styles: tuple[int, ...] | list[int] = (0,),
    date1904: bool = False,
    tail: str = "",
    sheet: str | bytes | None = None,
    string_table: str | None = None,
) -> bytes:
    """A workbook written part by part, to hold what Excel and other writers may store."""
    numbers = "".join(
        f'<numFmt numFmtId="{i}" formatCode="{code.replace(chr(34), "&quot;")}"/>'
        for i, code in (formats or {}).items()
    )
    xfs = "".join(f'<xf numFmtId="{i}" fontId="0" fillId="0" borderId="0"/>' for i in styles)
    parts: dict[str, str | bytes] = {
        "[Content_Types].xml": _CONTENT_TYPES,
        "_rels/.rels": f'<Relationships xmlns="{_PACKAGE_RELS}">'
        f'<Relationship Id="rId1" Type="{_RELS}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELS}">'
        + ('<workbookPr date1904="1"/>' if date1904 else "")
        + '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{_PACKAGE_RELS}">'
        f'<Relationship Id="rId1" Type="{_RELS}/worksheet" '
        f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{_RELS}/styles" '
        f'Target="styles.xml"/><Relationship Id="rId3" Type="{_RELS}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>',
        "xl/styles.xml": f'<styleSheet xmlns="{_MAIN}"><numFmts>{numbers}</numFmts><fonts>'
        '<font><sz val="11"/></font></fonts><fills><fill><patternFill patternType="none"/>'
        '</fill></fills><borders><border/></borders><cellStyleXfs><xf numFmtId="0"/>'
        f"</cellStyleXfs><cellXfs>{xfs}</cellXfs></styleSheet>",
        "xl/sharedStrings.xml": string_table or f'<sst xmlns="{_MAIN}">{"".join(strings)}</sst>',
        "xl/worksheets/sheet1.xml": sheet
        if sheet is not None
        else f'<worksheet xmlns="{_MAIN}"><sheetData>{rows}</sheetData>{tail}</worksheet>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, part in parts.items():
            package.writestr(name, part)
    return buffer.getvalue()


def _cells(*cells: str, row: int = 1) -> str:
    return f'<row r="{row}">' + "".join(cells) + "</row>"


def _strings_row(count: int, row: int = 1) -> str:
    return _cells(
        *(f'<c r="{get_column_letter(i + 1)}{row}" t="s"><v>{i}</v></c>' for i in range(count))
    )


# Shared strings calamine reads differently: whitespace at an edge without xml:space="preserve"
# (trimmed, even when it is a character reference or CDATA), empty strings (no value in
# calamine), _xHHHH_ escapes (decoded; openpyxl keeps them, and deletes "x005F_").
QUIRKY_STRINGS = (
    "<si><t> a </t></si>",
    "<si><t>  </t></si>",
    '<si><t xml:space="preserve">  kept  </t></si>',
    '<si><r><t>a </t></r><r><t xml:space="preserve"> b</t></r></si>',
    '<si><t>ab</t><rPh sb="0" eb="1"><t>PH</t></rPh></si>',
    "<si><t>x_x000D_y</t></si>",
    "<si><t>x_x005F_x000D_y</t></si>",
    "<si><t>&#32;a&#32;</t></si>",
    "<si><t><![CDATA[ cd ]]></t></si>",
    "<si><t/></si>",
    '<si><t xml:space="preserve"></t></si>',
    "<si/>",
    "<si><t>\ttab</t></si>",
    "<si><t>&amp;&lt;&gt;</t></si>",
    "<si><t>plain</t></si>",
)

QUIRKS: dict[str, tuple[bytes, bool]] = {
    # name: (workbook, whether openpyxl's parser must take the tab instead of the fast path)
    "shared strings": (_raw_workbook(_strings_row(len(QUIRKY_STRINGS)), QUIRKY_STRINGS), False),
    # More than a few strings to fix: the cells that name them are found another way.
    "many shared strings": (
        _raw_workbook(
            _strings_row(80) + _cells('<c r="A2"><v>7</v></c>', row=2),
            tuple(f"<si><t> {i} </t></si>" for i in range(70))
            + tuple(f"<si><t>{i}</t></si>" for i in range(70, 80)),
        ),
        False,
    ),
    "inline strings": (
        _raw_workbook(
            _cells(
                '<c r="A1" t="inlineStr"><is><t> a </t></is></c>',
                '<c r="B1" t="inlineStr"><is><t>  </t></is></c>',
                '<c r="C1" t="inlineStr"><is><t/></is></c>',
                '<c r="D1" t="inlineStr"><is><r><t>a</t></r><r><t> </t></r>'
                "<r><t>b</t></r></is></c>",
                '<c r="E1" t="inlineStr"><is><t>x_x000D_y</t></is></c>',
                '<c r="F1" t="inlineStr"></c>',
                '<c r="G1" t="inlineStr"><is><r><rPr><b/><color rgb="FFFF0000"/></rPr>'
                '<t xml:space="preserve"> bold </t></r><r><t>x</t></r></is></c>',
            )
        ),
        False,
    ),
    "numbers": (
        _raw_workbook(
            _cells(
                *(
                    f'<c r="{chr(65 + i)}1"><v>{text}</v></c>'
                    for i, text in enumerate(
                        [
                            *("1.0", " 3 ", "1E3", "12345678901234567891", "-0", "007", "3."),
                            *("0.1", "1.0000000000000000001", "123456789012345"),
                            "1234567890123456",
                        ]
                    )
                )
            )
        ),
        False,
    ),
    "errors and formula results": (
        _raw_workbook(
            _cells(
                '<c r="A1" t="str"><f>B9</f><v> x </v></c>',
                '<c r="B1" t="str"><f>""</f><v></v></c>',
                '<c r="C1" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
                '<c r="D1" t="e"><v>#N/A</v></c>',
                '<c r="E1" t="b"><f>TRUE</f><v>1</v></c>',
                '<c r="F1" t="str"><f>B9</f><v>x_x000D_y</v></c>',
                '<c r="G1" t="str"><f>B9</f><v>a&#13;b</v></c>',
                '<c r="H1" t="str"><f>B9</f><v>123</v></c>',
                '<c r="I1" t="d"><v>2024-01-02T03:04:05</v></c>',
                '<c r="J1"><f t="shared" ref="J1:K1" si="0">A9+1</f><v>3</v></c>',
                '<c r="K1"><f t="shared" si="0"/><v>4.0</v></c>',
                '<c r="L1"><f t="array" ref="L1">SUM(A9:C9)</f><v>9</v></c>',
                '<c r="M1"><f>1+1</f></c>',
                '<c r="N1" s="1"><f>TODAY()</f><v>45000</v></c>',
            ),
            formats={164: "yyyy-mm-dd"},
            styles=[0, 164],
        ),
        False,
    ),
    "dates and times": (
        _raw_workbook(
            _cells(
                *(
                    f'<c r="{chr(65 + i)}1" s="{style}"><v>{text}</v></c>'
                    for i, (style, text) in enumerate(
                        [
                            *((1, "45000"), (2, "45000.5"), (3, "0.25"), (4, "1.5"), (1, "-5")),
                            *((1, "1e+300"), (1, "30"), (1, "60"), (1, "61")),
                            *((5, "45000.123456789"), (6, "45000.5"), (7, "45000.5")),
                            (1, "4.5E4"),
                        ]
                    )
                ),
                '<c r="N1" s="1" t="s"><v>0</v></c>',
                '<c r="O1" s="1"/>',
            ),
            ("<si><t>not yet</t></si>",),
            # 27 and 50 are built-in Japanese and Chinese date formats: calamine shows a date,
            # openpyxl (which does not know them) a number.
            formats={164: "yyyy-mm-dd", 165: "[h]:mm:ss", 166: "hh:mm", 167: "0.00"}
            | {168: "yyyy-mm-dd hh:mm:ss.000"},
            styles=[0, 164, 165, 166, 167, 168, 27, 50],
        ),
        False,
    ),
    "merged cells": (
        _raw_workbook(
            _cells('<c r="A1"><v>1</v></c><c r="B1"><v>2</v></c><c r="C1"><v>3</v></c>')
            + _cells('<c r="A2"><v>4</v></c><c r="B2"><v>5</v></c>', row=2),
            tail='<mergeCells><mergeCell ref="A1:B2"/></mergeCells>',
        ),
        False,
    ),
    "namespace prefix": (
        _raw_workbook(
            "",
            string_table=f'<x:sst xmlns:x="{_MAIN}"><x:si><x:t> a </x:t></x:si></x:sst>',
            formats={164: "yyyy-mm-dd"},
            styles=[0, 164],
            sheet=f'<x:worksheet xmlns:x="{_MAIN}"><x:sheetData><x:row r="1">'
            '<x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" s="1"><x:v>45000</x:v></x:c>'
            '<x:c r="C1"><x:f>1+1</x:f><x:v>2.0</x:v></x:c><x:c r="D1" t="inlineStr"><x:is>'
            '<x:t> y </x:t></x:is></x:c><x:c r="E1" t="e"><x:v>#N/A</x:v></x:c></x:row>'
            "</x:sheetData></x:worksheet>",
        ),
        False,
    ),
    # calamine refuses the whole tab over an error it does not know (#SPILL!, #CALC!, ...).
    "spill error": (
        _raw_workbook(
            _cells(
                '<c r="A1" t="e"><f>SEQUENCE(3)</f><v>#SPILL!</v></c>',
                '<c r="B1"><v>2</v></c><c r="C1" t="s"><v>0</v></c>',
            ),
            ("<si><t> a </t></si>",),
            tail='<mergeCells><mergeCell ref="B1:C1"/></mergeCells>',
        ),
        True,
    ),
    # Rows and cells without a reference that need no second look: calamine places them as
    # openpyxl does (the next row, the next column).
    "references left out": (
        _raw_workbook(
            '<row><c t="inlineStr"><is><t>a</t></is></c><c><v>1</v></c></row>'
            '<row><c><v>2</v></c><c t="b"><v>1</v></c></row>'
            '<row r="5"><c r="B5"><v>1</v></c><c><v>2</v></c></row>'
        ),
        False,
    ),
    # A cell without a reference that must be read again: only a parse of the whole sheet can
    # tell where it is.
    "cells without reference": (
        _raw_workbook(
            _cells(
                '<c t="inlineStr"><is><t>one</t></is></c>',
                '<c><v>6</v></c><c r="E1"><v>5</v></c><c s="1"><v>45000</v></c>',
            ),
            formats={164: "yyyy-mm-dd"},
            styles=[0, 164],
        ),
        True,
    ),
    # Style 0 (every cell without an s attribute) shows a date: nothing marks those cells.
    "default style is a date": (
        _raw_workbook(
            _cells('<c r="A1"><v>45000</v></c><c r="B1" s="1"><v>3</v></c>'),
            formats={164: "yyyy-mm-dd"},
            styles=[164, 0],
        ),
        True,
    ),
    "single-quoted attributes": (
        _raw_workbook(
            "<row r='1'><c r='A1' s='1'><v>45000</v></c></row>",
            formats={164: "yyyy-mm-dd"},
            styles=[0, 164],
        ),
        True,
    ),
    "utf-16 sheet": (
        _raw_workbook(
            "",
            sheet=(
                f'<?xml version="1.0" encoding="UTF-16"?><worksheet xmlns="{_MAIN}"><sheetData>'
                '<row r="1"><c r="A1" t="inlineStr"><is><t> é </t></is></c></row>'
                "</sheetData></worksheet>"
            ).encode("utf-16"),
        ),
        True,
    ),
}


@pytest.mark.parametrize("name", list(QUIRKS))
def test_where_calamine_and_openpyxl_differ(name: str, openpyxl_parser_used: list[str]) -> None:
    content, needs_openpyxl = QUIRKS[name]
    _assert_reads_as_openpyxl(content, name)
    assert bool(openpyxl_parser_used) == needs_openpyxl


def test_whitespace_escapes_and_empty_strings_stay_as_typed() -> None:
    content, _ = QUIRKS["shared strings"]
    with FastWorkbook(content, "strings.xlsx") as book:
        [row] = book.grid("S").rows
    assert row[:4] == (" a ", "  ", "  kept  ", "a  b")
    assert row[5:10] == ("x_x000D_y", "x_x000D_y", " a ", " cd ", "")
    assert row[10:13] == ("", "", "\ttab")


def test_a_grid_is_a_rectangle_from_row_one() -> None:
    content = _raw_workbook(
        _cells('<c r="C3"><v>1</v></c>', row=3) + _cells('<c r="B6" t="e"><v>#N/A</v></c>', row=6)
    )
    with FastWorkbook(content, "sparse.xlsx") as book:
        assert book.grid("S").rows == [
            (None, None, None),
            (None, None, None),
            (None, None, 1),
            (None, None, None),
            (None, None, None),
            (None, "#N/A", None),
        ]


# ---- what goes wrong --------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"Company,Contact\nAcme,Ann\n",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),  # an old .xls (or an encrypted file)
        _raw_workbook("")[:300],  # cut short
        "Acme Inc\tAnn Lee\n".encode("utf-16"),
    ],
    ids=["empty", "csv", "xls", "truncated", "text"],
)
def test_a_file_that_is_no_workbook(content: bytes) -> None:
    with pytest.raises(BackendError) as raised:
        FastWorkbook(content, "prospects.xlsx")
    message = str(raised.value)
    assert message.startswith("prospects.xlsx could not be opened as an Excel workbook (")
    assert message.endswith("leadsync reads .xlsx and .xlsm files: save it in one of those formats")


def test_a_zip_that_is_no_workbook() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("notes.txt", "hello")
    with pytest.raises(BackendError, match="could not be opened as an Excel workbook"):
        FastWorkbook(buffer.getvalue(), "prospects.xlsx")


def test_a_tab_that_is_not_there(tmp_path: Path) -> None:
    build_tracker_workbook(tmp_path / "leads.xlsx")
    with FastWorkbook((tmp_path / "leads.xlsx").read_bytes(), "leads.xlsx") as book:
        assert book.sheet_names == ["Leads", "Clients", "Pipeline"]
        with pytest.raises(BackendError, match=r"Prospects is not a tab .* Leads, Clients"):
            book.grid("Prospects")


def test_a_broken_sheet_part() -> None:
    content = _raw_workbook("", sheet="<worksheet><sheetData><row r='1'><c")
    with (
        FastWorkbook(content, "broken.xlsx") as book,
        pytest.raises(BackendError, match=r"broken.xlsx › S could not be read"),
    ):
        book.grid("S")


def test_closing_twice_is_harmless() -> None:
    book = FastWorkbook(_raw_workbook(_cells('<c r="A1"><v>1</v></c>')), "one.xlsx")
    book.close()
    book.close()


def test_values_are_converted_by_the_backends_rule() -> None:
    values = [None, "x", 3, 2.5, True, date(2025, 3, 14), datetime(2025, 3, 14, 9, 30)]
    values += [time(9, 30), timedelta(hours=30)]
    assert [sync.xlsx_read.cell_value(v) for v in values] == [_as_snapshot(v) for v in values]
