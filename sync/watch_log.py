"""One log line per pass, as text for people or JSON for log collectors.

A line carries counts, durations, row references and error messages the engine wrote; never a
cell's content (company names, e-mails) and never a credential. Error messages of leadsync's own
errors name files, tabs, rows and configuration keys only; any other error is logged by its type
alone, since its message could quote anything.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from sync.watch_state import PassRecord, TrackerState

LogFormat = Literal["text", "json"]


def pass_fields(config: str, state: TrackerState) -> dict[str, Any]:
    record = state.last_pass
    fields: dict[str, Any] = {
        "time": record.started.isoformat(),
        "event": "pass",
        "config": config,
        "tracker": state.tracker,
        "result": _result(record),
        **record.counts,
        "problems": record.problems,
        "seconds": round(record.seconds, 3),
    }
    if record.error is not None:
        fields["error"] = record.error
        fields["failures"] = state.failures
    fields["next_run"] = None if state.next_run is None else state.next_run.isoformat()
    return fields


def _result(record: PassRecord) -> str:
    if record.error is not None:
        return "error"
    return "problems" if record.problems else "ok"


def format_line(fields: dict[str, Any], style: LogFormat) -> str:
    if style == "json":
        return json.dumps(fields, ensure_ascii=False)
    parts = [str(fields["time"]), str(fields["event"])]
    for key, value in fields.items():
        if key in {"time", "event"} or value is None:
            continue
        parts.append(f"{key}={_text_value(value)}")
    return " ".join(parts)


def _text_value(value: object) -> str:
    text = str(value)
    # Quoted when it would break the key=value shape; an error of several lines stays on one.
    if not text or any(c.isspace() or c in '"=' for c in text):
        return json.dumps(text, ensure_ascii=False)
    return text


def status_lines(config: str, state: TrackerState | None, now: datetime) -> list[str]:
    """What `leadsync status` prints for one configuration."""
    if state is None:
        return [f"{config}: no pass recorded yet (run leadsync watch or leadsync watch --once)"]
    record = state.last_pass
    done = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in record.counts.items() if v)
    lines = [
        f"{config} (tracker {state.tracker})",
        f"  last pass:  {record.started.isoformat(timespec='seconds')}, "
        f"{_result(record)}, {record.seconds:.2f} s" + (f", {done}" if done else ""),
    ]
    if record.problems:
        lines.append(f"  problems:   {record.problems} row(s), each with a note in its Sync note")
    if state.last_error is not None:
        error = state.last_error
        first = (error.error or "").splitlines()[0] if error.error else ""
        lines.append(f"  last error: {error.started.isoformat(timespec='seconds')}: {first}")
    if state.failures:
        lines.append(f"  failing:    {state.failures} pass(es) in a row")
    if state.next_run is not None:
        late = " (overdue: is leadsync watch running?)" if state.next_run < now else ""
        lines.append(f"  next run:   {state.next_run.isoformat(timespec='seconds')}{late}")
    return lines


def status_json(config: str, state: TrackerState | None) -> dict[str, Any]:
    if state is None:
        return {"config": config, "state": None}
    return {"config": config, "state": state.to_json()}
