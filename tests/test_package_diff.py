"""The package comparison says exactly which parts and cells a write changed, and nothing more.

Most cases use real workbooks saved by Excel (the corpus in ../shared/excel-corpus, or
LEADSYNC_EXCEL_CORPUS); expected element counts are taken independently with ElementTree.
"""

from __future__ import annotations

import io
import os
import re
import warnings
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.styles import Font

import sync.package_diff
from sync.package_diff import (
    CellChange,
    CellInfo,
    PackageChanges,
    PackageError,
    PartChange,
    compare_packages,
    read_cells,
    sheet_parts,
)

CORPUS = Path(
    os.environ.get(
        "LEADSYNC_EXCEL_CORPUS",
        Path(__file__).resolve().parents[2] / "shared" / "excel-corpus" / "files",
    )
)
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
XDR = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
NOTHING = PackageChanges((), ())


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.xls[xm]")) if CORPUS.is_dir() else []


def corpus(name: str) -> bytes:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"no {path} (set LEADSYNC_EXCEL_CORPUS to the corpus folder)")
    return path.read_bytes()


def need_corpus() -> list[Path]:
    files = corpus_files()
    if not files:
        pytest.skip(f"no corpus at {CORPUS} (set LEADSYNC_EXCEL_CORPUS to the corpus folder)")
    return files


def parts_of(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def zip_parts(parts: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def with_parts(package: bytes, changes: dict[str, bytes | None]) -> bytes:
    """The package with parts replaced, added or (None) removed."""
    parts = parts_of(package)
    for name, content in changes.items():
        if content is None:
            del parts[name]
        else:
            parts[name] = content
    return zip_parts(parts)


def edited(package: bytes, part: str, old: bytes, new: bytes) -> bytes:
    content = parts_of(package)[part]
    assert content.count(old) == 1, f"{old!r} is not once in {part}"
    return with_parts(package, {part: content.replace(old, new)})


def tag_counts(xml: bytes) -> Counter[str]:
    return Counter(element.tag for element in ET.fromstring(xml).iter())


def build_package(
    sheet_data: str,
    strings: list[str] | None = None,
    *,
    sheet_target: str = "worksheets/sheet1.xml",
    strings_target: str = "sharedStrings.xml",
    name: str = "Prospects",
) -> bytes:
    """A minimal workbook written by hand, to control exactly what the sheet XML holds."""
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'relationships/worksheet" Target="{sheet_target}"/>'
    )
    if strings is not None:
        rels += (
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'relationships/sharedStrings" Target="{strings_target}"/>'
        )
    parts = {
        "[Content_Types].xml": (
            b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>'
        ),
        "_rels/.rels": (
            b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/'
            f'officeDocument/2006/relationships"><sheets><sheet name="{name}" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>'
        ).encode(),
        "xl/_rels/workbook.xml.rels": (rels + "</Relationships>").encode(),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}">'
            f'<dimension ref="A1"/><sheetData>{sheet_data}</sheetData></worksheet>'
        ).encode(),
    }
    if strings is not None:
        parts["xl/sharedStrings.xml"] = (
            f'<sst xmlns="{MAIN}" count="{len(strings)}">{"".join(strings)}</sst>'
        ).encode()
    return zip_parts(parts)


# --- nothing changed ------------------------------------------------------------------------


def test_every_corpus_workbook_compared_with_itself_changes_nothing() -> None:
    for path in need_corpus():
        package = path.read_bytes()
        assert compare_packages(package, package) == NOTHING, path.name


def test_the_same_parts_zipped_in_another_order_and_compression_change_nothing() -> None:
    for path in need_corpus():
        package = path.read_bytes()
        with zipfile.ZipFile(io.BytesIO(package)) as archive:
            infos = archive.infolist()
            deflated = infos[0].compress_type == zipfile.ZIP_DEFLATED
            parts = {i.filename: archive.read(i) for i in reversed(infos)}
        rezipped = zip_parts(parts, zipfile.ZIP_STORED if deflated else zipfile.ZIP_DEFLATED)
        assert rezipped != package
        assert compare_packages(package, rezipped) == NOTHING, path.name


