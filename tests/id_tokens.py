"""Google-style OpenID identity tokens, signed with a locally generated key.

The key's certificate is published by a loopback HTTP server the way Google publishes its own
(a JSON map of key ID to PEM certificate), so `leadsync serve` checks these tokens with
google-auth exactly as it checks Google's, only with another `certs_url`.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt

AUDIENCE = "1234567890-addin.apps.googleusercontent.com"
KEY_ID = "local-key-1"
ALLOWED = ["Giulia@sales.example", "luca@sales.example"]


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


@contextmanager
def published_certs() -> Iterator[str]:
    """The URL where the certificate of PRIVATE is published, while the block runs."""
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
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/oauth2/v1/certs"
    finally:
        server.shutdown()
        server.server_close()


def id_token(key: bytes = PRIVATE, **claims: Any) -> str:
    """An ID token as ScriptApp.getIdentityToken() gives one (claims override the defaults)."""
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


def identity_section(certs_url: str) -> str:
    """The [identity] section of a serve.toml that trusts these tokens for ALLOWED."""
    return (
        f'\n[identity]\naudience = "{AUDIENCE}"\nallowed_emails = {json.dumps(ALLOWED)}\n'
        f'certs_url = "{certs_url}"\n'
    )
