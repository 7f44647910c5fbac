"""The planner's fast paths read exactly what the plain code they replace read.

Each test pits a fast path against the straightforward code it stands for, kept here as the
reference, on inputs hypothesis picks from the awkward corners (empty cells, '' cells, rows
shorter than the header, Unicode digits and word characters).
"""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from sync.clientkey import _INITIAL_DOT
from sync.model import _FLAG_WORDS, Flag, parse_flag
from sync.planner import _sequence
from sync.snapshot import CellsView, CellValue, Row

# The dots of "s.r.l" as first written: lookbehind first, tried at every position.
REFERENCE_INITIAL_DOT = re.compile(r"(?<=\b\w)\.(?=\w\b)")


def reference_sequence(prefix: str, values: list[str]) -> int:
    highest = 0
    for value in values:
        if value.startswith(prefix) and value[len(prefix) :].isdecimal():
            highest = max(highest, int(value[len(prefix) :]))
    return highest


def reference_flag(value: CellValue) -> Flag:
    text = "" if value is None else str(value).strip().casefold()
    if not text:
        return Flag.NONE
    flag = _FLAG_WORDS.get(text)
    if flag is None:
        raise ValueError(text)
    return flag


@given(st.text(alphabet="ab1_.é\u0301ß &-", max_size=16))
def test_initial_dots_go_as_they_did(text: str) -> None:
    assert _INITIAL_DOT.sub("", text) == REFERENCE_INITIAL_DOT.sub("", text)


def test_initial_dots_of_legal_forms_go() -> None:
    assert _INITIAL_DOT.sub("", "rossi s.r.l.") == "rossi srl."
    assert _INITIAL_DOT.sub("", "a.b c.d.e f.gh") == "ab cde f.gh"


IDS = st.lists(
    st.one_of(
        st.text(alphabet="L-0123456789٣x \n", max_size=8),
        st.integers(min_value=0, max_value=10**6).map(lambda n: f"L-{n:04d}"),
    ),
    max_size=12,
)


# Lists of one width, as a tracker's IDs mostly are (the path that compares them as text),
# with a stray value now and then: another width, a line break, non-ASCII digits.
ONE_WIDTH = st.lists(
    st.one_of(
        st.integers(min_value=0, max_value=999).map(lambda n: f"L-{n:03d}"),
        st.sampled_from(["L-٣٣٣", "L-12\nL-99", "L-1\nL", "L-00", "L-1000", "L-12x", "x-123"]),
    ),
    min_size=1,
    max_size=12,
)


@given(st.one_of(IDS, ONE_WIDTH), st.sampled_from(["L-", "", "F", "L-0", "L\n", "\n"]))
def test_sequence_finds_the_highest_number_as_the_loop_did(values: list[str], prefix: str) -> None:
    assert _sequence(prefix, values) == reference_sequence(prefix, values)
    assert _sequence(prefix, iter(values)) == reference_sequence(prefix, values)


def test_sequence_of_one_width_reads_no_number_across_a_line_break() -> None:
    assert _sequence("L-", ["L-12", "L-34\nL-56"]) == 12
    assert _sequence("L-", ["L-12", "L-34", "L-56"]) == 56
    assert _sequence("L-", ["L-0099", "L-0100", "L-0007"]) == 100


CELLS = st.lists(st.sampled_from(["", " ", "x", 0, 1.5, None, False]), max_size=6)
COLUMNS = st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), st.integers(0, 7), max_size=4)


@given(CELLS, COLUMNS)
def test_a_fetched_row_reads_as_its_view(cells: list[CellValue], columns: dict[str, int]) -> None:
    row = Row(7, CellsView(cells, columns), frozenset({"a"}))
    fetched = row.fetched()
    assert fetched.number == 7 and fetched.unresolved == row.unresolved
    assert dict(fetched.values) == dict(row.values)
    for key in ("a", "b", "c", "d", "z"):
        assert fetched.get(key) == row.get(key)
        assert type(fetched.get(key)) is type(row.get(key))
        assert (key in fetched.values) == (key in row.values)
    assert list(fetched.values) == list(row.values)


def test_a_row_read_as_a_dict_is_fetched_as_it_is() -> None:
    row = Row(3, {"a": "", "b": None})
    assert row.fetched() is row


@given(
    st.one_of(
        st.sampled_from(["+", "x", "X", " + ", "✓", "✔", "", "  ", "?"]),
        st.text(max_size=3),
        st.none(),
        st.integers(0, 2),
    )
)
def test_flags_read_as_they_did(value: CellValue) -> None:
    try:
        want: Flag | type[ValueError] = reference_flag(value)
    except ValueError:
        want = ValueError
    try:
        got: Flag | type[ValueError] = parse_flag(value)
    except ValueError:
        got = ValueError
    assert got is want
