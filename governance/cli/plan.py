"""``governance plan lint|diff|schema``: plans as files (the server commands are in plan_remote.py,
plan_versions.py; other tools' formats in formats.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import typer

from governance.cli import app
from governance.cli.client import TOKEN_OPTION, URL_OPTION, Client
from governance.cli.output import JSON_HELP, NO, OK, change_line, handled, new_typer, out, paint, print_json
from governance.plan.compatibility import Mode, compatibility_report
from governance.plan.lint import lint_text
from governance.plan.loader import load_plan_file, plan_from_data
from governance.plan.model import Plan

MODES = tuple(m.value for m in Mode)  # for --mode
plan_app = new_typer("Tracking plans: lint, diff, check, push, pull, versions, history, rollback, import, export.")
app.add_typer(plan_app, name="plan")

MODES = tuple(m.value for m in Mode)  # compatibility modes, as --mode spells them


@plan_app.command("lint")
def lint(
    paths: list[Path] = typer.Argument(..., help="Plan files (YAML or JSON)"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    strict: bool = typer.Option(False, help="Warnings also fail"),
) -> None:
    """Check plans: unknown keys, regexes, naming, descriptions, near-duplicate event names.

    One line per issue on stdout (FILE:LINE: SEVERITY CODE: PATH: MESSAGE), then a count.
    Exit 1 when there is an error (or, with --strict, a warning).

    JSON: `[{"file", "issues": [{"severity", "code", "path", "message", "line"}]}]`.
    """
    results: list[dict[str, Any]] = []
    with handled(as_json):
        for path in paths:
            issues = lint_text(path.read_bytes(), file=str(path))
            results.append({"file": str(path), "issues": [i.to_dict() for i in issues]})
    failed = any(i["severity"] == "error" or strict for r in results for i in r["issues"])
    if as_json:
        print_json(results)
    else:
        for result in results:
            for issue in result["issues"]:
                where = f"{result['file']}:{issue['line']}" if issue.get("line") else result["file"]
                severity = paint(issue["severity"], "red" if issue["severity"] == "error" else "yellow")
                out(f"{where}: {severity} {issue['code']}: {issue['path']}: {issue['message']}")
        out(f"{len(paths)} file(s), {sum(len(r['issues']) for r in results)} issue(s)")
    raise typer.Exit(NO if failed else OK)


def plan_at(ref: str, client: Client | None) -> Plan:
    """A file path, or ``NAME@VERSION`` / ``NAME@latest`` / ``NAME@draft`` from a running server."""
    if Path(ref).exists() or client is None or "@" not in ref:
        return load_plan_file(ref)
    name, _, version = ref.partition("@")
    if version == "draft":
        return plan_from_data(client.json("GET", f"/api/v1/plans/{quote(name, safe='')}/draft"))
    answer = client.json("GET", f"/api/v1/plans/{quote(name, safe='')}/versions/{quote(version, safe='')}")
    return plan_from_data(answer["body"])


def _server_mode(refs: list[str], client: Client | None) -> str | None:
    """The registry's mode of the plan a ``NAME@...`` side names (what a publish is judged by)."""
    for ref in refs:
        if client is not None and "@" in ref and not Path(ref).exists():
            return str(client.json("GET", f"/api/v1/plans/{quote(ref.partition('@')[0], safe='')}")["compatibility"])
    return None


@plan_app.command("diff")
def diff(
    old: str = typer.Argument(..., help="A plan file, or NAME@VERSION / NAME@latest / NAME@draft on the server"),
    new: str = typer.Argument(..., help="A plan file, or NAME@VERSION / NAME@latest / NAME@draft on the server"),
    mode: str = typer.Option(None, help=f"Compatibility mode to judge by: {', '.join(MODES)} (default: the "
                                        "registry's mode for NAME@..., else the new file's, else BACKWARD)"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    url: str = URL_OPTION,
    token: str = TOKEN_OPTION,
) -> None:
    """Changes from OLD to NEW, classified additive / revision / breaking, judged by a compatibility mode.

    One line per change on stdout (CATEGORY PATH: MESSAGE), then the verdict. Exit 1 when the mode
    does not allow a change (a CI job gates on it), 0 otherwise. Transitive modes compare these two
    plans only; `plan check` judges a file against every published version.

    JSON: `{"old", "new", "mode", "is_compatible", "category", "changes": [change], "messages": [str]}`.
    """
    with handled(as_json):
        client = Client(url, token) if "@" in old + new else None
        old_plan, new_plan = plan_at(old, client), plan_at(new, client)
        chosen = (mode or _server_mode([old, new], client) or new_plan.compatibility or "BACKWARD").upper()
        if chosen not in MODES:
            raise typer.BadParameter(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}", param_hint="--mode")
        report = compatibility_report(old_plan, new_plan, chosen)
    if as_json:
        print_json({"old": old, "new": new, **report})
    else:
        for change in report["changes"]:
            out(change_line(change))
        verdict = "compatible" if report["is_compatible"] else paint("not compatible", "red")
        refused = "" if report["is_compatible"] else f" ({len(report['messages'])} change(s) not allowed)"
        out(f"{len(report['changes'])} change(s), overall {report['category']}; "
            f"under {report['mode']}: {verdict}{refused}")
    raise typer.Exit(OK if report["is_compatible"] else NO)


def plan_json_schema() -> dict[str, Any]:
    """The plan format's JSON Schema (``governance/plan/schema.py``, with the bare model's as a fallback)."""
    try:
        from governance.plan.schema import plan_json_schema as build
    except ImportError:  # until governance/plan/schema.py is on this branch
        return Plan.model_json_schema()
    return build()


@plan_app.command("schema")
def schema(
    output: Path = typer.Option(None, "-o", "--output", help="Write the schema to this file instead of stdout"),
    as_json: bool = typer.Option(False, "--json", help="The same JSON (accepted so that every command takes it)"),
) -> None:
    """Print the JSON Schema of the plan format, for editors (yaml-language-server) and validators.

    JSON: the schema itself (with or without --json).
    """
    import json

    document = json.dumps(plan_json_schema(), indent=2, ensure_ascii=False) + "\n"
    with handled(as_json):
        if output:
            output.write_text(document)
            return
    out(document.rstrip("\n"))
