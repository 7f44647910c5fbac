"""The caller's Google identity token, checked by `leadsync serve` when serve.toml asks.

Tokens are signed here with a locally generated key whose certificate a loopback server
publishes the way Google publishes its own (tests/id_tokens.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from id_tokens import ALLOWED, AUDIENCE, STRANGER, identity_section, published_certs
from id_tokens import id_token as _token
from test_serve import SECRET, SHEET, Harness

from sheets_addin.identity import IdentityRefused, check_identity
from sheets_addin.settings import load_serve_settings


@pytest.fixture(scope="module")
def certs_url() -> Iterator[str]:
    with published_certs() as url:
        yield url


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
        path.read_text(encoding="utf-8") + identity_section(certs_url),
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
