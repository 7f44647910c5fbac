"""`leadsync today`: a salesperson's morning list, through the real command line.

Dates are a few days either side of the real today (in the team's zone), because the command,
like a person, asks the clock what day it is.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from factories import OWNER, ROME, Cli, lead_row, make_team, prospect
from google_team import google_team
from sheets_standin import StandIn

TODAY = datetime.now(ROME).date()


def day(offset: int) -> datetime:
    return datetime.combine(TODAY + timedelta(days=offset), datetime.min.time())


LEADS = [
    lead_row("L-0001", "Marino SpA", "To-do", next_action="Send quote"),
    lead_row("L-0002", "Keller AG", "To-do", owner="Anna Keller", next_action_date=day(-5)),
    lead_row("L-0003", "[bold]Greco[/bold]", "To-do", next_action_date=day(-1), step="Proposta"),
    lead_row("L-0004", "Vogel GmbH", "Standby", next_action_date=day(6)),
    lead_row("L-0005", "Due Today Srl", "Standby", next_action_date=day(0)),
    lead_row("L-0006", "Won Srl", "Won"),
]


def test_today_lists_the_todo_leads_overdue_first(tmp_path: Path, cli: Cli) -> None:
    team = make_team(tmp_path, leads=LEADS)
    before = team.file_bytes()

    result = cli("today", "--config", team.config_path)

    assert result.exit_code == 0, result.output
    order = [lead for lead in ("L-0002", "L-0003", "L-0005", "L-0001") if lead in result.output]
    assert order == ["L-0002", "L-0003", "L-0005", "L-0001"]
    assert sorted(order, key=result.output.index) == order
    assert "L-0004" not in result.output and "L-0006" not in result.output
    assert "5 d late" in result.output and "1 d late" in result.output
    assert "[bold]Greco[/bold]" in result.output  # printed as typed, never as markup
    assert team.file_bytes() == before  # it only reads


def test_today_json_and_owner(tmp_path: Path, cli: Cli) -> None:
    team = make_team(tmp_path, leads=LEADS)

    result = cli("today", "--config", team.config_path, "--owner", OWNER.upper(), "--json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["today"] == TODAY.isoformat()
    assert [lead["lead_id"] for lead in data["todo"]] == ["L-0003", "L-0005", "L-0001"]
    first = data["todo"][0]
    assert (first["overdue"], first["days_overdue"], first["step"]) == (True, 1, "Proposal")
    assert data["owners"] == [
        {
            "owner": OWNER,
            "todo": 3,
            "standby": 1,
            "overdue": 1,
            "won_this_month": 1,  # Won Srl is stamped closed today by the next pass
            "lost_this_month": 0,
        }
    ]

    nobody = cli("today", "--config", team.config_path, "--owner", "Zoe")
    assert nobody.exit_code == 0
    assert "No open leads for 'Zoe'" in nobody.output and "Anna Keller" in nobody.output


def test_today_exit_codes_say_rows_with_problems_and_bad_configuration(
    tmp_path: Path, cli: Cli
) -> None:
    team = make_team(tmp_path, [prospect(None)], LEADS)
    troubled = cli("today", "--config", team.config_path)
    assert troubled.exit_code == 1
    assert "Company is empty" in troubled.output

    missing = cli("today", "--config", tmp_path / "nowhere.toml")
    assert missing.exit_code == 2


def test_today_on_google_shows_the_numbers_of_the_pipeline_tab(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    team = google_team(standin, tmp_path, monkeypatch, leads=LEADS)
    assert cli("sync", "--config", team.config_path).exit_code == 0
    standin.clear_log()

    result = cli("today", "--config", team.config_path, "--json")

    assert result.exit_code == 0, result.output
    assert all(entry.method == "GET" for entry in standin.log)  # it only reads
    data = json.loads(result.output)
    shown = standin.values(team.tracker, "Pipeline")
    start = next(i for i, row in enumerate(shown) if row and row[0] == "Owner") + 1
    tab_owners = [row[:6] for row in shown[start:] if row and row[0]]
    listed = [
        [o["owner"], o["todo"], o["standby"], o["overdue"], o["won_this_month"],
         o["lost_this_month"]]
        for o in data["owners"]
    ]  # fmt: skip
    assert listed == tab_owners[: len(listed)]
    assert [lead["lead_id"] for lead in data["todo"]] == ["L-0002", "L-0003", "L-0005", "L-0001"]
