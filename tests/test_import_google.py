"""`leadsync import` into a Google prospecting spreadsheet, through the stand-in over real HTTP.

What costs requests is counted: reading what the team has (two requests a spreadsheet, as a
sync pass) and one batchUpdate that appends the rows, text written as literal values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from factories import MORNING, ZONE, lead_row, prospect
from google_team import ROBOT, GoogleTeam, google_team
from sheets_standin import StandIn

from sync.config import CONFIG_FILE
from sync.engine import run
from sync.errors import BackendError
from sync.headers import TabKind, canonical_headers
from sync.importer import ImportReport, import_list

LIST = (
    "Company,Contact,Email,Phone,Industry\n"
    '"=IMPORTXML(""http://x"",""//a"")",Ugo,ugo@x.it,+39 02 1234 5678,HVAC\n'
    "Verdi Caffè,Carla,carla@verdicaffe.it,06 5555 1234,Food\n"
    "Rossi Srl,Anna,anna@rossi.it,,Plumbing\n"
)


def api_calls(standin: StandIn) -> list[Any]:
    return [entry for entry in standin.log if entry.path != "/token"]


def fair_list(folder: Path) -> Path:
    path = folder / "fiera.csv"
    path.write_text(LIST, encoding="utf-8")
    return path


def import_into(team: GoogleTeam, **options: Any) -> ImportReport:
    return import_list(
        team.config(),
        fair_list(team.folder),
        f"https://docs.google.com/spreadsheets/d/{team.prospecting}/edit#gid=0",
        "Fiera 2026",
        backend=team.backend(every_row=True),
        **options,
    )


def from_the_fair(team: GoogleTeam, spreadsheet: str | None = None) -> list[dict[str, Any]]:
    rows = team.records("Prospects", spreadsheet)
    return [r for r in rows if r.get("source") == "Fiera 2026"]


def test_a_list_is_appended_in_one_write_as_literal_text(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = google_team(
        standin,
        tmp_path,
        monkeypatch,
        [prospect("Bianchi SpA", flag=None)],
        [lead_row("L-0001", "Rossi S.r.l.", "To-do")],
        one_spreadsheet=False,
        settings={"phone_region": "IT"},
    )
    standin.clear_log()

    report = import_into(team)

    calls = [(c.method, c.path.rsplit("/", 1)[-1]) for c in api_calls(standin)]
    assert calls == [
        ("GET", team.tracker),
        ("GET", "values:batchGet"),
        ("GET", team.prospecting),
        ("GET", "values:batchGet"),
        ("POST", f"{team.prospecting}:batchUpdate"),
    ]
    assert [s.row for s in report.plan.skipped] == [4]  # Rossi Srl is a lead already
    rows = from_the_fair(team)
    assert [(r["company"], r["phone"], r["notes"]) for r in rows] == [
        ('=IMPORTXML("http://x","//a")', "+39 02 1234 5678", "Industry: HVAC"),
        ("Verdi Caffè", "06 5555 1234", "Industry: Food"),
    ]
    assert [r["_row"] for r in rows] == [3, 4]  # below Bianchi SpA


def test_dry_run_reads_and_writes_nothing(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = google_team(standin, tmp_path, monkeypatch)
    standin.clear_log()
    report = import_into(team, dry_run=True)
    assert len(report.plan.appended) == 3
    assert [c.method for c in api_calls(standin)] == ["GET", "GET"]
    assert from_the_fair(team) == []


def test_nothing_to_append_costs_no_write(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = google_team(standin, tmp_path, monkeypatch)
    import_into(team)
    standin.clear_log()
    again = import_into(team)
    assert [s.row for s in again.plan.skipped] == [2, 3, 4]
    assert [c.method for c in api_calls(standin)] == ["GET", "GET"]
    assert len(from_the_fair(team)) == 3


def test_a_plus_on_an_imported_row_makes_one_lead_with_its_source(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = google_team(standin, tmp_path, monkeypatch)
    import_into(team)
    verdi = next(r for r in from_the_fair(team) if r["company"] == "Verdi Caffè")
    standin.set_cell(team.prospecting, "Prospects", f"A{verdi['_row']}", "+")

    assert run(team.config(), now=MORNING, backend=team.backend()).plan.counts.leads_created == 1
    assert run(team.config(), now=MORNING, backend=team.backend()).plan.is_empty

    (lead,) = team.records("Leads")
    assert (lead["company"], lead["source"]) == ("Verdi Caffè", "Fiera 2026")


def test_a_spreadsheet_without_source_column_gets_one_in_the_same_write(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = google_team(standin, tmp_path, monkeypatch, one_spreadsheet=False)
    headers = [h for h in canonical_headers(TabKind.PROSPECTS) if h != "Source"]
    bare = standin.create_spreadsheet(
        "Old prospects", {"Prospects": [headers]}, time_zone=ZONE, shared_with=[ROBOT]
    )
    config = team.folder / CONFIG_FILE
    config.write_text(config.read_text().replace(team.prospecting, bare))
    team.prospecting = bare
    standin.clear_log()

    import_into(team)

    assert [c.method for c in api_calls(standin)].count("POST") == 1
    assert standin.values(bare, "Prospects")[0][-1] == "Source"
    assert len(from_the_fair(team, bare)) == 3


def test_the_command_line_names_the_spreadsheet_by_id(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any
) -> None:
    team = google_team(standin, tmp_path, monkeypatch)
    result = cli(
        "import", fair_list(tmp_path), "--into", team.prospecting, "--source", "Fiera 2026",
        "--config", team.config_path,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "appended 3 prospects" in result.output.lower()
    assert len(from_the_fair(team)) == 3
    wrong = cli(
        "import", fair_list(tmp_path), "--into", "1AbCdEfGhIjKlMnOpQrStUvWxYz", "--source", "X",
        "--config", team.config_path,
    )  # fmt: skip
    assert wrong.exit_code == 2
    assert f"lists: {team.prospecting} (tabs: Prospects)" in wrong.output


@pytest.mark.parametrize("fault", ["drop", "drop_after"])
def test_an_unconfirmed_write_is_not_repeated_and_running_again_adds_each_row_once(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    team = google_team(standin, tmp_path, monkeypatch)
    standin.fail(3, fault)  # the write, after the two reads
    with pytest.raises(BackendError, match="run the same leadsync import again"):
        import_into(team)
    import_into(team)
    assert sorted(r["company"] for r in from_the_fair(team)) == [
        '=IMPORTXML("http://x","//a")',
        "Rossi Srl",
        "Verdi Caffè",
    ]
