"""The engine's hot modules compiled with mypyc, when this machine can; else pure Python.

Everything else about the package is in pyproject.toml. The modules, and why only those, are
in sync/native.py. A build without a C compiler, without mypy, or without leadsync's
dependencies installed (mypyc type-checks the modules against them: an isolated `pip install`
has none) installs the same sources to run as Python, and says so.
"""

from __future__ import annotations

import importlib.util
import runpy
import sys
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent


# sync/native.py run by path: the package cannot be imported before it is built.
NATIVE = runpy.run_path(str(HERE / "sync" / "native.py"))


def _say(message: str) -> None:
    print(f"leadsync: {message}", file=sys.stderr, flush=True)


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # google.auth without google
        return False


def _extensions() -> list[Any]:
    if NATIVE["pure_requested"]():
        return []
    missing = [
        name
        for name in ("mypyc", "msgspec", "gspread", "google.auth", "pydantic")
        if not _installed(name)
    ]
    if missing:
        _say(f"not compiling the engine ({', '.join(missing)} not installed here): pure Python")
        return []
    from mypyc.build import mypycify

    paths = [f"sync/{name}.py" for name in NATIVE["COMPILED"]]
    try:
        return list(mypycify(paths, opt_level="3", group_name=NATIVE["GROUP"]))
    except (Exception, SystemExit) as error:  # mypyc exits on a type error
        _say(f"mypyc could not compile the engine ({error!r}): pure Python")
        return []


class OptionalBuildExt(build_ext):
    """build_ext that leaves the package pure Python when the C compiler fails or is missing,
    and stamps a good build with the digest of the sources it compiled."""

    def run(self) -> None:
        target = Path(self.get_ext_fullpath("sync." + NATIVE["COMPILED"][0])).parent
        # Gone until every module is built again: half a build is no build (sync/native.py).
        (target / NATIVE["DIGEST_FILE"]).unlink(missing_ok=True)
        try:
            super().run()
        except Exception as error:  # no compiler, no headers, a compiler error
            _say(f"the engine was not compiled ({error}): pure Python")
            return
        if not self.extensions:
            return
        # Beside the compiled modules: sync/ in place, or in the tree a wheel is made from.
        target.mkdir(parents=True, exist_ok=True)
        (target / NATIVE["DIGEST_FILE"]).write_text(NATIVE["digest"](HERE / "sync") + "\n")


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
