"""The keys that tell an imported row from someone the team already has (Rule 6)."""

from __future__ import annotations

import pytest

from sync.duplicates import Contact, DuplicateIndex, Key, email_key, phone_key


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("  Anna.Rossi@Rossi.IT ", "anna.rossi@rossi.it"),
        ("mailto:anna@rossi.it", "anna@rossi.it"),
        ("anna at rossi.it", ""),
        ("anna@localhost", ""),
        (None, ""),
    ],
)
def test_email_key_trims_and_case_folds(typed: str | None, key: str) -> None:
    assert email_key(typed) == key


@pytest.mark.parametrize(
    "typed",
    ["02 1234 5678", "+39 02-1234-5678", "0039 02 12345678", "(02) 1234.5678", 390212345678.0],
)
def test_one_italian_number_however_it_is_typed(typed: str | float) -> None:
    assert phone_key(typed, "IT") == "+390212345678"


def test_a_number_without_country_code_needs_a_region() -> None:
    assert phone_key("02 1234 5678") == ""
    assert phone_key("+39 02 1234 5678") == "+390212345678"
    assert phone_key("(415) 555-0132", "US") == "+14155550132"


@pytest.mark.parametrize("typed", ["n/a", "12", "call the office", "", None, True])
def test_what_is_no_phone_number_gives_no_key(typed: str | bool | None) -> None:
    assert phone_key(typed, "IT") == ""


def test_a_match_names_the_first_row_holding_a_key_and_every_key_shared() -> None:
    index = DuplicateIndex()
    index.add("Prospects row 2", Contact.of("Rossi Impianti S.r.l.", "anna@rossi.it", None, "IT"))
    index.add("Leads row 5", Contact.of("Verdi", "", "+39 02 1234 5678", "IT"))
    index.add("Prospects row 9", Contact.of("Rossi Impianti", "", None, "IT"))

    found = index.find(Contact.of("ROSSI IMPIANTI srl", " ANNA@rossi.it", "021234 5678", "IT"))

    assert [(m.where, m.by) for m in found] == [
        ("Prospects row 2", (Key.EMAIL, Key.CLIENT)),
        ("Leads row 5", (Key.PHONE,)),
    ]
    assert str(found[0]) == "Prospects row 2 (same e-mail and client)"


def test_free_mail_and_an_empty_company_do_not_make_everyone_one_client() -> None:
    index = DuplicateIndex()
    index.add("Leads row 2", Contact.of("", "mario@gmail.com", None, None))
    assert index.find(Contact.of("", "giulia@gmail.com", None, None)) == []
    assert index.find(Contact.of("Bianchi", "giulia@gmail.com", None, None)) == []
