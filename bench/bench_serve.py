"""How fast `leadsync serve` turns a `+` into a lead, and how many requests a second it answers.

    .venv/bin/python bench/bench_serve.py [--requests 100] [--prospects 1000] [--leads 100]
                                          [--seconds 10] [--threads 4]
    .venv/bin/python bench/bench_serve.py --smoke      # ~20 s: 20 requests, 200 prospects, 2 s

Three processes, so each one's figures are its own:

- a stand-in child: the local Sheets API stand-in (tests/sheets_standin) with the Google teams,
  each the seeded team of team_data.py in one spreadsheet (tabs Prospects, Leads, Clients),
  shared with one service account, with NO prospect flagged. One ordinary pass per team runs
  there before anything is timed (due leads, folders, renewals), so each timed request does
  only its own conversion. It then answers the parent's questions about the sheets on a pipe.
- a serve child: the real `leadsync serve --config serve.toml --port P` (uvicorn, real HTTP on
  127.0.0.1), exactly as shipped; secrets only in its environment (`secret_env`).
- this parent: the HTTP client (standard library only: http.client, sheets_addin.signing).

`+` to lead: --requests signed POST /v1/convert, one after another, each for a different
prospect row with nothing in Flag. Figures: request->response (the pass writes the lead and
the row's ID and ✓ before it answers, so the lead is in the Leads tab when the answer arrives),
and request->confirmed (after the answer, the parent asks the stand-in child whether the row
now has a lead ID that is in the Leads tab; this adds a pipe round trip and a read of both
tabs, so it is an upper bound). Median, p95, max, and the first request (cold) apart.

Rate limit: serve allows a burst of 5 calls, then one every 2 s, per spreadsheet, per replica
(sheets_addin/guards.py); neither number is a serve.toml setting, and swapping the limiter
would mean not measuring `leadsync serve` as shipped. So the requests go round-robin over
ceil(--requests / 5) spreadsheets (one team and one [[spreadsheet]] entry each): no sheet is
asked more than its burst, and a 429 is a failure, not a wait.

Throughput: --threads client threads, each on one keep-alive connection, for --seconds on
GET /healthz, then for --seconds on POST /v1/convert with a well-formed but wrong signature
(401: size, JSON, known spreadsheet and HMAC are checked; the replay store and the rate limit
are not reached). Requests per second, with the serve child's CPU over each window
(/proc/PID/stat) and the client's own CPU, since on a small machine both share the cores.

The stand-in's quota is lifted: this measures serve, not Google's 60 requests a minute (the
requests each conversion costs are reported, to compare with that quota).

Verification (exit 1 otherwise): every request answered 200 with that row marked and one lead
created; at the end every converted row carries ✓ and a lead ID found exactly once in its
Leads tab, each Leads tab grew by exactly its conversions, and no other row changed flag.
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import secrets
import shutil
import socket
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from sheets_addin.guards import RATE_BURST, RATE_EVERY  # noqa: E402  (stdlib only)
from sheets_addin.signing import SIGNATURE_HEADER, signed_headers  # noqa: E402

TARGET_MEDIAN_S = 2.0
LIFTED_QUOTA = 10**9
CONVERT = "/v1/convert"
SECRET_ENV = "LEADSYNC_BENCH_SECRET_{:03d}"


# ---- stand-in child -------------------------------------------------------------------------


def _standin_child(args: argparse.Namespace) -> int:
    """Build the teams, settle them with one pass each, then answer questions on stdin."""
    from bench_google import _spreadsheet, _tabs, _write_config
    from google_team import GoogleTeam, service_account_key
    from sheets_standin import StandIn
    from team_data import generate

    from sync.config import load_config
    from sync.engine import run
    from sync.google_client import ENDPOINT_ENV

    team = generate(args.prospects, 0, args.leads)  # nothing flagged: serve marks the rows
    tabs = _tabs(team)
    # Rows to convert, spread over the sheet: nothing in Flag, no lead yet (row 1 is headers).
    free = [
        n for n, r in enumerate(team.prospects, start=2) if not r.get("flag") and not r.get("lead")
    ]
    per_sheet = math.ceil(args.requests / args.sheets)
    if len(free) < per_sheet:
        raise SystemExit(f"only {len(free)} free prospect rows; need {per_sheet} per sheet")
    step = len(free) / per_sheet
    rows = [free[int(i * step)] for i in range(per_sheet)]
    sheets: dict[str, GoogleTeam] = {}
    described = []
    with StandIn(quota_per_minute=LIFTED_QUOTA) as standin:
        os.environ[ENDPOINT_ENV] = standin.url
        for index in range(args.sheets):
            folder = args.workdir / f"team-{index + 1:03d}"
            folder.mkdir(parents=True)
            key = service_account_key(standin, folder)  # one service account for every team
            spreadsheet = _spreadsheet(standin, tabs)
            config = _write_config(folder, spreadsheet)
            run(load_config(config))  # settle: the timed passes then do only their conversion
            sheet = GoogleTeam(standin, folder, spreadsheet, spreadsheet, key)
            sheets[spreadsheet] = sheet
            described.append(
                {
                    "id": spreadsheet,
                    "config": str(config),
                    "rows": rows,
                    "leads_before": len(sheet.records("Leads")),
                    "flags_before": _flags(sheet),
                }
            )
        standin.clear_log()
        print(json.dumps({"url": standin.url, "sheets": described}), flush=True)
        for line in sys.stdin:
            command = json.loads(line)
            if command["op"] == "check":
                print(json.dumps(_check(sheets[command["id"]], command["row"])), flush=True)
            elif command["op"] == "log":
                calls = list(standin.log)
                print(json.dumps(_log_figures(calls)), flush=True)
                standin.clear_log()
            elif command["op"] == "final":
                print(json.dumps({i: _final(s) for i, s in sheets.items()}), flush=True)
                break
    return 0


def _flags(sheet: Any) -> dict[str, str | None]:
    return {str(r["_row"]): r.get("flag") for r in sheet.records("Prospects")}


def _check(sheet: Any, row: int) -> dict[str, Any]:
    (found,) = [r for r in sheet.records("Prospects") if r["_row"] == row] or [{}]
    lead = found.get("lead")
    ids = [r.get("lead_id") for r in sheet.records("Leads")]
    return {"flag": found.get("flag"), "lead": lead, "in_leads": ids.count(lead) if lead else 0}


def _final(sheet: Any) -> dict[str, Any]:
    prospects = sheet.records("Prospects")
    return {
        "flags": {str(r["_row"]): r.get("flag") for r in prospects},
        "lead_of_row": {str(r["_row"]): r.get("lead") for r in prospects},
        "lead_ids": [r.get("lead_id") for r in sheet.records("Leads")],
    }


def _log_figures(calls: Sequence[Any]) -> dict[str, Any]:
    reads = sum(1 for c in calls if c.method == "GET")
    return {"requests": len(calls), "reads": reads, "writes": len(calls) - reads}


# ---- parent: processes --------------------------------------------------------------------------


class StandInChild:
    def __init__(self, args: argparse.Namespace) -> None:
        command = [sys.executable, str(Path(__file__).resolve()), "--child", "standin"]
        command += ["--workdir", str(args.workdir), "--sheets", str(args.sheets)]
        command += ["--requests", str(args.requests), "--prospects", str(args.prospects)]
        command += ["--leads", str(args.leads)]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.ready: dict[str, Any] = self._answer()

    def _answer(self) -> Any:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit("the stand-in child stopped (see its error above)")
        return json.loads(line)

    def ask(self, **command: Any) -> Any:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self._answer()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _leadsync_command() -> list[str]:
    script = Path(sys.executable).parent / "leadsync"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from sync.cli import main; main()"]


def _write_serve_toml(workdir: Path, sheets: Sequence[dict[str, Any]]) -> Path:
    lines = []
    for index, sheet in enumerate(sheets):
        lines += ["[[spreadsheet]]", f'id = "{sheet["id"]}"']
        lines += [
            f"config = {json.dumps(sheet['config'])}",
            f'secret_env = "{SECRET_ENV.format(index)}"',
            "",
        ]
    path = workdir / "serve.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _start_serve(
    serve_toml: Path, port: int, env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    command = [*_leadsync_command(), "serve", "--config", str(serve_toml), "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.stderr.write(log.read_text(encoding="utf-8", errors="replace"))
            raise SystemExit(f"leadsync serve exited with {process.returncode}")
        try:
            status, _ = _get(http.client.HTTPConnection("127.0.0.1", port, timeout=2), "/healthz")
            if status == 200:
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("leadsync serve did not answer /healthz within 30 s")


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (Linux); NaN elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return math.nan


# ---- parent: HTTP -------------------------------------------------------------------------------


def _get(connection: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    connection.request("GET", path)
    answer = connection.getresponse()
    return answer.status, answer.read()


def _post(
    connection: http.client.HTTPConnection, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, bytes]:
    connection.request(
        "POST", path, body=body, headers={"Content-Type": "application/json", **headers}
    )
    answer = connection.getresponse()
    return answer.status, answer.read()


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def _summary(values: Sequence[float]) -> dict[str, float]:
    return {
        "median_s": round(statistics.median(values), 4),
        "p95_s": round(_percentile(values, 0.95), 4),
        "min_s": round(min(values), 4),
        "max_s": round(max(values), 4),
    }


def _latency(
    port: int, sheets: Sequence[dict[str, Any]], secrets_by_id: dict[str, str],
    standin: StandInChild, count: int,
) -> dict[str, Any]:  # fmt: skip
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    responded, confirmed, failures, converted = [], [], [], []
    statuses: Counter[int] = Counter()
    for index in range(count):
        sheet = sheets[index % len(sheets)]
        row = sheet["rows"][index // len(sheets)]
        body = json.dumps({"spreadsheet": sheet["id"], "rows": [row]}).encode()
        rid = f"bench-{index:06d}-{secrets.token_hex(4)}"
        headers = signed_headers(secrets_by_id[sheet["id"]], CONVERT, body, int(time.time()), rid)
        started = time.perf_counter()
        status, raw = _post(connection, CONVERT, body, headers)
        answered = time.perf_counter()
        check = standin.ask(op="check", id=sheet["id"], row=row)
        checked = time.perf_counter()
        statuses[status] += 1
        answer = json.loads(raw)
        converted.append((sheet["id"], row, check.get("lead")))
        if (
            status != 200
            or answer.get("marked") != [row]
            or answer.get("counts", {}).get("leads_created") != 1
        ):
            failures.append(f"request {index} (row {row}): {status} {answer}")
            continue
        if check["flag"] != "✓" or check["in_leads"] != 1:
            failures.append(
                f"request {index} (row {row}): after the answer the sheet shows {check}"
            )
            continue
        responded.append(answered - started)
        confirmed.append(checked - started)
    connection.close()
    return {
        "responded": responded,
        "confirmed": confirmed,
        "failures": failures,
        "converted": converted,
        "statuses": {str(k): v for k, v in statuses.items()},
    }


def _throughput(
    port: int, threads: int, seconds: float, make: Any, expected: int, pid: int
) -> dict[str, Any]:
    counts: list[Counter[int]] = [Counter() for _ in range(threads)]
    start = threading.Barrier(threads + 1)
    stop_at: list[float] = [0.0]

    def client(tally: Counter[int]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        start.wait()
        while time.perf_counter() < stop_at[0]:
            status, _ = make(connection)
            tally[status] += 1
        connection.close()

    workers = [threading.Thread(target=client, args=(c,)) for c in counts]
    for worker in workers:
        worker.start()
    serve_cpu, client_cpu = _cpu_seconds(pid), time.process_time()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start.wait()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - began
    serve_cpu, client_cpu = _cpu_seconds(pid) - serve_cpu, time.process_time() - client_cpu
    total: Counter[int] = Counter()
    for tally in counts:
        total.update(tally)
    good = total[expected]
    return {
        "requests": sum(total.values()),
        "expected_status": expected,
        "statuses": {str(k): v for k, v in total.items()},
        "rps": round(good / wall, 1),
        "wall_s": round(wall, 2),
        "serve_cpu_s": round(serve_cpu, 2),
        "serve_cores_busy": round(serve_cpu / wall, 2),
        "serve_cpu_ms_per_request": round(1000 * serve_cpu / good, 3) if good else None,
        "client_cpu_s": round(client_cpu, 2),
    }


def _healthz(connection: http.client.HTTPConnection) -> tuple[int, bytes]:
    return _get(connection, "/healthz")


def _bad_signature(sheet_id: str) -> Any:
    body = json.dumps({"spreadsheet": sheet_id, "rows": [2]}).encode()
    headers = signed_headers(
        "not-the-secret-of-this-sheet-0123", CONVERT, body, int(time.time()), "bench-bad-0001"
    )
    assert len(headers[SIGNATURE_HEADER]) == 64

    def send(connection: http.client.HTTPConnection) -> tuple[int, bytes]:
        return _post(connection, CONVERT, body, headers)

    return send


# ---- verification and report -------------------------------------------------------------------


def _verify(
    sheets: Sequence[dict[str, Any]],
    final: dict[str, Any],
    converted: Sequence[tuple[str, int, Any]],
) -> list[str]:
    failures = []
    rows_by_sheet: dict[str, list[int]] = {}
    for sheet_id, row, _lead in converted:
        rows_by_sheet.setdefault(sheet_id, []).append(row)
    for sheet in sheets:
        found = final[sheet["id"]]
        rows = rows_by_sheet.get(sheet["id"], [])
        ids = [i for i in found["lead_ids"] if i]
        if len(found["lead_ids"]) != sheet["leads_before"] + len(rows):
            failures.append(
                f"{sheet['id']}: Leads has {len(found['lead_ids'])} rows, expected "
                f"{sheet['leads_before']} + {len(rows)}"
            )
        for row in rows:
            lead = found["lead_of_row"].get(str(row))
            if found["flags"].get(str(row)) != "✓" or not lead or ids.count(lead) != 1:
                failures.append(
                    f"{sheet['id']} row {row}: flag {found['flags'].get(str(row))!r}, "
                    f"lead {lead!r} found {ids.count(lead) if lead else 0} times"
                )
        changed = [
            r for r, flag in found["flags"].items()
            if int(r) not in rows and flag != sheet["flags_before"].get(r)
        ]  # fmt: skip
        if changed:
            failures.append(f"{sheet['id']}: rows not asked for changed flag: {changed[:10]}")
    return failures


def _print_table(f: dict[str, Any]) -> None:
    lat, thr = f["latency"], f["throughput"]
    print()
    print(
        f"leadsync serve benchmark (uvicorn on 127.0.0.1, local Sheets stand-in): "
        f"{f['requests']} converts over {f['sheets']} spreadsheets of {f['prospects']:,} prospects "
        f"and {f['leads']} leads; {f['machine']['cores']} cores, Python {f['machine']['python']}"
    )
    if lat["responded"]:
        print(f"{'+ to lead (s)':28}{'median':>10}{'p95':>10}{'min':>10}{'max':>10}")
        for label, key in (
            ("request -> response", "responded"),
            ("request -> confirmed", "confirmed"),
        ):
            s = lat[key]
            cells = "".join(f"{s[k]:>10.3f}" for k in ("median_s", "p95_s", "min_s", "max_s"))
            print(f"{label:28}{cells}")
        print(
            f"first request (cold): {lat['first_request_s']:.3f} s; Sheets API requests per "
            f"convert: {lat['api_requests_per_convert']} ({lat['api_reads_per_convert']} reads, "
            f"{lat['api_writes_per_convert']} writes)"
        )
        met = "met" if f["latency_target_met"] else "NOT met"
        print(f"target: median under {f['target_median_s']:.0f} s: {met}")
    print(f"{'throughput':28}{'req/s':>10}{'requests':>10}{'serve CPU':>11}{'ms CPU/req':>11}")
    for label, key in (("GET /healthz (200)", "healthz"), ("bad signature (401)", "rejected")):
        t = thr[key]
        print(
            f"{label:28}{t['rps']:>10,.0f}{t['requests']:>10,}{t['serve_cores_busy']:>10.2f}c"
            f"{t['serve_cpu_ms_per_request']:>11.3f}"
        )
    print(
        f"{f['threads']} client threads, {f['seconds']:g} s each; serve peak RSS "
        f"{f['serve_peak_rss_mib']} MiB"
    )
    if f["verified"]:
        print(f"verified: each of the {f['requests']} rows has exactly one lead")
    else:
        print("VERIFICATION FAILED: " + "; ".join(f["verify_failures"][:10]))


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=100, help="signed converts (100)")
    parser.add_argument("--prospects", type=int, default=1000, help="prospects per sheet (1000)")
    parser.add_argument("--leads", type=int, default=100, help="leads per tracker (100)")
    parser.add_argument("--seconds", type=float, default=10.0, help="per throughput run (10)")
    parser.add_argument("--threads", type=int, default=4, help="client threads (4)")
    parser.add_argument("--smoke", action="store_true", help="20 requests, 200 prospects, 2 s")
    parser.add_argument("--workdir", type=Path, help="keep the teams and logs here")
    parser.add_argument("--child", choices=["standin"], help=argparse.SUPPRESS)
    parser.add_argument("--sheets", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.smoke:
        args.requests, args.prospects, args.seconds = 20, 200, 2.0
    if args.requests < 1 or args.prospects < 10 or args.seconds <= 0 or args.threads < 1:
        parser.error("need --requests >= 1, --prospects >= 10, --seconds > 0, --threads >= 1")
    if not args.sheets:
        args.sheets = math.ceil(args.requests / RATE_BURST)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    if args.child:
        return _standin_child(args)
    keep = args.workdir is not None
    args.workdir = (
        args.workdir or Path(tempfile.mkdtemp(prefix="leadsync-bench-serve-"))
    ).resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    standin: StandInChild | None = None
    serve: subprocess.Popen[bytes] | None = None
    try:
        print(f"building {args.sheets} teams in {args.workdir} ...", flush=True)
        standin = StandInChild(args)
        sheets = standin.ready["sheets"]
        secrets_by_id = {s["id"]: secrets.token_urlsafe(32) for s in sheets}
        env = dict(os.environ, LEADSYNC_GOOGLE_API_ENDPOINT=standin.ready["url"])
        for index, sheet in enumerate(sheets):
            env[SECRET_ENV.format(index)] = secrets_by_id[sheet["id"]]
        port = _free_port()
        serve = _start_serve(
            _write_serve_toml(args.workdir, sheets), port, env, args.workdir / "serve.log"
        )
        print(
            f"leadsync serve on 127.0.0.1:{port} (pid {serve.pid}); {args.requests} converts ...",
            flush=True,
        )
        latency = _latency(port, sheets, secrets_by_id, standin, args.requests)
        api = standin.ask(op="log")
        print(f"throughput: {args.threads} threads x {args.seconds:g} s, twice ...", flush=True)
        healthz = _throughput(port, args.threads, args.seconds, _healthz, 200, serve.pid)
        rejected = _throughput(
            port, args.threads, args.seconds, _bad_signature(sheets[0]["id"]), 401, serve.pid
        )
        peak = _rss_mib(serve.pid)
        final = standin.ask(op="final")
    finally:
        if serve is not None:
            serve.terminate()
            try:
                serve.wait(timeout=15)
            except subprocess.TimeoutExpired:
                serve.kill()
        if standin is not None:
            standin.close()
        if not keep:
            shutil.rmtree(args.workdir, ignore_errors=True)
    failures = latency["failures"] + _verify(sheets, final, latency["converted"])
    done = len(latency["responded"]) or 1
    latency_figures: dict[str, Any] = {
        "measured": len(latency["responded"]),
        "statuses": latency["statuses"],
        "responded": _summary(latency["responded"]) if latency["responded"] else {},
        "confirmed": _summary(latency["confirmed"]) if latency["confirmed"] else {},
        "first_request_s": round(latency["responded"][0], 4) if latency["responded"] else None,
        "api_requests_per_convert": round(api["requests"] / done, 2),
        "api_reads_per_convert": round(api["reads"] / done, 2),
        "api_writes_per_convert": round(api["writes"] / done, 2),
    }
    met = bool(latency["responded"]) and statistics.median(latency["responded"]) < TARGET_MEDIAN_S
    figures = {
        "requests": args.requests,
        "prospects": args.prospects,
        "leads": args.leads,
        "sheets": args.sheets,
        "rate_limit": {
            "burst": RATE_BURST,
            "every_s": RATE_EVERY,
            "max_per_sheet": math.ceil(args.requests / args.sheets),
        },
        "seconds": args.seconds,
        "threads": args.threads,
        "latency": latency_figures,
        "target_median_s": TARGET_MEDIAN_S,
        "latency_target_met": met,
        "throughput": {"healthz": healthz, "rejected": rejected},
        "serve_peak_rss_mib": peak,
        "verified": not failures,
        "verify_failures": failures,
        "machine": machine(),
    }
    _print_table(figures)
    print(json.dumps(figures))
    return 0 if figures["verified"] else 1


if __name__ == "__main__":
    sys.exit(main())