# --- parts ----------------------------------------------------------------------------------


def test_a_removed_xml_part_is_reported_with_every_element_it_held() -> None:
    package = corpus("textbox09.xlsx")
    theme = parts_of(package)["xl/theme/theme1.xml"]
    expected = tag_counts(theme)

    changes = compare_packages(package, with_parts(package, {"xl/theme/theme1.xml": None}))

    assert changes.parts == (
        PartChange(
            "xl/theme/theme1.xml",
            "removed",
            dict(expected),
            {},
            f"{expected.total()} elements",
        ),
    )
    assert changes.cells == ()


def test_a_removed_image_and_an_added_part_are_reported() -> None:
    package = corpus("image02.xlsx")
    image = parts_of(package)["xl/media/image1.png"]
    item = b'<root xmlns="urn:x"><a/><a/><b><a/></b></root>'
    after = zip_parts(
        {
            **{n: c for n, c in parts_of(package).items() if n != "xl/media/image1.png"},
            "customXml/item1.xml": item,
            "xl/media/extra.bin": b"\x00\x01",
        }
    )

    changes = compare_packages(package, after)

    assert changes.parts == (
        PartChange(
            "customXml/item1.xml",
            "added",
            {},
            {"{urn:x}a": 3, "{urn:x}b": 1, "{urn:x}root": 1},
            "5 elements",
        ),
        PartChange("xl/media/extra.bin", "added", {}, {}, "binary part added (2 bytes)"),
        PartChange(
            "xl/media/image1.png", "removed", {}, {}, f"binary part removed ({len(image)} bytes)"
        ),
    )


def test_a_changed_binary_part_is_reported_without_counts() -> None:
    package = corpus("macro01.xlsm")
    vba = parts_of(package)["xl/vbaProject.bin"]
    after = with_parts(package, {"xl/vbaProject.bin": vba[:-1] + bytes([vba[-1] ^ 1])})
    assert compare_packages(package, after).parts == (
        PartChange("xl/vbaProject.bin", "changed", {}, {}, "binary part differs"),
    )


def test_deleting_a_text_box_shape_reports_exactly_the_elements_lost() -> None:
    package = corpus("textbox09.xlsx")
    drawing = parts_of(package)["xl/drawings/drawing1.xml"]
    shape = ET.fromstring(drawing).find(f".//{XDR}sp")
    assert shape is not None
    expected = Counter(element.tag for element in shape.iter())
    without_shape = re.sub(rb"<xdr:sp\b.*?</xdr:sp>", b"", drawing, flags=re.DOTALL)

    after = with_parts(package, {"xl/drawings/drawing1.xml": without_shape})

    changes = compare_packages(package, after)

    (change,) = changes.parts
    assert change.part == "xl/drawings/drawing1.xml" and change.kind == "changed"
    assert change.lost_elements == dict(expected)
    assert change.lost_elements[f"{XDR}sp"] == 1
    assert change.gained_elements == {}
    assert change.detail.startswith(f"{expected.total()} elements fewer: ")
    assert f"1 {XDR}sp" in change.detail
    assert changes.cells == ()


def test_openpyxl_load_and_save_loses_every_text_box_in_the_corpus() -> None:
    """The real loss leadsync exists to avoid: the comparison must see it in every such file."""
    files = [p for p in need_corpus() if "textbox" in p.name]
    assert files
    for path in files:
        package = path.read_bytes()
        shapes = sum(
            tag_counts(content)[f"{XDR}sp"]
            for name, content in parts_of(package).items()
            if name.startswith("xl/drawings/") and name.endswith(".xml")
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(package))
        sheet = workbook.worksheets[0]
        sheet["Z99"] = "leadsync"
        saved = io.BytesIO()
        workbook.save(saved)

        changes = compare_packages(package, saved.getvalue())

        lost = sum(p.lost_elements.get(f"{XDR}sp", 0) for p in changes.parts)
        assert shapes > 0 and lost == shapes, path.name
        assert any(p.part.startswith("xl/drawings/") and p.kind == "removed" for p in changes.parts)
        (written,) = [c for c in changes.cells if c.cell == "Z99"]
        assert written.sheet == sheet.title and written.before is None
        assert written.after is not None and written.after.value == "leadsync"


