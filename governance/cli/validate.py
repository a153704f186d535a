"""``governance validate``: judge a JSONL file of events offline, as the proxy would."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TransferSpeedColumn

from governance.cli import app
from governance.cli.output import NO, OK, handled, out, paint, print_json, table
from governance.errors import InvalidBody
from governance.plan.loader import load_plan_file, parse_document
from governance.proxy.offline import read_lines, state_for, validate_stream
from governance.registry.source_settings import STRICT, SourceSettings


def _settings(path: Path | None) -> SourceSettings:
    if path is None:
        return STRICT
    data, _ = parse_document(path.read_bytes(), file=str(path))
    try:
        return STRICT.merged(data or {})
    except ValueError as exc:
        raise InvalidBody(f"{path}: invalid settings: {exc}") from None


@app.command("validate")
def validate(
    events: Path = typer.Argument(..., help="A JSONL file of Segment messages ('-' reads standard input)"),
    plan: Path = typer.Option(..., "--plan", help="The plan file (YAML or JSON)"),
    settings: Path = typer.Option(None, "--settings",
                                  help="Schema controls in Segment's shape; default: the strict ones (block all)"),
    as_json: bool = typer.Option(False, "--json", help="One JSON report on stdout"),
    max_violations: int = typer.Option(1000, help="Violations listed in the report (all are counted)"),
) -> None:
    """Judge every event with the proxy's code; exit 1 when any would be blocked.

    One line per violation on stdout (line N: EVENT: TYPE FIELD MESSAGE), then a count per event
    and outcome. A progress bar shows on stderr when it is a terminal.

    JSON: `{"events", "blocked", "invalid_lines", "violation_count", "violations": [{"line", "event",
    "type", "field", "message"}], "violations_truncated", "by_event": {event: {outcome: count}}, ...}`.
    """
    with handled(as_json):
        state = state_for(load_plan_file(plan), _settings(settings))
        stream = sys.stdin.buffer if str(events) == "-" else events.open("rb")
    try:
        if sys.stderr.isatty() and str(events) != "-":
            with Progress(TextColumn("validating"), BarColumn(), TransferSpeedColumn(), console=Console(stderr=True),
                          transient=True) as progress:
                task = progress.add_task("validate", total=events.stat().st_size)
                report = validate_stream(_tracked(stream, progress, task), state, max_violations=max_violations)
        else:
            report = validate_stream(read_lines(stream), state, max_violations=max_violations)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    if as_json:
        print_json(report.to_dict())
    else:
        _print(report.to_dict())
    raise typer.Exit(NO if report.blocked else OK)


def _tracked(stream: Any, progress: Progress, task: Any) -> Any:
    for number, line in read_lines(stream):
        progress.advance(task, len(line) + 1)
        yield number, line


def _print(report: dict[str, Any]) -> None:
    for v in report["violations"]:
        event = f"{v['event']}: " if v.get("event") else ""
        field = f"{v['field']} " if v.get("field") else ""
        out(f"line {v['line']}: {event}{paint(v['type'], 'yellow')} {field}{v['message']}")
    if report["violations_truncated"]:
        out(f"... and {report['violation_count'] - len(report['violations'])} more violations")
    outcomes = sorted({o for counts in report["by_event"].values() for o in counts})
    rows = [[event, *[counts.get(o, 0) for o in outcomes]] for event, counts in report["by_event"].items()]
    table(["event", *outcomes], rows)
    out(f"{report['events']} events, {report['blocked']} would be blocked")
