"""How leadsync reads what people type: client names, dates, amounts, statuses, headers."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from sync.clientkey import client_key, company_key, domain_key
from sync.dates import EPOCH_1904, DateError, DateOrder, read_date
from sync.headers import TabKind, alias_table, match_headers
from sync.model import LeadStatus, parse_amount, parse_status


@pytest.mark.parametrize(
    "name",
    ["Rossi Impianti S.r.l.", "ROSSI IMPIANTI srl", "rossi-impianti", "Rossi  Impianti SRL."],
)
def test_spellings_of_one_client_share_a_key(name: str) -> None:
    assert company_key(name) == "rossi impianti"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Acme, Inc.", "acme"),
        ("Müller GmbH", "muller"),
        ("Ferrari S.p.A.", "ferrari"),
        ("Brightwave Analytics Ltd", "brightwave analytics"),
        ("Inc", "inc"),
        ("SAS Institute", "sas institute"),
    ],
)
def test_legal_suffixes_only_trail(name: str, key: str) -> None:
    assert company_key(name) == key


def test_domain_stands_in_for_an_empty_company() -> None:
    assert client_key("", "anna@rossi-impianti.it") == "rossi impianti"
    assert client_key("", "anna@mail.acme.co.uk") == "acme"
    assert client_key("", "anna@gmail.com") == ""
    assert domain_key("not an address") == ""
    assert client_key("Acme", "x@other.com") == "acme"


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("25/11/2026", DateOrder.DMY, datetime(2026, 11, 25)),
        ("11/25/2026", DateOrder.MDY, datetime(2026, 11, 25)),
        ("25.11.26", DateOrder.DMY, datetime(2026, 11, 25)),
        ("2026-11-25", DateOrder.MDY, datetime(2026, 11, 25)),
        ("2026-11-25 14:30", DateOrder.DMY, datetime(2026, 11, 25, 14, 30)),
    ],
)
def test_typed_dates_follow_the_configured_order(
    text: str, order: DateOrder, expected: datetime
) -> None:
    assert read_date(text, order) == expected


def test_impossible_and_ambiguous_dates_say_how_to_type_them() -> None:
    with pytest.raises(DateError, match="25/11/2026"):
        read_date("31/02/2026", DateOrder.DMY)
    with pytest.raises(DateError, match="11/25/2026"):
        read_date("tomorrow", DateOrder.MDY)


def test_serial_numbers_in_both_date_systems() -> None:
    assert read_date(46351, DateOrder.DMY) == datetime(2026, 11, 25)
    assert read_date(44889, DateOrder.DMY, EPOCH_1904) == datetime(2026, 11, 25)
    assert read_date(date(2026, 11, 25), DateOrder.DMY) == datetime(2026, 11, 25)
    assert read_date("  ", DateOrder.DMY) is None


@pytest.mark.parametrize(
    ("typed", "value"),
    [(1200, 1200.0), ("€ 1.200,50", 1200.5), ("1,200.50", 1200.5), ("1200,5", 1200.5),
     ("12,000", 12000.0), ("", None)],
)  # fmt: skip
def test_amounts_read_as_people_mean_them(typed: object, value: float | None) -> None:
    assert parse_amount(typed) == value  # type: ignore[arg-type]


@pytest.mark.parametrize("typed", ["nan", "NaN €", "inf", "-Infinity", "1e999", float("inf")])
def test_amounts_that_are_no_number_are_refused(typed: object) -> None:
    # float() reads these; a lead's amount and the Pipeline sums must not.
    with pytest.raises(ValueError, match=r"is not a number: type an amount such as 1200\.50"):
        parse_amount(typed)  # type: ignore[arg-type]


def test_statuses_in_both_languages() -> None:
    assert parse_status("to do") is LeadStatus.TODO
    assert parse_status("IN ATTESA") is LeadStatus.STANDBY
    assert parse_status("Vinto") is LeadStatus.WON
    assert parse_status(None) is None
    with pytest.raises(ValueError, match="pick one from the list"):
        parse_status("Pending")


def test_headers_match_ignoring_case_and_spaces_and_speak_italian() -> None:
    aliases = alias_table(TabKind.PROSPECTS, {"company": ["Cliente potenziale"]})
    found = match_headers(
        ["  AZIENDA ", "Assegna  a", "flag", "cliente potenziale", "Company"], aliases
    )
    assert found == {"company": 0, "assign_to": 1, "flag": 2}


@pytest.mark.parametrize("serial", [2_958_465.0, 2_958_465.5])
def test_a_serial_past_9999_in_the_1904_system_is_a_date_error(serial: float) -> None:
    # In range for the 1900 system, so only adding it to the later epoch overflows.
    with pytest.raises(DateError, match=f"^{serial!r} is not a date serial number$"):
        read_date(serial, DateOrder.DMY, EPOCH_1904)
