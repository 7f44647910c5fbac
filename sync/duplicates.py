"""Is this person already on file? Keys that tell, and an index of who has them (Rule 6).

An imported list is checked against every prospect and lead the team already has, and against
itself, by three keys: the e-mail address (trimmed, case-folded), the phone number in E.164
(so "02 1234 5678", "+39 02-1234-5678" and "0039 0212345678" are one number) and the client key
that groups leads into folders (sync/clientkey.py). Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

import phonenumbers

from sync.clientkey import client_key
from sync.snapshot import CellValue


class Key(StrEnum):
    """What two rows share, in the order a match is looked for and reported."""

    EMAIL = "e-mail"
    PHONE = "phone"
    CLIENT = "client"


def email_key(value: CellValue) -> str:
    """'  Anna.Rossi@Rossi.IT ' -> 'anna.rossi@rossi.it'; '' for anything that is no address."""
    text = _text(value).removeprefix("mailto:").strip().casefold()
    local, at, domain = text.rpartition("@")
    return text if at and local and "." in domain else ""


def phone_key(value: CellValue, region: str | None = None) -> str:
    """The number in E.164 ('+390212345678'), or '' when it cannot be read as one.

    `region` (ISO 3166 code, "IT") is the country of numbers written without a country code;
    without it only numbers written with one (+39…, 0039…) can be read.
    """
    text = _text(value)
    if not any(c.isdigit() for c in text):
        return ""
    if text.startswith("00"):  # the international prefix most of Europe dials
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def known_region(value: str) -> str:
    """`value` as a region phone numbers are read in, or ValueError that says what to write."""
    region = value.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(
            f"'{value}' is not a country code phone numbers can be read in; use a two-letter "
            'ISO 3166 code such as "IT", "DE", "GB" or "US"'
        )
    return region


def _text(value: CellValue) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone typed into a number cell
    return str(value).strip()


@dataclass(frozen=True)
class Contact:
    """The keys of one row: a prospect, a lead, or a row of an imported list."""

    email: str
    phone: str
    client: str

    @classmethod
    def of(
        cls, company: CellValue, email: CellValue, phone: CellValue, region: str | None
    ) -> Contact:
        return cls(
            email_key(email),
            phone_key(phone, region),
            client_key(_text(company), _text(email)),
        )

    def each_key(self) -> Iterator[tuple[Key, str]]:
        for kind, key in ((Key.EMAIL, self.email), (Key.PHONE, self.phone)):
            if key:
                yield kind, key
        if self.client:
            yield Key.CLIENT, self.client


@dataclass(frozen=True)
class Match:
    where: str  # "prospects.xlsx › Prospects row 12", "contacts.csv row 7"
    by: tuple[Key, ...]  # every key the two rows share

    def __str__(self) -> str:
        return f"{self.where} (same {' and '.join(k.value for k in self.by)})"


@dataclass
class DuplicateIndex:
    """Who holds each key; the first row added with a key is the one a match names."""

    _holders: dict[tuple[Key, str], str] = field(default_factory=dict)

    def add(self, where: str, contact: Contact) -> None:
        for kind_key in contact.each_key():
            self._holders.setdefault(kind_key, where)

    def find(self, contact: Contact) -> list[Match]:
        """Every row already indexed that shares a key with `contact`, in the order of Key."""
        shared: dict[str, list[Key]] = {}
        for kind, key in contact.each_key():
            where = self._holders.get((kind, key))
            if where is not None and kind not in shared.setdefault(where, []):
                shared[where].append(kind)
        return [Match(where, tuple(kinds)) for where, kinds in shared.items()]
