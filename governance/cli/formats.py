"""``governance plan import|export|infer``: plans in other tools' formats, and plans from traffic."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from governance.cli.output import JSON_HELP, NO, OK, handled, note, paint, print_json
from governance.cli.plan import plan_app
from governance.formats import EXPORTERS, IMPORTERS, export_plan_with_report, import_plan
from governance.formats.infer import infer_plan_from_lines
from governance.plan.loader import dump_plan_yaml, load_plan_file
from governance.plan.model import Plan


def _report(items: list[Any]) -> list[dict[str, Any]]:
    return [item.to_dict() if hasattr(item, "to_dict") else dict(item) for item in items]


def _note_report(report: list[dict[str, Any]]) -> None:
    for item in report:
        severity = item.get("severity", "warning")
        colour = {"error": "red", "warning": "yellow"}.get(severity, "dim")
        note(f"{paint(severity, colour, sys.stderr)} {item.get('path', '')}: {item.get('message', '')}")


def _write_plan(plan: Plan, output: Path | None) -> None:
    if output:
        output.write_text(dump_plan_yaml(plan))
    else:
        sys.stdout.write(dump_plan_yaml(plan))


@plan_app.command("import")
def import_(
    path: Path = typer.Argument(..., help="A file or directory in the other tool's format"),
    from_: str = typer.Option(..., "--from", help=f"Format: {', '.join(sorted(IMPORTERS))}"),
    output: Path = typer.Option(None, "-o", "--output", help="Write the plan YAML here (default: stdout)"),
    name: str = typer.Option(None, help="Plan name (default: derived from the input)"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Import a Segment, RudderStack, Iglu or JSON Schema plan; report what could not carry over.

    The plan YAML goes to stdout (or -o), the report to stderr. Exit 1 when nothing was imported
    (no event, no identify, group, page or screen).

    JSON: `{"plan": plan document, "events": int, "report": [{"path", "message", "severity"}]}`
    (with -o the file still gets YAML).
    """
    with handled(as_json):
        if not path.exists():
            raise FileNotFoundError(2, "No such file or directory", str(path))
        result = import_plan(from_, path, name=name)
        if as_json and output:
            output.write_text(dump_plan_yaml(result.plan))
    report, count = _report(result.report), len(result.plan.events)
    if as_json:
        print_json({"plan": result.plan.body(), "events": count, "report": report})
    else:
        _write_plan(result.plan, output)
        _note_report(report)
        note(f"{count} event(s) imported, {len(report)} report item(s)")
    empty = count == 0 and all(getattr(result.plan, kind) is None for kind in ("identify", "group", "page", "screen"))
    if empty:
        note(f"{paint('error', 'red', sys.stderr)}: nothing imported from {path}: is it a {from_} plan?")
    raise typer.Exit(NO if empty else OK)


@plan_app.command("export")
def export(
    path: Path = typer.Argument(..., help="The plan file"),
    to: str = typer.Option(..., "--to", help=f"Format: {', '.join(sorted(EXPORTERS))}"),
    output: Path = typer.Option(None, "-o", "--output", help="Directory to write into (default: stdout)"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Export a plan (Segment Public API rules JSON, or a JSON Schema 2020-12 bundle).

    Without -o: one file is printed as is, several as one JSON object {file name: content}.

    JSON: `{"format", "files": {file name: parsed JSON content}, "report": [{"path", "message", "severity"}]}`
    (with -o the files are written too).
    """
    with handled(as_json):
        result = export_plan_with_report(to, load_plan_file(path))
        if output:
            for name, content in result.files.items():
                target = output / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
    if as_json:
        files = {name: json.loads(content) for name, content in result.files.items()}
        print_json({"format": to, "files": files, "report": _report(result.report)})
        return
    _note_report(_report(result.report))
    if output:
        note(f"wrote {len(result.files)} file(s) to {output}")
    elif len(result.files) == 1:
        sys.stdout.write(next(iter(result.files.values())).decode())
    else:
        print_json({name: json.loads(content) for name, content in result.files.items()})


@plan_app.command("infer")
def infer(
    events: Path = typer.Argument(..., help="A JSONL file of observed Segment messages"),
    output: Path = typer.Option(None, "-o", "--output", help="Write the draft plan YAML here (default: stdout)"),
    name: str = typer.Option("inferred", help="Plan name"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Draft a plan from observed events: types, required, enums, formats, near-duplicate names.

    The plan YAML goes to stdout (or -o), near-duplicate names and skipped lines to stderr. Lines
    that are not JSON are skipped and counted (``report.invalid_lines``), as `validate` does.

    JSON: `{"plan": plan document, "report": {"messages", "skipped", "events", "properties",
    "near_duplicates", ...}}` (with -o the file still gets YAML).
    """
    with handled(as_json):
        with events.open("rb") as stream:
            plan, report = infer_plan_from_lines(stream, name=name)
        if as_json and output:
            output.write_text(dump_plan_yaml(plan))
    if as_json:
        print_json({"plan": plan.body(), "report": report.to_dict()})
        return
    _write_plan(plan, output)
    if report.invalid_lines:
        shown = ", ".join(map(str, report.invalid_line_numbers[:10]))
        note(f"{paint('skipped', 'yellow', sys.stderr)}: {report.invalid_lines} lines that are not JSON (line {shown})")
    for a, b in getattr(report, "near_duplicates", []):
        note(f"{paint('near duplicate', 'yellow', sys.stderr)}: {json.dumps(a)} and {json.dumps(b)}")
