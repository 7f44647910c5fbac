"""serve.toml: which spreadsheets may call `leadsync serve`, with which secret and tracker.

    # Optional: where seen request IDs are kept. "sheets" (default): in each spreadsheet, as
    # developer metadata, which every replica on every host sees; "sqlite": in replay_db (a
    # path relative to this file), shared by the server processes of one host only.
    replay = "sheets"
    replay_db = ".leadsync-serve.sqlite3"

    [[spreadsheet]]
    id = "1AbC…"                        # the spreadsheet the add-in runs in (ID or URL)
    config = "north/leadsync.toml"      # its tracker's leadsync.toml (relative to this file)
    secret_env = "LEADSYNC_NORTH_SECRET"  # preferred: the secret lives in the environment
    # secret = "…"                      # or inline (keep the file private then)

The spreadsheet is the tracker or one of the prospecting spreadsheets its leadsync.toml names.
Secrets are held as pydantic SecretStr: they never appear in a repr, an error or a log line.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from sheets_addin.identity import GOOGLE_CERTS_URL
from sync.config import Config, load_config, spreadsheet_id
from sync.errors import ConfigError

SERVE_CONFIG_FILE = "serve.toml"
REPLAY_DB = ".leadsync-serve.sqlite3"
MIN_SECRET = 16  # characters: a secret this short is a password someone typed


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SpreadsheetEntry(_Strict):
    id: str
    config: Path
    secret: SecretStr | None = None
    secret_env: str | None = Field(default=None, min_length=1)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return spreadsheet_id(value)


class IdentitySection(_Strict):
    """Optional: require the caller's Google identity token (see sheets_addin/identity.py)."""

    audience: str = Field(min_length=1)  # the OAuth client ID of the add-in's Cloud project
    allowed_emails: list[str] = Field(min_length=1)
    certs_url: str = GOOGLE_CERTS_URL


ReplayKind = Literal["sheets", "sqlite"]


class ServeFile(_Strict):
    replay: ReplayKind = "sheets"
    replay_db: Path = Path(REPLAY_DB)
    identity: IdentitySection | None = None
    spreadsheet: list[SpreadsheetEntry] = Field(min_length=1)


class Tracker:
    """One configured spreadsheet, ready to serve: its secret and its tracker's Config."""

    def __init__(self, spreadsheet: str, secret: SecretStr, config: Config) -> None:
        self.spreadsheet = spreadsheet
        self.secret = secret
        self.config = config

    def __repr__(self) -> str:
        return f"Tracker({self.spreadsheet!r}, tracker={self.config.tracker.spreadsheet!r})"


class ServeSettings:
    def __init__(
        self,
        trackers: dict[str, Tracker],
        replay_db: Path,
        identity: IdentitySection | None = None,
        replay: ReplayKind = "sheets",
    ) -> None:
        self.trackers = trackers
        self.replay_db = replay_db
        self.identity = identity
        self.replay: ReplayKind = replay


def _where(location: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in location:
        if isinstance(item, int):
            parts.append(f"[{item + 1}]")  # [[spreadsheet]] entries counted from 1
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


def parse_serve_settings(
    data: dict[str, Any], base: Path, source: str, environ: dict[str, str] | None = None
) -> ServeSettings:
    env = os.environ if environ is None else environ
    try:
        parsed = ServeFile.model_validate(data)
    except ValidationError as error:
        found = [f"{_where(e['loc'])}: {e['msg']}" for e in error.errors(include_input=False)]
        raise ConfigError(found, source) from None
    problems: list[str] = []
    trackers: dict[str, Tracker] = {}
    for number, entry in enumerate(parsed.spreadsheet, start=1):
        key = f"spreadsheet[{number}]"
        secret = _secret(entry, key, env, problems)
        if entry.id in trackers:
            problems.append(f"{key}.id: {entry.id} is listed twice; keep one entry")
            continue
        path = entry.config if entry.config.is_absolute() else base / entry.config
        try:
            config = load_config(path)
        except ConfigError as error:
            problems.append(f"{key}.config: {error}")
            continue
        if config.tracker.backend != "google":
            problems.append(
                f"{key}.config: {path} has a {config.tracker.backend} tracker; serve is for "
                "Google trackers (the Sheets add-in calls it)"
            )
            continue
        served = {config.tracker.spreadsheet} | {p.spreadsheet for p in config.prospecting}
        if entry.id not in served:
            problems.append(
                f"{key}.id: {entry.id} is neither the tracker nor a prospecting spreadsheet "
                f"of {path}; fix the id or the config"
            )
            continue
        if secret is not None:
            trackers[entry.id] = Tracker(entry.id, secret, config)
    if problems:
        raise ConfigError(problems, source)
    db = parsed.replay_db if parsed.replay_db.is_absolute() else base / parsed.replay_db
    return ServeSettings(trackers, db, parsed.identity, parsed.replay)


def _secret(entry: SpreadsheetEntry, key: str, env: Any, problems: list[str]) -> SecretStr | None:
    if (entry.secret is None) == (entry.secret_env is None):
        problems.append(f"{key}: give secret_env (preferred) or secret, exactly one of them")
        return None
    if entry.secret_env is not None:
        value = env.get(entry.secret_env, "")
        if not value:
            problems.append(
                f"{key}.secret_env: the environment variable {entry.secret_env} is not set; "
                "export it before starting leadsync serve"
            )
            return None
        secret = SecretStr(value)
        origin = f"the environment variable {entry.secret_env}"
    else:
        assert entry.secret is not None
        secret = entry.secret
        origin = f"{key}.secret"
    if len(secret.get_secret_value()) < MIN_SECRET:
        problems.append(
            f"{origin} is shorter than {MIN_SECRET} characters; use a random one, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
        return None
    return secret


def load_serve_settings(path: Path, environ: dict[str, str] | None = None) -> ServeSettings:
    if not path.exists():
        raise ConfigError([f"no serve configuration at {path}; pass --config FILE"], str(path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([f"not valid TOML ({error}); fix the line it names"], str(path)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError([f"cannot be read ({error})"], str(path)) from None
    return parse_serve_settings(data, path.resolve().parent, str(path), environ)
