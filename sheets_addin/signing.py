"""How the Sheets add-in signs a call to `leadsync serve`, and how the server checks it.

Every /v1 request carries three headers:

- ``X-Leadsync-Timestamp``: the time of signing, whole seconds since the Unix epoch, in
  decimal digits only (``"1767225600"``).
- ``X-Leadsync-Request-Id``: a fresh ID per request, 8 to 128 characters from
  ``A-Z a-z 0-9 . _ : -`` (``Utilities.getUuid()`` fits). A given ID is accepted once.
- ``X-Leadsync-Signature``: the signature, 64 lowercase hexadecimal digits.

The signature is computed as follows (every string is encoded as UTF-8)::

    body_hash = lowercase hex of SHA-256(the exact body bytes sent)   # of b"" when empty
    canonical = METHOD + "\\n" + PATH + "\\n" + TIMESTAMP + "\\n" + REQUEST_ID + "\\n" + body_hash
    signature = lowercase hex of HMAC-SHA256(key=secret, message=canonical)

METHOD is upper case (``POST``); PATH is the request path as the server receives it, without
scheme, host or query string (``/v1/convert``); TIMESTAMP and REQUEST_ID are the header values
exactly as sent; ``secret`` is the spreadsheet's secret from serve.toml. There is no trailing
newline. In Apps Script::

    var hash = hex(Utilities.computeDigest(Utilities.DigestAlgorithm.SHA_256, body,
                                           Utilities.Charset.UTF_8));
    var sig = hex(Utilities.computeHmacSha256Signature(canonical, secret,
                                                       Utilities.Charset.UTF_8));
    // hex(): bytes are signed in Apps Script: ('0' + (b & 0xff).toString(16)).slice(-2)

The server accepts a timestamp at most MAX_SKEW seconds away from its own clock, in either
direction, and compares signatures with `hmac.compare_digest`.
"""

from __future__ import annotations

import hashlib
import hmac
import re

MAX_SKEW = 300  # seconds between the signer's clock and the server's, either way
TIMESTAMP_HEADER = "X-Leadsync-Timestamp"
REQUEST_ID_HEADER = "X-Leadsync-Request-Id"
SIGNATURE_HEADER = "X-Leadsync-Signature"

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")


def canonical(method: str, path: str, timestamp: str, request_id: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join([method.upper(), path, timestamp, request_id, digest]).encode("utf-8")


def sign(secret: str, method: str, path: str, timestamp: str, request_id: str, body: bytes) -> str:
    message = canonical(method, path, timestamp, request_id, body)
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str, path: str, body: bytes, timestamp: int, request_id: str, method: str = "POST"
) -> dict[str, str]:
    """The three headers of a signed request (what the add-in sends; the tests use it too)."""
    stamp = str(timestamp)
    return {
        TIMESTAMP_HEADER: stamp,
        REQUEST_ID_HEADER: request_id,
        SIGNATURE_HEADER: sign(secret, method, path, stamp, request_id, body),
    }


class Unauthorized(Exception):
    """The request is not signed as the spreadsheet's secret signs (message: short, safe)."""


def verify(
    secret: str,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    now: float,
) -> str:
    """Check a request's signature and timestamp; returns its request ID.

    `headers` maps lower-cased header names to values. Raises Unauthorized.
    """
    timestamp = headers.get(TIMESTAMP_HEADER.lower(), "")
    request_id = headers.get(REQUEST_ID_HEADER.lower(), "")
    signature = headers.get(SIGNATURE_HEADER.lower(), "")
    if not (timestamp and request_id and signature):
        raise Unauthorized("missing signature headers")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise Unauthorized("bad timestamp")
    if not _REQUEST_ID.fullmatch(request_id):
        raise Unauthorized("bad request id")
    if not _SIGNATURE.fullmatch(signature):
        raise Unauthorized("bad signature")
    expected = sign(secret, method, path, timestamp, request_id, body)
    # Compared before the clock, so a wrong key and a stale one answer alike in time.
    if not hmac.compare_digest(expected, signature.lower()):
        raise Unauthorized("bad signature")
    if abs(now - int(timestamp)) > MAX_SKEW:
        raise Unauthorized("stale timestamp")
    return request_id
