"""Who is calling: the Google identity token the add-in sends, checked when serve.toml asks.

Apps Script's `ScriptApp.getIdentityToken()` gives an OpenID Connect ID token of the person
using the sheet, signed by Google. With an `[identity]` section in serve.toml, every call must
carry it (`Authorization: Bearer TOKEN`); its signature is checked against Google's published
certificates (google-auth), its audience against the add-in's OAuth client ID, its issuer
against Google's, and its e-mail address against the allow-list. The HMAC signature still
comes first: the identity says who, the secret says the call came from our add-in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from google.auth import exceptions as auth_exceptions
from google.auth.transport import requests as auth_requests
from google.oauth2 import id_token

GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
GOOGLE_ISSUERS = frozenset({"accounts.google.com", "https://accounts.google.com"})


class IdentityRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status  # 401: no valid token; 403: a valid token of someone not allowed


def check_identity(
    authorization: str | None,
    audience: str,
    allowed: Sequence[str],
    certs_url: str = GOOGLE_CERTS_URL,
    request: Any = None,
) -> str:
    """The caller's e-mail address, or IdentityRefused saying why not."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise IdentityRefused(401, "an identity token is required (Authorization: Bearer ...)")
    try:
        claims = id_token.verify_token(
            token.strip(),
            request or auth_requests.Request(),
            audience=audience,
            certs_url=certs_url,
        )
    except (ValueError, auth_exceptions.GoogleAuthError):
        # Expired, not signed by Google, meant for another client: the detail stays in here.
        raise IdentityRefused(401, "the identity token is not valid") from None
    if claims.get("iss") not in GOOGLE_ISSUERS:
        raise IdentityRefused(401, "the identity token was not issued by Google")
    email = str(claims.get("email") or "").strip().lower()
    if not email or claims.get("email_verified") is False:
        raise IdentityRefused(401, "the identity token carries no verified e-mail address")
    if email not in {a.strip().lower() for a in allowed}:
        raise IdentityRefused(403, "this Google account may not use leadsync on this server")
    return email
