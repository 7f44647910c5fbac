"""The Pipeline tab on Google Sheets: in the pass's one write, and no request more when idle."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import gspread
import pytest
from factories import MORNING, Cli, lead_row, prospect
from google_team import ROBOT, google_team, service_account_key
from sheets_standin import StandIn
from sheets_standin.session import RedirectSession
from test_standin import sign_in

from sync.engine import run
from sync.google_client import ENDPOINT_ENV
from sync.headers import FIELDS, TabKind
from sync.pipeline_config import PipelineSettings
from sync.pipeline_layout import google_chart_request
from sync.xlsx_cells import column_letters


def step_column() -> str:
    keys = [f.key for f in FIELDS[TabKind.LEADS]]
    return column_letters(keys.index("step") + 1)


def test_a_pass_adds_the_pipeline_tab_in_its_one_write_and_an_idle_pass_stays_at_two(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    leads = [
        lead_row("L-0001", "Marino SpA", "To-do", amount=1000, step="Proposta"),
        lead_row("L-0002", "Keller AG", "To-do", amount=300, owner="Anna Keller"),
    ]
    team = google_team(standin, tmp_path, monkeypatch, [prospect("Rossi Srl")], leads)
    standin.clear_log()

    run(team.config(), now=MORNING)

    writes = [e for e in standin.log if e.method == "POST"]
    assert len(standin.log) == 3 and len(writes) == 1  # metadata, batchGet, one batchUpdate
    shown = standin.values(team.tracker, "Pipeline")
    assert shown[0][:6] == ["Open leads by step", "", "", "", "As of", "2026-03-10"]
    by_step = {row[0]: row[1:5] for row in shown[2:7]}
    assert by_step["New"] == [10, 2, 300, 30]  # the new lead (no amount) and Keller AG
    assert by_step["Proposal"] == [50, 1, 1000, 500]
    assert by_step["Total"] == ["", 3, 1300, 530]
    assert [lead["step"] for lead in team.records("Leads")] == ["Proposta", None, None]

    standin.clear_log()
    run(team.config(), now=MORNING)
    assert len(standin.log) == 2  # nothing changed: nothing written


def test_a_stale_tab_is_rewritten_whole_and_text_stays_text(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    due = 46000  # a serial date: 2025-12-09, long overdue on 2026-03-10
    # Typed with a leading ' so the sheet keeps them as text, as a person would have to.
    lead = lead_row("L-0001", "'=IMPORTXML(A1)", "To-do", next_action="'=1+1", next_action_date=due)
    team = google_team(standin, tmp_path, monkeypatch, leads=[lead])
    stale = [["Open leads by step"], *(["stale"] * 12 for _ in range(40))]
    standin.add_tab(team.tracker, "Pipeline", stale)

    run(team.config(), now=MORNING)

    shown = standin.values(team.tracker, "Pipeline")
    assert len(shown) < 40 and all("stale" not in row for row in shown)
    overdue = next(row for row in shown if row and row[0] == "L-0001")
    assert overdue[1] == "=IMPORTXML(A1)" and overdue[3] == "=1+1"
    assert overdue[5] == (MORNING.date() - (date(1899, 12, 30) + timedelta(days=due))).days


def test_init_google_adds_the_step_dropdown_and_a_pipeline_tab_with_its_chart(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    monkeypatch.setenv(ENDPOINT_ENV, standin.url)
    key = service_account_key(standin, tmp_path)
    sheet = standin.create_spreadsheet("Sales", {"Sheet1": []}, shared_with=[ROBOT])

    result = cli("init", tmp_path / "sales", "--google", sheet, "--credentials", key)

    assert result.exit_code == 0, result.output
    assert "Pipeline: added, with a chart" in result.output
    rule = standin.validation(sheet, "Leads", f"{step_column()}2")
    assert rule is not None
    steps = [v["userEnteredValue"] for v in rule["condition"]["values"]]
    assert steps == ["New", "Contacted", "Proposal", "Negotiation"]
    assert standin.values(sheet, "Pipeline")[1][:3] == ["Step", "Probability %", "Leads"]
    (chart,) = standin.charts(sheet, "Pipeline")
    basic = chart["spec"]["basicChart"]
    pipeline_id = standin.sheet_properties(sheet, "Pipeline")["sheetId"]
    assert basic["chartType"] == "COLUMN"
    domain = basic["domains"][0]["domain"]["sourceRange"]["sources"][0]
    assert (domain["sheetId"], domain["startRowIndex"], domain["endRowIndex"]) == (
        pipeline_id,
        1,
        6,
    )
    series = [s["series"]["sourceRange"]["sources"][0]["startColumnIndex"] for s in basic["series"]]
    assert series == [3, 4]  # Amount and Weighted amount

    standin.clear_log()
    again = cli("init", tmp_path / "sales", "--google", sheet)
    assert again.exit_code == 0 and "Pipeline: already there" in again.output
    assert not [e for e in standin.log if e.method == "POST"]


def _batch(standin: StandIn, spreadsheet: str, request: dict[str, Any]) -> Any:
    client = gspread.Client(auth=None, session=RedirectSession(standin.url, sign_in(standin)))
    return client.open_by_key(spreadsheet).batch_update({"requests": [request]})


def test_the_stand_in_keeps_a_chart_and_refuses_one_the_api_would_refuse(
    standin: StandIn,
) -> None:
    sheet = standin.create_spreadsheet("Charts", {"Pipeline": []})
    good = google_chart_request(0, PipelineSettings())
    reply = _batch(standin, sheet, good)
    assert reply["replies"][0]["addChart"]["chart"]["chartId"] > 0
    no_series = google_chart_request(0, PipelineSettings())
    no_series["addChart"]["chart"]["spec"]["basicChart"]["series"] = []
    elsewhere = google_chart_request(0, PipelineSettings())
    elsewhere["addChart"]["chart"]["position"]["overlayPosition"]["anchorCell"]["sheetId"] = 7
    for bad in (no_series, elsewhere):
        with pytest.raises(gspread.exceptions.APIError) as raised:
            _batch(standin, sheet, bad)
        assert raised.value.error["code"] == 400
    assert len(standin.charts(sheet, "Pipeline")) == 1


def test_a_pass_that_finds_the_tab_added_meanwhile_reads_again_and_writes_it_once(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = google_team(standin, tmp_path, monkeypatch, [prospect("Rossi Srl")])
    seen: list[int] = []

    def another_pass_adds_the_tab(index: int) -> None:
        seen.append(index)
        if len(seen) == 3:  # between this pass's read and its write
            standin.add_tab(team.tracker, "Pipeline", [["Open leads by step", "", "", "", "old"]])

    standin.clear_log()
    standin.before_request(another_pass_adds_the_tab)
    report = run(team.config(), now=MORNING, backend=team.backend())
    standin.before_request(None)

    writes = [e.status for e in standin.log if e.path.endswith(":batchUpdate")]
    assert writes == [400, 200]  # "already exists": refused whole, so read and planned again

    assert report.plan.counts.leads_created == 1
    assert [lead["company"] for lead in team.records("Leads")] == ["Rossi Srl"]
    assert standin.values(team.tracker, "Pipeline")[0][0] == "Open leads by step"


def test_a_tab_of_that_name_with_someone_elses_data_is_never_overwritten(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = google_team(standin, tmp_path, monkeypatch, leads=[lead_row("L-0001", "A", "To-do")])
    standin.add_tab(team.tracker, "Pipeline", [["Deal", "Stage"], ["Big one", "Won"]])

    report = run(team.config(), now=MORNING)

    assert report.exit_code == 1
    (problem,) = report.plan.problems
    assert "Pipeline" in problem.where and "set tracker.pipeline_tab" in problem.message
    assert standin.values(team.tracker, "Pipeline") == [["Deal", "Stage"], ["Big one", "Won"]]
