"""The compiled hot path: the proxy's per-event modules built with mypyc, optional.

The modules in ``MODULES`` are plain, type-annotated Python and stay the source of truth. When a C
compiler and mypyc (it ships with mypy) are present, ``python -m governance.native build`` (the
Makefile's ``native`` target, which ``make run`` and ``make test`` run) compiles them, as one
group, into extension modules under ``governance/proxy/_native/`` (gitignored), with a manifest
of the SHA-256 of each source it compiled. ``install`` (run by ``governance.proxy`` before any of
them is imported) then loads the compiled modules instead of the Python ones, all or none:

    used                when the manifest matches every source as it is now (same Python)
    not used (pure)     no build; a source edited since the build; ``GOVERNANCE_PURE=1``

so an edited module is never shadowed by a stale build (run ``make native`` again), and the same
checkout runs pure where no compiler is. ``python -m governance.native status`` prints which
modules are compiled in this interpreter; ``--require`` exits 1 unless all are (CI sets
``GOVERNANCE_REQUIRE_NATIVE=1``, which also makes a failed build an error rather than a warning).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.util
import json
import os
import shutil
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any

# what the web process runs per event (see docs/operations/capacity.md, "Compiled hot path")
MODULES = (
    "governance.proxy.spec",
    "governance.proxy.limits",
    "governance.proxy.violations",
    "governance.proxy.pii_guard",
    "governance.proxy.pipeline",
    "governance.proxy.timestamps",
    "governance.proxy.rows",
    "governance.proxy.tally",
)
GROUP = "governance.proxy.native"  # the group's shared library: governance.proxy.native__mypyc
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "governance" / "proxy" / "_native"
MANIFEST = "manifest.json"
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]  # ".cpython-311-x86_64-linux-gnu.so"
PURE_ENV, REQUIRE_ENV = "GOVERNANCE_PURE", "GOVERNANCE_REQUIRE_NATIVE"


def source(module: str) -> Path:
    return ROOT.joinpath(*module.split(".")).with_suffix(".py")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest(out: Path = OUT) -> dict[str, Any] | None:
    try:
        data = json.loads((out / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def why_not(out: Path = OUT) -> str | None:
    """None when the build in ``out`` may be loaded, else why not (in words)."""
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        return f"{PURE_ENV} is set"
    built = manifest(out)
    if built is None:
        return "not built (make native)"
    if built.get("suffix") != SUFFIX or built.get("modules", {}).keys() != set(MODULES):
        return "built for another Python or module list (make native)"
    stale = [m for m, sha in built["modules"].items() if not source(m).is_file() or digest(source(m)) != sha]
    if stale:
        return f"{', '.join(stale)} changed since the build (make native)"
    return None


class CompiledFinder:
    """A meta path finder that loads the compiled group from ``out`` (installed only when current)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.names = {*MODULES, f"{GROUP}__mypyc"}

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if fullname not in self.names:
            return None
        location = self.out / (fullname.rpartition(".")[2] + SUFFIX)
        loader = importlib.machinery.ExtensionFileLoader(fullname, str(location))
        return importlib.util.spec_from_file_location(fullname, location, loader=loader)


def install(out: Path = OUT) -> bool:
    """Load the compiled modules from now on when their build is current; True when it is."""
    if any(isinstance(f, CompiledFinder) for f in sys.meta_path):
        return True
    if why_not(out) is not None:
        return False
    sys.meta_path.insert(0, CompiledFinder(out))
    return True


def is_compiled(module: ModuleType) -> bool:
    return isinstance(getattr(module, "__loader__", None), importlib.machinery.ExtensionFileLoader)


def status() -> dict[str, str]:
    """``compiled`` or ``pure`` for each module of ``MODULES``, as this interpreter loaded them."""
    return {name: "compiled" if is_compiled(importlib.import_module(name)) else "pure" for name in MODULES}


def build(out: Path = OUT, *, opt_level: str = "3") -> None:
    """Compile ``MODULES`` with mypyc into ``out`` (replaced whole, by renames: a running process
    keeps the files it mapped). Raises when mypyc or a C compiler is missing or the build fails."""
    from mypyc.build import mypycify  # a build-time dependency (it ships with mypy)
    from setuptools import Distribution

    work = ROOT / "build" / "native"
    shutil.rmtree(work, ignore_errors=True)
    sources = {m: digest(source(m)) for m in MODULES}
    cwd = os.getcwd()
    os.chdir(ROOT)  # mypyc names modules by their paths relative to the working directory
    try:
        extensions = mypycify([str(source(m).relative_to(ROOT)) for m in MODULES], opt_level=opt_level,
                              group_name=GROUP, target_dir=str(work / "c"))
        dist = Distribution({"name": "governance-native", "ext_modules": extensions})
        command: Any = dist.get_command_obj("build_ext")
        command.build_lib, command.build_temp = str(work / "lib"), str(work / "temp")
        dist.run_command("build_ext")
    finally:
        os.chdir(cwd)
    fresh = out.with_name(out.name + ".new")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    for name in (*MODULES, f"{GROUP}__mypyc"):
        built = work / "lib" / Path(*name.split(".")).with_suffix(SUFFIX)
        shutil.copy2(built, fresh / built.name)
    (fresh / MANIFEST).write_text(json.dumps({"suffix": SUFFIX, "modules": sources}, indent=1) + "\n")
    old = out.with_name(out.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    fresh.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    """``build`` or ``status [--require]``; see the module's docstring."""
    args = list(sys.argv[1:] if argv is None else argv)
    required = os.environ.get(REQUIRE_ENV, "") not in ("", "0")
    if args[:1] == ["build"]:
        try:
            build()
        except Exception as exc:  # no compiler, no mypyc, a module mypyc refuses: run pure
            print(f"compiled hot path not built ({type(exc).__name__}: {exc}); the pure-Python modules run",
                  file=sys.stderr)
            return 1 if required else 0
        print(f"compiled {len(MODULES)} modules into {OUT.relative_to(ROOT)}")
        return 0
    if args[:1] == ["status"]:
        reason = why_not()
        modules = status()
        for name, state in modules.items():
            print(f"{state:9} {name}")
        if reason:
            print(f"pure: {reason}")
        return 1 if ("--require" in args or required) and "pure" in modules.values() else 0
    print("usage: python -m governance.native build | status [--require]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
