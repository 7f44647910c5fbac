"""What one `leadsync watch` process costs when it serves many trackers on a schedule.

    .venv/bin/python bench/bench_watch.py [--trackers 50] [--google-share 0.5] [--every 60]
                                          [--prospects 1000] [--flags N] [--leads N]
                                          [--minutes 2] [--quota 60]
    .venv/bin/python bench/bench_watch.py --minutes 0.5 --trackers 4 --prospects 200   # smoke

One real `Watcher` (sync/watch.py) with the real system clock, the real backend factory
(`scheduled_backend_for`: Google passes take the tracker's lease) and the default jitter, runs in
its own child process for --minutes over --trackers configurations: Excel-file teams and, for
--google-share of them, Google teams on one local Sheets API stand-in (tests/sheets_standin),
all shared with ONE service account, as a team would set it up. Every team is the seeded team of
team_data.py at the given size (by default 1,000 prospects, 20 flagged +, 100 leads), so the
first round does real work and the later rounds find nothing to do.

Processes: this parent stays small (stdlib only until the watch child has ended, so the child's
`ru_maxrss` does not start at a high parent mark); a generate child builds the Excel workbooks;
the stand-in runs in its own child, so the watch child's peak memory is the watcher's own (the
stand-in's peak is reported separately); the watch child runs the Watcher in its main thread.

Figures: passes per minute (all, Excel, Google); lateness of each pass against the due time the
watcher set for it (the first round's lateness is the queue of 50 passes due at once);
CPU per pass, attributed as the watcher thread's `time.thread_time` between two consecutive log
callbacks (so it covers reading the configuration, the pass, writing the state file and the
loop; the sum over passes is the thread's whole CPU), median and p95 per backend, next to the
process's `time.process_time` over the run divided by passes; the watch child's peak RSS;
Google requests per minute and per pass from the stand-in's log, and the peak in any sliding
60 s window, against Google's default quota of 60 per minute per user (per bucket: reads and
writes are counted apart).

Quota: by default the stand-in enforces the real default, 60 a minute per user per bucket
(--quota 60), because the question this bench answers is how many Google trackers one service
account can serve every 60 s: an idle Google pass under watch costs 3 reads (lease look, then
metadata and values) and 2 writes (take and release the lease), so at 60 s one account runs
out of reads at 20 trackers, and the refused requests and their backoff show up as late
passes, for the Excel trackers too, since one watcher runs its passes one after another.
--quota 0 lifts it, to measure what the watcher itself costs.

The last line printed is one JSON object with every figure. Exit status 1 means verification
failed: some `+` did not become exactly one lead on some tracker (Excel files read back with
openpyxl, Google tabs read back from the stand-in), or a tracker's passes did not create
exactly its flags.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from machine import machine
from team_data import DEFAULT_OWNER, TIME_ZONE, generate

TESTS = Path(__file__).resolve().parent.parent / "tests"
GOOGLE_QUOTA = 60  # Google's default: requests per minute per user, per bucket (read / write)
LIFTED_QUOTA = 10**9
PATHS_FILE = "configs.json"
STANDIN_FILE = "standin.json"  # the stand-in's URL, for the watch child
CONFIG = "leadsync.toml"


# ---- shared -------------------------------------------------------------------------------------


def _peak_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (peak / 2**20) if sys.platform == "darwin" else peak / 1024


def _team_names(args: argparse.Namespace) -> list[tuple[str, str]]:
    """(folder name, "google" | "excel"), interleaved so the first round mixes both."""
    google = round(args.trackers * args.google_share)
    kinds = ["google"] * google + ["excel"] * (args.trackers - google)
    # Spread the Google teams evenly through the list (Bresenham), so no backend goes first.
    order: list[str] = []
    placed = 0
    for index in range(args.trackers):
        want = round((index + 1) * google / args.trackers)
        order.append("google" if want > placed else "excel")
        placed = want
    assert sorted(order) == sorted(kinds)
    return [(f"{index:03d}-{kind}", kind) for index, kind in enumerate(order)]


def _percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def _summary(values: Sequence[float], digits: int = 4) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), digits) if values else 0.0,
        "p95": round(_percentile(values, 0.95), digits),
        "max": round(max(values), digits) if values else 0.0,
    }


# ---- generate child: the Excel teams -------------------------------------------------------------


def _generate_excel(args: argparse.Namespace) -> dict[str, Any]:
    from bench_xlsx import TRACKER_FILE, _generate
    from team_data import PROSPECTS_FILE

    template = args.workdir / "excel-template"
    template.mkdir()
    made = _generate(template, args.prospects, args.flags, args.leads)
    for name, kind in _team_names(args):
        if kind != "excel":
            continue
        folder = args.workdir / name
        folder.mkdir()
        for file in (TRACKER_FILE, PROSPECTS_FILE):
            shutil.copyfile(template / file, folder / file)
        (folder / CONFIG).write_text(
            f"time_zone = {json.dumps(TIME_ZONE)}\n"
            f"default_owner = {json.dumps(DEFAULT_OWNER)}\n\n"
            f'[tracker]\npath = "{TRACKER_FILE}"\n\n'
            f'[[prospecting]]\npath = "{PROSPECTS_FILE}"\n',
            encoding="utf-8",
        )
    return made


# ---- stand-in child: the Google teams, served until told to stop ------------------------------


def _standin(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(TESTS))
    from bench_google import _spreadsheet, _tabs, _write_config
    from google_team import GoogleTeam, service_account_key
    from sheets_standin import StandIn

    team = generate(args.prospects, args.flags, args.leads)
    tabs = _tabs(team)
    quota = args.quota or LIFTED_QUOTA
    stamps: list[float] = []
    with StandIn(quota_per_minute=quota) as standin:
        sheets: dict[str, GoogleTeam] = {}
        for name, kind in _team_names(args):
            if kind != "google":
                continue
            folder = args.workdir / name
            folder.mkdir()
            key = service_account_key(standin, folder)  # one account (and key) for all teams
            spreadsheet = _spreadsheet(standin, tabs)
            _write_config(folder, spreadsheet)
            sheets[name] = GoogleTeam(standin, folder, spreadsheet, spreadsheet, key)
        # Every API request, refused ones included, as it arrives (token requests are not).
        standin.before_request(lambda _index: stamps.append(time.monotonic()))
        print(json.dumps({"url": standin.url}), flush=True)
        sys.stdin.readline()  # "stop", or EOF if the parent went away
        standin.before_request(None)
        log = list(standin.log)
        found = {
            name: {
                "prospects": [[r.get("flag"), r.get("lead")] for r in sheet.records("Prospects")],
                "lead_ids": [r.get("lead_id") for r in sheet.records("Leads")],
            }
            for name, sheet in sheets.items()
        }
        tokens = len(standin.token_log)
    reads = [c for c in log if c.method == "GET"]
    statuses = Counter(str(c.status) for c in log)
    print(
        json.dumps(
            {
                "quota_per_minute": args.quota or None,
                "requests": len(log),
                "read_requests": len(reads),
                "write_requests": len(log) - len(reads),
                "refused_429": statuses.get("429", 0),
                "statuses": dict(statuses),
                "token_requests": tokens,
                "bytes_received": sum(c.response_bytes for c in log),
                "peak_requests_any_60s": _peak_window(stamps, 60.0),
                "first_request": stamps[0] if stamps else None,
                "last_request": stamps[-1] if stamps else None,
                "standin_peak_mib": round(_peak_mib(), 1),
                "found": found,
            },
            default=str,
        ),
        flush=True,
    )


def _peak_window(stamps: Sequence[float], window: float) -> int:
    best, start = 0, 0
    ordered = sorted(stamps)
    for end, moment in enumerate(ordered):
        while ordered[start] <= moment - window:
            start += 1
        best = max(best, end - start + 1)
    return best


# ---- watch child: one Watcher, real clock -------------------------------------------------------


def _watch(args: argparse.Namespace) -> dict[str, Any]:
    # Imported before the clock starts, as a watcher would have long done by its second pass.
    for module in ("sync.google_backend", "sync.xlsx_backend"):
        importlib.import_module(module)
    from sync.watch import JITTER, Watcher
    from sync.watch_state import TrackerState

    if (args.workdir / STANDIN_FILE).exists():
        from sync.google_client import ENDPOINT_ENV

        url = json.loads((args.workdir / STANDIN_FILE).read_text(encoding="utf-8"))["url"]
        os.environ[ENDPOINT_ENV] = url
    names = json.loads((args.workdir / PATHS_FILE).read_text(encoding="utf-8"))
    paths = [args.workdir / name / CONFIG for name, _kind in names]
    kind_of = {args.workdir / name / CONFIG: kind for name, kind in names}
    idle_mib = _peak_mib()

    watcher = Watcher(paths, every=args.every)
    due = {item.config_path: item.due for item in watcher.watched}
    passes: list[dict[str, Any]] = []
    cpu_mark = [time.thread_time()]

    def log(path: Path, state: TrackerState) -> None:
        now = time.thread_time()
        cpu, cpu_mark[0] = now - cpu_mark[0], now
        record = state.last_pass
        passes.append(
            {
                "team": path.parent.name,
                "kind": kind_of[path],
                "cpu_s": cpu,
                "wall_s": record.seconds,
                "lateness_s": (record.started - due[path]).total_seconds(),
                "first": path not in seen,
                "ok": record.ok,
                "error": record.error,
                "counts": record.counts,
            }
        )
        seen.add(path)
        if state.next_run is not None:
            due[path] = state.next_run

    seen: set[Path] = set()
    watcher.log = log
    stop = threading.Event()
    timer = threading.Timer(args.minutes * 60, stop.set)
    wall_started, process_started = time.perf_counter(), time.process_time()
    cpu_mark[0] = time.thread_time()
    thread_started = cpu_mark[0]
    timer.start()
    watcher.run(stop)
    elapsed = time.perf_counter() - wall_started
    process_cpu = time.process_time() - process_started
    thread_cpu = time.thread_time() - thread_started
    ended = watcher.clock.now()
    timer.cancel()
    # A tracker still waiting for a pass that was due before the end is late by that much too.
    pending = {
        item.config_path.parent.name: (ended - item.due).total_seconds() for item in watcher.watched
    }
    return {
        "elapsed_s": elapsed,
        "process_cpu_s": process_cpu,
        "thread_cpu_s": thread_cpu,
        "peak_mib": round(_peak_mib(), 1),
        "before_run_peak_mib": round(idle_mib, 1),
        "jitter": JITTER,
        "passes": passes,
        "pending_overdue_s": pending,
    }


# ---- verification -------------------------------------------------------------------------------


def _excel_found(folder: Path) -> dict[str, Any]:
    import openpyxl
    from bench_xlsx import TRACKER_FILE
    from team_data import PROSPECTS_FILE

    from sync.headers import TabKind, alias_table, match_headers
    from sync.templates import LEADS_TAB, PROSPECTS_TAB

    def rows(path: Path, tab: str, kind: TabKind, keys: Sequence[str]) -> list[list[object]]:
        book = openpyxl.load_workbook(path, read_only=True)
        try:
            lines = book[tab].iter_rows(values_only=True)
            columns = match_headers(next(lines), alias_table(kind))
            return [
                [line[columns[k]] if columns[k] < len(line) else None for k in keys]
                for line in lines
                if any(cell not in (None, "") for cell in line)
            ]
        finally:
            book.close()

    prospects = rows(folder / PROSPECTS_FILE, PROSPECTS_TAB, TabKind.PROSPECTS, ("flag", "lead"))
    leads = rows(folder / TRACKER_FILE, LEADS_TAB, TabKind.LEADS, ("lead_id",))
    return {"prospects": prospects, "lead_ids": [line[0] for line in leads]}


def _verify(team_flags: list[object], found: dict[str, Any], created: int) -> list[str]:
    """Every row flagged + at the start is ✓ with its own lead, and that lead is in Leads once."""
    failures = []
    prospects = found["prospects"]
    if len(prospects) != len(team_flags):
        return [f"{len(prospects)} prospect rows, expected {len(team_flags)}"]
    plus = [i for i, flag in enumerate(team_flags) if flag == "+"]
    if created != len(plus):
        failures.append(f"passes created {created} leads for {len(plus)} flags")
    if any(flag == "+" for flag, _lead in prospects):
        failures.append("some rows still carry +")
    refs = [prospects[i][1] for i in plus]
    if any(prospects[i][0] != "✓" or not prospects[i][1] for i in plus):
        failures.append("some + rows are not ✓ with a lead")
    ids = Counter(str(i) for i in found["lead_ids"] if i)
    if any(count > 1 for count in ids.values()):
        failures.append("duplicate lead IDs in Leads")
    if len(set(refs)) != len(refs) or any(ids[str(ref)] != 1 for ref in refs):
        failures.append("some + rows do not point at exactly one lead of their own")
    return failures


# ---- parent -------------------------------------------------------------------------------------


def _child_command(role: str, args: argparse.Namespace) -> list[str]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", role]
    command += ["--workdir", str(args.workdir), "--trackers", str(args.trackers)]
    command += ["--google-share", str(args.google_share), "--every", str(args.every)]
    command += ["--prospects", str(args.prospects), "--flags", str(args.flags)]
    command += ["--leads", str(args.leads), "--minutes", str(args.minutes)]
    return [*command, "--quota", str(args.quota)]


def _run_child(role: str, args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        _child_command(role, args), capture_output=True, text=True, check=False, env=env
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"the {role} child failed with exit code {done.returncode}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _per_backend(passes: list[dict[str, Any]], minutes: float, kind: str | None) -> dict[str, Any]:
    mine = [p for p in passes if kind is None or p["kind"] == kind]
    later = [p for p in mine if not p["first"]]
    return {
        "passes": len(mine),
        "passes_per_min": round(len(mine) / minutes, 2) if minutes else 0.0,
        "failed_passes": sum(1 for p in mine if not p["ok"]),
        "busy_passes": sum(1 for p in mine if any(p["counts"].values())),
        "cpu_per_pass_s": _summary([p["cpu_s"] for p in mine]),
        "idle_cpu_per_pass_s": _summary([p["cpu_s"] for p in later]),
        "wall_per_pass_s": _summary([p["wall_s"] for p in mine]),
        "lateness_first_round_s": _summary([p["lateness_s"] for p in mine if p["first"]], 2),
        "lateness_later_s": _summary([p["lateness_s"] for p in later], 2),
    }


def _report(
    args: argparse.Namespace,
    watched: dict[str, Any],
    google: dict[str, Any],
    failures: dict[str, list[str]],
) -> dict[str, Any]:
    passes = watched["passes"]
    minutes = watched["elapsed_s"] / 60
    google_passes = sum(1 for p in passes if p["kind"] == "google")
    teams = {p["team"] for p in passes}
    pending = max(watched["pending_overdue_s"].values(), default=0.0)
    max_late = max([p["lateness_s"] for p in passes] + [pending], default=0.0)
    # Under watch a pass is due every (1 ± jitter) × every; later than the jitter is a miss.
    tolerance = args.every * watched["jitter"]
    later_late = max([p["lateness_s"] for p in passes if not p["first"]] + [pending])
    errors = Counter(p["error"] for p in passes if p["error"])
    return {
        "trackers": args.trackers,
        "google_trackers": sum(1 for _n, k in _team_names(args) if k == "google"),
        "excel_trackers": sum(1 for _n, k in _team_names(args) if k == "excel"),
        "every_s": args.every,
        "minutes_run": round(minutes, 3),
        "prospects": args.prospects,
        "flags": args.flags,
        "leads": args.leads,
        "all": _per_backend(passes, minutes, None),
        "excel": _per_backend(passes, minutes, "excel"),
        "google": _per_backend(passes, minutes, "google"),
        "trackers_passed": len(teams),
        "max_lateness_s": round(max_late, 2),
        "max_lateness_after_first_round_s": round(later_late, 2),
        "lateness_tolerance_s": tolerance,
        "every_tracker_each_interval": len(teams) == args.trackers and later_late <= tolerance,
        "process_cpu_s": round(watched["process_cpu_s"], 3),
        "process_cpu_per_pass_s": round(watched["process_cpu_s"] / max(1, len(passes)), 4),
        "watcher_thread_cpu_s": round(watched["thread_cpu_s"], 3),
        "cpu_share_of_one_core": round(watched["process_cpu_s"] / watched["elapsed_s"], 4),
        "watch_peak_mib": watched["peak_mib"],
        "watch_peak_before_run_mib": watched["before_run_peak_mib"],
        "standin_peak_mib": google.get("standin_peak_mib"),
        "harness_peak_mib": round(_peak_mib(), 1),
        "google_quota_per_minute": args.quota or None,
        "google_requests": google.get("requests", 0),
        "google_read_requests": google.get("read_requests", 0),
        "google_write_requests": google.get("write_requests", 0),
        "google_refused_429": google.get("refused_429", 0),
        "google_statuses": google.get("statuses", {}),
        "google_token_requests": google.get("token_requests", 0),
        "google_requests_per_min": round(google.get("requests", 0) / minutes, 1),
        "google_read_requests_per_min": round(google.get("read_requests", 0) / minutes, 1),
        "google_write_requests_per_min": round(google.get("write_requests", 0) / minutes, 1),
        "google_peak_requests_any_60s": google.get("peak_requests_any_60s", 0),
        "google_requests_per_pass": round(google.get("requests", 0) / max(1, google_passes), 2),
        "google_default_quota_per_min": GOOGLE_QUOTA,
        "pass_errors": dict(errors),
        "verified": not any(failures.values()),
        "verify_failures": {name: f for name, f in failures.items() if f},
        "machine": machine(),
    }


def _print_table(f: dict[str, Any]) -> None:
    print()
    print(
        f"leadsync watch benchmark: {f['trackers']} trackers ({f['excel_trackers']} Excel, "
        f"{f['google_trackers']} Google on one service account), every {f['every_s']:g} s, "
        f"{f['prospects']:,} prospects ({f['flags']} +) and {f['leads']} leads each; "
        f"{f['minutes_run']:.2f} min on {f['machine']['cores']} cores, "
        f"Python {f['machine']['python']}"
    )
    print(f"{'':34}{'all':>10}{'Excel':>10}{'Google':>10}")

    def row(label: str, pick: Any, spec: str = ">10") -> None:
        cells = "".join(format(pick(f[k]), spec) for k in ("all", "excel", "google"))
        print(f"{label:34}{cells}")

    row("passes", lambda b: b["passes"])
    row("passes per minute", lambda b: b["passes_per_min"], ">10.2f")
    row("failed passes", lambda b: b["failed_passes"])
    row("passes that changed something", lambda b: b["busy_passes"])
    row("CPU per pass, median (ms)", lambda b: b["cpu_per_pass_s"]["median"] * 1000, ">10.1f")
    row("CPU per pass, p95 (ms)", lambda b: b["cpu_per_pass_s"]["p95"] * 1000, ">10.1f")
    row(
        "idle CPU per pass, median (ms)",
        lambda b: b["idle_cpu_per_pass_s"]["median"] * 1000,
        ">10.1f",
    )
    row("wall per pass, median (s)", lambda b: b["wall_per_pass_s"]["median"], ">10.3f")
    row("wall per pass, max (s)", lambda b: b["wall_per_pass_s"]["max"], ">10.2f")
    row("lateness, first round max (s)", lambda b: b["lateness_first_round_s"]["max"], ">10.2f")
    row("lateness, later max (s)", lambda b: b["lateness_later_s"]["max"], ">10.2f")
    served = "yes" if f["every_tracker_each_interval"] else "NO"
    print(
        f"every tracker a pass each interval (later lateness <= {f['lateness_tolerance_s']:g} s):"
        f" {served}; max lateness {f['max_lateness_s']} s"
    )
    print(
        f"process CPU {f['process_cpu_s']} s = {f['process_cpu_per_pass_s'] * 1000:.1f} ms a "
        f"pass, {f['cpu_share_of_one_core']:.1%} of one core; watch peak "
        f"{f['watch_peak_mib']} MiB ({f['watch_peak_before_run_mib']} MiB before the first pass);"
        f" stand-in peak {f['standin_peak_mib']} MiB (its own process)"
    )
    quota = f["google_quota_per_minute"] or "lifted"
    print(
        f"Google: {f['google_requests']} requests ({f['google_read_requests']} reads, "
        f"{f['google_write_requests']} writes) = {f['google_requests_per_min']}/min "
        f"({f['google_read_requests_per_min']} reads, {f['google_write_requests_per_min']} "
        f"writes), peak {f['google_peak_requests_any_60s']} in any 60 s, "
        f"{f['google_requests_per_pass']} per pass; {f['google_refused_429']} refused (429); "
        f"{f['google_token_requests']} token requests; stand-in quota {quota} "
        f"(Google's default {f['google_default_quota_per_min']}/min per user per bucket)"
    )
    if f["pass_errors"]:
        for error, count in f["pass_errors"].items():
            print(f"  {count} x {error}")
    if f["verified"]:
        print("verified: every + became exactly one lead on every tracker")
    else:
        print(f"VERIFICATION FAILED: {f['verify_failures']}")


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--trackers", type=int, default=50, help="configurations watched (50)")
    parser.add_argument("--google-share", type=float, default=0.5, help="share on Google (0.5)")
    parser.add_argument("--every", type=float, default=60.0, help="seconds between passes (60)")
    parser.add_argument("--prospects", type=int, default=1000, help="prospects a team (1000)")
    parser.add_argument("--flags", type=int, help="rows flagged + a team (prospects / 50)")
    parser.add_argument("--leads", type=int, help="leads a tracker holds (prospects / 10)")
    parser.add_argument("--minutes", type=float, default=2.0, help="how long to watch (2)")
    parser.add_argument(
        "--quota", type=int, default=GOOGLE_QUOTA, help="stand-in quota a minute; 0 lifts it (60)"
    )
    parser.add_argument("--workdir", type=Path, help="keep the teams' folders here")
    parser.add_argument("--child", choices=("generate", "standin", "watch"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.flags is None:
        args.flags = max(1, args.prospects // 50)
    if args.leads is None:
        args.leads = args.prospects // 10
    if not 0 < args.flags <= args.prospects or args.trackers < 1 or args.minutes <= 0:
        parser.error("need 0 < --flags <= --prospects, --trackers >= 1 and --minutes > 0")
    if not 0 <= args.google_share <= 1 or args.quota < 0 or args.every <= 0:
        parser.error("need 0 <= --google-share <= 1, --quota >= 0 and --every > 0")
    return args


def _child(args: argparse.Namespace) -> int:
    if args.child == "standin":
        _standin(args)
        return 0
    result = _generate_excel(args) if args.child == "generate" else _watch(args)
    print(json.dumps(result, default=str))
    return 0


def _stop_standin(standin: subprocess.Popen[str] | None) -> dict[str, Any]:
    if standin is None:
        return {}
    assert standin.stdin is not None and standin.stdout is not None
    standin.stdin.write("stop\n")
    standin.stdin.flush()
    answer = standin.stdout.readline()
    standin.wait(timeout=60)
    result: dict[str, Any] = json.loads(answer)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    if args.child:
        return _child(args)
    keep = args.workdir is not None
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="leadsync-bench-watch-"))
    args.workdir = workdir.resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    names = _team_names(args)
    (args.workdir / PATHS_FILE).write_text(json.dumps(names), encoding="utf-8")
    env = dict(os.environ)
    standin: subprocess.Popen[str] | None = None
    try:
        print(f"building {args.trackers} teams in {args.workdir} ...", flush=True)
        if any(kind == "excel" for _name, kind in names):
            _run_child("generate", args, env)
        if any(kind == "google" for _name, kind in names):
            standin = subprocess.Popen(
                _child_command("standin", args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                text=True, env=env,
            )  # fmt: skip
            assert standin.stdout is not None
            ready = standin.stdout.readline()
            if not ready:
                raise SystemExit("the stand-in child failed to start")
            (args.workdir / STANDIN_FILE).write_text(ready, encoding="utf-8")
        print(f"watching for {args.minutes:g} min ...", flush=True)
        watched = _run_child("watch", args, env)
        google = _stop_standin(standin)
        standin = None
        # Only now does this process load workbooks: the watch child has ended.
        team = generate(args.prospects, args.flags, args.leads)
        flags = [row.get("flag") for row in team.prospects]
        created = Counter[str]()
        for done in watched["passes"]:
            created[done["team"]] += done["counts"].get("leads_created", 0)
        failures: dict[str, list[str]] = {}
        for name, kind in names:
            found = google["found"][name] if kind == "google" else _excel_found(args.workdir / name)
            failures[name] = _verify(flags, found, created[name])
    finally:
        if standin is not None:
            standin.kill()
        if not keep:
            shutil.rmtree(args.workdir, ignore_errors=True)
    figures = _report(args, watched, google, failures)
    _print_table(figures)
    print(json.dumps(figures))
    return 0 if figures["verified"] else 1


if __name__ == "__main__":
    sys.exit(main())
