"""The committed templates, the builders that make them, and the demo data they are filled with."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

import sync.templates as templates
from sync.demo_data import demo_leads, demo_prospects
from sync.headers import TabKind, canonical_headers, field, field_keys
from sync.templates import (
    CLIENTS_TAB,
    LEADS_TAB,
    PIPELINE_TAB,
    PROSPECTING_FILE,
    PROSPECTS_TAB,
    TRACKER_FILE,
    build_prospecting_workbook,
    build_tracker_workbook,
    copy_templates,
    template_dir,
)

TODAY = date(2025, 3, 14)
FLAG_LIST = '"+,x,✓"'
STATUS_LIST = '"To-do,Standby,Won,Lost"'


def _column_letter(kind: TabKind, key: str) -> str:
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[canonical_headers(kind).index(field(kind, key).header)]


def _layout(path: Path) -> dict[str, Any]:
    """What a person sees of a workbook's structure, comparable across builds."""
    wb = load_workbook(path)
    layout: dict[str, Any] = {}
    for ws in wb.worksheets:
        layout[ws.title] = {
            "headers": [cell.value for cell in ws[1]],
            "freeze": ws.freeze_panes,
            "filter": ws.auto_filter.ref,
            "widths": {k: d.width for k, d in ws.column_dimensions.items()},
            "validations": sorted(
                (dv.type, dv.formula1, str(dv.sqref), bool(dv.allow_blank), dv.error)
                for dv in ws.data_validations.dataValidation
            ),
            "fills": [cell.fill.start_color.rgb for cell in ws[1]],
        }
    return layout


def _validations(ws: Any) -> dict[str, str]:
    return {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}


@pytest.fixture
def committed() -> Path:
    folder = template_dir()
    assert folder is not None, "templates/ should hold prospects.xlsx and leads.xlsx"
    return folder


def test_committed_prospecting_template(committed: Path) -> None:
    wb = load_workbook(committed / PROSPECTING_FILE)
    assert wb.sheetnames == [PROSPECTS_TAB]
    ws = wb[PROSPECTS_TAB]
    assert [c.value for c in ws[1]] == canonical_headers(TabKind.PROSPECTS)
    assert ws.max_row == 1
    assert ws.freeze_panes == "A2"
    flag = _column_letter(TabKind.PROSPECTS, "flag")
    assert _validations(ws) == {f"{flag}2:{flag}5000": FLAG_LIST}
    dv = ws.data_validations.dataValidation[0]
    assert dv.type == "list"
    assert dv.allow_blank
    assert "Type + to make this prospect a lead, x to strike it off" in dv.error


def test_committed_tracker_template(committed: Path) -> None:
    wb = load_workbook(committed / TRACKER_FILE)
    assert wb.sheetnames == [LEADS_TAB, CLIENTS_TAB, PIPELINE_TAB]
    leads, clients = wb[LEADS_TAB], wb[CLIENTS_TAB]
    assert [c.value for c in leads[1]] == canonical_headers(TabKind.LEADS)
    assert [c.value for c in clients[1]] == canonical_headers(TabKind.CLIENTS)
    assert leads.max_row == 1
    assert clients.max_row == 1
    assert leads.freeze_panes == "A2"
    assert clients.freeze_panes == "A2"
    status = _column_letter(TabKind.LEADS, "status")
    step = _column_letter(TabKind.LEADS, "step")
    assert _validations(leads) == {
        f"{status}2:{status}5000": STATUS_LIST,
        f"{step}2:{step}5000": '"New,Contacted,Proposal,Negotiation"',
    }
    assert _validations(clients) == {}


def test_engine_owned_headers_look_different(committed: Path) -> None:
    ws = load_workbook(committed / PROSPECTING_FILE)[PROSPECTS_TAB]
    fills = {c.value: c.fill.start_color.rgb for c in ws[1]}
    assert fills["Lead"] == fills["Sync note"]
    assert fills["Lead"] != fills["Company"]
    assert all(c.font.bold and c.border.bottom.style for c in ws[1])


def test_fresh_build_matches_committed_files(committed: Path, tmp_path: Path) -> None:
    build_prospecting_workbook(tmp_path / PROSPECTING_FILE)
    build_tracker_workbook(tmp_path / TRACKER_FILE)
    for name in (PROSPECTING_FILE, TRACKER_FILE):
        assert _layout(tmp_path / name) == _layout(committed / name), name


