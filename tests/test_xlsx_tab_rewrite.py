"""Rewriting an engine-owned worksheet part whole: the cells change, nothing else in it does."""

from __future__ import annotations

from xml.etree import ElementTree

from sync.xlsx_package import MAIN_NS
from sync.xlsx_tab_rewrite import extent, rewrite_sheet

M = f"{{{MAIN_NS}}}"


def cells(part: bytes) -> dict[str, str]:
    root = ElementTree.fromstring(part)
    found = {}
    for cell in root.iter(f"{M}c"):
        text = cell.find(f"{M}is/{M}t")
        value = cell.find(f"{M}v")
        shown = text if text is not None else value
        found[cell.get("r", "")] = "" if shown is None else str(shown.text)
    return found


def test_the_cells_are_replaced_and_the_drawing_and_dimension_follow() -> None:
    part = (
        f'<worksheet xmlns="{MAIN_NS}" xmlns:r="r"><dimension ref="A1:Z99"/>'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>old</t></is></c>'
        '<c r="Z99"><v>5</v></c></row></sheetData><drawing r:id="rId1"/></worksheet>'
    ).encode()

    new = rewrite_sheet(part, [("Step", None, 3), (), ("x < y & z",)], "t", False)

    assert cells(new) == {"A1": "Step", "C1": "3", "A3": "x < y & z"}
    assert b'<dimension ref="A1:C3"/>' in new
    assert new.endswith(b'<drawing r:id="rId1"/></worksheet>')


def test_a_part_with_a_namespace_prefix_and_no_cells_yet() -> None:
    part = (
        f'<x:worksheet xmlns:x="{MAIN_NS}"><x:dimension ref="A1"/><x:sheetData/>'
        "<x:pageMargins/></x:worksheet>"
    ).encode()

    new = rewrite_sheet(part, [("New", 10.5)], "t", False)

    assert cells(new) == {"A1": "New", "B1": "10.5"}
    assert b"<x:sheetData><x:row" in new and b"<x:pageMargins/>" in new


def test_extent_is_the_used_area() -> None:
    assert extent([]) == "A1"
    assert extent([("a",), (None, None, "c"), ()]) == "A1:C2"


def test_a_written_cell_keeps_the_style_of_the_cell_it_replaces() -> None:
    part = (
        f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1">'
        '<c r="A1" s="4" t="inlineStr"><is><t>Title</t></is></c><c t="n" s="7" r="B1"/>'
        '<c r="C1"><v>1</v></c></row></sheetData></worksheet>'
    ).encode()

    new = rewrite_sheet(part, [("New title", 2, 3)], "t", False)

    root = ElementTree.fromstring(new)
    styles = {c.get("r"): c.get("s") for c in root.iter(f"{M}c")}
    assert styles == {"A1": "4", "B1": "7", "C1": None}
