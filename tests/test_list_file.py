"""Reading the lists people import: CSV as Excel and CRMs export it, and .xlsx files."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from sync.errors import LeadsyncError, ListError
from sync.headers import TabKind, alias_table
from sync.list_file import read_list

ALIASES = alias_table(TabKind.PROSPECTS)


def write(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


def test_comma_separated_utf8_with_quoted_commas(tmp_path: Path) -> None:
    text = 'Company,Contact,Notes\n"Rossi, Bianchi & C.",Anna,"met at fair, call back"\n'
    table = read_list(write(tmp_path, "a.csv", text.encode()), ALIASES)
    assert table.read_as == "UTF-8, comma-separated"
    assert table.rows == (
        ("Company", "Contact", "Notes"),
        ("Rossi, Bianchi & C.", "Anna", "met at fair, call back"),
    )


def test_italian_excel_export_semicolons_and_bom(tmp_path: Path) -> None:
    text = "Azienda;Referente;Importo\r\nCaffè Nero S.r.l.;Niccolò;1.200,50\r\n"
    table = read_list(write(tmp_path, "b.csv", b"\xef\xbb\xbf" + text.encode()), ALIASES)
    assert table.read_as == "UTF-8 with BOM, semicolon-separated"
    assert table.rows[0] == ("Azienda", "Referente", "Importo")
    assert table.rows[1] == ("Caffè Nero S.r.l.", "Niccolò", "1.200,50")


def test_windows_1252_export_is_read_and_said(tmp_path: Path) -> None:
    text = "Azienda;Note\nCaffè Nero;prezzo 5€ – ok\n"
    table = read_list(write(tmp_path, "c.csv", text.encode("cp1252")), ALIASES)
    assert table.read_as == "Windows-1252 (it is not UTF-8), semicolon-separated"
    assert table.rows[1] == ("Caffè Nero", "prezzo 5€ – ok")


def test_excel_unicode_text_is_utf16_and_tab_separated(tmp_path: Path) -> None:
    text = "Company\tNotes\r\nCaffè Nero\tsì, domani\r\n"
    table = read_list(write(tmp_path, "e.txt", text.encode("utf-16")), ALIASES)
    assert table.read_as == "UTF-16, tab-separated"
    assert table.rows[1] == ("Caffè Nero", "sì, domani")


def test_a_title_line_above_the_headers_does_not_fool_the_delimiter(tmp_path: Path) -> None:
    text = "Export, 25 Nov 2026\n\nCompany;Email;Phone\nAcme;a@acme.com;+39 02 1\n"
    table = read_list(write(tmp_path, "d.csv", text.encode()), ALIASES)
    assert "semicolon" in table.read_as
    assert table.rows[2] == ("Company", "Email", "Phone")
    assert table.rows[1] == ()


def test_xlsx_list_first_sheet_or_the_one_named(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = "Fiera"
    first.append(["Company", "Next action date", "Amount"])
    first.append(["Acme", datetime(2026, 12, 1), 1200])
    other = workbook.create_sheet("CRM")
    other.append(["Azienda"])
    other.append(["Bolt"])
    path = tmp_path / "list.xlsx"
    workbook.save(path)

    table = read_list(path, ALIASES)
    assert table.read_as == "sheet 'Fiera'"
    assert table.rows[1] == ("Acme", datetime(2026, 12, 1), 1200)
    assert read_list(path, ALIASES, sheet="CRM").rows == (("Azienda",), ("Bolt",))
    with pytest.raises(ListError, match=r"no sheet named 'Nope' \(it has: Fiera, CRM\)"):
        read_list(path, ALIASES, sheet="Nope")


def test_files_that_are_no_list_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ListError, match=r"old Excel file: save it as .xlsx or CSV"):
        read_list(write(tmp_path, "old.xls", b"\xd0\xcf"), ALIASES)
    with pytest.raises(ListError, match=r"could not be read .* check the path"):
        read_list(tmp_path / "missing.csv", ALIASES)
    with pytest.raises(ListError, match=r"--sheet is for .xlsx lists"):
        read_list(write(tmp_path, "a.csv", b"Company\nAcme\n"), ALIASES, sheet="x")
    with pytest.raises(LeadsyncError, match=r"could not be opened as an Excel workbook"):
        read_list(write(tmp_path, "fake.xlsx", b"Company\nAcme\n"), ALIASES)
