"""The error tree lives in ``governance/errors.py`` and is drawn in its docstring."""

from __future__ import annotations

import ast
from pathlib import Path

import governance.errors as errors
from tests.conftest import ROOT

PACKAGE = ROOT / "governance"
# the command line's own errors (an error body it received, files, its database target), each with its exit code
CLIENT_SIDE = "governance/cli/"


def _classes(path: Path) -> list[ast.ClassDef]:
    return [n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.ClassDef)]


def test_every_governance_error_is_defined_in_errors_py() -> None:
    tree = {c.name for c in _classes(PACKAGE / "errors.py")}
    elsewhere = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel == "governance/errors.py" or rel.startswith(CLIENT_SIDE):
            continue
        for cls in _classes(path):
            bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in cls.bases}
            if bases & tree:
                elsewhere.append(f"{rel}: {cls.name}")
    assert not elsewhere, f"error classes outside governance/errors.py: {elsewhere}"


def test_the_docstring_draws_every_class_with_its_code_and_status() -> None:
    doc = errors.__doc__ or ""
    base = errors.GovernanceError
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, base) and c is not base]
    for cls in classes:
        [line] = [ln for ln in doc.splitlines() if f" {cls.__name__} " in ln]
        assert cls.code in line and str(cls.status) in line, line