def test_xml_that_is_not_well_formed_is_reported_not_raised() -> None:
    package = corpus("textbox09.xlsx")
    original = parts_of(package)
    broken = with_parts(
        package,
        {
            "xl/drawings/drawing1.xml": b"<xdr:wsDr><oops",
            "xl/worksheets/sheet1.xml": original["xl/worksheets/sheet1.xml"][:-20],
        },
    )

    changes = compare_packages(package, broken)

    drawing, sheet = changes.parts
    assert drawing.part == "xl/drawings/drawing1.xml"
    # Nothing of a part that cannot be read survives: everything it had counts as lost.
    assert drawing.lost_elements == dict(tag_counts(original["xl/drawings/drawing1.xml"]))
    assert drawing.gained_elements == {}
    assert "not well-formed XML after" in drawing.detail
    assert sheet.part == "xl/worksheets/sheet1.xml"
    assert "not well-formed XML after" in sheet.detail
    assert sheet.lost_elements == dict(tag_counts(original["xl/worksheets/sheet1.xml"]))
    assert changes.cells == ()
    # And the other way round: a part repaired by the write gains everything.
    repaired = compare_packages(broken, package)
    assert "not well-formed XML before" in repaired.parts[0].detail
    assert repaired.parts[0].gained_elements == drawing.lost_elements


def test_bytes_that_are_not_a_workbook_raise_a_clear_error() -> None:
    with pytest.raises(PackageError, match="not a zip"):
        compare_packages(b"not a zip at all", b"")


def test_an_attribute_lost_from_a_kept_element_is_named() -> None:
    """vm="1" is what shows an image placed in a cell; the cell's value stays #VALUE!."""
    package = corpus("embed_image02.xlsx")
    after = edited(
        package, "xl/worksheets/sheet1.xml", b'<c r="A1" t="e" vm="1">', b'<c r="A1" t="e">'
    )

    (change,) = compare_packages(package, after).parts

    assert change.lost_elements == {} and change.gained_elements == {}
    assert change.detail == (f"content differs, same elements; 1 attribute fewer: 1 {{{MAIN}}}c@vm")


# --- cells ----------------------------------------------------------------------------------


def test_editing_a_cell_in_the_sheet_xml_reports_that_cell_and_nothing_else() -> None:
    package = corpus("quote_name03.xlsx")
    after = edited(
        package, "xl/worksheets/sheet2.xml", b'<c r="B2"><v>4</v></c>', b'<c r="B2"><v>5</v></c>'
    )

    changes = compare_packages(package, after)

    assert changes.parts == (
        PartChange("xl/worksheets/sheet2.xml", "changed", {}, {}, "content differs, same elements"),
    )
    assert changes.cells == (
        CellChange("Sheet>2", "B2", CellInfo("n", "4", 0, None), CellInfo("n", "5", 0, None)),
    )
    assert changes.describe() == [
        "xl/worksheets/sheet2.xml changed: content differs, same elements",
        "'Sheet>2'!B2: 4 → 5",
    ]


def test_a_cell_pointed_at_another_shared_string_or_style_is_reported() -> None:
    package = corpus("rich_string09.xlsx")
    after = edited(
        package,
        "xl/worksheets/sheet1.xml",
        b'<c r="A1" s="1" t="s"><v>0</v></c>',
        b'<c r="A1" s="2" t="s"><v>2</v></c>',
    )

    changes = compare_packages(package, after)

    assert changes.cells == (
        CellChange(
            "Sheet1", "A1", CellInfo("s", "Foo", 1, None), CellInfo("s", "abcdefg", 2, None)
        ),
    )
    assert changes.describe()[-1] == "Sheet1!A1: 'Foo' [style 1] → 'abcdefg' [style 2]"


