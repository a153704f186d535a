"""How every command speaks: results on stdout, diagnostics on stderr, one table of exit codes.

    exit  meaning (``EXIT_CODES`` below is the table docs/reference/cli.md shows)
    0     done; the answer is yes
    1     the command ran and the answer is no
    2     the command could not run as asked (usage, file, invalid input, a 4xx from the server)
    3     no usable answer from the server or the database (unreachable, 401/403, 5xx)

Human output is plain lines, never wrapped by us (a terminal soft-wraps; a pipe gets whole
lines) and coloured only on a terminal without ``NO_COLOR``. With ``--json`` stdout carries one
JSON document (the result, for exit 0 and 1) and an error (exit 2 and 3) is one JSON line on
stderr: ``{"error": {"code", "message", "status", "details"}}``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, NoReturn, TextIO

import typer

from governance.errors import GovernanceError

OK, NO, INPUT, SERVER = 0, 1, 2, 3
EXIT_CODES = (
    (OK, "done; the answer is yes",
     "lint clean, `plan diff`/`plan check` compatible, published (or nothing to publish), no event blocked"),
    (NO, "the command ran and the answer is no",
     "lint errors (warnings too with `--strict`); `plan diff` with a change the compatibility mode does not "
     "allow; `plan check` incompatible; `plan push --publish` or `plan rollback` refused as incompatible (the "
     "changes are listed); `validate` with events that would be blocked; `plan import` that imported nothing"),
    (INPUT, "the command could not run as asked",
     "a usage error; a missing or unreadable file; an invalid plan or value; a request the server refused as "
     "wrong (400, 404 not found, 409 conflict, 412, 413, 422); `token create` with neither a database nor a token"),
    (SERVER, "no usable answer from the server or the database",
     "unreachable or timed out; credentials refused (401, 403); a server error (5xx, 503 busy); an answer that is "
     "not the governance API"),
)
# errors that are the command's answer "no", not a failure to run it
ANSWERS_NO = frozenset({"incompatible_plan", "nothing_imported"})
JSON_HELP = "Print one JSON document on stdout (shape in the command's help)"
COLOURS = {"red": "31", "green": "32", "yellow": "33", "bold": "1", "dim": "2"}


def new_typer(help: str) -> typer.Typer:
    """A command group with plain (not rich) help and errors, unwrapped when stdout is a pipe."""
    width = {} if sys.stdout.isatty() else {"terminal_width": 10_000, "max_content_width": 10_000}
    return typer.Typer(help=help, no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None,
                       context_settings=width)


def paint(text: str, colour: str, stream: TextIO | None = None) -> str:
    """``text`` in ANSI colour when ``stream`` (stdout by default) is a terminal and NO_COLOR is unset."""
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR") or not stream.isatty():
        return text
    return f"\033[{COLOURS[colour]}m{text}\033[0m"


def out(line: str = "") -> None:
    """One line of the result, on stdout."""
    print(line, flush=True)


def note(line: str) -> None:
    """One line of diagnostics, on stderr."""
    print(line, file=sys.stderr, flush=True)


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str), flush=True)


def text(value: Any) -> str:
    """A value as a person reads it: strings bare, None as '-', everything else as JSON (never a repr)."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def when(value: str | None) -> str:
    """An API timestamp as ``YYYY-MM-DD HH:MM:SSZ`` (naive ones are UTC)."""
    if not value:
        return "-"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Aligned columns on stdout, headers in capitals; cells are never cut or wrapped."""
    cells = [[h.upper() for h in headers], *[[text(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for number, row in enumerate(cells):
        line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        out(paint(line, "bold") if number == 0 else line)


def change_line(change: dict[str, Any]) -> str:
    """One plan change: its category (padded), its path and what changed."""
    colour = {"breaking": "red", "additive": "green"}.get(change.get("category", ""), "yellow")
    category = paint(f"{change.get('category', ''):9}", colour)
    return f"{category} {change.get('path') or '<plan>'}: {change.get('message', change.get('kind', ''))}"


def exit_code_for(exc: GovernanceError) -> int:
    """The exit code of an error, from the table above (a class may name its own ``exit_code``)."""
    explicit = getattr(exc, "exit_code", None)
    if isinstance(explicit, int):
        return explicit
    status = getattr(exc, "http_status", None)
    if getattr(exc, "api_code", exc.code) in ANSWERS_NO:
        return NO
    if status is None:  # raised here, not by the server: the input is wrong
        return INPUT
    if status == 0 or status in (401, 403) or status >= 500:
        return SERVER
    return INPUT


def fail(exc: GovernanceError, *, as_json: bool, code: int | None = None) -> NoReturn:
    """Print an error on stderr (one JSON line with ``--json``) and exit with its code."""
    api_code = getattr(exc, "api_code", exc.code)
    if as_json:
        body = {"code": api_code, "message": exc.message, "status": getattr(exc, "http_status", None),
                "details": exc.details}
        print(json.dumps({"error": body}, ensure_ascii=False, default=str), file=sys.stderr, flush=True)
    else:
        note(f"{paint('error', 'red', sys.stderr)}: {exc.message} ({api_code})")
        for line in detail_lines(exc.details):
            note(f"  {line}")
    raise typer.Exit(exit_code_for(exc) if code is None else code)


def detail_lines(details: Any, limit: int = 50) -> list[str]:
    """Readable lines for an error's ``details``: problems with file:line, changes, or key: value."""
    if details is None:
        return []
    if isinstance(details, dict) and isinstance(details.get("changes"), list):
        lines = [change_line(c) for c in details["changes"]]
    elif isinstance(details, dict):
        lines = [f"{key}: {text(value)}" for key, value in details.items()]
    elif isinstance(details, list):
        lines = [_problem(item) for item in details]
    else:
        lines = [text(details)]
    more = [f"... and {len(lines) - limit} more"] if len(lines) > limit else []
    return lines[:limit] + more


def _problem(item: Any) -> str:
    if not isinstance(item, dict) or "message" not in item:
        return text(item)
    where = ":".join(str(p) for p in (item.get("file"), item.get("line")) if p)
    path = item.get("path")
    return ": ".join(part for part in (where, path, str(item["message"])) if part)


class FileProblem(GovernanceError):
    """A file that cannot be read or written (missing, a directory, no permission)."""

    code = "file_error"


@contextmanager
def handled(as_json: bool) -> Iterator[None]:
    """Turn every expected failure into a clean message and its exit code (never a traceback)."""
    try:
        yield
    except GovernanceError as exc:
        fail(exc, as_json=as_json)
    except OSError as exc:
        what = f"{exc.filename}: " if exc.filename else ""
        fail(FileProblem(f"{what}{exc.strerror or exc}"), as_json=as_json)
