"""The Pipeline tab's cells as the Google backend reads them: each one as from_api gives it."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sync.google_backend import _cell_values
from sync.google_cells import from_api

# What a values answer holds (JSON scalars), and what none does but must not break a read.
answer_values = st.one_of(
    st.just(""),
    st.text(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
)
odd_values = st.one_of(st.lists(st.integers(), max_size=2), st.dictionaries(st.text(), st.text()))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return type(a) is type(b) and a == b


@given(st.lists(answer_values))
def test_every_answer_value_reads_as_from_api_reads_it(row: list[Any]) -> None:
    got = _cell_values(row)
    assert isinstance(got, tuple) and len(got) == len(row)
    assert all(_same(g, from_api(v)) for g, v in zip(got, row, strict=True))


@given(st.lists(st.one_of(answer_values, odd_values), min_size=1))
def test_a_value_no_answer_holds_still_reads_as_from_api_reads_it(row: list[Any]) -> None:
    got = _cell_values(row)
    assert all(_same(g, from_api(v)) for g, v in zip(got, row, strict=True))


def test_empty_text_is_an_empty_cell_and_zero_and_false_are_values() -> None:
    assert _cell_values(["", 0, False, 0.0, "x"]) == (None, 0, False, 0.0, "x")
    assert [type(v) for v in _cell_values([0, False])] == [int, bool]
