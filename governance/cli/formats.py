"""``governance plan import|export|infer``: plans in other tools' formats, and plans from traffic."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import typer

from governance.cli import emit, err, fail
from governance.cli.plan import EXIT_INVALID, plan_app
from governance.errors import GovernanceError, InvalidBody
from governance.formats import EXPORTERS, IMPORTERS, export_plan_with_report, import_plan, infer_plan
from governance.plan.loader import dump_plan_yaml, load_plan_file


def _report(items: list[Any]) -> list[dict[str, Any]]:
    return [item.to_dict() if hasattr(item, "to_dict") else dict(item) for item in items]


@plan_app.command("import")
def import_(
    path: Path = typer.Argument(..., help="A file or directory in the other tool's format"),
    from_: str = typer.Option(..., "--from", help=f"Format: {', '.join(sorted(IMPORTERS))}"),
    output: Path = typer.Option(None, "-o", "--output", help="Write the plan YAML here (default: stdout)"),
    name: str = typer.Option(None, help="Plan name (default: derived from the input)"),
    as_json: bool = typer.Option(False, "--json", help="Print {plan, report} as JSON instead of YAML"),
) -> None:
    """Import a Segment, RudderStack, Iglu or JSON Schema plan; report what could not carry over."""
    try:
        result = import_plan(from_, path, name=name)
    except GovernanceError as exc:
        fail(exc, as_json=as_json, code=EXIT_INVALID)
    report = _report(result.report)
    if as_json:
        print(json.dumps({"plan": result.plan.body(), "report": report}, indent=2, default=str))
    else:
        text = dump_plan_yaml(result.plan)
        if output:
            output.write_text(text)
        else:
            print(text, end="")
        for item in report:
            err.print(f"[yellow]{item.get('severity', 'warning')}[/yellow] {item.get('path', '')}: "
                      f"{item.get('message', '')}", highlight=False)  # fmt: skip
        err.print(f"{len(result.plan.events)} event(s) imported, {len(report)} report item(s)")


@plan_app.command("export")
def export(
    path: Path = typer.Argument(..., help="The plan file"),
    to: str = typer.Option(..., "--to", help=f"Format: {', '.join(sorted(EXPORTERS))}"),
    output: Path = typer.Option(None, "-o", "--output", help="Directory to write into (default: stdout)"),
) -> None:
    """Export a plan (Segment Public API rules JSON, or a JSON Schema 2020-12 bundle)."""
    try:
        result = export_plan_with_report(to, load_plan_file(path))
    except GovernanceError as exc:
        fail(exc, code=EXIT_INVALID)
    if output:
        for name, content in result.files.items():
            target = output / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        err.print(f"wrote {len(result.files)} file(s) to {output}")
    elif len(result.files) == 1:
        print(next(iter(result.files.values())).decode(), end="")
    else:
        print(json.dumps({name: json.loads(content) for name, content in result.files.items()}, indent=2))


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                yield orjson.loads(line)
            except orjson.JSONDecodeError:
                raise InvalidBody(f"{path}:{number}: Invalid JSON") from None


@plan_app.command("infer")
def infer(
    events: Path = typer.Argument(..., help="A JSONL file of observed Segment messages"),
    output: Path = typer.Option(None, "-o", "--output", help="Write the draft plan YAML here (default: stdout)"),
    name: str = typer.Option("inferred", help="Plan name"),
    as_json: bool = typer.Option(False, "--json", help="Print {plan, report} as JSON"),
) -> None:
    """Draft a plan from observed events: types, required, enums, formats, near-duplicate names."""
    try:
        plan, report = infer_plan(_jsonl(events), name=name)
    except GovernanceError as exc:
        fail(exc, as_json=as_json, code=EXIT_INVALID)
    if as_json:
        emit({"plan": plan.body(), "report": report.to_dict()}, True)
        return
    text = dump_plan_yaml(plan)
    if output:
        output.write_text(text)
    else:
        print(text, end="")
    for a, b in getattr(report, "near_duplicates", []):
        err.print(f"[yellow]near duplicate[/yellow]: {a!r} and {b!r}")
