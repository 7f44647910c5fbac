"""`leadsync init --google` and `leadsync doctor` against the Sheets API stand-in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from factories import Cli, prospect
from google_team import ROBOT, google_team, service_account_key
from sheets_standin import StandIn

from sync.config import CONFIG_FILE
from sync.google_client import ENDPOINT_ENV


def api_writes(standin: StandIn) -> int:
    return sum(1 for entry in standin.log if entry.method == "POST" and entry.path != "/token")


def test_init_google_lays_out_an_empty_spreadsheet_and_a_second_run_changes_nothing(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    monkeypatch.setenv(ENDPOINT_ENV, standin.url)
    key = service_account_key(standin, tmp_path)
    sheet = standin.create_spreadsheet("Sales", {"Sheet1": []}, shared_with=[ROBOT])
    url = f"https://docs.google.com/spreadsheets/d/{sheet}/edit#gid=0"
    folder = tmp_path / "sales"

    first = cli("init", folder, "--google", url, "--credentials", key, "--time-zone", "Europe/Rome")
    assert first.exit_code == 0, first.output
    assert "Prospects: added" in first.output and "Leads: added" in first.output
    assert standin.values(sheet, "Prospects")[0][:2] == ["Flag", "Company"]
    assert standin.values(sheet, "Leads")[0][0] == "Lead ID"
    assert standin.sheet_properties(sheet, "Leads")["gridProperties"]["frozenRowCount"] == 1
    flag_rule = standin.validation(sheet, "Prospects", "A2")
    assert flag_rule is not None
    assert [v["userEnteredValue"] for v in flag_rule["condition"]["values"]] == ["+", "x", "✓"]
    assert 'backend = "google"' in (folder / CONFIG_FILE).read_text()

    standin.clear_log()
    second = cli("init", folder, "--google", sheet)
    assert second.exit_code == 0, second.output
    assert second.output.count("already laid out") == 3
    assert api_writes(standin) == 0


def test_init_google_never_touches_a_tab_holding_someone_elses_data(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    monkeypatch.setenv(ENDPOINT_ENV, standin.url)
    key = service_account_key(standin, tmp_path)
    sheet = standin.create_spreadsheet(
        "Sales", {"Leads": [["Cliente", "Quando"], ["Rossi", "ieri"]]}, shared_with=[ROBOT]
    )
    result = cli("init", tmp_path / "s", "--google", sheet, "--credentials", key)
    assert result.exit_code == 2
    assert "Leads holds data but no" in result.output + (result.stderr or "")
    assert standin.values(sheet, "Leads") == [["Cliente", "Quando"], ["Rossi", "ieri"]]


def test_doctor_tells_apart_missing_credentials_not_shared_wrong_id_and_headers(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    team = google_team(standin, tmp_path, monkeypatch, [prospect("Rossi Srl")])
    config = team.config_path

    good = cli("doctor", "--config", config)
    assert good.exit_code == 0, good.output
    assert ROBOT in good.output

    team.key.unlink()
    missing = cli("doctor", "--config", config)
    assert missing.exit_code == 2 and "does not exist" in missing.output
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    text = config.read_text().replace('credentials = "service-account.json"', "")
    config.write_text(text)
    monkeypatch.setenv("HOME", str(tmp_path))  # no gcloud default credentials either
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:9")  # and no cloud metadata server
    none = cli("doctor", "--config", config)
    assert none.exit_code == 2 and "no Google credentials found" in none.output

    key = service_account_key(standin, tmp_path)
    config.write_text(text + f'credentials = "{key.name}"\n')
    unshared = standin.create_spreadsheet("Private", {"Leads": []}, shared_with=["boss@x.it"])
    config.write_text(config.read_text().replace(team.tracker, unshared))
    denied = cli("doctor", "--config", config)
    assert denied.exit_code == 2
    assert "not shared with " + ROBOT in denied.output and "(403)" in denied.output

    config.write_text(config.read_text().replace(unshared, "1" + "x" * 43))
    wrong = cli("doctor", "--config", config)
    assert wrong.exit_code == 2 and "(404)" in wrong.output

    bare = standin.create_spreadsheet(
        "Bare",
        {"Prospects": [["Flag", "Company"]], "Leads": [["Who"]], "Clients": [["Folder"]]},
        shared_with=[ROBOT],
    )
    config.write_text(config.read_text().replace("1" + "x" * 43, bare))
    headers = cli("doctor", "--config", config)
    assert headers.exit_code == 2 and "no 'Company' column" in headers.output


def test_a_key_of_another_kind_is_refused_with_what_to_use(tmp_path: Path) -> None:
    from sync.errors import BackendError
    from sync.google_auth import load_credentials

    key = tmp_path / "key.json"
    key.write_text(json.dumps({"type": "external_account"}))
    with pytest.raises(BackendError, match='"type": "service_account"'):
        load_credentials(key, write=False)


def test_sync_from_the_command_line_and_a_dry_run_that_writes_nothing(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    team = google_team(standin, tmp_path, monkeypatch, [prospect("Rossi Srl")])
    standin.clear_log()
    dry = cli("sync", "--dry-run", "--config", team.config_path)
    assert dry.exit_code == 0, dry.output
    assert "Rossi Srl" in dry.output
    assert api_writes(standin) == 0 and team.records("Leads") == []

    done = cli("sync", "--config", team.config_path)
    assert done.exit_code == 0, done.output
    assert [lead["company"] for lead in team.records("Leads")] == ["Rossi Srl"]