def test_copy_templates_into_new_folder(tmp_path: Path) -> None:
    target = tmp_path / "new" / "team"
    prospects, tracker = copy_templates(target)
    assert (prospects, tracker) == (target / PROSPECTING_FILE, target / TRACKER_FILE)
    assert load_workbook(prospects).sheetnames == [PROSPECTS_TAB]
    assert load_workbook(tracker).sheetnames == [LEADS_TAB, CLIENTS_TAB, PIPELINE_TAB]


def test_copy_templates_builds_when_nothing_is_committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(templates, "template_dir", lambda: None)
    prospects, tracker = copy_templates(tmp_path)
    built = tmp_path / "built"
    build_prospecting_workbook(built / PROSPECTING_FILE)
    build_tracker_workbook(built / TRACKER_FILE)
    assert _layout(prospects) == _layout(built / PROSPECTING_FILE)
    assert _layout(tracker) == _layout(built / TRACKER_FILE)


@pytest.mark.parametrize("existing", [PROSPECTING_FILE, TRACKER_FILE])
def test_copy_templates_never_overwrites(tmp_path: Path, existing: str) -> None:
    mine = tmp_path / existing
    build_tracker_workbook(mine, demo_leads(TODAY))
    before = mine.read_bytes()
    with pytest.raises(FileExistsError, match=existing) as excinfo:
        copy_templates(tmp_path)
    assert "not overwrite" in str(excinfo.value)
    assert mine.read_bytes() == before
    # Nothing else was written either: the refusal comes before any copy.
    assert sorted(p.name for p in tmp_path.iterdir()) == [existing]


def test_formula_looking_text_stays_text(tmp_path: Path) -> None:
    text = '=HYPERLINK("http://x","y")'
    path = tmp_path / PROSPECTING_FILE
    build_prospecting_workbook(path, [{"company": text, "notes": "=1+1"}])
    ws = load_workbook(path)[PROSPECTS_TAB]
    company = ws.cell(row=2, column=canonical_headers(TabKind.PROSPECTS).index("Company") + 1)
    notes = ws.cell(row=2, column=canonical_headers(TabKind.PROSPECTS).index("Notes") + 1)
    assert company.value == text
    assert company.data_type == "s"
    assert notes.value == "=1+1"
    assert notes.data_type == "s"


def test_rows_are_written_with_formats_only_where_written(tmp_path: Path) -> None:
    path = tmp_path / PROSPECTING_FILE
    rows = demo_prospects(TODAY)
    build_prospecting_workbook(path, rows)
    ws = load_workbook(path)[PROSPECTS_TAB]
    headers = canonical_headers(TabKind.PROSPECTS)
    assert ws.max_row == len(rows) + 1
    date_col = headers.index("Next action date") + 1
    amount_col = headers.index("Amount") + 1
    dated = next(i for i, row in enumerate(rows) if row["next_action_date"] is not None)
    cell = ws.cell(row=dated + 2, column=date_col)
    assert cell.value.date() == rows[dated]["next_action_date"]
    assert cell.number_format == "yyyy-mm-dd"
    assert ws.cell(row=2, column=amount_col).number_format == "#,##0.00"
    assert ws.cell(row=len(rows) + 5, column=date_col).number_format == "General"
    phone = ws.cell(row=2, column=headers.index("Phone") + 1)
    assert phone.data_type == "s"
    assert phone.value == rows[0]["phone"]


def test_unknown_row_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="compnay"):
        build_prospecting_workbook(tmp_path / PROSPECTING_FILE, [{"compnay": "Acme"}])


def test_main_rebuilds_templates(tmp_path: Path, committed: Path) -> None:
    assert templates.main([str(tmp_path / "out")]) == 0
    for name in (PROSPECTING_FILE, TRACKER_FILE):
        assert _layout(tmp_path / "out" / name) == _layout(committed / name)


# --- demo data ---------------------------------------------------------------------------------


def _flagged(rows: list[dict[str, object]], flag: str) -> list[dict[str, object]]:
    return [row for row in rows if row["flag"] == flag]


def test_demo_prospects_shape() -> None:
    rows = demo_prospects(TODAY)
    assert 45 <= len(rows) <= 55
    assert all(set(row) == field_keys(TabKind.PROSPECTS) for row in rows)
    assert demo_prospects(TODAY) == rows
    assert len(_flagged(rows, "+")) == 5
    assert len(_flagged(rows, "x")) == 1
    assert all(row["flag"] in {"+", "x", None} for row in rows)
    # Nothing is converted yet: the engine owns these cells and fills them on the first pass.
    assert all(row["lead"] is None and row["sync_note"] is None for row in rows)
    assert all(row["company"] for row in rows if row["flag"] != "+")


