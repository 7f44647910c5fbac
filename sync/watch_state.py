"""What `leadsync watch` remembers of each tracker, for `leadsync status` to show.

One small JSON file per configuration, `.leadsync-state.json` beside its leadsync.toml: a
configuration names exactly one tracker, so the file needs no key, a team folder stays
self-contained, and two watchers of the same folder share what they know. It holds counts and
row references only, never a cell's content, so it can be shown to anyone who can see the folder.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

STATE_FILE = ".leadsync-state.json"
STATE_VERSION = 1


def state_path(config_path: Path) -> Path:
    return config_path.parent / STATE_FILE


@dataclass(frozen=True)
class PassRecord:
    """One pass as a scheduler sees it: when, how long, what it did or why it failed."""

    started: datetime
    seconds: float
    exit_code: int  # as `leadsync sync` would have exited: 0, 1 (rows with problems) or 2
    counts: dict[str, int] = field(default_factory=dict)
    problems: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["started"] = self.started.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PassRecord:
        return cls(
            started=datetime.fromisoformat(data["started"]),
            seconds=float(data["seconds"]),
            exit_code=int(data["exit_code"]),
            counts={str(k): int(v) for k, v in data.get("counts", {}).items()},
            problems=int(data.get("problems", 0)),
            error=data.get("error"),
        )


@dataclass(frozen=True)
class TrackerState:
    tracker: str  # the tracker file's name or the spreadsheet's ID: never a credential
    last_pass: PassRecord
    last_error: PassRecord | None  # the latest failed pass, kept after later successes
    failures: int  # failed passes in a row; 0 after a success
    next_run: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "tracker": self.tracker,
            "last_pass": self.last_pass.to_json(),
            "last_error": None if self.last_error is None else self.last_error.to_json(),
            "failures": self.failures,
            "next_run": None if self.next_run is None else self.next_run.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrackerState:
        error = data.get("last_error")
        next_run = data.get("next_run")
        return cls(
            tracker=str(data["tracker"]),
            last_pass=PassRecord.from_json(data["last_pass"]),
            last_error=None if error is None else PassRecord.from_json(error),
            failures=int(data.get("failures", 0)),
            next_run=None if next_run is None else datetime.fromisoformat(next_run),
        )


def read_state(config_path: Path) -> TrackerState | None:
    """The state beside this configuration; None when no pass was recorded or it is unreadable.

    An unreadable file is treated as missing rather than an error: it only feeds `status`, and
    the next pass rewrites it whole.
    """
    try:
        data = json.loads(state_path(config_path).read_text(encoding="utf-8"))
        return TrackerState.from_json(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_state(config_path: Path, state: TrackerState) -> None:
    """Replace the state file in one rename, so `status` never reads half of it."""
    target = state_path(config_path)
    fd, temporary = tempfile.mkstemp(prefix=f"{STATE_FILE}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(state.to_json(), handle, indent=2)
            handle.write("\n")
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)
