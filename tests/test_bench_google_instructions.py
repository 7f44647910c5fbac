"""bench/bench_google_instructions.py end to end at a small size, under real callgrind.

The counts themselves are the benchmark's to report; what is asserted: the passes did their
work, each of the four counted parts was found, and the last line is the JSON other tools read.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import bench_google_instructions as counted  # noqa: E402

VALGRIND = shutil.which("valgrind")


@pytest.mark.skipif(VALGRIND is None, reason="valgrind is not installed (dev.py test installs it)")
def test_small_run_counts_both_passes_and_ends_with_the_json() -> None:
    command = [
        sys.executable,
        str(ROOT / "bench" / "bench_google_instructions.py"),
        *("--prospects", "100", "--flags", "4", "--leads", "12", "--warmup", "0"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["verified"] is True
    assert figures["busy"]["requests"] == 3
    assert figures["idle"]["requests"] == 2
    assert figures["busy"]["counts"]["leads_created"] == 4
    assert not any(figures["idle"]["counts"].values())
    for kind in ("busy", "idle"):
        f = figures[kind]
        assert f["engine_instructions"] > 0 and f["decode_instructions"] > 0
        assert f["instruction_ratio"] == round(
            f["engine_instructions"] / f["decode_instructions"], 3
        )
    # The busy pass writes and reads back rows the idle pass does not touch.
    assert figures["busy"]["engine_instructions"] > figures["idle"]["engine_instructions"]


def test_a_missing_part_is_an_error_not_a_figure(tmp_path: Path) -> None:
    out = tmp_path / "callgrind.out"
    for index, total in enumerate((10, 20, 30), start=1):  # one part short of PARTS
        out.with_name(f"{out.name}.{index}").write_text(f"part: {index}\ntotals: {total}\n")
    with pytest.raises(SystemExit, match="wrote 3 counted parts, expected 4"):
        counted._parts(out)
    out.with_name(f"{out.name}.4").write_text("part: 4\ntotals: 40\n")
    assert counted._parts(out) == [10, 20, 30, 40]
