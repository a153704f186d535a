"""``governance validate``: judge a JSONL file of events offline, as the proxy would."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TransferSpeedColumn
from rich.table import Table

from governance.cli import app, console, err, fail
from governance.errors import GovernanceError, InvalidBody
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
    """Judge every event with the proxy's code; exit 1 when any would be blocked."""
    try:
        state = state_for(load_plan_file(plan), _settings(settings))
    except GovernanceError as exc:
        fail(exc, as_json=as_json, code=2)
    stream = sys.stdin.buffer if str(events) == "-" else events.open("rb")
    try:
        if sys.stderr.isatty() and str(events) != "-":
            with Progress(TextColumn("validating"), BarColumn(), TransferSpeedColumn(), console=err,
                          transient=True) as progress:  # fmt: skip
                task = progress.add_task("validate", total=events.stat().st_size)
                report = validate_stream(_tracked(stream, progress, task), state, max_violations=max_violations)
        else:
            report = validate_stream(read_lines(stream), state, max_violations=max_violations)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    if as_json:
        print(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        _print(report.to_dict())
    raise typer.Exit(1 if report.blocked else 0)


def _tracked(stream: Any, progress: Progress, task: Any) -> Any:
    for number, line in read_lines(stream):
        progress.advance(task, len(line) + 1)
        yield number, line


def _print(report: dict[str, Any]) -> None:
    for v in report["violations"]:
        err.print(f"line {v['line']}: {v.get('event', '')}: [yellow]{v['type']}[/yellow] "
                  f"{v.get('field') or ''} {v['message']}", highlight=False, markup=True)  # fmt: skip
    if report["violations_truncated"]:
        err.print(f"… and {report['violation_count'] - len(report['violations'])} more violations")
    table = Table(title=f"{report['events']} events, {report['blocked']} would be blocked")
    outcomes = sorted({o for counts in report["by_event"].values() for o in counts})
    table.add_column("event")
    for outcome in outcomes:
        table.add_column(outcome, justify="right")
    for event, counts in report["by_event"].items():
        table.add_row(event, *[str(counts.get(o, 0)) for o in outcomes])
    console.print(table)