def test_a_cell_added_and_a_cell_removed_are_reported() -> None:
    package = corpus("quote_name03.xlsx")
    after = edited(
        package,
        "xl/worksheets/sheet1.xml",
        b'<c r="C5"><v>15</v></c></row>',
        b'</row><row r="7"><c r="D7" t="inlineStr"><is><t>L-0001</t></is></c></row>',
    )

    changes = compare_packages(package, after)

    assert changes.cells == (
        CellChange("Sheet<1", "C5", CellInfo("n", "15", 0, None), None),
        CellChange("Sheet<1", "D7", None, CellInfo("inlineStr", "L-0001", 0, None)),
    )
    (part,) = changes.parts
    # One <c><v> went, one <row><c><is><t> came: the <c> counts cancel out.
    assert part.lost_elements == {f"{{{MAIN}}}v": 1}
    assert part.gained_elements == {f"{{{MAIN}}}is": 1, f"{{{MAIN}}}row": 1, f"{{{MAIN}}}t": 1}


def test_editing_a_shared_string_reaches_the_cells_of_a_sheet_whose_bytes_did_not_change() -> None:
    package = corpus("rich_string09.xlsx")
    after = edited(package, "xl/sharedStrings.xml", b"<si><t>Bar</t></si>", b"<si><t>Baz</t></si>")

    changes = compare_packages(package, after)

    assert [p.part for p in changes.parts] == ["xl/sharedStrings.xml"]
    assert changes.cells == (
        CellChange("Sheet1", "A2", CellInfo("s", "Bar", 2, None), CellInfo("s", "Baz", 2, None)),
    )


def test_appending_a_shared_string_changes_no_cell() -> None:
    package = corpus("rich_string09.xlsx")
    after = edited(
        package,
        "xl/sharedStrings.xml",
        b'count="3" uniqueCount="3">',
        b'count="4" uniqueCount="4">',
    )
    after = edited(after, "xl/sharedStrings.xml", b"</si></sst>", b"</si><si><t>L-1</t></si></sst>")

    changes = compare_packages(package, after)

    (part,) = changes.parts
    assert part.gained_elements == {f"{{{MAIN}}}si": 1, f"{{{MAIN}}}t": 1}
    assert part.lost_elements == {}
    assert changes.cells == ()


def test_rows_without_numbers_move_when_a_row_is_inserted_above_them() -> None:
    """A row without r is numbered by the rows before it: unchanged bytes, changed cells."""
    before = build_package("<row><c><v>1</v></c></row><row><c><v>2</v></c></row>")
    after = build_package(
        '<row><c t="inlineStr"><is><t>new</t></is></c></row>'
        "<row><c><v>1</v></c></row><row><c><v>2</v></c></row>"
    )

    changes = compare_packages(before, after)

    assert changes.cells == (
        CellChange(
            "Prospects",
            "A1",
            CellInfo("n", "1", 0, None),
            CellInfo("inlineStr", "new", 0, None),
        ),
        CellChange("Prospects", "A2", CellInfo("n", "2", 0, None), CellInfo("n", "1", 0, None)),
        CellChange("Prospects", "A3", None, CellInfo("n", "2", 0, None)),
    )


def test_allowed_parts_and_cells_are_left_out() -> None:
    package = corpus("quote_name03.xlsx")
    after = edited(
        package, "xl/worksheets/sheet2.xml", b'<c r="B2"><v>4</v></c>', b'<c r="B2"><v>5</v></c>'
    )
    changes = compare_packages(package, after)

    assert changes.parts_other_than({"xl/worksheets/sheet2.xml"}) == ()
    assert changes.parts_other_than({"/xl/worksheets/sheet2.xml"}) == ()
    assert changes.parts_other_than({"xl/worksheets/sheet1.xml"}) == changes.parts
    assert changes.cells_other_than({("Sheet>2", "B2")}) == ()
    assert changes.cells_other_than({("Sheet>2", "$b$2")}) == ()
    assert changes.cells_other_than({("Sheet<1", "B2")}) == changes.cells


