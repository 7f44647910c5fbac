"""The Sheets API stand-in in a process of its own, for benchmarks that time the engine's CPU.

In the tests the stand-in answers from threads of the test's own process, which is simple and
fine. A benchmark measuring the CPU of the thread that runs a pass cannot share its process
with Google, though: the stand-in builds an 18 MB answer or stores thousands of written cells
while the pass waits, and every object it makes then is young when the pass's collector runs,
so the pass would pay for walking Google's objects (measured: 0.08 to 0.18 s of a busy pass).
Real Google keeps its objects elsewhere; so does this.

`StandInProcess` offers what the benchmarks ask of a StandIn (the URL, accounts, spreadsheets,
values, the call log), each call going to the stand-in's process.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Mapping, Sequence
from multiprocessing.managers import BaseManager
from types import TracebackType
from typing import Any

from sheets_standin import Logged, StandIn


class _Host:
    """Lives in the stand-in's process: a started StandIn, its properties as methods."""

    def __init__(self, quota_per_minute: int, keep_bodies: bool) -> None:
        self._standin = StandIn(quota_per_minute=quota_per_minute, keep_bodies=keep_bodies)
        self._standin.start()

    def url(self) -> str:
        return self._standin.url

    def add_service_account(self, email: str, public_key_pem: bytes) -> None:
        self._standin.add_service_account(email, public_key_pem)

    def create_spreadsheet(
        self, title: str, tabs: Mapping[str, Sequence[Sequence[object]]], options: dict[str, Any]
    ) -> str:
        return self._standin.create_spreadsheet(title, tabs, **options)

    def values(self, spreadsheet_id: str, tab: str) -> list[list[object]]:
        return self._standin.values(spreadsheet_id, tab)

    def log(self) -> list[Logged]:
        return list(self._standin.log)

    def log_length(self) -> int:
        return len(self._standin.log)

    def clear_log(self) -> None:
        self._standin.clear_log()

    def stop(self) -> None:
        self._standin.stop()


class _Manager(BaseManager):
    pass


_Manager.register("Host", _Host)


class StandInProcess:
    """A StandIn for benchmarks, serving from its own process (see the module's docstring)."""

    url: str

    def __init__(self, *, quota_per_minute: int = 60, keep_bodies: bool = False) -> None:
        self._options = (quota_per_minute, keep_bodies)
        # spawn: the same on every platform, and no copy of the benchmark's heap in the child.
        self._manager = _Manager(ctx=multiprocessing.get_context("spawn"))
        self._host: Any = None

    def __enter__(self) -> StandInProcess:
        self._manager.start()
        self._host = self._manager.Host(*self._options)  # type: ignore[attr-defined]
        self.url = self._host.url()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._host.stop()
        finally:
            self._manager.shutdown()

    def add_service_account(self, email: str, public_key_pem: bytes) -> None:
        self._host.add_service_account(email, public_key_pem)

    def create_spreadsheet(
        self, title: str, tabs: Mapping[str, Sequence[Sequence[object]]], **options: Any
    ) -> str:
        return str(self._host.create_spreadsheet(title, dict(tabs), options))

    def values(self, spreadsheet_id: str, tab: str) -> list[list[object]]:
        return list(self._host.values(spreadsheet_id, tab))

    @property
    def log(self) -> list[Logged]:
        """Every Sheets and Drive request so far, with their bodies when kept: one copy."""
        return list(self._host.log())

    def log_length(self) -> int:
        return int(self._host.log_length())

    def clear_log(self) -> None:
        self._host.clear_log()
