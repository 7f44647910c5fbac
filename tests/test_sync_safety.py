"""What people do to their files around a pass, and what can go wrong mid-pass.

Exactly once, right row, nothing lost: a sort, an insert, a crash, a workbook open in Excel or a
colleague's save in the middle of a pass must never cost a lead, double one, or land a write on
someone else's row.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from factories import (
    MORNING,
    Cli,
    Team,
    config_text,
    header_columns,
    make_team,
    prospect,
    reverse_rows,
    workbook_values,
)

import sync
import sync.engine
import sync.xlsx_backend
import sync.xlsx_files
from sync.config import parse_config
from sync.errors import ConfigError, WorkbookChanged
from sync.headers import TabKind
from sync.planner import plan as real_plan
from sync.templates import LEADS_TAB, PROSPECTS_TAB

# Taken before any test patches it, so a patched rename can still do the real thing.
os_replace = sync.xlsx_files.os.replace


def _morning_rows() -> list[dict[str, object]]:
    return [
        prospect("Acme Inc", contact="Jane Doe", email="jane@acme.example"),
        prospect("Borealis Oy", flag=None),
        prospect("Cobalt Srl", contact="Piero Neri"),
        # The same prospect typed twice: two rows, so two leads, each on its own row.
        prospect("Acme Inc", contact="Jane Doe", email="jane@acme.example"),
        prospect("Delta GmbH", flag=None),
        prospect("Rossi Impianti S.r.l.", contact="Marco Rossi"),
        prospect("ROSSI IMPIANTI srl", contact="Giulia Bianchi"),
    ]


def assert_every_row_links_its_own_lead(team: Team) -> None:
    leads = team.leads()
    ids = Counter(lead["lead_id"] for lead in leads)
    assert all(count == 1 for count in ids.values()), f"duplicate lead IDs: {ids}"
    by_id = {lead["lead_id"]: lead for lead in leads}
    linked = [row for row in team.prospect_rows() if row["lead"]]
    on_rows = Counter(row["lead"] for row in linked)
    assert all(count == 1 for count in on_rows.values()), f"an ID on two rows: {on_rows}"
    for row in linked:
        lead = by_id[row["lead"]]
        assert (lead["company"], lead["contact"]) == (row["company"], row["contact"]), row
        assert row["flag"] == "✓"
    # Every lead that came from a prospect row is on exactly one row.
    from_rows = {lead["lead_id"] for lead in leads if lead["source"] == team.prospects.name}
    assert from_rows == set(on_rows)


def test_sorting_and_inserting_rows_between_passes(tmp_path: Path) -> None:
    team = make_team(tmp_path, _morning_rows())
    first = team.sync()
    assert first.plan.counts.leads_created == 5
    ids_before = {lead["lead_id"] for lead in team.leads()}

    # Over lunch: sort the list Z→A, insert two rows at the top, flag two prospects.
    with team.editing(team.prospects) as workbook:
        ws = workbook[PROSPECTS_TAB]
        reverse_rows(ws)
        ws.insert_rows(2, amount=2)
        columns = header_columns(ws)
        for row, flag, company in ((2, "+", "Echo Ltd"), (3, None, "Foxtrot SA")):
            ws.cell(row, columns["flag"]).value = flag
            ws.cell(row, columns["company"]).value = company
        borealis = next(
            r
            for r in range(4, ws.max_row + 1)
            if ws.cell(r, columns["company"]).value == "Borealis Oy"
        )
        ws.cell(borealis, columns["flag"]).value = "+"

    second = team.sync(MORNING + timedelta(hours=4))

    assert second.plan.counts.leads_created == 2
    assert second.plan.counts.leads_recovered == 0
    assert len(team.leads()) == 7
    assert ids_before < {lead["lead_id"] for lead in team.leads()}
    assert_every_row_links_its_own_lead(team)
    for company in ("Echo Ltd", "Borealis Oy"):
        row = team.row_of(company)
        assert team.lead(row["lead"])["company"] == company
    assert team.row_of("Foxtrot SA")["lead"] is None
    assert team.row_of("Delta GmbH")["lead"] is None
    assert len(team.clients()) == 2  # Acme (typed twice) and Rossi
    # The same content every pass from now on.
    assert team.sync(MORNING + timedelta(hours=5)).plan.is_empty


def test_two_passes_started_together_create_each_lead_once(tmp_path: Path) -> None:
    team = make_team(tmp_path, _morning_rows())
    config = team.config
    start = threading.Barrier(2)
    results: list[object] = []

    def pass_from_another_window() -> None:
        start.wait()
        try:
            results.append(sync.run(config, now=MORNING))
        except Exception as error:  # collected so the assertion below shows it
            results.append(error)

    threads = [threading.Thread(target=pass_from_another_window) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert all(isinstance(result, sync.Report) for result in results), results
    assert len(team.leads()) == 5
    assert_every_row_links_its_own_lead(team)


class PowerCut(Exception):
    """The laptop lid closes between the tracker's save and the prospecting file's."""


Saver = Callable[[Path, Callable[[Path], None], str], None]


def _dies_on_second_save(real: Saver) -> Saver:
    saved: list[Path] = []

    def save(path: Path, write: Callable[[Path], None], expected_digest: str) -> None:
        if saved:
            raise PowerCut(f"lost power while saving {path.name}")
        real(path, write, expected_digest)
        saved.append(path)

    return save


def _dies_on_second_rename(real: Callable[..., None]) -> Callable[..., None]:
    renamed: list[object] = []

    def replace(source: Any, target: Any) -> None:
        if renamed:
            raise PowerCut(f"lost power while renaming onto {target}")
        real(source, target)
        renamed.append(target)

    return replace


@pytest.mark.parametrize("where", ["save", "rename"])
def test_a_crash_between_the_two_saves_is_repaired_by_the_next_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    team = make_team(tmp_path, _morning_rows())
    tracker_before = team.tracker.read_bytes()

    with monkeypatch.context() as patch:
        if where == "save":
            patch.setattr(
                sync.xlsx_backend, "atomic_save", _dies_on_second_save(sync.xlsx_files.atomic_save)
            )
        else:
            patch.setattr(sync.xlsx_files.os, "replace", _dies_on_second_rename(os_replace))
        with pytest.raises(PowerCut):
            team.sync()

    # The rows carry their new lead IDs; the tracker is exactly as it was.
    assert len([row for row in team.prospect_rows() if row["lead"]]) == 5
    assert team.tracker.read_bytes() == tracker_before
    assert not list(tmp_path.glob(".leads.*.xlsx"))

    # Before anyone reruns it, the person sorts the list and adds a detail to one row.
    with team.editing(team.prospects) as workbook:
        reverse_rows(workbook[PROSPECTS_TAB])
    cobalt = team.row_of("Cobalt Srl")
    team.edit_prospect(cobalt["_row"], email="piero@cobalt.example")

    report = team.sync(MORNING + timedelta(minutes=5))

    assert report.plan.counts.leads_recovered == 5
    assert report.plan.counts.leads_created == 0
    assert team.lead(team.row_of("Cobalt Srl")["lead"])["email"] == "piero@cobalt.example"
    assert report.exit_code == 0
    assert len(team.leads()) == 5
    assert_every_row_links_its_own_lead(team)
    assert len(team.clients()) == 2  # Acme (typed twice) and Rossi
    assert team.sync(MORNING + timedelta(minutes=10)).plan.is_empty


@pytest.mark.parametrize(
    "owner_file", ["~$leads.xlsx", "~$prospects.xlsx", ".~lock.prospects.xlsx#"]
)
def test_a_workbook_open_in_excel_or_libreoffice_is_left_alone(
    tmp_path: Path, cli: Cli, owner_file: str
) -> None:
    team = make_team(tmp_path, _morning_rows())
    (tmp_path / owner_file).write_bytes(b"\x00owner")
    before = team.file_bytes()

    result = cli("sync", "--config", team.config_path)

    assert result.exit_code == 2
    assert owner_file in result.output
    assert team.file_bytes() == before


def person_saves_mid_pass(patch: pytest.MonkeyPatch, act: Callable[[], None]) -> None:
    """Run `act` after the pass has read and planned, before it writes: a person saving then."""

    def plan_then_act(*args: Any, **kwargs: Any) -> Any:
        made = real_plan(*args, **kwargs)
        act()
        return made

    patch.setattr(sync.engine, "make_plan", plan_then_act)


def sort_z_to_a(team: Team) -> None:
    with team.editing(team.prospects) as workbook:
        reverse_rows(workbook[PROSPECTS_TAB])


def test_a_colleague_saving_the_prospect_list_mid_pass_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = make_team(tmp_path, _morning_rows())
    order_before = [row["company"] for row in team.prospect_rows()]

    with monkeypatch.context() as patch:
        person_saves_mid_pass(patch, lambda: sort_z_to_a(team))
        with pytest.raises(WorkbookChanged, match=r"prospects\.xlsx"):
            team.sync()

    rows = team.prospect_rows()
    assert [row["company"] for row in rows] == order_before[::-1]
    assert all(row["lead"] is None and row["flag"] in ("+", None) for row in rows)

    team.sync(MORNING + timedelta(minutes=1))
    assert len(team.leads()) == 5
    assert_every_row_links_its_own_lead(team)


def test_two_deals_with_one_contact_sorted_mid_pass_keep_their_own_leads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marco = {"contact": "Marco Rossi", "email": "marco@rossiimpianti.it"}
    team = make_team(
        tmp_path,
        [
            prospect("Rossi Impianti S.r.l.", amount=18500, notes="Quote for three sites", **marco),
            prospect("Rossi Impianti S.r.l.", amount=7200, notes="Bergamo plant budget", **marco),
        ],
    )

    with monkeypatch.context() as patch:
        person_saves_mid_pass(patch, lambda: sort_z_to_a(team))
        with pytest.raises(WorkbookChanged):
            team.sync()

    team.sync(MORNING + timedelta(minutes=1))

    assert len(team.leads()) == 2
    for row in team.prospect_rows():
        lead = team.lead(row["lead"])
        assert (lead["notes"], lead["amount"]) == (row["notes"], row["amount"])


def test_completing_the_flagged_row_mid_pass_still_gives_one_lead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = make_team(tmp_path, [prospect("Acme Inc", contact="Jane Doe")])

    with monkeypatch.context() as patch:
        person_saves_mid_pass(patch, lambda: team.edit_prospect(2, email="jane@acme.example"))
        with pytest.raises(WorkbookChanged):
            team.sync()

    team.sync(MORNING + timedelta(minutes=1))

    row = team.row_of("Acme Inc")
    assert row["email"] == "jane@acme.example"
    assert [lead["lead_id"] for lead in team.leads()] == [row["lead"]]
    assert team.clients() == []


def test_a_colleague_saving_the_tracker_mid_pass_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = make_team(tmp_path, _morning_rows())

    def sara_types_a_walk_in() -> None:
        # A lead from a business card, typed straight into the Leads tab and saved.
        with team.editing(team.tracker) as workbook:
            ws = workbook[LEADS_TAB]
            ws.cell(2, header_columns(ws, TabKind.LEADS)["company"]).value = "Walk-in Srl"

    with monkeypatch.context() as patch:
        person_saves_mid_pass(patch, sara_types_a_walk_in)
        with pytest.raises(WorkbookChanged, match=r"leads\.xlsx"):
            team.sync()

    # Sara's lead is kept; the rows were saved first and already carry their new IDs.
    assert [lead["company"] for lead in team.leads()] == ["Walk-in Srl"]
    assert len([row for row in team.prospect_rows() if row["lead"]]) == 5

    report = team.sync(MORNING + timedelta(minutes=1))

    assert report.plan.counts.leads_recovered == 5
    assert team.leads()[0]["company"] == "Walk-in Srl"
    assert_every_row_links_its_own_lead(team)


def test_a_dry_run_prints_the_plan_and_writes_nothing(tmp_path: Path, cli: Cli) -> None:
    rows = [*_morning_rows(), prospect("Tecnoplast Veneto S.p.A.", flag="x")]
    team = make_team(tmp_path, rows)
    before = team.file_bytes()
    files_before = sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".xlsx")

    result = cli("sync", "--dry-run", "--config", team.config_path)

    assert result.exit_code == 0, result.output
    assert team.file_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".xlsx") == files_before
    for company in ("Acme Inc", "Cobalt Srl", "Rossi Impianti S.r.l.", "Tecnoplast Veneto S.p.A."):
        assert company in result.output
    assert "Delta GmbH" not in result.output
    assert "nothing was written" in result.output.lower()

    # The real pass then does what the dry run said.
    real = cli("sync", "--config", team.config_path)
    assert real.exit_code == 0, real.output
    assert len(team.leads()) == 5


@pytest.mark.parametrize(
    ("settings", "drop", "named"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, None, "time_zone"),
        ({}, "default_owner", "default_owner"),
        ({"date_order": "YDM"}, None, "date_order"),
        ({"colour": "blue"}, None, "colour"),
    ],
)
def test_a_config_error_stops_with_the_key_named(
    tmp_path: Path, cli: Cli, settings: dict[str, str], drop: str | None, named: str
) -> None:
    team = make_team(tmp_path, _morning_rows())
    lines = config_text(settings).splitlines()
    team.config_path.write_text(
        "\n".join(line for line in lines if not (drop and line.startswith(drop))) + "\n",
        encoding="utf-8",
    )
    before = team.file_bytes()

    result = cli("sync", "--config", team.config_path)

    assert result.exit_code == 2
    assert named in result.output
    assert team.file_bytes() == before


def test_a_config_error_from_the_library_names_the_tracker_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(
            {"default_owner": "Sara", "tracker": {}, "prospecting": [{"path": "p.xlsx"}]},
            tmp_path,
        )
    assert any(
        problem.startswith("tracker:") and "give either path" in problem
        for problem in caught.value.problems
    )


def test_missing_engine_columns_are_added_right_of_the_last_used_column(tmp_path: Path) -> None:
    team = make_team(tmp_path)
    # A person's own list: no Lead or Sync note column, a column of their own, and a remark
    # typed further right without a header.
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = PROSPECTS_TAB
    ws.append(["Flag", "Company", "Contact", "Email", "Region"])
    ws.append(["+", "Acme Inc", "Jane Doe", "jane@acme.example", "North"])
    ws.append([None, "Borealis Oy", "Mikko", None, "Nordics", None, "call after Easter"])
    ws.append(["x", "Cobalt Srl", None, None, "South"])
    workbook.save(team.prospects)
    before = workbook_values(team.prospects)[PROSPECTS_TAB]

    report = team.sync()

    assert report.exit_code == 0
    after = workbook_values(team.prospects)[PROSPECTS_TAB]
    assert after[0] == (
        "Flag",
        "Company",
        "Contact",
        "Email",
        "Region",
        None,
        None,
        "Lead",
        "Sync note",
    )
    [lead] = team.leads()
    assert after[1][7] == lead["lead_id"]
    assert after[3][8] == "Struck off"
    # Every cell the person typed is where it was; only the flag of the converted row changed.
    for before_row, after_row in zip(before, after, strict=True):
        for column, value in enumerate(before_row):
            if before_row is before[1] and column == 0:
                assert after_row[column] == "✓"
            else:
                assert after_row[column] == value
    assert team.sync(MORNING + timedelta(hours=1)).plan.is_empty


def test_engine_columns_go_on_the_header_row_below_a_title(tmp_path: Path) -> None:
    team = make_team(tmp_path)
    # An Italian list with a title and a blank line above its headers, and a remark typed far
    # to the right well below the first screenful of rows.
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = PROSPECTS_TAB
    ws["A1"] = "Prospect Q1 2026 — Luca"
    ws.append([])
    ws.append(["Segna", "Azienda", "Referente"])
    ws.append(["+", "Acme Inc", "Jane Doe"])
    for number in range(20):
        ws.append([None, f"Cold {number} Srl", None])
    ws.append([None, "Late Entry SpA", None, None, None, "ask Sara"])
    workbook.save(team.prospects)
    before = workbook_values(team.prospects)[PROSPECTS_TAB]

    assert team.sync().exit_code == 0

    after = workbook_values(team.prospects)[PROSPECTS_TAB]
    assert after[2] == ("Segna", "Azienda", "Referente", None, None, None, "Lead", "Sync note")
    [lead] = team.leads()
    assert (lead["company"], lead["contact"]) == ("Acme Inc", "Jane Doe")
    assert after[3][:3] == ("✓", "Acme Inc", "Jane Doe")
    assert after[3][6] == lead["lead_id"]
    assert [row[:6] for row in after[4:]] == [row[:6] for row in before[4:]]
    assert after[0][0] == "Prospect Q1 2026 — Luca"
