"""The Apps Script add-in (sheets_addin/apps_script) run in node against a real `leadsync serve`.

The .js files run in a node:vm context with doubles of the Apps Script services
(sheets_addin/apps_script/tests/gas_doubles.mjs); their UrlFetchApp makes real HTTP requests to
uvicorn serving sheets_addin.server on loopback, whose passes run on the Sheets API stand-in.
The node side checks what the add-in did (calls made, toasts); this side checks the stand-in.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from google_team import GoogleTeam, google_team
from id_tokens import id_token, identity_section, published_certs
from loopback import serving
from sheets_standin import StandIn

from sheets_addin.server import create_app
from sheets_addin.settings import load_serve_settings

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "sheets_addin" / "apps_script"
NODE_TESTS = PROJECT / "tests"
SECRET = "apps-script-secret-0123456789abcdef"
NODE = shutil.which("node") or ("/usr/bin/node" if Path("/usr/bin/node").exists() else None)

pytestmark = pytest.mark.skipif(
    NODE is None, reason="node is not installed: the Apps Script add-in tests run in node"
)


def _node(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    return subprocess.run(
        [NODE, *map(str, args)],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _outcome(run: subprocess.CompletedProcess[str]) -> str:
    return f"exit {run.returncode}\n{run.stdout[-6000:]}\n{run.stderr[-3000:]}"


def _team(standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GoogleTeam:
    prospects = [
        {"company": "Acme Inc", "contact": "Ada", "flag": "+"},  # as typed; the trigger sees it
        {"company": "Borgo Verde Srl"},
        {"company": "Casa Blu SpA"},
    ]
    team = google_team(standin, tmp_path / "team", monkeypatch, prospects)
    monkeypatch.setenv("APPS_SCRIPT_SECRET", SECRET)
    return team


def _serve_toml(tmp_path: Path, team: GoogleTeam, extra: str = "") -> Path:
    path = tmp_path / "serve.toml"
    path.write_text(
        f'[[spreadsheet]]\nid = "{team.prospecting}"\nconfig = "team/leadsync.toml"\n'
        'secret_env = "APPS_SCRIPT_SECRET"\n' + extra,
        encoding="utf-8",
    )
    return path


@pytest.fixture
def server(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, GoogleTeam]]:
    team = _team(standin, tmp_path, monkeypatch)
    app = create_app(load_serve_settings(_serve_toml(tmp_path, team)))
    with serving(app) as url:
        yield url, team


@pytest.fixture
def identity_server(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, GoogleTeam]]:
    """serve with an [identity] section trusting tests/id_tokens.py's key."""
    team = _team(standin, tmp_path, monkeypatch)
    with published_certs() as certs:
        path = _serve_toml(tmp_path, team, identity_section(certs))
        with serving(create_app(load_serve_settings(path))) as url:
            yield url, team


def test_every_apps_script_file_parses() -> None:
    sources = sorted(PROJECT.glob("*.js"))
    assert [p.name for p in sources] == ["Code.js", "Webhook.js"]
    for source in sources:
        checked = _node("--check", source)
        assert checked.returncode == 0, _outcome(checked)
    manifest = json.loads((PROJECT / "appsscript.json").read_text(encoding="utf-8"))
    assert manifest["runtimeVersion"] == "V8"
    scopes = manifest["oauthScopes"]
    assert all(s == "openid" or s.startswith("https://www.googleapis.com/auth/") for s in scopes)
    assert "https://www.googleapis.com/auth/spreadsheets" not in scopes
    # The identity token needs openid, and userinfo.email to carry the address serve checks.
    assert {"openid", "https://www.googleapis.com/auth/userinfo.email"} <= set(scopes)
    assert not any("userinfo.profile" in s for s in scopes)


def test_the_add_in_unit_tests_pass_in_node() -> None:
    run = _node("--test", NODE_TESTS / "unit.test.mjs")
    assert run.returncode == 0, _outcome(run)
    assert "# fail 0" in run.stdout and "# skipped 0" in run.stdout


def test_the_add_in_against_a_real_server(server: tuple[str, GoogleTeam], standin: StandIn) -> None:
    base, team = server
    grid = standin.values(team.prospecting, "Prospects")
    env = {
        "LEADSYNC_E2E_URL": base,
        "LEADSYNC_E2E_SHEET": team.prospecting,
        "LEADSYNC_E2E_SECRET": SECRET,
        "LEADSYNC_E2E_GRID": json.dumps(grid),
    }
    before = team.records("Prospects")
    standin.clear_log()

    # A wrong secret: 401 as a toast (checked in node), and Google is not even asked.
    e2e = NODE_TESTS / "e2e.test.mjs"
    refused = _node("--test", e2e, env={**env, "LEADSYNC_E2E_PHASE": "refused"})
    assert refused.returncode == 0, _outcome(refused)
    assert "# pass 1" in refused.stdout
    assert standin.log == []
    assert team.records("Leads") == [] and team.records("Prospects") == before

    # The right secret: + makes the lead once; a replay, 200 edits and an edit elsewhere add none;
    # Convert selected rows makes the second.
    accepted = _node("--test", e2e, env={**env, "LEADSYNC_E2E_PHASE": "accepted"})
    assert accepted.returncode == 0, _outcome(accepted)
    assert "# pass 1" in accepted.stdout
    leads = team.records("Leads")
    assert [lead["company"] for lead in leads] == ["Acme Inc", "Casa Blu SpA"]
    rows = {r["_row"]: r for r in team.records("Prospects")}
    assert rows[2]["flag"] == "✓" and rows[2]["lead"] == leads[0]["lead_id"]
    assert rows[3].get("flag") is None and rows[3].get("lead") is None
    assert rows[4]["flag"] == "✓" and rows[4]["lead"] == leads[1]["lead_id"]


def test_the_add_in_sends_the_identity_token_that_serve_checks(
    identity_server: tuple[str, GoogleTeam], standin: StandIn
) -> None:
    base, team = identity_server
    grid = standin.values(team.prospecting, "Prospects")
    env = {
        "LEADSYNC_E2E_URL": base,
        "LEADSYNC_E2E_SHEET": team.prospecting,
        "LEADSYNC_E2E_SECRET": SECRET,
        "LEADSYNC_E2E_GRID": json.dumps(grid),
        "LEADSYNC_E2E_TOKEN_ALLOWED": id_token(email="luca@sales.example"),
        "LEADSYNC_E2E_TOKEN_STRANGER": id_token(email="mallory@elsewhere.example"),
    }
    before = team.records("Prospects")
    standin.clear_log()
    e2e = NODE_TESTS / "e2e.test.mjs"

    # No token, then a token of someone not on the allow-list: 401, 403, and Google untouched.
    refused = _node("--test", e2e, env={**env, "LEADSYNC_E2E_PHASE": "identity-refused"})
    assert refused.returncode == 0, _outcome(refused)
    assert "# pass 1" in refused.stdout
    assert standin.log == []
    assert team.records("Leads") == [] and team.records("Prospects") == before

    # The allowed person's token: the token is checked and the + becomes the lead.
    accepted = _node("--test", e2e, env={**env, "LEADSYNC_E2E_PHASE": "identity-accepted"})
    assert accepted.returncode == 0, _outcome(accepted)
    assert "# pass 1" in accepted.stdout
    (lead,) = team.records("Leads")
    assert lead["company"] == "Acme Inc"
    (row,) = [r for r in team.records("Prospects") if r["_row"] == 2]
    assert row["flag"] == "✓" and row["lead"] == lead["lead_id"]