def test_reading_only_the_changed_rows_gives_the_same_answer_as_reading_everything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every corpus sheet with rows, edited three ways at once: a value, a style, a new row."""
    compared = 0
    for path in need_corpus():
        package = path.read_bytes()
        for name, content in parts_of(package).items():
            values = list(re.finditer(rb"<v>[^<]*</v>", content))
            if not name.startswith("xl/worksheets/sheet") or not values:
                continue
            last = values[-1]
            changed = content[: last.start()] + b"<v>12345</v>" + content[last.end() :]
            changed = re.sub(rb'(<c r="[A-Z]+[0-9]+") s="[0-9]+"', rb"\1", changed, count=1)
            changed = changed.replace(
                b"</sheetData>", b'<row r="1048576"><c r="A1048576"><v>1</v></c></row></sheetData>'
            )
            after = with_parts(package, {name: changed})

            shortcut = compare_packages(package, after)
            with monkeypatch.context() as patched:
                patched.setattr(sync.package_diff, "_changed_units", lambda *args: None)
                everything = compare_packages(package, after)

            assert shortcut == everything, f"{path.name} {name}"
            assert any(c.cell == "A1048576" for c in shortcut.cells)
            compared += 1
    assert compared > 100


# --- read_cells -----------------------------------------------------------------------------


def test_read_cells_on_a_workbook_built_with_openpyxl() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Prospects"
    sheet["A1"] = "Acme Inc"
    sheet["B1"] = True
    sheet["C1"] = False
    sheet["D1"] = 42
    sheet["E1"] = 3.25
    sheet["F1"] = "=SUM(D1:E1)"
    sheet["G1"] = CellRichText(["plain ", TextBlock(InlineFont(b=True), "bold")])
    sheet["H1"] = "bold"
    sheet["H1"].font = Font(bold=True)
    sheet["A2"] = date(2026, 11, 25)
    sheet["B2"].font = Font(italic=True)
    saved = io.BytesIO()
    workbook.save(saved)

    cells = read_cells(saved.getvalue(), "Prospects")

    styles = {ref: info.style for ref, info in cells.items()}
    assert {ref for ref, style in styles.items() if style} == {"H1", "A2", "B2"}
    plain = {ref: (i.type, i.value, i.formula) for ref, i in cells.items()}
    text = plain["A1"][0]  # openpyxl writes inline strings (3.1.5) or shared ones (older)
    assert text in {"s", "inlineStr"}
    assert plain == {
        "A1": (text, "Acme Inc", None),
        "B1": ("b", "1", None),
        "C1": ("b", "0", None),
        "D1": ("n", "42", None),
        "E1": ("n", "3.25", None),
        "F1": ("n", None, "SUM(D1:E1)"),
        "G1": (plain["G1"][0], "plain bold", None),
        "H1": (text, "bold", None),
        "A2": ("n", "46351", None),
        "B2": ("n", None, None),
    }
    assert read_cells(saved.getvalue(), "prospects") == cells


def test_read_cells_on_excel_files_resolves_every_kind_of_value() -> None:
    assert read_cells(corpus("rich_string12.xlsx"), "Sheet1")["A3"] == CellInfo(
        "s", "This is\nbold\nand this is\nitalic", 3, None
    )
    assert read_cells(corpus("optimize08.xlsx"), "Sheet1") == {
        "A1": CellInfo("inlineStr", "Foo", 1, None),
        "A2": CellInfo("inlineStr", "Bar", 2, None),
        "A3": CellInfo("inlineStr", " abcdefg ", 0, None),
    }
    assert read_cells(corpus("autofit06.xlsx"), "Sheet1") == {
        "A1": CellInfo("b", "1", 0, None),
        "B1": CellInfo("b", "0", 0, None),
    }
    errors = read_cells(corpus("types07.xlsx"), "Sheet1")
    assert errors["A2"] == CellInfo("e", "#DIV/0!", 0, "1/0")
    formulas = read_cells(corpus("escapes01.xlsx"), "5&4")
    assert formulas["A1"] == CellInfo("n", "1", 0, "IF(1>2,0,1)")
    assert formulas["A2"] == CellInfo("str", "'<>&", 0, 'CONCATENATE("\'","<>&")')
    assert read_cells(corpus("array_formula01.xlsx"), "Sheet1")["A1"].formula == (
        "SUM(B1:C1*B2:C2)"
    )


def test_read_cells_turns_excel_escapes_back_into_what_was_typed() -> None:
    """optimize07.xlsx holds the strings XlsxWriter gave Excel; Excel escaped some on saving."""
    typed = [
        "_", "_x", "_x0", "_x00", "_x000", "_x0000", "_x0000_", "_x005F_", "_x000G_",
        "_X0000_", "_x000a_", "_x000A_", "_x0000__x0000_", "__x0000__",
    ]  # fmt: skip
    cells = read_cells(corpus("optimize07.xlsx"), "Sheet1")
    assert [cells[f"A{row}"].value for row in range(1, 15)] == typed


def test_read_cells_on_a_hand_written_sheet() -> None:
    """Phonetic runs, shared formulas, cells without references, empty cell elements."""
    strings = [
        "<si><t>Acme</t></si>",
        '<si><r><t>Ro</t></r><r><rPr><b/></rPr><t xml:space="preserve">ssi </t></r></si>',
        '<si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh></si>',
    ]
    sheet = (
        '<row r="2"><c r="A2" t="s"><v>0</v></c><c t="s"><v>1</v></c><c t="s" s="4"><v>2</v></c>'
        '<c r="E2" t="s"><v>9</v></c><c r="F2"/></row>'
        '<row r="3"><c r="A3"><f t="shared" ref="A3:A5" si="0">B3*$C$1</f><v>1</v></c></row>'
        '<row r="5"><c r="A5"><f t="shared" si="0"/><v>2</v></c><c r="B5" t="d"><v>2026-11-25</v>'
        "</c></row>"
    )

    cells = read_cells(build_package(sheet, strings), "Prospects")

    assert cells == {
        "A2": CellInfo("s", "Acme", 0, None),
        "B2": CellInfo("s", "Rossi ", 0, None),
        "C2": CellInfo("s", "東京", 4, None),
        "E2": CellInfo("s", None, 0, None),  # index 9 is past the table
        "A3": CellInfo("n", "1", 0, "B3*$C$1"),
        "A5": CellInfo("n", "2", 0, "B5*$C$1"),
        "B5": CellInfo("d", "2026-11-25", 0, None),
    }
    no_table = build_package('<row r="1"><c r="A1"><v>7</v></c></row>')
    assert read_cells(no_table, "Prospects") == {"A1": CellInfo("n", "7", 0, None)}
    with pytest.raises(PackageError, match="no sheet named 'Leads'"):
        read_cells(no_table, "Leads")


@pytest.mark.parametrize(
    ("sheet_target", "strings_target"),
    [
        ("worksheets/sheet1.xml", "sharedStrings.xml"),
        ("/xl/worksheets/sheet1.xml", "/xl/sharedStrings.xml"),
        ("../xl/worksheets/sheet1.xml", "./sharedStrings.xml"),
    ],
)
def test_sheet_parts_and_read_cells_follow_relative_and_absolute_targets(
    sheet_target: str, strings_target: str
) -> None:
    package = build_package(
        '<row r="1"><c r="A1" t="s"><v>0</v></c></row>',
        ["<si><t>Acme</t></si>"],
        sheet_target=sheet_target,
        strings_target=strings_target,
    )
    assert sheet_parts(package) == {"Prospects": "xl/worksheets/sheet1.xml"}
    assert read_cells(package, "Prospects") == {"A1": CellInfo("s", "Acme", 0, None)}


def test_sheet_parts_of_a_corpus_workbook_with_absolute_targets() -> None:
    package = corpus("quote_name03.xlsx")
    rels = parts_of(package)["xl/_rels/workbook.xml.rels"]
    absolute = with_parts(
        package, {"xl/_rels/workbook.xml.rels": rels.replace(b'Target="', b'Target="/xl/')}
    )
    names = ["Sheet<1", "Sheet>2", "Sheet=3", "Sheet@4", "Sheet^5", "Sheet`6", "Sheet7", "Sheet~8"]
    expected = {name: f"xl/worksheets/sheet{i}.xml" for i, name in enumerate(names, 1)}

    assert sheet_parts(package) == expected
    assert sheet_parts(absolute) == expected
    assert sheet_parts(corpus("chartsheet02.xlsx")) == {
        "Sheet1": "xl/worksheets/sheet1.xml",
        "Chart1": "xl/chartsheets/sheet1.xml",
        "Sheet2": "xl/worksheets/sheet2.xml",
    }
    assert read_cells(absolute, "Sheet=3") == read_cells(package, "Sheet=3")
    changes = compare_packages(package, absolute)
    assert [p.part for p in changes.parts] == ["xl/_rels/workbook.xml.rels"]
    assert changes.cells == ()


# --- a big sheet ----------------------------------------------------------------------------


def big_sheet(rows: int, edits: dict[int, str]) -> str:
    lines = []
    for r in range(1, rows + 1):
        company = edits.get(r, f"Company {r}")
        formula = (
            f'<f t="shared" ref="F2:F{rows}" si="0">C2*2</f>'
            if r == 2
            else '<f t="shared" si="0"/>'
        )
        lines.append(
            f'<row r="{r}" spans="1:8"><c r="A{r}" t="inlineStr"><is><t>{company}</t></is></c>'
            f'<c r="B{r}" t="s"><v>{r % 3}</v></c><c r="C{r}"><v>{r * 3.25}</v></c>'
            f'<c r="D{r}" s="2"><v>{45000 + r % 300}</v></c><c r="E{r}" t="inlineStr"><is>'
            f'<t>someone{r}@example.com</t></is></c><c r="F{r}">{formula}<v>{r * 6.5}</v></c>'
            f'<c r="G{r}" t="b"><v>1</v></c><c r="H{r}"><v>{r}</v></c></row>'
        )
    return "".join(lines)


def test_a_50000_row_sheet_compares_exactly() -> None:
    strings = ["<si><t>hot</t></si>", "<si><t>warm</t></si>", "<si><t>cold</t></si>"]
    before = build_package(big_sheet(50_000, {}), strings)
    after = build_package(big_sheet(50_000, {17: "Acme Inc", 31_000: "Rossi SpA"}), strings)
    sheet = parts_of(after)["xl/worksheets/sheet1.xml"]
    assert len(sheet) > 15_000_000
    after = edited(after, "xl/worksheets/sheet1.xml", b'<f t="shared" si="0"/><v>201500', b"<v>9")

    changes = compare_packages(before, after)

    assert changes.cells == (
        CellChange(
            "Prospects",
            "A17",
            CellInfo("inlineStr", "Company 17", 0, None),
            CellInfo("inlineStr", "Acme Inc", 0, None),
        ),
        CellChange(
            "Prospects",
            "A31000",
            CellInfo("inlineStr", "Company 31000", 0, None),
            CellInfo("inlineStr", "Rossi SpA", 0, None),
        ),
        CellChange(
            "Prospects",
            "F31000",
            CellInfo("n", "201500.0", 0, "C31000*2"),  # shared from F2, a row that did not change
            CellInfo("n", "9.0", 0, None),
        ),
    )
    (part,) = changes.parts
    assert part.lost_elements == {f"{{{MAIN}}}f": 1} and part.gained_elements == {}
