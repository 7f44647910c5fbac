"""The few exceptions leadsync raises; each message tells a person what to do next."""

from __future__ import annotations


class LeadsyncError(Exception):
    """Base of every error that stops a pass. The CLI maps it to exit code 2."""


class ConfigError(LeadsyncError):
    """leadsync.toml is missing, unreadable or invalid; each problem names the key and the fix."""

    def __init__(self, problems: list[str], source: str = "leadsync.toml") -> None:
        self.problems = problems
        self.source = source
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source} has {len(problems)} problem(s):\n{lines}")


class WorkbookInUse(LeadsyncError):
    """Excel or LibreOffice holds the file open; writing now would fight with the person's save."""


class WorkbookChanged(LeadsyncError):
    """The file changed on disk while a pass was running; the pass wrote nothing to it."""


class SheetLayoutError(LeadsyncError):
    """A tab or a required header is missing."""


class BackendError(LeadsyncError):
    """A file or service could not be read or written."""


class RetryPass(LeadsyncError):
    """A write may or may not have reached the spreadsheet (a dropped connection, a 5xx).

    Repeating the write blindly could append a lead twice, so the engine reads again and plans
    again: a plan made from what is there is safe to apply whatever happened before.
    """


class RequestRejected(BackendError):
    """The service refused a request as invalid (HTTP 400); nothing of it was applied."""


class ListError(LeadsyncError):
    """A list given to `leadsync import` cannot be read or has no Company column."""
