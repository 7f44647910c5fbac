"""Rule 6 for imported lists, planned without any file: which rows go in, which are skipped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
from test_planner import tab

from sync.duplicates import Key
from sync.errors import ListError
from sync.headers import FIELDS, TabKind, alias_table
from sync.import_plan import ImportPlan, plan_import
from sync.snapshot import CellValue, Snapshot, TabRef

ALIASES = alias_table(TabKind.PROSPECTS)


def snapshot(
    prospects: Sequence[Mapping[str, CellValue]] = (),
    leads: Sequence[Mapping[str, CellValue]] = (),
    more: Sequence[Mapping[str, CellValue]] = (),
    without: tuple[str, ...] = (),
) -> Snapshot:
    return Snapshot(
        (
            tab(TabKind.PROSPECTS, "Prospects", prospects, "prospects.xlsx", without),
            tab(TabKind.PROSPECTS, "Nord", more, "north.xlsx"),
        ),
        tab(TabKind.LEADS, "Leads", leads, "leads.xlsx"),
        tab(TabKind.CLIENTS, "Clients", [], "leads.xlsx"),
    )


def run(
    rows: Sequence[Sequence[CellValue]],
    snap: Snapshot | None = None,
    keep: bool = False,
    region: str | None = "IT",
) -> ImportPlan:
    snap = snap or snapshot()
    return plan_import(
        rows, "fiera.csv", snap, snap.prospects[0], "Fiera 2026", ALIASES, keep, region
    )


def test_rows_become_prospects_with_their_source_and_never_a_flag_or_lead() -> None:
    result = run(
        [
            ("Azienda", "Referente", "Flag", "Lead", "Importo", "Mail"),
            ("Rossi Srl", "Anna", "+", "L-0009", "1.200,50", "anna@rossi.it"),
        ]
    )
    (append,) = result.plan.appends
    assert append.tab == TabRef("prospects.xlsx", "Prospects")
    assert dict(append.values) == {
        "company": "Rossi Srl",
        "contact": "Anna",
        "amount": 1200.5,
        "email": "anna@rossi.it",
        "source": "Fiera 2026",
    }
    assert result.columns.engine == ("Flag", "Lead")
    assert ("Azienda", "Company") in result.columns.imported
    assert not result.plan.add_columns
    assert all(a.tab.tab != "Leads" for a in result.plan.appends)


def test_unknown_columns_go_into_notes_after_the_lists_own_notes() -> None:
    result = run(
        [
            ("Company", "Note", "Città", "", "Source"),
            ("Acme", "hot", "Milano", 42, "badge scan"),
            ("Bolt", None, "Roma", None, None),
        ]
    )
    notes = [a.values.get("notes") for a in result.plan.appends]
    assert notes == ["hot; Città: Milano; Column D: 42; Source: badge scan", "Città: Roma"]
    assert result.columns.to_notes == ("Città", "Column D", "Source")
    assert [a.values["source"] for a in result.plan.appends] == ["Fiera 2026"] * 2


def test_cells_past_the_last_header_are_kept_in_notes() -> None:
    result = run([("Company", "Notes"), ("Acme", "hot", "ask for Ugo")])
    assert result.plan.appends[0].values["notes"] == "hot; Column C: ask for Ugo"


def test_text_that_looks_like_a_formula_stays_text() -> None:
    result = run([("Company", "Phone"), ('=HYPERLINK("http://x")', "+39 02 1234 5678")])
    (append,) = result.plan.appends
    assert append.values["company"] == '=HYPERLINK("http://x")'
    assert append.values["phone"] == "+39 02 1234 5678"


def test_a_row_without_company_is_refused_with_its_list_row_and_the_rest_goes_in() -> None:
    result = run([("Title line",), ("Company", "Email"), (None, "x@y.it"), (), ("Acme", None)])
    assert result.header_row == 2
    assert [(r.row, r.reason) for r in result.refused] == [
        (3, "Company is empty: fill it in and import the row")
    ]
    assert [a.row for a in result.appended] == [5]


def test_a_list_without_company_column_is_refused_whole() -> None:
    with pytest.raises(ListError) as caught:
        run([("Name", "Email"), ("Anna", "a@b.it")])
    message = str(caught.value)
    assert "fiera.csv has no Company column" in message
    assert "reads: Name, Email" in message
    assert "'Azienda'" in message
    assert "[headers.prospects]" in message


def test_an_unreadable_phone_is_imported_as_typed_with_a_remark() -> None:
    result = run([("Company", "Phone"), ("Acme", "ask reception")])
    assert result.appended[0].values["phone"] == "ask reception"
    (remark,) = result.remarks
    assert remark.row == 2
    assert "imported as typed, not checked for duplicates" in remark.text
    assert not result.refused


EXISTING = snapshot(
    prospects=[{"company": "Rossi Impianti S.r.l.", "email": "anna@rossi.it"}],
    leads=[{"lead_id": "L-0001", "company": "Verdi", "phone": "+39 02 1234 5678"}],
    more=[{"company": "Gialli", "email": "Info@Gialli.com"}],
)


@pytest.mark.parametrize(
    ("row", "where", "by"),
    [
        (("Other", "ANNA@rossi.it ", None), "prospects.xlsx › Prospects row 2", (Key.EMAIL,)),
        (("Other", None, "02 1234 5678"), "leads.xlsx › Leads row 2", (Key.PHONE,)),
        (("Rossi Impianti", None, None), "prospects.xlsx › Prospects row 2", (Key.CLIENT,)),
        (("New Co", "info@gialli.com", None), "north.xlsx › Nord row 2", (Key.EMAIL,)),
    ],
)
def test_a_duplicate_of_a_prospect_or_lead_is_skipped_and_says_of_what_and_by_what(
    row: tuple[CellValue, ...], where: str, by: tuple[Key, ...]
) -> None:
    result = run([("Company", "Email", "Phone"), row], EXISTING)
    assert not result.plan.appends
    (skipped,) = result.skipped
    assert [(m.where, m.by) for m in skipped.matches] == [(where, by)]


def test_duplicates_within_the_list_are_skipped_after_their_first_row() -> None:
    result = run(
        [("Company", "Email"), ("Acme", "a@acme.com"), ("Bolt", "A@ACME.COM"), ("ACME Ltd", None)]
    )
    assert [a.row for a in result.appended] == [2]
    assert [(s.row, str(s.matches[0])) for s in result.skipped] == [
        (3, "fiera.csv row 2 (same e-mail)"),
        (4, "fiera.csv row 2 (same client)"),
    ]


def test_keep_duplicates_appends_them_and_still_reports_them() -> None:
    result = run([("Company",), ("Verdi",), ("Verdi",)], EXISTING, keep=True)
    assert [a.row for a in result.appended] == [2, 3]
    assert [a.duplicate_of[0].where for a in result.appended] == [
        "leads.xlsx › Leads row 2",
        "leads.xlsx › Leads row 2",
    ]
    assert not result.skipped


def test_a_target_without_source_column_gets_one_at_the_right() -> None:
    snap = snapshot(without=("source",))
    result = run([("Company",), ("Acme",)], snap)
    (add,) = result.plan.add_columns
    right_of_the_rest = len(FIELDS[TabKind.PROSPECTS])  # every other column, then Source
    assert (add.field, add.header, add.column) == ("source", "Source", right_of_the_rest)
    assert run([("Company",)], snap).plan.is_empty  # nothing to append, nothing added


def test_a_column_the_target_lacks_goes_into_notes() -> None:
    snap = snapshot(without=("amount",))
    result = run([("Company", "Amount"), ("Acme", 100)], snap)
    assert result.plan.appends[0].values["notes"] == "Amount: 100"
    assert "amount" not in result.plan.appends[0].values
