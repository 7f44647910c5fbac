"""Google credentials: a service-account key, OAuth user credentials, or the machine's default.

The scope is the narrowest that lets the engine read and write a spreadsheet it was given
(shared with the service account): `spreadsheets`, or `spreadsheets.readonly` for passes that
only read. `drive.file` would be narrower but covers only files the app created or was handed
through a picker, which a shared prospecting sheet is not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import google.auth
from google.auth.credentials import Credentials
from google.auth.exceptions import DefaultCredentialsError
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from sync.errors import BackendError

SCOPE_WRITE = "https://www.googleapis.com/auth/spreadsheets"
SCOPE_READ = "https://www.googleapis.com/auth/spreadsheets.readonly"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"

NO_CREDENTIALS = (
    'no Google credentials found: set [google] credentials = "service-account.json" in '
    "leadsync.toml (a key of a service account the spreadsheets are shared with), or set "
    "GOOGLE_APPLICATION_CREDENTIALS, or run `gcloud auth application-default login`"
)


def load_credentials(path: Path | None, write: bool) -> Credentials:
    scopes = [SCOPE_WRITE if write else SCOPE_READ]
    if path is None:
        try:
            found, _project = google.auth.default(scopes=scopes)
        except DefaultCredentialsError:
            raise BackendError(NO_CREDENTIALS) from None
        return found
    try:
        info: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackendError(
            f"{path} does not exist: fix [google] credentials in leadsync.toml, or download "
            "the service account's key again (Google Cloud console ▸ IAM ▸ Service accounts ▸ Keys)"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BackendError(f"{path} is not a readable JSON key file ({error})") from None
    kind = info.get("type") if isinstance(info, dict) else None
    try:
        if kind == "service_account":
            made = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                info, scopes=scopes
            )
            return cast(Credentials, made)
        if kind == "authorized_user":
            # Built directly rather than with from_authorized_user_info, which would ignore a
            # token_uri the file names (an organisation's token endpoint, or a test's).
            made = user_credentials.Credentials(  # type: ignore[no-untyped-call]
                token=None,
                refresh_token=info["refresh_token"],
                token_uri=info.get("token_uri") or GOOGLE_TOKEN_URI,
                client_id=info["client_id"],
                client_secret=info["client_secret"],
                scopes=scopes,
                quota_project_id=info.get("quota_project_id"),
            )
            return cast(Credentials, made)
    except (ValueError, KeyError) as error:
        raise BackendError(f"{path} is an incomplete {kind} key ({error})") from None
    raise BackendError(
        f"{path} holds credentials of type {kind!r}; leadsync takes a service-account key "
        '("type": "service_account") or OAuth user credentials ("type": "authorized_user")'
    )


def who(credentials: Credentials) -> str:
    """The account the spreadsheets must be shared with, as far as the credentials tell."""
    email = getattr(credentials, "service_account_email", None)
    if isinstance(email, str) and "@" in email:
        return email
    account = getattr(credentials, "account", None)
    return account if isinstance(account, str) and account else "the signed-in Google account"
