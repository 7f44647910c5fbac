"""Credentials and quota on the Google path: every kind of key, and Google's 429 answered right."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from factories import MORNING, prospect
from google_team import ROBOT, google_team
from sheets_standin import StandIn

from sync.config import load_config
from sync.engine import run
from sync.google_backend import GoogleBackend
from sync.retry import Backoff


def test_oauth_user_credentials_refresh_through_the_token_endpoint(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = google_team(standin, tmp_path, monkeypatch, [prospect("Rossi Srl")])
    standin.add_user("giulia@sales.example", "refresh-giulia")
    standin.share(team.tracker, "giulia@sales.example")
    (tmp_path / "giulia.json").write_text(
        json.dumps(
            {
                "type": "authorized_user",
                "client_id": "leadsync.apps.googleusercontent.com",
                "client_secret": "not-a-secret",
                "refresh_token": "refresh-giulia",
                "token_uri": standin.url + "/token",
            }
        )
    )
    config = team.config_path
    config.write_text(config.read_text().replace("service-account.json", "giulia.json"))
    standin.clear_log()
    report = run(load_config(config), now=MORNING)
    assert report.plan.counts.leads_created == 1
    assert {entry.user for entry in standin.log} == {"giulia@sales.example"}


def test_application_default_credentials_when_the_config_names_no_key(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = google_team(standin, tmp_path, monkeypatch, [prospect("Rossi Srl")])
    config = team.config_path
    config.write_text(config.read_text().replace('credentials = "service-account.json"', ""))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(team.key))
    standin.clear_log()
    report = run(load_config(config), now=MORNING)
    assert report.plan.counts.leads_created == 1
    assert {entry.user for entry in standin.log} == {ROBOT}


def test_over_the_per_minute_quota_the_pass_backs_off_and_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [0.0]
    waits: list[float] = []

    def wait(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    with StandIn(quota_per_minute=1, clock=lambda: now[0]) as google:
        team = google_team(google, tmp_path, monkeypatch, [prospect("Rossi Srl")])
        backend = GoogleBackend(team.config(), backoff=Backoff(base=8.0, cap=64.0, sleep=wait))
        report = run(team.config(), now=MORNING, backend=backend)
        statuses = [entry.status for entry in google.log]
    assert report.plan.counts.leads_created == 1
    assert 429 in statuses and statuses[-1] == 200
    assert waits and sum(waits) >= 60 - 16  # it waited for the minute to turn, no busy loop
    assert len(waits) <= 4
