"""bench_google.py's CPU ratio counted in instructions, which barely move from run to run.

    .venv/bin/python bench/bench_google_instructions.py [--prospects 50000] [--flags 500]
                                                        [--leads 5000] [--warmup 1]

Thread CPU time on a shared machine moves by a third from one run to the next for the same
work, and it does so on both sides of bench_google.py's ratio (the engine's pass, and json.loads
over the answers that pass received), so a median of a few runs can land on either side of the
target. Instructions hardly move: two runs of the same code here differed by 0.05% on the
engine's side and 0.2% on json.loads'. This runs the same busy and idle passes, on the same
team, once under valgrind's callgrind (PYTHONHASHSEED=0), and counts the instructions of each
pass and of json.loads over exactly the answers that pass received, the same call
bench_google times.

Instructions are not time: an instruction of the engine's took longer on average than one of
json.loads in our runs (busy pass: time ratio 1.73 in bench_google's median, instruction
ratio 1.44, same code), so this does not replace bench_google's figures; it tells whether a
change made the engine do less, which a timing here cannot.

Needs valgrind (Debian: apt-get install valgrind). Takes 5 to 10 minutes at the default size.
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_google import (  # noqa: E402
    TARGET_CPU_RATIO,
    PassFigures,
    _decode_once,
    _engine_passes,
    _machine,
    _tabs,
    _traffic,
)
from standin_process import StandInProcess  # noqa: E402
from team_data import NOW, add_size_arguments, generate  # noqa: E402

from sync import BUILD  # noqa: E402
from sync.config import Config  # noqa: E402
from sync.engine import Report, run  # noqa: E402
from sync.google_backend import GoogleBackend  # noqa: E402
from sync.google_client import SheetsClient  # noqa: E402

# The order in which the counted parts are dumped: see _counted_pass.
PARTS = ("busy engine", "busy decode", "idle engine", "idle decode")
TRAMPOLINE = "functools_reduce"  # the C function callgrind toggles on; see _counted


def _counted(work: Callable[[], object]) -> None:
    """Run `work` where callgrind counts: only inside functools.reduce (--toggle-collect), with
    a part file written when it returns (--dump-after). Nothing a pass runs calls reduce, which
    _parts checks by the number of parts."""

    def step(_done: int, _next: int) -> int:
        work()
        return 0

    functools.reduce(step, (0, 1))


def _counted_pass(standin: StandInProcess, config: Config, client: SheetsClient) -> PassFigures:
    """bench_google._measure_pass with its two timings counted instead: the pass, as run()
    with the same arguments, then json.loads over the answers it received, collector off."""
    standin.clear_log()
    reports: list[Report] = []

    def one_pass() -> None:  # what _measure_pass times, the backend made inside it too
        reports.append(run(config, now=NOW, backend=GoogleBackend(config, client=client)))

    _counted(one_pass)
    calls = list(standin.log)
    bodies = [c.response_body for c in calls if c.response_body]
    gc.disable()
    try:
        _counted(lambda: _decode_once(bodies))
    finally:
        gc.enable()
    return PassFigures(
        **asdict(_traffic(standin, len(calls), 0.0)),
        engine_cpu_s=0.0,  # meaningless under valgrind: the counts are what this reports
        engine_system_s=0.0,
        decode_cpu_s=0.0,
        cpu_ratio=0.0,
        counts=dict(vars(reports[0].plan.counts)),
        problems=len(reports[0].plan.problems),
    )


def _child(args: argparse.Namespace) -> int:
    """The part that runs under valgrind: warm-up passes uncounted, then the counted ones."""
    team = generate(args.prospects, args.flags, args.leads)
    tabs = _tabs(team)
    failures: list[str] = []
    for _ in range(args.warmup):  # as bench_google: the first pass in a process is not counted
        with tempfile.TemporaryDirectory(prefix="leadsync-bench-google-") as folder:
            failures += _engine_passes(team, tabs, Path(folder))[2]
    with tempfile.TemporaryDirectory(prefix="leadsync-bench-google-") as folder:
        busy, idle, counted_failures = _engine_passes(team, tabs, Path(folder), _counted_pass)
    result = {
        "busy": _pass_json(busy),
        "idle": _pass_json(idle),
        "failures": failures + counted_failures,
    }
    Path(args.child).write_text(json.dumps(result), encoding="utf-8")
    return 0


def _pass_json(figures: PassFigures) -> dict[str, Any]:
    keep = ("requests", "bytes_sent", "bytes_received", "counts", "problems")
    return {key: getattr(figures, key) for key in keep}


def _parts(out: Path) -> list[int]:
    """Instructions in each part file callgrind dumped, in order."""
    totals = []
    for index in range(1, len(PARTS) + 2):
        part = out.with_name(f"{out.name}.{index}")
        if not part.exists():
            break
        found = re.search(r"^totals: (\d+)$", part.read_text(encoding="utf-8"), re.MULTILINE)
        if found is None:
            raise SystemExit(f"{part} has no totals line: is this callgrind's output?")
        totals.append(int(found.group(1)))
    if len(totals) != len(PARTS):
        raise SystemExit(
            f"callgrind wrote {len(totals)} counted parts, expected {len(PARTS)} "
            f"({', '.join(PARTS)}): something in a pass called {TRAMPOLINE} too"
        )
    return totals


def _under_callgrind(args: argparse.Namespace, valgrind: str, folder: Path) -> dict[str, Any]:
    out, child = folder / "callgrind.out", folder / "child.json"
    command = [
        valgrind,
        "--tool=callgrind",
        "--trace-children=no",  # the stand-in's process runs at full speed, uncounted
        "--collect-atstart=no",
        f"--toggle-collect={TRAMPOLINE}",
        f"--dump-after={TRAMPOLINE}",
        f"--callgrind-out-file={out}",
        sys.executable,
        __file__,
        *("--prospects", str(args.prospects), "--flags", str(args.flags)),
        *("--leads", str(args.leads), "--warmup", str(args.warmup)),
        *("--child", str(child)),
    ]
    # Set and string hashing order changes how dicts and sets are walked: fixed, so that two
    # runs of the same code count the same.
    environment = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, env=environment, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
        raise SystemExit(f"the run under callgrind failed ({done.returncode}):\n{tail}")
    result: dict[str, Any] = json.loads(child.read_text(encoding="utf-8"))
    result["parts"] = dict(zip(PARTS, _parts(out), strict=True))
    return result


def _report(args: argparse.Namespace, result: dict[str, Any]) -> dict[str, Any]:
    parts = result["parts"]
    figures: dict[str, Any] = {
        "setup": {
            "prospects": args.prospects,
            "flags": args.flags,
            "leads": args.leads,
            "warmup": args.warmup,
            "measure": "callgrind instructions (Ir), PYTHONHASHSEED=0",
            "engine_build": BUILD,  # compiled (mypyc), pure or stale: sync/native.py
        },
        "machine": _machine(),
        "target_ratio": TARGET_CPU_RATIO,
        "failures": result["failures"],
        "verified": not result["failures"],
    }
    for kind in ("busy", "idle"):
        engine, decode = parts[f"{kind} engine"], parts[f"{kind} decode"]
        figures[kind] = {
            **result[kind],
            "engine_instructions": engine,
            "decode_instructions": decode,
            "instruction_ratio": round(engine / decode, 3) if decode else None,
        }
    return figures


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_size_arguments(parser)
    parser.add_argument("--warmup", type=int, default=1, help="uncounted busy+idle runs first (1)")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # internal: the run under valgrind
    args = parser.parse_args(argv)
    if not 0 < args.flags <= args.prospects or args.leads < 0 or args.warmup < 0:
        parser.error("need 0 < --flags <= --prospects, --leads >= 0 and --warmup >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    if args.child:
        return _child(args)
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print(
            "valgrind is not installed: this benchmark counts instructions with its callgrind "
            "tool (Debian: apt-get install valgrind). bench_google.py times the same passes.",
            file=sys.stderr,
        )
        return 2
    print("running the passes under callgrind (5 to 10 minutes at the default size) ...")
    with tempfile.TemporaryDirectory(prefix="leadsync-bench-callgrind-") as folder:
        figures = _report(args, _under_callgrind(args, valgrind, Path(folder)))
    for kind in ("busy", "idle"):
        f = figures[kind]
        print(
            f"{kind}: {f['requests']} requests; engine {f['engine_instructions'] / 1e6:,.1f} M "
            f"instructions, json.loads of its answers {f['decode_instructions'] / 1e6:,.1f} M: "
            f"ratio {f['instruction_ratio']} (target <= {TARGET_CPU_RATIO})"
        )
    for failure in figures["failures"]:
        print(f"NOT VERIFIED: {failure}")
    print(json.dumps(figures))
    return 0 if figures["verified"] else 1


if __name__ == "__main__":
    sys.exit(main())
