"""Shared fixtures: the command line as a person runs it, with a terminal wide enough to read,
and the local Google Sheets API stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from factories import Cli
from rich.console import Console
from sheets_standin import StandIn

import sync.cli


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Run `leadsync ARGS...`; output is kept on one line per message so names stay whole.

    Rich wraps at 80 columns when it is not writing to a terminal, which would split a long
    path in two and make a message that names it look as if it did not.
    """
    monkeypatch.setattr(sync.cli, "console", Console(width=1000))
    monkeypatch.setattr(sync.cli, "errors", Console(stderr=True, width=1000))

    def run(*args: str | Path) -> Result:
        return CliRunner().invoke(sync.cli.main, [str(a) for a in args], catch_exceptions=False)

    return run


@pytest.fixture
def standin() -> Iterator[StandIn]:
    """A started local Google Sheets stand-in (see tests/sheets_standin), stopped afterwards."""
    with StandIn() as google:
        yield google
