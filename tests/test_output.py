"""The terminal: a progress line only for passes that take a while."""

from __future__ import annotations

import io
import time

import pytest
from rich.console import Console

import sync.output
from sync.output import DelayedProgress


def console() -> tuple[Console, io.StringIO]:
    sink = io.StringIO()
    return Console(file=sink, force_terminal=True, width=80), sink


def test_a_quick_pass_shows_no_progress() -> None:
    screen, sink = console()
    with DelayedProgress(screen) as progress:
        progress.stage("reading")
    assert sink.getvalue() == ""


def test_a_slow_pass_shows_its_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync.output, "PROGRESS_DELAY_SECONDS", 0.05)
    screen, sink = console()
    with DelayedProgress(screen) as progress:
        progress.stage("reading prospects.xlsx")
        time.sleep(0.4)
    assert "reading prospects.xlsx" in sink.getvalue()
