"""What one leadsync pass on Google Sheets costs, through the local Sheets API stand-in.

    .venv/bin/python bench/bench_google.py [--prospects 50000] [--flags 500] [--leads 5000]
                                           [--repeat 1] [--naive-repeat 1] [--warmup 1]

Puts the seeded team of bench_xlsx (team_data.py) into one spreadsheet with three tabs on the
stand-in, which answers real HTTP on loopback from a process of its own (standin_process.py
says why). Then a busy pass
(it creates --flags leads) and an idle pass right after (nothing left to do). For each pass:
requests, bytes, wall time, and the engine's CPU time next to the CPU time json.loads needs
for exactly the responses that pass received. Then, on a fresh copy, a naive gspread loop that
makes the same leads one call per change, for comparison. --repeat counts the engine's runs
(a busy and an idle pass each) and --naive-repeat the naive loop's: the loop takes minutes and
its figures (requests, bytes, wall time) barely move, while the CPU ratio moves by a fifth from
one run to the next on a shared machine and wants more runs. --warmup engine runs (busy and idle
on their own fresh copy) come first and are not counted in the medians: the first pass in a
process also pays the kernel for every page of memory the process touches for the first time,
which the decode baseline, measured after it, would not; their figures are printed and kept
in the JSON under "warmup". The last line printed is one JSON object with every figure. Exit
status 1 means a pass or the loop did not do the work described (see _verify_busy,
_verify_naive), so its figures would not describe it.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# The stand-in and the helpers that point the engine at it live with the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import gspread
import requests
from google.auth.credentials import Credentials
from google.auth.transport.requests import Request
from google_team import ROBOT, GoogleTeam, grid, service_account_key
from gspread.utils import ValueInputOption
from sheets_standin.session import RedirectSession
from standin_process import StandInProcess
from team_data import DEFAULT_OWNER, NOW, TIME_ZONE, TeamData, add_size_arguments, generate

from sync import BUILD
from sync.config import CONFIG_FILE, Config, load_config
from sync.engine import run
from sync.google_auth import load_credentials, who
from sync.google_backend import GoogleBackend
from sync.google_client import ENDPOINT_ENV, SheetsClient
from sync.headers import TabKind

TARGET_CPU_RATIO = 1.5
RAW = ValueInputOption.raw  # the naive loop appends text as text, like the engine
# The stand-in's default quota is Google's 60 a minute; the bench measures cost, not waiting.
QUOTA_PER_MINUTE = 10**9
LOCALE = "it_IT"  # the team works in Rome, like TIME_ZONE
SPARE_ROWS = 1000  # empty rows under the data, as a sheet people work in has
# The decode baseline is timed this many times per pass and the median kept: one timing of
# json.loads over the same bytes varies by a fifth or more on a shared machine.
DECODE_SAMPLES = 3


@dataclass
class Traffic:
    requests: int  # Sheets and Drive API calls; token requests are not counted
    bytes_sent: int  # request bodies, as the stand-in logged them
    bytes_received: int  # response bodies, as the stand-in logged them
    wall_s: float


@dataclass
class PassFigures(Traffic):
    engine_cpu_s: float  # thread CPU of the thread that ran the pass
    engine_system_s: float  # the part of it spent in the kernel (mostly first-touch page faults)
    decode_cpu_s: float  # thread CPU of json.loads over the same response bodies
    cpu_ratio: float
    counts: dict[str, int] = field(default_factory=dict)
    problems: int = 0


@dataclass
class RunFigures:
    busy: PassFigures
    idle: PassFigures
    failures: list[str]


# ---- the team on the stand-in --------------------------------------------------------------


def _tabs(team: TeamData) -> dict[str, list[list[object]]]:
    return {
        "Prospects": grid(TabKind.PROSPECTS, team.prospects),
        "Leads": grid(TabKind.LEADS, team.leads),
        "Clients": grid(TabKind.CLIENTS, team.folders),
    }


def _spreadsheet(standin: StandInProcess, tabs: dict[str, list[list[object]]]) -> str:
    rows = max(len(lines) for lines in tabs.values()) + SPARE_ROWS
    return standin.create_spreadsheet(
        "Sales", tabs, time_zone=TIME_ZONE, locale=LOCALE, shared_with=[ROBOT], rows=rows
    )


def _write_config(folder: Path, spreadsheet: str) -> Path:
    # json.dumps quotes strings the way TOML's basic strings want them.
    text = f"""\
