"""Whether this process runs the engine's hot modules compiled (mypyc) or as Python source.

`setup.py` compiles the modules named in `COMPILED` with mypyc when it can (a C compiler,
mypy and leadsync's dependencies where it builds: `dev.py` builds in place), and writes the
digest of their sources beside them. A compiled module is the same code, so leadsync behaves
the same either way; only the CPU time of a pass differs.

Python imports an extension module before a source file of the same name. Compiled modules
built from older sources (a developer edited one since the build) would run code that is no
longer in the tree, so `choose()` then imports every module of the package from its source,
as it does when `LEADSYNC_PURE=1` asks for it. All or none: a compiled module calls the other
compiled ones directly, not through their module objects.

Standard library only: `setup.py` reads `COMPILED` and `digest` from this file before
anything of leadsync is importable.
"""

from __future__ import annotations

import hashlib
import importlib.machinery as machinery
import os
import sys
import warnings
from pathlib import Path

# The modules a pass spends its CPU in (read, plan, write), in sync/. A module that defines
# msgspec Structs stays Python: mypyc drops a class's keywords (frozen=, eq=), which msgspec
# reads from the class statement.
COMPILED = (
    "clientkey",
    "dates",
    "google_backend",
    "google_cells",
    "google_grid",
    "google_write",
    "lead_cells",
    "pipeline",
    "pipeline_plan",
    "planner",
    "rules_adoption",
    "rules_followup",
    "rules_pipeline",
    "snapshot",
)
# The mypyc group: its shared library is sync/_compiled__mypyc.<suffix> beside the modules.
GROUP = "sync._compiled"
DIGEST_FILE = "compiled.digest"
PURE_VARIABLE = "LEADSYNC_PURE"

PACKAGE = Path(__file__).resolve().parent


def digest(package: Path = PACKAGE) -> str:
    """The sha256 of the compiled modules' sources, in the order of COMPILED."""
    hashed = hashlib.sha256()
    for name in COMPILED:
        hashed.update(name.encode())
        hashed.update((package / f"{name}.py").read_bytes())
    return hashed.hexdigest()


def current(package: Path = PACKAGE) -> bool:
    """Whether the compiled modules in `package` were built from the sources there."""
    stamp = package / DIGEST_FILE
    return stamp.exists() and stamp.read_text(encoding="utf-8").strip() == digest(package)


def pure_requested() -> bool:
    """Whether LEADSYNC_PURE asks for the sources, at build time and at run time."""
    return os.environ.get(PURE_VARIABLE, "") not in ("", "0")


def _built(package: Path) -> bool:
    return any(
        (package / f"{COMPILED[0]}{suffix}").exists() for suffix in machinery.EXTENSION_SUFFIXES
    )


def _sources_only(where: str) -> None:
    """Import the package's modules from their sources (or their cached bytecode) only."""
    # The finder Python asks for the modules in `where`, looked up by that very string.
    finder = machinery.FileFinder(
        where,
        (machinery.SourceFileLoader, machinery.SOURCE_SUFFIXES),
        (machinery.SourcelessFileLoader, machinery.BYTECODE_SUFFIXES),
    )
    sys.path_importer_cache[where] = finder


def choose(where: str) -> str:
    """Set how this process imports the modules in `where` (the package's `__path__` entry);
    say which way: compiled, pure or stale.

    Called by sync/__init__.py before it imports any module COMPILED names.
    """
    package = Path(where)
    if not _built(package):
        return "pure"
    if pure_requested():
        _sources_only(where)
        return "pure"
    if current(package):
        return "compiled"
    _sources_only(where)
    warnings.warn(
        "leadsync's compiled modules were built from other sources than these; running the "
        "sources instead (same results, more CPU). Rebuild them with `python3 dev.py build`.",
        RuntimeWarning,
        stacklevel=2,
    )
    return "stale"
