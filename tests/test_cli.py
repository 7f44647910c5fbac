"""The commands a team types: init to start, demo to see it work, doctor when in doubt."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from factories import Cli, Team, make_team, prospect, workbook_values

from sync.config import CONFIG_FILE, load_config
from sync.templates import PIPELINE_TAB, PROSPECTING_FILE, PROSPECTS_TAB, TRACKER_FILE

THREE_FILES = {PROSPECTING_FILE, TRACKER_FILE, CONFIG_FILE}


def _team(folder: Path) -> Team:
    return Team(
        folder=folder,
        prospects=folder / PROSPECTING_FILE,
        tracker=folder / TRACKER_FILE,
        config_path=folder / CONFIG_FILE,
    )


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_init_creates_the_three_files_ready_to_sync(tmp_path: Path, cli: Cli) -> None:
    folder = tmp_path / "sales"

    result = cli("init", folder, "--time-zone", "Europe/Rome", "--owner", "Giulia Bianchi")

    assert result.exit_code == 0, result.output
    assert set(_contents(folder)) >= THREE_FILES
    config = load_config(folder / CONFIG_FILE)
    assert (config.time_zone, config.default_owner) == ("Europe/Rome", "Giulia Bianchi")
    assert openpyxl.load_workbook(folder / PROSPECTING_FILE).sheetnames == [PROSPECTS_TAB]

    # The files work straight away: a flagged row becomes a lead owned by the default owner.
    team = _team(folder)
    team.edit_prospect(2, flag="+", company="Acme Inc")
    synced = cli("sync", "--config", folder / CONFIG_FILE)
    assert synced.exit_code == 0, synced.output
    [lead] = team.leads()
    assert (lead["company"], lead["owner"]) == ("Acme Inc", "Giulia Bianchi")


def test_init_refuses_to_overwrite(tmp_path: Path, cli: Cli) -> None:
    folder = tmp_path / "sales"
    assert cli("init", folder, "--time-zone", "UTC").exit_code == 0
    _team(folder).edit_prospect(2, flag="+", company="Work Already Done Srl")
    before = _contents(folder)

    again = cli("init", folder, "--time-zone", "UTC")

    assert again.exit_code == 2
    assert "already exists" in again.output
    assert _contents(folder) == before


def test_init_leaves_a_persons_own_prospect_list_alone(tmp_path: Path, cli: Cli) -> None:
    folder = tmp_path / "sales"
    folder.mkdir()
    mine = folder / PROSPECTING_FILE
    mine.write_bytes(b"my own list, not a template")

    result = cli("init", folder, "--time-zone", "UTC")

    assert result.exit_code == 2
    assert PROSPECTING_FILE in result.output
    assert mine.read_bytes() == b"my own list, not a template"
    # Refused before anything was written: no half-made team folder is left behind.
    assert sorted(p.name for p in folder.iterdir()) == [PROSPECTING_FILE]


def test_demo_runs_a_full_pass_and_a_resync_changes_nothing(tmp_path: Path, cli: Cli) -> None:
    folder = tmp_path / "demo"

    result = cli("demo", folder)

    assert result.exit_code == 0, result.output
    team = _team(folder)
    leads = team.leads()
    new = [lead for lead in leads if lead["lead_id"] not in {"L-0001", "L-0002", "L-0003"}]
    assert len(leads) == 3 + 4
    assert len(new) == 4
    assert {lead["company"] for lead in new} == {
        "Rossi Impianti S.r.l.",
        "ROSSI IMPIANTI srl",
        "Nordwind Logistik GmbH",
        "Brightwave Analytics Ltd",
    }
    assert team.lead("L-0001")["status"] == "To-do"  # the Standby lead that was already due
    nordwind = next(lead for lead in new if lead["company"].startswith("Nordwind"))
    assert nordwind["status"] == "Standby"
    [folder_row] = team.clients()
    rossi = {lead["lead_id"] for lead in new if "rossi" in lead["company"].lower()}
    assert {part.strip() for part in folder_row["leads"].split(",")} == rossi
    waiting = next(row for row in team.prospect_rows() if row["flag"] == "+")
    assert waiting["company"] is None
    assert waiting["sync_note"].startswith("⚠")
    before = team.values()

    again = cli("sync", "--config", folder / CONFIG_FILE)

    # Nothing left to do, but the row without a company still needs a person.
    assert again.exit_code == 1, again.output
    assert team.values() == before
    assert f"{PROSPECTING_FILE} › {PROSPECTS_TAB} row {waiting['_row']}" in again.output


def test_demo_will_not_clobber_a_folder_that_is_not_a_demo(tmp_path: Path, cli: Cli) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "quarterly.xlsx").write_bytes(b"keep me")

    result = cli("demo", folder)

    assert result.exit_code == 2
    assert str(folder) in result.output
    assert _contents(folder) == {"quarterly.xlsx": b"keep me"}


def test_doctor_is_happy_with_a_fresh_folder_and_writes_nothing(tmp_path: Path, cli: Cli) -> None:
    folder = tmp_path / "sales"
    assert cli("init", folder, "--time-zone", "UTC").exit_code == 0
    before = {name: workbook_values(folder / name) for name in (PROSPECTING_FILE, TRACKER_FILE)}
    files_before = _contents(folder)

    result = cli("doctor", "--config", folder / CONFIG_FILE)

    assert result.exit_code == 0, result.output
    assert "✗" not in result.output
    after = {name: workbook_values(folder / name) for name in (PROSPECTING_FILE, TRACKER_FILE)}
    assert after == before
    assert {k: v for k, v in _contents(folder).items() if k in files_before} == files_before


def test_doctor_names_a_missing_workbook(tmp_path: Path, cli: Cli) -> None:
    folder = tmp_path / "sales"
    assert cli("init", folder, "--time-zone", "UTC").exit_code == 0
    (folder / PROSPECTING_FILE).unlink()

    result = cli("doctor", "--config", folder / CONFIG_FILE)

    assert result.exit_code == 2
    assert PROSPECTING_FILE in result.output
    assert "does not exist" in result.output


def test_doctor_names_a_missing_company_header(tmp_path: Path, cli: Cli) -> None:
    folder = tmp_path / "sales"
    assert cli("init", folder, "--time-zone", "UTC").exit_code == 0
    team = _team(folder)
    with team.editing(team.prospects) as workbook:
        ws = workbook[PROSPECTS_TAB]
        [company] = [cell for cell in ws[1] if cell.value == "Company"]
        company.value = "Firm"

    result = cli("doctor", "--config", folder / CONFIG_FILE)

    assert result.exit_code == 2
    assert "'Company'" in result.output
    assert PROSPECTING_FILE in result.output


def test_doctor_warns_when_a_workbook_is_open_in_excel(tmp_path: Path, cli: Cli) -> None:
    folder = tmp_path / "sales"
    assert cli("init", folder, "--time-zone", "UTC").exit_code == 0
    (folder / f"~${TRACKER_FILE}").write_bytes(b"owner")

    result = cli("doctor", "--config", folder / CONFIG_FILE)

    assert result.exit_code == 2
    assert TRACKER_FILE in result.output
    assert "open" in result.output


def test_a_file_that_is_not_a_workbook_stops_the_pass_with_a_way_out(
    tmp_path: Path, cli: Cli
) -> None:
    folder = tmp_path / "sales"
    assert cli("init", folder, "--time-zone", "UTC").exit_code == 0
    # An old .xls renamed, or a CSV saved under the wrong name.
    (folder / PROSPECTING_FILE).write_text("Flag;Company\n+;Acme\n")
    tracker_before = (folder / TRACKER_FILE).read_bytes()

    result = cli("sync", "--config", folder / CONFIG_FILE)

    assert result.exit_code == 2
    assert f"{PROSPECTING_FILE} could not be opened as an Excel workbook" in result.output
    assert "save it in one of those formats" in result.output
    assert (folder / TRACKER_FILE).read_bytes() == tracker_before


def test_doctor_counts_every_prospect_row_not_only_those_a_pass_reads(
    tmp_path: Path, cli: Cli
) -> None:
    cold = [prospect(f"Cold {n} Srl", flag=None) for n in range(30)]
    team = make_team(tmp_path / "sales", [*cold, prospect("Hot Srl")])

    result = cli("doctor", "--config", team.config_path)

    assert result.exit_code == 0, result.output
    assert "header on row 1, 31 rows" in result.output
    assert "1 prospect row(s) flagged +" in result.output


def test_doctor_says_the_pipeline_tab_is_leadsyncs(tmp_path: Path, cli: Cli) -> None:
    folder = tmp_path / "sales"
    assert cli("init", folder, "--time-zone", "UTC").exit_code == 0

    result = cli("doctor", "--config", folder / CONFIG_FILE)

    assert result.exit_code == 0, result.output
    assert f"Pipeline tab '{PIPELINE_TAB}' is leadsync's" in result.output


def test_doctor_names_a_pipeline_tab_holding_someones_own_work(tmp_path: Path, cli: Cli) -> None:
    folder = tmp_path / "sales"
    assert cli("init", folder, "--time-zone", "UTC").exit_code == 0
    team = _team(folder)
    with team.editing(team.tracker) as workbook:
        del workbook[PIPELINE_TAB]
        workbook.create_sheet(PIPELINE_TAB)["A1"] = "My forecast"
    before = workbook_values(folder / TRACKER_FILE)

    result = cli("doctor", "--config", folder / CONFIG_FILE)

    assert result.exit_code == 2
    assert f"✗ Pipeline tab '{PIPELINE_TAB}': this tab holds something leadsync did not" in (
        " ".join(result.output.split())
    )
    assert workbook_values(folder / TRACKER_FILE) == before


def test_doctor_says_a_missing_pipeline_tab_comes_with_the_next_sync(
    tmp_path: Path, cli: Cli
) -> None:
    folder = tmp_path / "sales"
    assert cli("init", folder, "--time-zone", "UTC").exit_code == 0
    team = _team(folder)
    with team.editing(team.tracker) as workbook:
        del workbook[PIPELINE_TAB]

    result = cli("doctor", "--config", folder / CONFIG_FILE)

    assert result.exit_code == 0, result.output
    assert f"Pipeline tab '{PIPELINE_TAB}' is not there yet" in result.output
