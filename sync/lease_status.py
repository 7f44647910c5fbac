"""Whether a tracker's lease is held, for `leadsync status`: Google trackers only.

An Excel tracker's lock is a file lock the operating system drops with its process, so there
is nothing stale to show; a Google tracker's lease lives in the spreadsheet and is read there.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sync.config import load_config
from sync.errors import LeadsyncError


def lease_report(config_path: Path, now: datetime) -> dict[str, Any] | None:
    """{"held": bool, "until": ISO time or None} or {"error": ...}; None for Excel trackers."""
    try:
        config = load_config(config_path)
    except LeadsyncError:
        return None  # the passes' own errors say what is wrong with it
    if config.tracker.backend != "google" or config.tracker.spreadsheet is None:
        return None
    from sync.google_auth import load_credentials, who
    from sync.google_client import SheetsClient
    from sync.google_lease import current_lease

    try:
        credentials = load_credentials(config.resolve_optional_credentials(), write=False)
        client = SheetsClient(credentials, who(credentials))
        lease = current_lease(client, config.tracker.spreadsheet)
    except LeadsyncError as error:
        return {"error": str(error)}
    if lease is None:
        return {"held": False, "until": None}
    until = datetime.fromtimestamp(lease.until, UTC)
    return {"held": until > now, "until": until.isoformat(timespec="seconds")}


def lease_line(report: dict[str, Any] | None) -> str | None:
    if report is None:
        return None
    if "error" in report:
        return f"  lease:      unknown ({report['error']})"
    if report["held"]:
        return f"  lease:      held by a running pass until {report['until']}"
    if report["until"] is not None:
        return f"  lease:      free (the last one expired at {report['until']})"
    return "  lease:      free"
