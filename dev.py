"""One entry point for a fresh machine: `python3 dev.py demo` or `python3 dev.py test`.

Only the standard library is used here, because this file runs before anything is installed.
It makes `.venv` beside it, installs leadsync with its test tools into it (again only when
pyproject.toml changed), compiles the engine's hot modules with mypyc (again only when their
sources changed; see sync/native.py), then runs the demo or the whole check suite inside it.
"""

from __future__ import annotations

import hashlib
import os
import runpy
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".leadsync-installed"
# The sources of the last compile tried, so that a machine that cannot compile (no C
# compiler) tries once per change of them, not on every run.
TRIED = VENV / ".leadsync-compile-tried"
# Tests run once more as Python source (LEADSYNC_PURE=1), as leadsync runs where it was not
# compiled: the engine's own tests, which cover what the compiled modules do.
PURE_TESTS = (
    "tests/test_planner.py",
    "tests/test_lead_cells.py",
    "tests/test_rules_followup.py",
    "tests/test_pipeline.py",
    "tests/test_google_sync.py",
    "tests/test_google_write_fragments.py",
    "tests/test_native.py",
)


def venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def ensure_environment() -> Path:
    # Runs under whatever python3 a newcomer has, so the check is not dead code here.
    if sys.version_info < (3, 11):  # noqa: UP036
        sys.exit(f"leadsync needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    python = venv_python()
    if not python.exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != wanted:
        print("Installing leadsync and its test tools into .venv ...", flush=True)
        pip = [str(python), "-m", "pip", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
        subprocess.run([*pip, "install", "-e", f"{ROOT}[dev]"], check=True)
        STAMP.write_text(wanted)
    return python


def ensure_compiled(python: str, force: bool = False) -> bool:
    """Compile the engine's hot modules in place when their sources changed; say whether the
    modules in place are compiled from the sources there."""
    # sync/native.py run by path: it needs only the standard library, as this file does.
    native = runpy.run_path(str(ROOT / "sync" / "native.py"))
    if native["current"]():
        return True
    wanted = native["digest"]()
    if not force and TRIED.exists() and TRIED.read_text() == wanted:
        return False
    print("Compiling the engine with mypyc (about a minute) ...", flush=True)
    build = [python, "setup.py", "-q", "build_ext", "--inplace"]
    subprocess.run(build, cwd=ROOT, stdout=subprocess.DEVNULL)
    TRIED.write_text(wanted)
    if native["current"]():
        return True
    print("The engine runs as Python source here (same results, more CPU): see above.")
    return False


def build_buttons_workbook(python: str) -> None:
    """templates/prospecting.xlsm, from the xlwings just installed (see templates/README.md).

    It embeds xlwings' own VBA, which is not ours to commit and must match the installed
    xlwings, so it is built here, beside the stored templates, and ignored by git.
    """
    target = ROOT / "templates" / "prospecting.xlsm"
    command = [python, "-m", "sync.xlsm_template", str(target), "--force"]
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


# What the tests need beyond Python: a command, the Debian package that has it, what it is for.
TEST_TOOLS = (
    ("soffice", "libreoffice-calc", "LibreOffice reads back the workbooks leadsync writes"),
    ("node", "nodejs", "Node runs the Apps Script add-in's tests"),
    ("valgrind", "valgrind", "callgrind counts the Google benchmark's instructions"),
)


def ensure_test_tools() -> None:
    """Install what the tests need, when this may install it (CI runs as root on Debian).

    A developer without root gets the affected tests skipped, each saying why.
    """
    missing = [(c, p, why) for c, p, why in TEST_TOOLS if not shutil.which(c)]
    if not missing or os.environ.get("LEADSYNC_NO_INSTALL"):
        return
    geteuid = getattr(os, "geteuid", None)
    if geteuid is None or geteuid() != 0 or not shutil.which("apt-get"):
        for command, _package, why in missing:
            print(f"{command} is not installed ({why}): those tests will be skipped.")
        return
    packages = [package for _command, package, _why in missing]
    print(f"Installing {', '.join(packages)} (Debian) for the tests ...", flush=True)
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
    ):
        subprocess.run(command, check=True, env=environment, stdout=subprocess.DEVNULL)


def run(argv: list[str], environment: dict[str, str] | None = None) -> int:
    print("$ " + " ".join(argv), flush=True)
    return subprocess.run(argv, cwd=ROOT, env=environment).returncode


USAGE = (
    "usage: python3 dev.py demo [DIR]   |   python3 dev.py test [pytest args]   |   "
    "python3 dev.py build"
)


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else "help"
    rest = sys.argv[2:]
    if command not in {"demo", "test", "build"}:
        print(USAGE)
        return 2
    python = str(ensure_environment())
    compiled = ensure_compiled(python, force=command == "build")
    if command == "build":
        return 0 if compiled else 1
    build_buttons_workbook(python)
    if command == "demo":
        return run([python, "-m", "sync", "demo", *rest])
    ensure_test_tools()
    # The tests check that the modules run compiled when they were (tests/test_native.py).
    environment = {**os.environ, "LEADSYNC_EXPECT_COMPILED": "1" if compiled else ""}
    checks = [
        [python, "-m", "ruff", "check", "."],
        [python, "-m", "ruff", "format", "--check", "."],
        [python, "-m", "mypy", "sync"],
        [python, "-m", "pytest", "-q", *rest],
    ]
    for check in checks:
        code = run(check, environment)
        if code != 0:
            return code
    if compiled and not rest:
        pure = {**environment, "LEADSYNC_PURE": "1", "LEADSYNC_EXPECT_COMPILED": ""}
        return run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *PURE_TESTS], pure)
    return 0


if __name__ == "__main__":
    sys.exit(main())
