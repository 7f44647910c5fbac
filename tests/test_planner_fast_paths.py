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

# The dots of "s.r.l" as first written: lookbehind first, tried at every position.
REFERENCE_INITIAL_DOT = re.compile(r"(?<=\b\w)\.(?=\w\b)")


@given(st.text(alphabet="ab1_.é\u0301ß &-", max_size=16))
def test_initial_dots_go_as_they_did(text: str) -> None:
    assert _INITIAL_DOT.sub("", text) == REFERENCE_INITIAL_DOT.sub("", text)


def test_initial_dots_of_legal_forms_go() -> None:
    assert _INITIAL_DOT.sub("", "rossi s.r.l.") == "rossi srl."
    assert _INITIAL_DOT.sub("", "a.b c.d.e f.gh") == "ab cde f.gh"
