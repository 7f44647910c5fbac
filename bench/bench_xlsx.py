"""How much one leadsync pass costs next to openpyxl loading and saving the same two workbooks.

    .venv/bin/python bench/bench_xlsx.py [--prospects 50000] [--flags 500] [--leads 5000]
                                         [--repeat 1] [--workdir DIR]

Generates a prospecting file and a tracker (seeded, so every run sees the same data), then times
the baseline and one engine pass, each in a fresh child process. The last line printed is one
JSON object with every figure. Exit status 1 means the engine pass did not create exactly
--flags leads (or the saved files do not show them), so its time would not describe a real pass.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from team_data import (
    DEFAULT_OWNER,
    NOW,
    PROSPECTS_FILE,
    TIME_ZONE,
    add_size_arguments,
    generate,
)

if TYPE_CHECKING:
    from sync.headers import TabKind
    from sync.plan import Counts

# The pass reads the tabs with the fast reader and saves by patching (sync/xlsx_patch.py);
# openpyxl's own load and save of the same two files is the yardstick.
TARGET_WALL_RATIO = 0.25
TARGET_MEMORY_RATIO = 0.25

TRACKER_FILE = "leads.xlsx"
MANIFEST_FILE = "manifest.json"


# ---- data generation (runs in its own child so the parent stays small; see _peak_kib) -------


def _generate(workdir: Path, prospects: int, flags: int, leads: int) -> dict[str, Any]:
    import openpyxl

    from sync.headers import TabKind
    from sync.templates import CLIENTS_TAB, build_prospecting_workbook, build_tracker_workbook

    team = generate(prospects, flags, leads)
    prospect_path, tracker_path = workdir / PROSPECTS_FILE, workdir / TRACKER_FILE

    started = time.perf_counter()
    build_prospecting_workbook(prospect_path, team.prospects)
    prospecting_seconds = time.perf_counter() - started
    build_tracker_workbook(tracker_path, team.leads)
    # The template builder leaves Clients empty; reopening to fill it costs generation time only.
    book = openpyxl.load_workbook(tracker_path)
    clients = book[CLIENTS_TAB]
    columns = _columns(clients, TabKind.CLIENTS)
    for offset, folder in enumerate(team.folders, start=2):
        for key, value in folder.items():
            clients.cell(offset, columns[key], value)
    book.save(tracker_path)
    return {
        "prospects": prospects,
        "flags": flags,
        "leads": leads,
        "linked_prospects": team.linked_prospects,
        "folders": len(team.folders),
        "prospecting_build_s": round(prospecting_seconds, 2),
    }


def _columns(sheet: Any, kind: TabKind) -> dict[str, int]:
    """Field key -> 1-based column, read from the header row, not assumed from the template."""
    from sync.headers import alias_table, match_headers

    header = next(sheet.iter_rows(max_row=1, values_only=True))
    return {key: index + 1 for key, index in match_headers(header, alias_table(kind)).items()}


def _column_values(path: Path, tab: str, kind: TabKind, key: str) -> list[object]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        sheet = book[tab]
        column = _columns(sheet, kind)[key]
        cells = sheet.iter_rows(min_row=2, min_col=column, max_col=column, values_only=True)
        return [row[0] for row in cells]
    finally:
        book.close()


# ---- the two measured children ----------------------------------------------------------


def _peak_kib() -> int:
    # On Linux a child's ru_maxrss starts at the parent's high-water mark (exec carries it
    # over), which is why the parent never loads a workbook itself.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # macOS reports bytes


def _baseline(workdir: Path, rundir: Path) -> dict[str, Any]:
    import openpyxl

    sources = [workdir / TRACKER_FILE, workdir / PROSPECTS_FILE]
    started = time.perf_counter()
    # Both books stay open together, as in a pass, so the memory figures compare like with like.
    books = [openpyxl.load_workbook(path) for path in sources]
    for path, book in zip(sources, books, strict=True):
        book.save(rundir / path.name)
    wall = time.perf_counter() - started
    return {"wall_s": wall, "peak_kib": _peak_kib(), "openpyxl": openpyxl.__version__}


def _engine(workdir: Path, rundir: Path) -> dict[str, Any]:
    import sync
    from sync.config import parse_config

    for name in (TRACKER_FILE, PROSPECTS_FILE):
        shutil.copyfile(workdir / name, rundir / name)
    config = parse_config(
        {
            "time_zone": TIME_ZONE,
            "default_owner": DEFAULT_OWNER,
            "tracker": {"path": TRACKER_FILE},
            "prospecting": [{"path": PROSPECTS_FILE}],
        },
        rundir,
    )
    started = time.perf_counter()
    report = sync.run(config, now=NOW)
    wall = time.perf_counter() - started
    peak = _peak_kib()  # before the check below, which loads the books again
    counts = report.plan.counts
    return {
        "wall_s": wall,
        "peak_kib": peak,
        "counts": vars(counts),
        "problems": len(report.plan.problems),
        "on_disk": _check_on_disk(
            rundir, json.loads((workdir / MANIFEST_FILE).read_text(encoding="utf-8")), counts
        ),
    }


def _check_on_disk(rundir: Path, manifest: dict[str, Any], counts: Counts) -> list[str]:
    """What the saved files show, so a pass that planned but did not write is not counted."""
    from sync.headers import TabKind
    from sync.templates import LEADS_TAB, PROSPECTS_TAB

    failures = []
    ids = _column_values(rundir / TRACKER_FILE, LEADS_TAB, TabKind.LEADS, "lead_id")
    found = sum(1 for value in ids if value)
    expected = manifest["leads"] + counts.leads_created + counts.renewals_created
    if found != expected:
        failures.append(f"Leads tab has {found} lead IDs, expected {expected}")
    flags = _column_values(rundir / PROSPECTS_FILE, PROSPECTS_TAB, TabKind.PROSPECTS, "flag")
    if flags.count("+"):
        failures.append(f"{flags.count('+')} prospect rows still carry +")
    ticked = manifest["linked_prospects"] + manifest["flags"]
    if flags.count("✓") != ticked:
        failures.append(f"{flags.count('✓')} prospect rows carry ✓, expected {ticked}")
    return failures


# ---- parent -----------------------------------------------------------------------------


def _spawn(
    role: str, workdir: Path, args: argparse.Namespace, rundir: Path | None = None
) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        role,
        "--workdir",
        str(workdir),
        "--prospects",
        str(args.prospects),
        "--flags",
        str(args.flags),
        "--leads",
        str(args.leads),
    ]
    if rundir is not None:
        command += ["--rundir", str(rundir)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"the {role} child failed with exit code {done.returncode}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _measure(role: str, workdir: Path, args: argparse.Namespace, index: int) -> dict[str, Any]:
    rundir = workdir / f"run-{role}-{index}"
    shutil.rmtree(rundir, ignore_errors=True)
    rundir.mkdir()
    try:
        return _spawn(role, workdir, args, rundir)
    finally:
        shutil.rmtree(rundir, ignore_errors=True)


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("inf")


def _report(
    args: argparse.Namespace, baseline: list[dict[str, Any]], engine: list[dict[str, Any]]
) -> dict[str, Any]:
    base_wall = statistics.median(r["wall_s"] for r in baseline)
    engine_wall = statistics.median(r["wall_s"] for r in engine)
    base_mib = statistics.median(r["peak_kib"] for r in baseline) / 1024
    engine_mib = statistics.median(r["peak_kib"] for r in engine) / 1024
    rows = args.prospects + args.leads
    created = [r["counts"]["leads_created"] for r in engine]
    failures = sorted({f for r in engine for f in r["on_disk"]})
    return {
        "prospects": args.prospects,
        "flags": args.flags,
        "leads": args.leads,
        "repeat": args.repeat,
        "baseline_wall_s": round(base_wall, 3),
        "engine_wall_s": round(engine_wall, 3),
        "wall_ratio": round(_ratio(engine_wall, base_wall), 3),
        "baseline_peak_mib": round(base_mib, 1),
        "engine_peak_mib": round(engine_mib, 1),
        "memory_ratio": round(_ratio(engine_mib, base_mib), 3),
        "baseline_rows_per_s": round(_ratio(rows, base_wall)),
        "engine_rows_per_s": round(_ratio(rows, engine_wall)),
        # One int even with --repeat: the first run that missed, else the count every run made.
        "leads_created": next((c for c in created if c != args.flags), created[0]),
        "engine_counts": engine[0]["counts"],
        "engine_problems": engine[0]["problems"],
        "verified": all(c == args.flags for c in created) and not failures,
        "verify_failures": failures,
        # A child's peak cannot read below this floor (see _peak_kib); shown so that can be seen.
        "harness_peak_mib": round(_peak_kib() / 1024, 1),
        "python": platform.python_version(),
        "openpyxl": baseline[0]["openpyxl"],
        "target_wall_ratio": TARGET_WALL_RATIO,
        "wall_target_met": _ratio(engine_wall, base_wall) <= TARGET_WALL_RATIO,
        "target_memory_ratio": TARGET_MEMORY_RATIO,
        "memory_target_met": _ratio(engine_mib, base_mib) <= TARGET_MEMORY_RATIO,
    }


def _print_table(figures: dict[str, Any]) -> None:
    f = figures
    print()
    print(
        f"leadsync xlsx benchmark: {f['prospects']:,} prospects ({f['flags']:,} flagged +), "
        f"{f['leads']:,} leads; median of {f['repeat']} run(s); "
        f"Python {f['python']}, openpyxl {f['openpyxl']}"
    )
    print(f"{'':24}{'baseline':>12}{'engine':>12}{'ratio':>10}")
    print(
        f"{'wall time (s)':24}{f['baseline_wall_s']:>12.2f}{f['engine_wall_s']:>12.2f}"
        f"{f['wall_ratio']:>9.2f}x"
    )
    print(
        f"{'peak memory (MiB)':24}{f['baseline_peak_mib']:>12.1f}{f['engine_peak_mib']:>12.1f}"
        f"{f['memory_ratio']:>9.2f}x"
    )
    print(f"{'rows/s (both files)':24}{f['baseline_rows_per_s']:>12,}{f['engine_rows_per_s']:>12,}")
    if min(f["baseline_peak_mib"], f["engine_peak_mib"]) <= f["harness_peak_mib"]:
        print(f"warning: a peak is at the harness's own {f['harness_peak_mib']} MiB floor")
    met = "met" if f["wall_target_met"] else "NOT met"
    print(f"wall-time target engine/baseline <= {f['target_wall_ratio']}: {met}")
    met = "met" if f["memory_target_met"] else "NOT met"
    print(f"peak-memory target engine/baseline <= {f['target_memory_ratio']}: {met}")
    counts = ", ".join(f"{k} {v}" for k, v in f["engine_counts"].items())
    print(f"engine pass: {counts}; problems {f['engine_problems']}")
    if f["verified"]:
        print(f"verified: {f['flags']:,} leads created and written to disk")
    else:
        reasons = list(f["verify_failures"])
        if f["leads_created"] != f["flags"]:
            reasons.insert(0, f"leads_created {f['leads_created']} != flags {f['flags']}")
        print("VERIFICATION FAILED: " + "; ".join(reasons))


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_size_arguments(parser)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; medians reported")
    parser.add_argument("--workdir", type=Path, help="keep the generated workbooks here")
    parser.add_argument(
        "--child", choices=("generate", "baseline", "engine"), help=argparse.SUPPRESS
    )
    parser.add_argument("--rundir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 0 < args.flags <= args.prospects or args.leads < 0 or args.repeat < 1:
        parser.error("need 0 < --flags <= --prospects, --leads >= 0 and --repeat >= 1")
    return args


def _child(args: argparse.Namespace) -> int:
    if args.child == "generate":
        result = _generate(args.workdir, args.prospects, args.flags, args.leads)
        (args.workdir / MANIFEST_FILE).write_text(json.dumps(result), encoding="utf-8")
    elif args.child == "baseline":
        result = _baseline(args.workdir, args.rundir)
    else:
        result = _engine(args.workdir, args.rundir)
    print(json.dumps(result, default=str))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    if args.child:
        return _child(args)
    keep = args.workdir is not None
    workdir: Path = args.workdir or Path(tempfile.mkdtemp(prefix="leadsync-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        print(f"generating workbooks in {workdir} ...", flush=True)
        made = _spawn("generate", workdir, args)
        print(
            f"  {made['linked_prospects']:,} prospect rows already ticked, {made['folders']:,} "
            f"client folders; prospecting file built in {made['prospecting_build_s']} s",
            flush=True,
        )
        baseline: list[dict[str, Any]] = []
        engine: list[dict[str, Any]] = []
        for index in range(1, args.repeat + 1):
            # Interleaved, so drift in the machine's load touches both sides alike.
            baseline.append(_measure("baseline", workdir, args, index))
            engine.append(_measure("engine", workdir, args, index))
            print(
                f"run {index}: baseline {baseline[-1]['wall_s']:.2f} s, "
                f"engine {engine[-1]['wall_s']:.2f} s",
                flush=True,
            )
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    figures = _report(args, baseline, engine)
    _print_table(figures)
    print(json.dumps(figures))
    return 0 if figures["verified"] else 1


if __name__ == "__main__":
    sys.exit(main())
