"""The engine's hot modules run compiled (mypyc) when built from the sources in place, and as
those sources otherwise: never compiled code the tree no longer holds (sync/native.py)."""

from __future__ import annotations

import importlib
import importlib.machinery as machinery
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sync
from sync.native import COMPILED, PURE_VARIABLE

PACKAGE = Path(sync.__file__).parent
BUILT = any(PACKAGE.glob(f"{COMPILED[0]}.*{machinery.EXTENSION_SUFFIXES[-1]}"))
needs_build = pytest.mark.skipif(
    not BUILT, reason="no compiled modules in sync/ (python3 dev.py build makes them)"
)


def _is_compiled(module: str) -> bool:
    path = importlib.import_module(f"sync.{module}").__file__ or ""
    return path.endswith(tuple(machinery.EXTENSION_SUFFIXES))


def test_either_every_hot_module_runs_compiled_or_none_does() -> None:
    assert sync.BUILD in ("compiled", "pure", "stale")
    assert {m: _is_compiled(m) for m in COMPILED} == dict.fromkeys(
        COMPILED, sync.BUILD == "compiled"
    )


@pytest.mark.skipif(
    os.environ.get("LEADSYNC_EXPECT_COMPILED") != "1",
    reason="dev.py sets LEADSYNC_EXPECT_COMPILED=1 when it compiled the engine",
)
def test_where_dev_py_compiled_the_engine_the_tests_run_it_compiled() -> None:
    assert sync.BUILD == "compiled"
    assert all(_is_compiled(m) for m in COMPILED)


def _import_in(folder: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter's import of the package copied into `folder`."""
    code = "import sync, sync.planner; print(sync.BUILD, sync.planner.__file__)"
    return subprocess.run(
        [sys.executable, "-W", "always", "-c", code],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(folder), **environment},
        capture_output=True,
        text=True,
        check=True,
    )


@pytest.fixture
def copied(tmp_path: Path) -> Path:
    """The package, compiled modules and all, in a folder of its own."""
    shutil.copytree(PACKAGE, tmp_path / "sync", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


@needs_build
def test_a_copy_of_a_good_build_runs_compiled(copied: Path) -> None:
    if sync.BUILD != "compiled":
        pytest.skip(f"the build in place is {sync.BUILD}")
    ran = _import_in(copied, **{PURE_VARIABLE: ""})
    build, planner = ran.stdout.split()
    assert build == "compiled" and planner.startswith(str(copied))
    assert planner.endswith(tuple(machinery.EXTENSION_SUFFIXES))


@needs_build
def test_an_edited_source_runs_as_source_and_says_to_rebuild(copied: Path) -> None:
    source = copied / "sync" / "clientkey.py"
    source.write_text(source.read_text() + "\n# edited after the build\n")
    ran = _import_in(copied, **{PURE_VARIABLE: ""})
    build, planner = ran.stdout.split()
    assert build == "stale" and planner == str(copied / "sync" / "planner.py")
    assert "python3 dev.py build" in ran.stderr


@needs_build
def test_leadsync_pure_runs_the_sources_without_a_word(copied: Path) -> None:
    ran = _import_in(copied, **{PURE_VARIABLE: "1"})
    build, planner = ran.stdout.split()
    assert build == "pure" and planner == str(copied / "sync" / "planner.py")
    assert "RuntimeWarning" not in ran.stderr
