"""The OAuth 2 token endpoint and bearer tokens, as https://oauth2.googleapis.com/token behaves.

Service accounts send a JWT signed with their private key (grant_type jwt-bearer); it is
checked against the public key registered for its `iss`. OAuth users send a refresh token.
Either way the answer is {"access_token", "expires_in": 3599, "token_type": "Bearer"}.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
LIFETIME = 3599


def _unbase64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class Auth:
    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.keys: dict[str, rsa.RSAPublicKey] = {}
        self.refresh_tokens: dict[str, str] = {}
        self.tokens: dict[str, tuple[str, float]] = {}  # access token -> (e-mail, expiry)

    def add_service_account(self, email: str, public_key_pem: bytes) -> None:
        key = serialization.load_pem_public_key(public_key_pem)
        if not isinstance(key, rsa.RSAPublicKey):
            raise ValueError("a service account key is an RSA key")
        self.keys[email] = key

    def add_user(self, email: str, refresh_token: str) -> None:
        self.refresh_tokens[refresh_token] = email

    def grant(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """Answer a token request: (status, JSON body)."""
        grant_type = form.get("grant_type", "")
        if grant_type == JWT_BEARER:
            email, problem = self._service_account(form.get("assertion", ""))
        elif grant_type == "refresh_token":
            email = self.refresh_tokens.get(form.get("refresh_token", ""))
            problem = None if email else "Token has been expired or revoked."
        else:
            return 400, {
                "error": "unsupported_grant_type",
                "error_description": f"Invalid grant_type: {grant_type}",
            }
        if email is None:
            return 400, {"error": "invalid_grant", "error_description": problem or "Bad Request"}
        token = "ya29.standin-" + secrets.token_urlsafe(24)
        self.tokens[token] = (email, self.clock() + LIFETIME)
        return 200, {"access_token": token, "expires_in": LIFETIME, "token_type": "Bearer"}

    def _service_account(self, assertion: str) -> tuple[str | None, str | None]:
        try:
            header, payload, signature = assertion.split(".")
            claims = json.loads(_unbase64(payload))
        except ValueError:
            return None, "Invalid JWT: the assertion is not a JWT."
        email = claims.get("iss")
        key = self.keys.get(email)
        if key is None:
            return None, "Invalid grant: account not found"
        try:
            key.verify(
                _unbase64(signature),
                f"{header}.{payload}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, ValueError):
            return None, "Invalid JWT Signature."
        return str(email), None

    def caller(self, authorization: str | None) -> tuple[str | None, str | None]:
        """(e-mail behind a bearer token, or None and why: "missing", "unknown", "expired")."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return None, "missing"
        found = self.tokens.get(authorization[7:].strip())
        if found is None:
            return None, "unknown"
        if found[1] <= self.clock():
            return None, "expired"
        return found[0], None
