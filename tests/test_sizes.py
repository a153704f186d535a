"""Small modules and short functions (CONVENTIONS), checked with ``ast``.

No module over ``MAX_MODULE_LINES`` and no function over ``MAX_FUNCTION_LINES`` without a reason:
a function gives its reason in a ``# size: <why>`` comment at its top (between its signature and
its first statement); a module is listed in ``MODULE_EXCEPTIONS`` with its reason.
"""

from __future__ import annotations

import ast

from tests.conftest import ROOT

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
MODULE_EXCEPTIONS: dict[str, str] = {}
GENERATED = {"governance/migrations/versions/": "Alembic revisions: generated, then frozen (never edited to fit)"}
REASON = "# size:"


def _sources() -> list[tuple[str, str]]:
    paths = [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "governance").rglob("*.py"))]
    return [(p, (ROOT / p).read_text()) for p in paths if not p.startswith(tuple(GENERATED))]


def _reason(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A ``# size:`` comment between the signature and the first statement after the docstring."""
    body = node.body
    first = body[1] if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
        else body[0]
    return any(line.strip().startswith(REASON) for line in lines[node.lineno - 1 : first.lineno])


def long_functions(path: str, source: str) -> list[str]:
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES and not _reason(lines, node):
                found.append(f"{path}:{node.lineno} {node.name}() has {length} lines")
    return found


def test_no_module_over_the_limit_without_a_reason() -> None:
    sizes = {path: len(source.splitlines()) for path, source in _sources()}
    over = [f"{p} has {n} lines" for p, n in sizes.items() if n > MAX_MODULE_LINES and p not in MODULE_EXCEPTIONS]
    assert not over, over
    stale = [p for p in MODULE_EXCEPTIONS if sizes.get(p, 0) <= MAX_MODULE_LINES]
    assert not stale, f"these exceptions are no longer needed: {stale}"


def test_no_function_over_the_limit_without_a_reason() -> None:
    found = [line for path, source in _sources() for line in long_functions(path, source)]
    assert not found, found


def test_the_check_finds_a_long_function_and_accepts_a_reason() -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    assert long_functions("m.py", f"def f():\n{body}") == [f"m.py:1 f() has {MAX_FUNCTION_LINES + 1} lines"]
    reasoned = f'def f():\n    """Doc."""\n    # size: one table, read top to bottom\n{body}'
    assert long_functions("m.py", reasoned) == []
