"""leadsync.toml: what to sync and how, validated before any file is touched."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sync.dates import DateOrder
from sync.errors import ConfigError
from sync.headers import TabKind, field_keys
from sync.pipeline_config import PipelineSettings

CONFIG_FILE = "leadsync.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_SHEET_URL = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]+)")
_SHEET_ID = re.compile(r"[A-Za-z0-9_-]{10,}")


def spreadsheet_id(value: str) -> str:
    """The ID of a Google spreadsheet from its ID or any URL of it (…/spreadsheets/d/ID/edit)."""
    text = value.strip()
    match = _SHEET_URL.search(text)
    if match:
        return match.group(1)
    if _SHEET_ID.fullmatch(text):
        return text
    raise ValueError(
        f"'{value}' is neither a spreadsheet ID nor a Google Sheets URL; paste the address "
        "of the spreadsheet from the browser (https://docs.google.com/spreadsheets/d/…)"
    )


class _Location(_Strict):
    """Where a workbook lives: a file (Excel backend) or a spreadsheet (Google backend)."""

    path: Path | None = None
    spreadsheet: str | None = None

    @field_validator("spreadsheet")
    @classmethod
    def _sheet_id(cls, value: str | None) -> str | None:
        return None if value is None else spreadsheet_id(value)

    @model_validator(mode="after")
    def _one_place(self) -> _Location:
        if (self.path is None) == (self.spreadsheet is None):
            raise ValueError(
                "give either path (an Excel file) or spreadsheet (a Google Sheets ID or URL)"
            )
        return self

    @property
    def where(self) -> str:
        return str(self.path if self.path is not None else self.spreadsheet)


class TrackerConfig(_Location):
    backend: Literal["excel", "google"] = "excel"
    leads_tab: str = "Leads"
    clients_tab: str = "Clients"
    pipeline_tab: str = "Pipeline"  # engine-owned: rewritten by every pass that changes it

    @model_validator(mode="after")
    def _pipeline_tab_apart(self) -> TrackerConfig:
        if self.pipeline_tab in (self.leads_tab, self.clients_tab):
            raise ValueError(
                f"tracker.pipeline_tab '{self.pipeline_tab}' is also the Leads or Clients tab; "
                "leadsync rewrites the Pipeline tab whole, so give it a tab of its own"
            )
        return self

    @model_validator(mode="after")
    def _fits_backend(self) -> TrackerConfig:
        if self.backend == "excel" and self.path is None:
            raise ValueError('backend = "excel" needs path = "leads.xlsx" (the tracker file)')
        if self.backend == "google" and self.spreadsheet is None:
            raise ValueError(
                'backend = "google" needs spreadsheet = "ID or URL" (the tracker spreadsheet)'
            )
        return self


class ProspectingConfig(_Location):
    tabs: list[str] = Field(default_factory=lambda: ["Prospects"], min_length=1)


class GoogleConfig(_Strict):
    # None: Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud, metadata).
    credentials: Path | None = None


class HeaderAliases(_Strict):
    prospects: dict[str, list[str]] = Field(default_factory=dict)
    leads: dict[str, list[str]] = Field(default_factory=dict)
    clients: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("prospects", "leads", "clients")
    @classmethod
    def _known_fields(cls, value: dict[str, list[str]], info: Any) -> dict[str, list[str]]:
        known = field_keys(TabKind(info.field_name))
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(
                f"unknown field(s) {', '.join(unknown)}; use one of {', '.join(sorted(known))}"
            )
        return value

    def for_kind(self, kind: TabKind) -> dict[str, list[str]]:
        return {
            TabKind.PROSPECTS: self.prospects,
            TabKind.LEADS: self.leads,
            TabKind.CLIENTS: self.clients,
        }[kind]


class RuleSettings(_Strict):
    renewal_notice_days: int = Field(default=30, ge=0, le=366)
    lead_id_prefix: str = Field(default="L-", min_length=1, max_length=8)
    folder_id_prefix: str = Field(default="F-", min_length=1, max_length=8)
    # Rule 8 (sync/rules_followup.py): follow-up cadence and life cycle.
    prospect_max_attempts: int = Field(default=2, ge=1, le=1000)
    lead_max_followups: int = Field(default=8, ge=1, le=1000)
    inactive_after_days: int = Field(default=30, ge=1, le=3660)
    touch_base_days: int | None = Field(default=None, ge=0, le=3660)  # None or 0: none


class WatchSettings(_Strict):
    """`leadsync watch`: how often a tracker is synced and how far a failing one backs off."""

    every: float = Field(default=60, ge=1, le=86_400)  # seconds between passes
    max_backoff: float = Field(default=900, ge=1, le=86_400)  # longest wait after failures


class Config(_Strict):
    time_zone: str = "UTC"
    default_owner: str = Field(min_length=1)
    date_order: DateOrder = DateOrder.DMY
    language: Literal["en", "it"] = "en"
    # Country of phone numbers typed without a country code, for duplicate checks of imports.
    phone_region: str | None = None
    tracker: TrackerConfig
    prospecting: list[ProspectingConfig] = Field(min_length=1)
    headers: HeaderAliases = Field(default_factory=HeaderAliases)
    rules: RuleSettings = Field(default_factory=RuleSettings)
    google: GoogleConfig = Field(default_factory=GoogleConfig)
    watch: WatchSettings = Field(default_factory=WatchSettings)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    base_dir: Path = Path(".")

    @field_validator("time_zone")
    @classmethod
    def _iana_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"'{value}' is not an IANA time zone name; use one like 'Europe/Rome' "
                "or 'America/New_York'"
            ) from None
        return value

    @field_validator("phone_region")
    @classmethod
    def _phone_region(cls, value: str | None) -> str | None:
        from sync.duplicates import known_region  # only a config that sets it pays the import

        return None if value is None else known_region(value)

    @model_validator(mode="after")
    def _each_tab_once(self) -> Config:
        google = self.tracker.backend == "google"
        seen: set[tuple[str, str]] = set()
        for index, source in enumerate(self.prospecting, start=1):
            if google and source.spreadsheet is None:
                raise ValueError(
                    f"prospecting[{index}]: the tracker is in Google Sheets, so each "
                    'prospecting entry needs spreadsheet = "ID or URL" instead of path'
                )
            if not google and source.path is None:
                raise ValueError(
                    f"prospecting[{index}]: the tracker is an Excel file, so each "
                    'prospecting entry needs path = "file.xlsx" instead of spreadsheet'
                )
            where = source.spreadsheet or str(self.resolve(self._path(source)).resolve())
            for tab in source.tabs:
                if (where, tab) in seen:
                    raise ValueError(
                        f"prospecting[{index}]: {source.where} › {tab} is listed twice; "
                        "list each prospecting tab once"
                    )
                seen.add((where, tab))
        return self

    @staticmethod
    def _path(location: _Location) -> Path:
        if location.path is None:
            raise ValueError(f"{location.where} is a Google spreadsheet, not a file")
        return location.path

    @property
    def tracker_path(self) -> Path:
        """The tracker file (Excel backend)."""
        return self.resolve(self._path(self.tracker))

    def resolve_optional_credentials(self) -> Path | None:
        found = self.google.credentials
        return None if found is None else self.resolve(found)

    @property
    def prospecting_paths(self) -> list[Path]:
        return [self.resolve(self._path(source)) for source in self.prospecting]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else self.base_dir / path


_HINTS = {
    "missing": "add it",
    "extra_forbidden": "remove it or check its spelling",
    "literal_error": "use one of the allowed values",
    "enum": "use one of the allowed values",
    "too_short": "give at least one",
    "int_parsing": "type a whole number",
    "int_from_float": "type a whole number",
    "int_type": "type a whole number",
    "greater_than_equal": "use a larger number",
    "less_than_equal": "use a smaller number",
}


def _key(location: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for part in location:
        if isinstance(part, int):
            parts[-1:] = [f"{parts[-1] if parts else ''}[{part + 1}]"]
        else:
            parts.append(part)
    return ".".join(parts) or "(top level)"


def _describe(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        key = _key(tuple(item["loc"]))
        message = item["msg"].removeprefix("Value error, ")
        if not item["loc"]:  # a check across keys names them in its own message
            problems.append(message)
            continue
        hint = _HINTS.get(item["type"])
        problems.append(f"{key}: {message}" + (f" — {hint}" if hint else ""))
    return problems


def parse_config(data: dict[str, Any], base_dir: Path, source: str = CONFIG_FILE) -> Config:
    if "base_dir" in data:
        raise ConfigError(["base_dir: is set by leadsync itself — remove it"], source)
    try:
        return Config.model_validate({**data, "base_dir": base_dir})
    except ValidationError as error:
        raise ConfigError(_describe(error), source) from None


def load_config(path: Path) -> Config:
    if not path.exists():
        raise ConfigError(
            [f"no configuration at {path} — run `leadsync init` here, or pass --config FILE"],
            str(path),
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(
            [f"not valid TOML ({error}) — fix the line it names"], str(path)
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError([f"cannot be read ({error})"], str(path)) from None
    return parse_config(data, path.resolve().parent, str(path))


def starter_config(prospecting: str, tracker: str, time_zone: str, owner: str) -> str:
    """The leadsync.toml that `leadsync init` writes, commented for the person who edits it."""
    return f'''# leadsync configuration. Paths are relative to this file.
time_zone = "{time_zone}"        # IANA name: dates in cells are read in this zone
default_owner = "{owner}"        # owner of a new lead when its row has no "Assign to"
date_order = "DMY"               # how typed dates read: DMY (25/11/2026), MDY or YMD
language = "en"                  # words the engine writes: "en" (To-do) or "it" (Da fare)

[tracker]
backend = "excel"
path = "{tracker}"
leads_tab = "Leads"
clients_tab = "Clients"

[[prospecting]]
path = "{prospecting}"
tabs = ["Prospects"]

# Extra header names, per tab, for columns you named your own way:
# [headers.prospects]
# company = ["Cliente potenziale"]

[rules]
renewal_notice_days = 30         # a renewal lead wakes up this many days before the date
lead_id_prefix = "L-"
folder_id_prefix = "F-"
prospect_max_attempts = 2        # a prospect with this many Attempts and no + goes to drip
lead_max_followups = 8           # an open lead with this many Follow-ups asks for a decision
inactive_after_days = 30         # a To-do lead without contact this long gets a note
# touch_base_days = 90           # each won client gets a touch-base To-do this often

# The steps of an open lead, in order (the Step column; the Pipeline tab). The defaults:
# [pipeline]
# steps = [
#   {{ name = "New", aliases = ["Nuovo"], probability = 10 }},
#   {{ name = "Contacted", aliases = ["Contattato"], probability = 25 }},
#   {{ name = "Proposal", aliases = ["Proposta"], probability = 50 }},
#   {{ name = "Negotiation", aliases = ["Trattativa"], probability = 75 }},
# ]
'''


def starter_google_config(
    spreadsheet: str, credentials: str | None, time_zone: str, owner: str
) -> str:
    """The leadsync.toml that `leadsync init --google` writes: one spreadsheet holds every tab."""
    key = (
        f'credentials = "{credentials}"   # the service account\'s JSON key'
        if credentials
        else '# credentials = "service-account.json"  (unset: Application Default Credentials)'
    )
    return f'''# leadsync configuration (Google Sheets). Paths are relative to this file.
time_zone = "{time_zone}"        # used when a spreadsheet does not say its own
default_owner = "{owner}"        # owner of a new lead when its row has no "Assign to"
language = "en"                  # words the engine writes: "en" (To-do) or "it" (Da fare)

[tracker]
backend = "google"
spreadsheet = "{spreadsheet}"
leads_tab = "Leads"
clients_tab = "Clients"

[[prospecting]]
spreadsheet = "{spreadsheet}"    # another spreadsheet's ID or URL works too
tabs = ["Prospects"]

[google]
{key}

[rules]
renewal_notice_days = 30
lead_id_prefix = "L-"
folder_id_prefix = "F-"
prospect_max_attempts = 2        # a prospect with this many Attempts and no + goes to drip
lead_max_followups = 8           # an open lead with this many Follow-ups asks for a decision
inactive_after_days = 30         # a To-do lead without contact this long gets a note
# touch_base_days = 90           # each won client gets a touch-base To-do this often
'''