def test_demo_prospects_exercise_each_rule() -> None:
    rows = demo_prospects(TODAY)
    plus = _flagged(rows, "+")
    assert sum(not row["company"] for row in plus) == 1
    future = [row for row in plus if row["next_action_date"] == TODAY + timedelta(days=10)]
    assert len(future) == 1
    assert all(
        row["next_action_date"] is None or row["next_action_date"] <= TODAY  # type: ignore[operator]
        for row in plus
        if row is not future[0]
    )
    spellings = {"Rossi Impianti S.r.l.", "ROSSI IMPIANTI srl"}
    rossi = [row for row in plus if row["company"] in spellings]
    assert {str(row["company"]) for row in rossi} == spellings
    assert len(rossi) == 2
    assert rossi[0]["contact"] != rossi[1]["contact"]
    # No third Rossi row hides elsewhere, so the demo's folder holds exactly these two leads.
    others = [row for row in rows if row["company"] not in spellings]
    assert not any("rossi impianti" in str(row["company"]).lower() for row in others)


def test_demo_prospects_look_real() -> None:
    rows = demo_prospects(TODAY)
    emails = [str(row["email"]) for row in rows if row["email"]]
    assert len(set(emails)) == len(emails)
    owners = {row["assign_to"] for row in rows} - {None}
    assert len(owners) == 3
    assert any(row["assign_to"] is None for row in rows)
    assert all(isinstance(row["amount"], int | float) for row in rows if row["amount"] is not None)
    assert sum(row["next_action_date"] is not None for row in rows) >= 5
    companies = [str(row["company"]).lower() for row in rows if row["company"]]
    assert any(c.endswith(("s.r.l.", "spa", "s.p.a.")) for c in companies)
    assert any(c.endswith(("gmbh", "ltd", "inc", "llc", "sas")) for c in companies)


def test_demo_leads() -> None:
    leads = demo_leads(TODAY)
    assert [lead["lead_id"] for lead in leads] == ["L-0001", "L-0002", "L-0003"]
    assert all(set(lead) == field_keys(TabKind.LEADS) for lead in leads)
    by_status = {lead["status"]: lead for lead in leads}
    assert set(by_status) == {"Standby", "To-do", "Won"}
    assert by_status["Standby"]["next_action_date"] == TODAY - timedelta(days=2)
    assert all(lead["created"] < TODAY for lead in leads)  # type: ignore[operator]
    assert all(lead["source"] == PROSPECTING_FILE for lead in leads)
    prospect_companies = {row["company"] for row in demo_prospects(TODAY)}
    assert not prospect_companies & {lead["company"] for lead in leads}


def test_demo_data_fills_the_templates(tmp_path: Path) -> None:
    build_prospecting_workbook(tmp_path / PROSPECTING_FILE, demo_prospects(TODAY))
    build_tracker_workbook(tmp_path / TRACKER_FILE, demo_leads(TODAY))
    ws = load_workbook(tmp_path / TRACKER_FILE)[LEADS_TAB]
    assert [ws.cell(row=r, column=1).value for r in range(2, 5)] == ["L-0001", "L-0002", "L-0003"]
    created = ws.cell(row=2, column=canonical_headers(TabKind.LEADS).index("Created") + 1)
    assert created.number_format == "yyyy-mm-dd"


def test_date_and_amount_columns_carry_their_format_for_what_people_type_later() -> None:
    folder = template_dir()
    assert folder is not None
    prospects = load_workbook(folder / PROSPECTING_FILE)[PROSPECTS_TAB]
    leads = load_workbook(folder / TRACKER_FILE)[LEADS_TAB]

    def column_format(ws: Any, kind: TabKind, key: str) -> str:
        letter = get_column_letter(canonical_headers(kind).index(field(kind, key).header) + 1)
        return str(ws.column_dimensions[letter].number_format)

    assert column_format(prospects, TabKind.PROSPECTS, "next_action_date") == "yyyy-mm-dd"
    assert column_format(prospects, TabKind.PROSPECTS, "amount") == "#,##0.00"
    assert column_format(leads, TabKind.LEADS, "renewal_date") == "yyyy-mm-dd"
    assert column_format(leads, TabKind.LEADS, "company") == "General"