time_zone = {json.dumps(TIME_ZONE)}
default_owner = {json.dumps(DEFAULT_OWNER)}

[tracker]
backend = "google"
spreadsheet = {json.dumps(spreadsheet)}

[[prospecting]]
spreadsheet = {json.dumps(spreadsheet)}
tabs = ["Prospects"]

[google]
credentials = "service-account.json"
"""
    path = folder / CONFIG_FILE
    path.write_text(text, encoding="utf-8")
    return path


def _signed_in(config: Config) -> Credentials:
    credentials = load_credentials(config.resolve_optional_credentials(), write=True)
    # Signed in before any clock starts: the token request and its RSA signature are the same
    # for any size of spreadsheet, and the figures are about what a pass costs on top of it.
    credentials.refresh(Request())  # type: ignore[no-untyped-call]
    return credentials


@contextmanager
def _frozen_heap() -> Iterator[None]:
    """Keep the garbage collector off the generated team and the benchmark's own objects.

    A real pass runs in a process that holds neither, so its collections would not walk
    them, and nor should these.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


# ---- measuring -------------------------------------------------------------------------------


class _Bodies:
    """A requests response hook keeping every body the session receives (the naive loop's
    answers are counted with it, so the stand-in's log can be waited for)."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def __call__(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        self.bodies.append(response.content)


def _traffic(standin: StandInProcess, responses: int, wall: float) -> Traffic:
    # The server logs a call after sending its answer, so the last entry can trail the client.
    deadline = time.monotonic() + 5
    while standin.log_length() < responses and time.monotonic() < deadline:
        time.sleep(0.001)
    calls = list(standin.log)
    return Traffic(
        requests=len(calls),
        bytes_sent=sum(c.request_bytes for c in calls),
        bytes_received=sum(c.response_bytes for c in calls),
        wall_s=wall,
    )


def _decode_once(bodies: Sequence[bytes]) -> float:
    started = time.thread_time()
    for body in bodies:
        json.loads(body)
    return time.thread_time() - started


def _decode_cpu(bodies: Sequence[bytes]) -> float:
    # Decoding alone: the engine pauses the cyclic collector during a pass (sync/collector.py),
    # so the baseline does not pay for collections either.
    gc.disable()
    try:
        return statistics.median(_decode_once(bodies) for _ in range(DECODE_SAMPLES))
    finally:
        gc.enable()


def _system_cpu() -> float:
    """Kernel CPU time of this thread so far (Linux); 0 where the platform cannot tell."""
    who = getattr(resource, "RUSAGE_THREAD", None)
    return resource.getrusage(who).ru_stime if who is not None else 0.0


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("inf")


def _measure_pass(standin: StandInProcess, config: Config, client: SheetsClient) -> PassFigures:
    standin.clear_log()
    wall_started, cpu_started, system_started = (
        time.perf_counter(),
        time.thread_time(),
        _system_cpu(),
    )
    report = run(config, now=NOW, backend=GoogleBackend(config, client=client))
    cpu = time.thread_time() - cpu_started
    system = _system_cpu() - system_started
    wall = time.perf_counter() - wall_started
    # The bodies as the stand-in sent them: taking them on the client's side would cost the
    # pass's thread CPU the engine itself does not spend, or change how it reads them.
    # The stand-in logs a call before answering it, so every answer the pass had is here.
    calls = list(standin.log)
    decode = _decode_cpu([c.response_body for c in calls if c.response_body])
    traffic = _traffic(standin, len(calls), wall)
    return PassFigures(
        **asdict(traffic),
        engine_cpu_s=cpu,
        engine_system_s=system,
        decode_cpu_s=decode,
        cpu_ratio=_ratio(cpu, decode),
        counts=dict(vars(report.plan.counts)),
        problems=len(report.plan.problems),
    )


Measure = Callable[[StandInProcess, Config, SheetsClient], PassFigures]


def _engine_passes(
    team: TeamData,
    tabs: dict[str, list[list[object]]],
    folder: Path,
    measure: Measure | None = None,
) -> tuple[PassFigures, PassFigures, list[str]]:
    """A busy pass then an idle pass on a fresh copy of the team, each taken by `measure`
    (bench_google_instructions.py counts instead of timing); _measure_pass by default."""
    measure = measure or _measure_pass
    with StandInProcess(quota_per_minute=QUOTA_PER_MINUTE, keep_bodies=True) as standin:
        key = service_account_key(standin, folder)
        os.environ[ENDPOINT_ENV] = standin.url
        spreadsheet = _spreadsheet(standin, tabs)
        config = load_config(_write_config(folder, spreadsheet))
        credentials = _signed_in(config)
        client = SheetsClient(credentials, who(credentials))
        with _frozen_heap():
            busy = measure(standin, config, client)
            on_sheet = GoogleTeam(standin, folder, spreadsheet, spreadsheet, key)
            failures = _verify_busy(team, busy, on_sheet)
            idle = measure(standin, config, client)
        if any(idle.counts.values()):
            failures.append(f"the idle pass changed something: {idle.counts}")
        return busy, idle, failures


# ---- the naive loop ----------------------------------------------------------------------------


def _naive_lead(header: list[str], prospect: dict[str, str], lead_id: str) -> list[str]:
    """The lead a hand-written script would append: same-named cells, plus the obvious ones."""
    lead = {name: prospect.get(name, "") for name in header}
    lead.update(
        {
            "Lead ID": lead_id,
            "Created": NOW.strftime("%Y-%m-%d %H:%M"),
            "Owner": prospect.get("Assign to") or DEFAULT_OWNER,
            "Status": "To-do",
            "Source": "Prospects",
        }
    )
    return [lead[name] for name in header]


def _naive_loop(client: gspread.Client, spreadsheet: str) -> int:
    """One gspread call per change, as a first script against the Sheets API would be."""
    book = client.open_by_key(spreadsheet)
    prospects, leads = book.worksheet("Prospects"), book.worksheet("Leads")
    rows = prospects.get_all_values()
    header = rows[0]
    flag, lead = header.index("Flag") + 1, header.index("Lead") + 1
    lead_header = leads.row_values(1)
    ids = [str(v) for v in leads.col_values(lead_header.index("Lead ID") + 1)[1:] if v]
    number = max((int(i[2:]) for i in ids if i.startswith("L-")), default=0)
    made = 0
    for row_number, row in enumerate(rows[1:], start=2):
        if row[flag - 1] != "+" or row[lead - 1]:
            continue
        number += 1
        lead_id = f"L-{number:04d}"
        prospect = dict(zip(header, row, strict=False))
        leads.append_row(_naive_lead(lead_header, prospect, lead_id), value_input_option=RAW)
        prospects.update_cell(row_number, flag, "✓")
        prospects.update_cell(row_number, lead, lead_id)
        made += 1
    return made


def _naive_figures(
    team: TeamData, tabs: dict[str, list[list[object]]], folder: Path
) -> tuple[Traffic, list[str]]:
    with StandInProcess(quota_per_minute=QUOTA_PER_MINUTE) as standin:
        key = service_account_key(standin, folder)
        spreadsheet = _spreadsheet(standin, tabs)
        config = load_config(_write_config(folder, spreadsheet))
        session = RedirectSession(standin.url, token=_signed_in(config).token)
        captured = _Bodies()  # only counted, so the log can be waited for
        session.hooks["response"].append(captured)
        client = gspread.Client(auth=None, session=session)  # type: ignore[arg-type]
        with _frozen_heap():
            standin.clear_log()
            started = time.perf_counter()
            made = _naive_loop(client, spreadsheet)
            traffic = _traffic(standin, len(captured.bodies), time.perf_counter() - started)
            on_sheet = GoogleTeam(standin, folder, spreadsheet, spreadsheet, key)
            failures = _verify_naive(team, made, on_sheet)
        return traffic, failures


# ---- checks ------------------------------------------------------------------------------------


def _verify_busy(team: TeamData, busy: PassFigures, on_sheet: GoogleTeam) -> list[str]:
    """What the spreadsheet shows, so a pass that planned but did not write is not counted."""
    flags = sum(1 for row in team.prospects if row.get("flag") == "+")
    failures = []
    created, renewals = busy.counts["leads_created"], busy.counts["renewals_created"]
    if created != flags:
        failures.append(f"the busy pass created {created} leads, expected {flags}")
    ids = [r for r in on_sheet.records("Leads") if r.get("lead_id")]
    if len(ids) != len(team.leads) + flags + renewals:
        failures.append(
            f"Leads tab has {len(ids)} lead IDs, expected {len(team.leads)} + {flags} new "
            f"+ {renewals} renewals"
        )
    marks = [r.get("flag") for r in on_sheet.records("Prospects")]
    if marks.count("+"):
        failures.append(f"{marks.count('+')} prospect rows still carry + after the busy pass")
    if marks.count("✓") != team.linked_prospects + flags:
        failures.append(
            f"{marks.count('✓')} prospect rows carry ✓, expected {team.linked_prospects + flags}"
        )
    return failures


def _verify_naive(team: TeamData, made: int, on_sheet: GoogleTeam) -> list[str]:
    flags = sum(1 for row in team.prospects if row.get("flag") == "+")
    leads = len(on_sheet.records("Leads"))
    if made == flags and leads == len(team.leads) + flags:
        return []
    return [f"the naive loop made {made} leads and left {leads} rows in Leads; expected {flags}"]


# ---- report ------------------------------------------------------------------------------------


def _median_count(values: Iterable[int]) -> int:
    # Counts are the same in every run unless something went wrong; keep them whole numbers.
    return round(statistics.median(values))


def _median_traffic(runs: Sequence[Traffic]) -> dict[str, Any]:
    return {
        "requests": _median_count(r.requests for r in runs),
        "bytes_sent": _median_count(r.bytes_sent for r in runs),
        "bytes_received": _median_count(r.bytes_received for r in runs),
        "wall_s": round(statistics.median(r.wall_s for r in runs), 3),
    }


def _median_pass(runs: Sequence[PassFigures]) -> dict[str, Any]:
    engine = statistics.median(r.engine_cpu_s for r in runs)
    system = statistics.median(r.engine_system_s for r in runs)
    decode = statistics.median(r.decode_cpu_s for r in runs)
    ratios = [r.cpu_ratio for r in runs]
    return {
        **_median_traffic(runs),
        "engine_cpu_s": round(engine, 4),
        "engine_system_s": round(system, 4),
        "decode_cpu_s": round(decode, 4),
        # Median of the per-run ratios: each ratio pairs a pass with its own responses.
        "cpu_ratio": round(statistics.median(ratios), 3),
        "cpu_target_met": statistics.median(ratios) <= TARGET_CPU_RATIO,
        # Every run's ratio, in run order: how far one run is from the next says how much
        # the median can be trusted.
        "cpu_ratios": [round(r, 3) for r in ratios],
        "runs_at_target": sum(r <= TARGET_CPU_RATIO for r in ratios),
        "counts": runs[0].counts,
        "problems": runs[0].problems,
    }


def _machine() -> dict[str, Any]:
    model = platform.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():  # Linux leaves platform.processor() empty or as the architecture
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "system": f"{platform.system()} {platform.release()}",
        "arch": platform.machine(),
        "cpu": model,
        "cpus": os.cpu_count(),
    }


def _warmup_figures(warmups: Sequence[tuple[PassFigures, PassFigures]]) -> list[dict[str, Any]]:
    keep = ("engine_cpu_s", "engine_system_s", "decode_cpu_s", "cpu_ratio")
    return [
        {
            kind: {k: round(getattr(figures, k), 4) for k in keep}
            for kind, figures in zip(("busy", "idle"), pair, strict=True)
        }
        for pair in warmups
    ]


def _report(
    args: argparse.Namespace,
    runs: Sequence[RunFigures],
    naives: Sequence[Traffic],
    warmups: Sequence[tuple[PassFigures, PassFigures]],
    other_failures: Sequence[str],
) -> dict[str, Any]:
    busy = _median_pass([r.busy for r in runs])
    idle = _median_pass([r.idle for r in runs])
    naive = _median_traffic(naives)
    failures = sorted({f for r in runs for f in r.failures} | set(other_failures))
    engine_bytes = busy["bytes_sent"] + busy["bytes_received"]
    return {
        "prospects": args.prospects,
        "flags": args.flags,
        "leads": args.leads,
        "repeat": args.repeat,
        "naive_repeat": args.naive_repeat,
        "warmup": _warmup_figures(warmups),
        "busy": busy,
        "idle": idle,
        "naive": naive,
        # The naive loop against the busy pass: it only makes the leads, the pass also moves
        # due leads, files folders and makes renewals, so these ratios flatter the loop.
        "naive_vs_busy": {
            "requests_ratio": round(_ratio(naive["requests"], busy["requests"]), 1),
            "bytes_ratio": round(
                _ratio(naive["bytes_sent"] + naive["bytes_received"], engine_bytes), 2
            ),
            "wall_ratio": round(_ratio(naive["wall_s"], busy["wall_s"]), 2),
        },
        "target_cpu_ratio": TARGET_CPU_RATIO,
        "cpu_target_met": busy["cpu_target_met"] and idle["cpu_target_met"],
        "verified": not failures,
        "verify_failures": failures,
        "python": platform.python_version(),
        # compiled (mypyc), pure (Python source) or stale: see sync/native.py
        "engine_build": BUILD,
        "gspread": gspread.__version__,
        "machine": _machine(),
    }


def _print_row(label: str, cells: Sequence[str]) -> None:
    print(f"{label:24}" + "".join(f"{cell:>14}" for cell in cells))


def _print_table(f: dict[str, Any]) -> None:
    busy, idle, naive = f["busy"], f["idle"], f["naive"]
    print()
    print(
        f"leadsync Google Sheets benchmark (local stand-in): {f['prospects']:,} prospects "
        f"({f['flags']:,} flagged +), {f['leads']:,} leads; engine: median of {f['repeat']} "
        f"run(s) after {len(f['warmup'])} warm-up run(s); naive loop: median of "
        f"{f['naive_repeat']} run(s); "
        f"Python {f['python']}, gspread {f['gspread']}, engine {f['engine_build']}"
    )
    print(f"{'':24}{'busy pass':>14}{'idle pass':>14}{'naive loop':>14}")
    every = (busy, idle, naive)
    _print_row("requests", [f"{p['requests']:,}" for p in every])
    _print_row("bytes sent", [f"{p['bytes_sent']:,}" for p in every])
    _print_row("bytes received", [f"{p['bytes_received']:,}" for p in every])
    _print_row("wall time (s)", [f"{p['wall_s']:.3f}" for p in every])
    _print_row("engine CPU (s)", [f"{p['engine_cpu_s']:.3f}" for p in (busy, idle)])
    _print_row("  of it system (s)", [f"{p['engine_system_s']:.3f}" for p in (busy, idle)])
    _print_row("json decode CPU (s)", [f"{p['decode_cpu_s']:.3f}" for p in (busy, idle)])
    _print_row("CPU ratio", [f"{p['cpu_ratio']:.2f}x" for p in (busy, idle)])
    _print_row(
        "  lowest - highest run",
        [f"{min(p['cpu_ratios']):.2f}-{max(p['cpu_ratios']):.2f}" for p in (busy, idle)],
    )
    _print_row(
        f"  runs <= {f['target_cpu_ratio']}",
        [f"{p['runs_at_target']} of {len(p['cpu_ratios'])}" for p in (busy, idle)],
    )
    met = "met" if f["cpu_target_met"] else "NOT met"
    print(f"CPU target engine/decode <= {f['target_cpu_ratio']} on both passes: {met}")
    counts = ", ".join(f"{k} {v}" for k, v in busy["counts"].items())
    print(f"busy pass: {counts}; problems {busy['problems']}")
    if f["verified"]:
        print(f"verified: {f['flags']:,} leads in the spreadsheet, idle pass changed nothing")
    else:
        print("VERIFICATION FAILED: " + "; ".join(f["verify_failures"]))


# ---- main --------------------------------------------------------------------------------------


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_size_arguments(parser)
    parser.add_argument("--repeat", type=int, default=1, help="engine runs (busy + idle); medians")
    parser.add_argument(
        "--naive-repeat", type=int, default=1, help="runs of the naive loop; medians (1)"
    )
    parser.add_argument(
        "--warmup", type=int, default=1, help="engine runs first, not counted in the medians (1)"
    )
    args = parser.parse_args(argv)
    if not 0 < args.flags <= args.prospects or args.leads < 0 or args.repeat < 1:
        parser.error("need 0 < --flags <= --prospects, --leads >= 0 and --repeat >= 1")
    if args.naive_repeat < 1:
        parser.error("need --naive-repeat >= 1")
    if args.warmup < 0:
        parser.error("need --warmup >= 0")
    return args


def _run_once(team: TeamData, tabs: dict[str, list[list[object]]]) -> RunFigures:
    with tempfile.TemporaryDirectory(prefix="leadsync-bench-google-") as folder:
        return RunFigures(*_engine_passes(team, tabs, Path(folder)))


def _naive_once(team: TeamData, tabs: dict[str, list[list[object]]]) -> tuple[Traffic, list[str]]:
    with tempfile.TemporaryDirectory(prefix="leadsync-bench-google-naive-") as folder:
        return _naive_figures(team, tabs, Path(folder))


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    print("generating the team ...", flush=True)
    team = generate(args.prospects, args.flags, args.leads)
    tabs = _tabs(team)
    warmups: list[tuple[PassFigures, PassFigures]] = []
    warmup_failures: list[str] = []
    for index in range(1, args.warmup + 1):
        with tempfile.TemporaryDirectory(prefix="leadsync-bench-google-") as folder:
            busy, idle, failures = _engine_passes(team, tabs, Path(folder))
        warmups.append((busy, idle))
        warmup_failures += failures
        print(
            f"warm-up {index} (not counted): busy CPU {busy.engine_cpu_s:.3f} s, of it system "
            f"{busy.engine_system_s:.3f} s (ratio {busy.cpu_ratio:.2f}); idle CPU "
            f"{idle.engine_cpu_s:.3f} s (ratio {idle.cpu_ratio:.2f})",
            flush=True,
        )
    runs: list[RunFigures] = []
    for index in range(1, args.repeat + 1):
        runs.append(_run_once(team, tabs))
        last = runs[-1]
        print(
            f"run {index}: busy {last.busy.requests} requests {last.busy.wall_s:.2f} s "
            f"(CPU ratio {last.busy.cpu_ratio:.2f}), idle {last.idle.requests} requests "
            f"{last.idle.wall_s:.2f} s (CPU ratio {last.idle.cpu_ratio:.2f})",
            flush=True,
        )
    naives: list[Traffic] = []
    naive_failures: list[str] = []
    for index in range(1, args.naive_repeat + 1):
        naive, failures = _naive_once(team, tabs)
        naives.append(naive)
        naive_failures += failures
        print(f"naive loop {index}: {naive.requests} requests {naive.wall_s:.2f} s", flush=True)
    figures = _report(args, runs, naives, warmups, warmup_failures + naive_failures)
    _print_table(figures)
    print(json.dumps(figures))
    return 0 if figures["verified"] else 1


if __name__ == "__main__":
    sys.exit(main())
