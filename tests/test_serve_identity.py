"""The caller's Google identity token, checked by `leadsync serve` when serve.toml asks.

Tokens are signed here with a locally generated key whose certificate a loopback server
publishes the way Google publishes its own (a JSON map of key ID to PEM certificate).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt
from test_serve import SECRET, SHEET, Harness

from sheets_addin.identity import IdentityRefused, check_identity
from sheets_addin.settings import load_serve_settings

AUDIENCE = "1234567890-addin.apps.googleusercontent.com"
KEY_ID = "local-key-1"


def _key_and_certificate() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "leadsync test issuer")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return private, certificate.public_bytes(serialization.Encoding.PEM)


PRIVATE, CERTIFICATE = _key_and_certificate()
STRANGER, _ = _key_and_certificate()  # a key Google never published


@pytest.fixture(scope="module")
def certs_url() -> Iterator[str]:
    published = json.dumps({KEY_ID: CERTIFICATE.decode()}).encode()

    class Certs(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(published)))
            self.end_headers()
            self.wfile.write(published)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Certs)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/oauth2/v1/certs"
    server.shutdown()


def _token(key: bytes = PRIVATE, **claims: Any) -> str:
    now = int(time.time())
    payload = {
        "iss": "https://accounts.google.com",
        "aud": AUDIENCE,
        "sub": "1001",
        "email": "giulia@sales.example",
        "email_verified": True,
        "iat": now,
        "exp": now + 600,
    }
    payload.update(claims)
    signer = crypt.RSASigner.from_string(key.decode(), key_id=KEY_ID)
    return jwt.encode(signer, payload).decode()


ALLOWED = ["Giulia@sales.example", "luca@sales.example"]


def _check(token: str | None, certs: str) -> str:
    header = None if token is None else f"Bearer {token}"
    return check_identity(header, AUDIENCE, ALLOWED, certs)


def test_a_valid_token_of_an_allowed_person_gives_their_address(certs_url: str) -> None:
    assert _check(_token(), certs_url) == "giulia@sales.example"


@pytest.mark.parametrize(
    ("token", "status", "says"),
    [
        (None, 401, "identity token is required"),
        (_token(STRANGER), 401, "not valid"),
        (_token(aud="another-client.apps.googleusercontent.com"), 401, "not valid"),
        (_token(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200), 401, "not valid"),
        (_token(iss="https://evil.example"), 401, "not issued by Google"),
        (_token(email_verified=False), 401, "no verified e-mail"),
        (_token(email="mallory@elsewhere.example"), 403, "may not use leadsync"),
    ],
    ids=["missing", "forged", "audience", "expired", "issuer", "unverified", "not-allowed"],
)
def test_a_token_that_does_not_hold_is_refused_with_the_reason(
    certs_url: str, token: str | None, status: int, says: str
) -> None:
    with pytest.raises(IdentityRefused, match=says) as refused:
        _check(token, certs_url)
    assert refused.value.status == status


def test_serve_asks_for_the_identity_token_when_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, certs_url: str
) -> None:
    h = Harness(tmp_path, monkeypatch)
    path = tmp_path / "serve.toml"
    path.write_text(
        path.read_text(encoding="utf-8")
        + f'\n[identity]\naudience = "{AUDIENCE}"\nallowed_emails = {json.dumps(ALLOWED)}\n'
        + f'certs_url = "{certs_url}"\n',
        encoding="utf-8",
    )
    h.settings = load_serve_settings(path)
    h.clock.now = time.time()
    h.client = h.app()

    def call(token: str | None) -> Any:
        body, headers = h.signed("/v1/sync", {"spreadsheet": SHEET})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return h.client.post("/v1/sync", content=body, headers=headers)

    assert call(None).status_code == 401
    assert call(_token(email="mallory@elsewhere.example")).status_code == 403
    assert h.runner.calls == []  # refused calls run no pass
    allowed = call(_token())
    assert allowed.status_code == 200, allowed.text
    assert len(h.runner.calls) == 1
    assert SECRET not in allowed.text
