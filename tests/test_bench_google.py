"""bench/bench_google.py end to end at a small size: it must keep measuring what it says.

The figures themselves are not asserted (they are the benchmark's to report); what is: the
passes did the work they are timed for, the stand-in in its own process served them, and the
last line is the JSON other tools read.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_small_run_verifies_its_passes_and_ends_with_the_json() -> None:
    command = [
        sys.executable,
        str(ROOT / "bench" / "bench_google.py"),
        *("--prospects", "300", "--flags", "10", "--leads", "30"),
        *("--repeat", "1", "--warmup", "1"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["verified"] is True
    assert figures["busy"]["requests"] == 3
    assert figures["idle"]["requests"] == 2
    assert figures["busy"]["counts"]["leads_created"] == 10
    assert not any(figures["idle"]["counts"].values())
    assert figures["naive"]["requests"] > figures["busy"]["requests"]
    assert len(figures["warmup"]) == 1
    assert figures["naive_repeat"] == 1
    for kind in ("busy", "idle"):
        assert len(figures[kind]["cpu_ratios"]) == 1
        assert figures[kind]["runs_at_target"] in (0, 1)
    for kind in ("busy", "idle"):
        assert figures[kind]["decode_cpu_s"] > 0
        assert 0 <= figures[kind]["engine_system_s"] <= figures[kind]["engine_cpu_s"]
