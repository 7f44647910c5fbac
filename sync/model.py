"""The domain words: lead statuses, flags, amounts, and a prospect as parsed from its row.

A value that does not fit raises ValueError with a sentence for the row's Sync note; the
planner turns it into a row problem, never into an error that ends a pass.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Literal, NamedTuple

from sync.snapshot import CellValue

Language = Literal["en", "it"]


class LeadStatus(StrEnum):
    TODO = "To-do"
    STANDBY = "Standby"
    WON = "Won"
    LOST = "Lost"

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES

    def word(self, language: Language) -> str:
        return self.value if language == "en" else _ITALIAN[self]


# Looked up once: a member looked up on the class costs more than the comparison, and every
# rule asks this of every lead. `status in OPEN_STATUSES` is `status.is_open` without the
# Python-level call of a property (and False for None).
OPEN_STATUSES = (LeadStatus.TODO, LeadStatus.STANDBY)

_ITALIAN = {
    LeadStatus.TODO: "Da fare",
    LeadStatus.STANDBY: "In attesa",
    LeadStatus.WON: "Vinto",
    LeadStatus.LOST: "Perso",
}


def _squash(text: str) -> str:
    return re.sub(r"[\s\-_]", "", text).casefold()


_STATUS_WORDS = {
    **{_squash(s.value): s for s in LeadStatus},
    **{_squash(word): s for s, word in _ITALIAN.items()},
}


def parse_status(value: CellValue) -> LeadStatus | None:
    """None for an empty cell; ValueError with the accepted words for anything unknown."""
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    status = _STATUS_WORDS.get(_squash(text))
    if status is None:
        raise ValueError(
            f"Status '{text}' is not one of To-do, Standby, Won, Lost "
            "(or Da fare, In attesa, Vinto, Perso): pick one from the list"
        )
    return status


class Flag(StrEnum):
    NONE = ""
    CONVERT = "+"
    STRIKE = "x"
    DONE = "✓"


_FLAG_WORDS = {"+": Flag.CONVERT, "x": Flag.STRIKE, "✓": Flag.DONE, "✔": Flag.DONE}
# parse_flag's answer for a flag as typed: for a caller that looks it up inline.
FLAGS_AS_TYPED: Mapping[str, Flag] = _FLAG_WORDS


def parse_flag(value: CellValue) -> Flag:
    if type(value) is str:
        # A flag as typed, as nearly all are: what strip() and casefold() would give already.
        flag = _FLAG_WORDS.get(value)
        if flag is not None:
            return flag
    text = "" if value is None else str(value).strip().casefold()
    if not text:
        return Flag.NONE
    flag = _FLAG_WORDS.get(text)
    if flag is None:
        raise ValueError(
            f"Flag '{str(value).strip()}' is not understood: type + to make this prospect a "
            "lead, or x to strike it off"
        )
    return flag


def parse_amount(value: CellValue) -> float | None:
    """Numbers as they are; typed text such as '€ 1.200,50' or '1,200.50' read as people mean it."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"Amount '{value}' is not a number: type an amount such as 1200.50")
    number = float(value) if isinstance(value, int | float) else _typed_amount(str(value))
    # float() reads 'nan' and 'inf' too: no amount a lead can carry, and they would make
    # every Pipeline sum they join NaN or infinite.
    if not math.isfinite(number):
        raise ValueError(
            f"Amount '{str(value).strip()}' is not a number: type an amount such as 1200.50"
        )
    return number


def _typed_amount(value: str) -> float:
    text = re.sub(r"[\s€$£]|EUR|USD|GBP", "", value, flags=re.IGNORECASE)
    if "," in text and "." in text:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        text = text.replace("." if decimal == "," else ",", "").replace(",", ".")
    elif text.count(",") == 1 and len(text.rsplit(",", 1)[1]) != 3:
        text = text.replace(",", ".")
    else:
        text = text.replace(",", "")
    try:
        return float(text)
    except ValueError:
        raise ValueError(
            f"Amount '{str(value).strip()}' is not a number: type an amount such as 1200.50"
        ) from None


class Prospect(NamedTuple):
    """A prospect row as the planner parsed it, for the lead it becomes.

    A named tuple, not a validating model: every field comes from a parser that made it of its
    type already, and a pass makes one per converted row (some 500 a busy pass).
    """

    company: str
    owner: str
    contact: str = ""
    email: str = ""
    phone: CellValue = None
    notes: str = ""
    amount: float | None = None
    next_action: str = ""
    next_action_date: datetime | None = None
