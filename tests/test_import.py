"""`leadsync import` into an Excel prospecting file, as a salesperson runs it after a trade fair.

Real lists on disk, real workbooks, the real command line: the rows must be in the file when a
person opens it, the rest of their workbook untouched, and a + on an imported row must make one
lead at the next sync.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from factories import Cli, Team, lead_row, make_team, prospect

from sync.package_diff import compare_packages, sheet_parts
from sync.templates import PROSPECTS_TAB

FAIR = (
    "Azienda;Referente;E-mail;Telefono;Città;Flag\r\n"
    "Rossi Impianti S.r.l.;Anna Rossi;anna@rossi-impianti.it;02 1234 5678;Milano;+\r\n"
    ";Senza Nome;nessuno@example.it;;Roma;\r\n"
    "Verdi Caffè;Carla Verdi;carla@verdicaffe.it;+39 06 5555 1234;Roma;\r\n"
    '=HYPERLINK("http://x.it");Ugo;ugo@x.it;;Torino;\r\n'
)


def fair_csv(folder: Path, text: str = FAIR, encoding: str = "utf-8-sig") -> Path:
    path = folder / "fiera.csv"
    path.write_bytes(text.encode(encoding))
    return path


def team_with(folder: Path, **more: object) -> Team:
    return make_team(folder / "team", settings={"phone_region": "IT"}, **more)  # type: ignore[arg-type]


def imported(team: Team) -> list[dict[str, object]]:
    return [r for r in team.prospect_rows() if r.get("source") == "Fiera 2026"]


def import_args(team: Team, path: Path, *more: str) -> list[str | Path]:
    return [
        "import", path, "--into", team.prospects, "--source", "Fiera 2026",
        "--config", team.config_path, *more,
    ]  # fmt: skip


def test_a_fair_list_lands_as_prospects_and_nothing_else_in_the_workbook_changes(
    tmp_path: Path, cli: Cli
) -> None:
    team = team_with(tmp_path, prospects=[prospect("Bianchi SpA", flag=None)])
    before = team.prospects.read_bytes()
    tracker = team.tracker.read_bytes()

    result = cli(*import_args(team, fair_csv(tmp_path)))

    assert result.exit_code == 1, result.output  # one row has no company
    assert "UTF-8 with BOM, semicolon-separated" in result.output
    assert "refuse row 3: Company is empty" in result.output
    assert "Not imported (written by leadsync only): Flag" in result.output
    rows = imported(team)
    assert [r["company"] for r in rows] == [
        "Rossi Impianti S.r.l.",
        "Verdi Caffè",
        '=HYPERLINK("http://x.it")',
    ]
    first = rows[0]
    assert (first["contact"], first["phone"], first["notes"]) == (
        "Anna Rossi",
        "02 1234 5678",
        "Città: Milano",
    )
    assert all(r.get("flag") is None and r.get("lead") is None for r in rows)
    sheet = openpyxl.load_workbook(team.prospects)[PROSPECTS_TAB]
    formula_like = sheet.cell(rows[2]["_row"], 2)
    assert formula_like.data_type == "s"  # text, not a formula

    after = team.prospects.read_bytes()
    changes = compare_packages(before, after)
    assert {p.part for p in changes.parts} == {sheet_parts(before)[PROSPECTS_TAB]}
    assert {c.cell[1:] for c in changes.cells} == {"3", "4", "5"}  # the three new rows only
    assert team.tracker.read_bytes() == tracker


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_comma_separated_lists_in_either_encoding(tmp_path: Path, cli: Cli, encoding: str) -> None:
    team = team_with(tmp_path)
    text = 'Company,Contact,Notes\r\n"Caffè Nero, Milano",Niccolò,"call back, Tuesday"\r\n'
    result = cli(*import_args(team, fair_csv(tmp_path, text, encoding)))
    assert result.exit_code == 0, result.output
    assert "comma-separated" in result.output
    (row,) = imported(team)
    assert (row["company"], row["contact"], row["notes"]) == (
        "Caffè Nero, Milano",
        "Niccolò",
        "call back, Tuesday",
    )


def test_an_xlsx_list_from_its_named_sheet(tmp_path: Path, cli: Cli) -> None:
    team = team_with(tmp_path)
    workbook = openpyxl.Workbook()
    workbook.active.append(["ignored"])
    crm = workbook.create_sheet("Contatti")
    crm.append(["Ragione sociale", "Importo", "Mail"])
    crm.append(["Acme S.p.A.", 1500, "info@acme.it"])
    path = tmp_path / "crm.xlsx"
    workbook.save(path)

    result = cli(*import_args(team, path, "--sheet", "Contatti"))

    assert result.exit_code == 0, result.output
    (row,) = imported(team)
    assert (row["company"], row["amount"], row["email"]) == ("Acme S.p.A.", 1500, "info@acme.it")


def test_duplicates_of_prospects_and_leads_are_skipped_unless_kept(
    tmp_path: Path, cli: Cli
) -> None:
    team = team_with(
        tmp_path,
        prospects=[prospect("Studio Neri", flag=None, email="ANNA@rossi-impianti.it")],
        leads=[lead_row("L-0001", "Verdi Caffè S.r.l.", "To-do")],
    )
    list_path = fair_csv(tmp_path)

    result = cli(*import_args(team, list_path))

    assert "skip   row 2: Rossi Impianti S.r.l., a duplicate of prospects.xlsx › Prospects " \
        "row 2 (same e-mail)" in result.output  # fmt: skip
    assert "skip   row 4: Verdi Caffè, a duplicate of leads.xlsx › Leads row 2 (same client)" in (
        result.output
    )
    assert [r["company"] for r in imported(team)] == ['=HYPERLINK("http://x.it")']

    saved = team.prospects.read_bytes()
    again = cli(*import_args(team, list_path))  # the same list twice adds nothing
    assert team.prospects.read_bytes() == saved  # and saves nothing
    assert "appended 0 prospects, skipped 3 duplicates" in again.output.lower()
    assert len(imported(team)) == 1

    kept = cli(*import_args(team, list_path, "--keep-duplicates"))
    assert "(kept, a duplicate of" in kept.output
    assert len(imported(team)) == 4


def test_a_duplicate_far_down_among_cold_prospects_is_found(tmp_path: Path, cli: Cli) -> None:
    # A sync pass reads only the rows it acts on; an import must look at every prospect.
    cold = [prospect(f"Cold {n}", flag=None) for n in range(40)]
    team = team_with(
        tmp_path,
        prospects=[*cold, prospect("Studio Neri", flag=None, email="anna@rossi-impianti.it")],
    )

    result = cli(*import_args(team, fair_csv(tmp_path)))

    assert "skip   row 2: Rossi Impianti S.r.l., a duplicate of prospects.xlsx › Prospects " \
        "row 42 (same e-mail)" in result.output  # fmt: skip
    assert "Rossi Impianti S.r.l." not in [r["company"] for r in imported(team)]


def test_dry_run_prints_what_it_would_do_and_writes_nothing(tmp_path: Path, cli: Cli) -> None:
    team = team_with(tmp_path, leads=[lead_row("L-0001", "Verdi Caffè", "To-do")])
    files = team.file_bytes()

    result = cli(*import_args(team, fair_csv(tmp_path), "--dry-run"))

    assert result.exit_code == 1
    assert "append row 2: Rossi Impianti S.r.l." in result.output
    assert "skip   row 4: Verdi Caffè, a duplicate of leads.xlsx › Leads row 2" in result.output
    assert "Would append 2 prospects, skipped 1 duplicate, refused 1 row." in result.output
    assert "nothing was written" in result.output
    assert team.file_bytes() == files


def test_an_imported_row_becomes_a_lead_of_its_source_once_it_gets_a_plus(
    tmp_path: Path, cli: Cli
) -> None:
    team = team_with(tmp_path)
    cli(*import_args(team, fair_csv(tmp_path)))
    assert team.sync().plan.counts.leads_created == 0  # a list never makes leads by itself

    team.edit_prospect(team.row_of("Verdi Caffè")["_row"], flag="+")
    assert team.sync().plan.counts.leads_created == 1
    assert team.sync().plan.counts.leads_created == 0

    (lead,) = team.leads()
    assert (lead["company"], lead["source"]) == ("Verdi Caffè", "Fiera 2026")
    assert team.row_of("Verdi Caffè")["lead"] == lead["lead_id"]


def test_a_prospecting_file_without_source_column_gets_one(tmp_path: Path, cli: Cli) -> None:
    team = team_with(tmp_path)
    with team.editing(team.prospects) as workbook:
        workbook[PROSPECTS_TAB].delete_cols(11)  # Source, between Next action date and Lead
    result = cli(*import_args(team, fair_csv(tmp_path)))
    assert result.exit_code == 1
    headers = [c.value for c in openpyxl.load_workbook(team.prospects)[PROSPECTS_TAB][1]]
    assert headers[-1] == "Source"
    assert len(imported(team)) == 3


def test_the_help_says_why_it_never_creates_leads(cli: Cli) -> None:
    words = " ".join(cli("import", "--help").output.split())
    assert "It never creates leads: a whole list turned into leads would bury the real ones" in (
        words
    )
    assert "Type + on a prospect worth following" in words


def test_mistakes_stop_with_exit_2_and_write_nothing(tmp_path: Path, cli: Cli) -> None:
    team = team_with(tmp_path)
    files = team.file_bytes()
    list_path = fair_csv(tmp_path)

    unknown = cli(
        *[("other.xlsx" if a == team.prospects else a) for a in import_args(team, list_path)]
    )
    assert unknown.exit_code == 2
    assert "--into other.xlsx is not a prospecting file of leadsync.toml, which lists: " \
        "prospects.xlsx (tabs: Prospects)" in unknown.output  # fmt: skip

    no_company = fair_csv(tmp_path, "Nome;Email\nAnna;a@b.it\n")
    result = cli(*import_args(team, no_company))
    assert result.exit_code == 2
    assert "fiera.csv has no Company column" in result.output

    (team.prospects.parent / "~$prospects.xlsx").write_bytes(b"")
    held = cli(*import_args(team, list_path))
    assert held.exit_code == 2
    assert "prospects.xlsx is open in Excel or LibreOffice" in held.output
    assert team.file_bytes() == files


def test_the_tracker_open_in_excel_does_not_stop_an_import(tmp_path: Path, cli: Cli) -> None:
    team = team_with(tmp_path)
    (team.tracker.parent / "~$leads.xlsx").write_bytes(b"")
    result = cli(*import_args(team, fair_csv(tmp_path)))
    assert result.exit_code == 1, result.output
    assert len(imported(team)) == 3
