"""`leadsync watch` and `leadsync status` as a team's server runs them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
from factories import Cli, Team, make_team, prospect
from filelock import FileLock, Timeout

from sync.watch_signals import INTERRUPTED
from sync.watch_state import STATE_FILE
from sync.xlsx_backend import lock_path

ROOT = Path(__file__).resolve().parent.parent
COMPANIES = ["Acme Inc", "Borgo Verde Srl", "Caffè Nero SpA"]
COUNT_KEYS = {"leads_created", "moved_to_todo", "folders_created", "problems", "seconds"}


def healthy(folder: Path) -> Team:
    return make_team(
        folder, [prospect(name, email=f"info@{n}.example") for n, name in enumerate(COMPANIES)]
    )


def test_once_exits_as_sync_does_with_the_worst_tracker_deciding(tmp_path: Path, cli: Cli) -> None:
    good = healthy(tmp_path / "good")
    problem = make_team(tmp_path / "problem", [prospect("Acme Inc"), prospect(None)])
    broken = make_team(tmp_path / "broken", [prospect("Acme Inc")])
    broken.tracker.write_bytes(b"not a workbook")

    assert cli("watch", "--once", "--config", good.config_path).exit_code == 0
    assert cli("watch", "--once", "--config", problem.config_path).exit_code == 1
    assert cli("watch", "--once", "--config", broken.config_path).exit_code == 2
    assert cli("watch", "--once", "--config", tmp_path / "missing.toml").exit_code == 2
    both = cli("watch", "--once", "--config", problem.config_path, "--config", good.config_path)
    assert both.exit_code == 1
    # Every tracker got its pass, whatever the others did.
    assert len(good.leads()) == 3 and len(problem.leads()) == 1


def test_log_lines_carry_counts_and_durations_and_no_personal_data(
    tmp_path: Path, cli: Cli
) -> None:
    team = healthy(tmp_path)

    text = cli("watch", "--once", "--config", team.config_path)
    as_json = cli("watch", "--once", "--config", team.config_path, "--log-format", "json")

    [line] = text.output.splitlines()
    assert " pass " in line and "result=ok" in line and "leads_created=3" in line
    # --once leaves the next run to cron or the job scheduler: none is logged.
    assert "seconds=" in line and "next_run=" not in line
    [record] = [json.loads(row) for row in as_json.output.splitlines()]
    assert set(record) >= COUNT_KEYS
    assert (record["event"], record["result"], record["leads_created"]) == ("pass", "ok", 0)
    assert isinstance(record["seconds"], float)
    for output in (text.output, as_json.output):
        assert not any(name.split()[0] in output for name in COMPANIES)
        assert "@" not in output


def test_a_failed_pass_is_logged_with_its_reason(tmp_path: Path, cli: Cli) -> None:
    team = healthy(tmp_path)
    team.tracker.write_bytes(b"not a workbook")

    result = cli("watch", "--once", "--config", team.config_path, "--log-format", "json")

    record = json.loads(result.output)
    assert record["result"] == "error" and record["failures"] == 1
    assert "leads.xlsx" in record["error"]


def test_status_shows_the_last_pass_of_a_once_run_and_no_next_run(tmp_path: Path, cli: Cli) -> None:
    team = healthy(tmp_path)
    never = tmp_path / "other" / "leadsync.toml"

    assert "no pass recorded yet" in cli("status", "--config", team.config_path).output
    cli("watch", "--once", "--config", team.config_path)
    assert (tmp_path / STATE_FILE).exists()

    text = cli("status", "--config", team.config_path)
    assert text.exit_code == 0
    assert "tracker leads.xlsx" in text.output
    assert "last pass:" in text.output and "leads created 3" in text.output
    assert "next run:" not in text.output and "last error" not in text.output

    listed = cli("status", "--json", "--config", team.config_path, "--config", never)
    mine, other = json.loads(listed.output)
    assert other == {"config": str(never), "state": None}
    state = mine["state"]
    assert state["last_pass"]["counts"]["leads_created"] == 3
    assert state["last_pass"]["exit_code"] == 0 and state["last_pass"]["seconds"] >= 0
    assert state["failures"] == 0 and state["last_error"] is None and state["next_run"] is None


def test_status_after_a_failure_keeps_the_error_until_it_is_fixed(tmp_path: Path, cli: Cli) -> None:
    team = healthy(tmp_path)
    good = team.tracker.read_bytes()
    team.tracker.write_bytes(b"not a workbook")
    cli("watch", "--once", "--config", team.config_path)

    text = cli("status", "--config", team.config_path).output
    assert "error" in text and "last error:" in text and "failing:    1 pass(es)" in text
    state = json.loads(cli("status", "--json", "--config", team.config_path).output)[0]["state"]
    assert state["failures"] == 1 and state["last_pass"]["exit_code"] == 2
    assert state["last_pass"]["error"] == state["last_error"]["error"]

    team.tracker.write_bytes(good)
    cli("watch", "--once", "--config", team.config_path)
    state = json.loads(cli("status", "--json", "--config", team.config_path).output)[0]["state"]
    assert state["failures"] == 0 and state["last_pass"]["error"] is None
    assert state["last_error"] is not None  # when it last went wrong stays visible


def _start_watch(team: Team) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "sync", "watch", "--config", str(team.config_path), "--every", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _first_pass(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    line = process.stdout.readline()  # blocks until the first pass is logged
    assert " pass " in line, line + (process.stderr.read() if process.stderr else "")
    return line


def test_sigterm_lets_watch_finish_and_a_restart_creates_no_duplicate(
    tmp_path: Path, cli: Cli
) -> None:
    team = healthy(tmp_path)
    process = _start_watch(team)
    try:
        assert "leads_created=3" in _first_pass(process)
        team.edit_prospect(5, flag="+", company="Dopo Il Segnale Srl")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        process.kill()
    for path in (team.prospects, team.tracker):
        openpyxl.load_workbook(path)  # still a valid workbook

    again = cli("watch", "--once", "--config", team.config_path)

    assert again.exit_code == 0
    names = sorted(lead["company"] for lead in team.leads())
    assert names == sorted([*COMPANIES, "Dopo Il Segnale Srl"])


def test_a_second_signal_stops_watch_at_once(tmp_path: Path) -> None:
    team = healthy(tmp_path)
    process = _start_watch(team)
    try:
        _first_pass(process)
        # Stop it from sleeping between passes... then insist.
        process.send_signal(signal.SIGINT)
        process.send_signal(signal.SIGINT)
        # 0: both signals came as one (the kernel merges a pending SIGINT); INTERRUPTED: the
        # second one cut the pass short; -SIGINT: it came while Python was already exiting,
        # after it had put back the default handler. Stopped promptly, in every case.
        assert process.wait(timeout=15) in (0, INTERRUPTED, -signal.SIGINT)
    finally:
        process.kill()
    for path in (team.prospects, team.tracker):
        openpyxl.load_workbook(path)


def test_sigterm_in_the_middle_of_a_pass_lets_it_finish_and_exits_0(
    tmp_path: Path, cli: Cli
) -> None:
    # Enough rows that a pass (it holds the tracker's lock throughout) lasts a while.
    rows = [prospect(f"Ditta {n:04d} Srl") for n in range(1500)]
    team = make_team(tmp_path, rows)
    process = _start_watch(team)
    lock = FileLock(lock_path(team.tracker))
    try:
        _first_pass(process)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                lock.acquire(timeout=0)
                lock.release()
            except Timeout:
                break  # the watcher holds it: a pass is running right now
            time.sleep(0.002)
        else:
            raise AssertionError("no second pass started within 30 s")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        assert process.stdout is not None
        finished = process.stdout.read()
    finally:
        process.kill()
    # The pass that was running when the signal came was logged: it finished.
    assert " pass " in finished and "result=ok" in finished
    for path in (team.prospects, team.tracker):
        openpyxl.load_workbook(path)
    again = cli("watch", "--once", "--config", team.config_path)
    assert again.exit_code == 0
    assert len(team.leads()) == 1500
