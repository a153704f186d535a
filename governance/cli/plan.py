"""``governance plan ...``: lint, diff, push, pull (and the format commands in cli/formats.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from governance.cli import app, emit, err, fail
from governance.cli.client import TOKEN_OPTION, URL_OPTION, ApiError, Client
from governance.errors import GovernanceError
from governance.plan.compatibility import classify
from governance.plan.diff import diff_plans
from governance.plan.lint import lint_text
from governance.plan.loader import dump_plan_yaml, load_plan_file, plan_from_data
from governance.plan.model import Plan

plan_app = typer.Typer(help="Tracking plans as files: lint, diff, push, pull, import, export.",
                       no_args_is_help=True)  # fmt: skip
app.add_typer(plan_app, name="plan")

EXIT_LINT_ERRORS = 1
EXIT_INCOMPATIBLE = 3
EXIT_INVALID = 2


@plan_app.command("lint")
def lint(
    paths: list[Path] = typer.Argument(..., help="Plan files (YAML or JSON)"),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output"),
    strict: bool = typer.Option(False, help="Warnings also fail"),
) -> None:
    """Check plans: unknown keys, regexes, naming, descriptions, near-duplicate event names."""
    results: list[dict[str, Any]] = []
    failed = False
    for path in paths:
        issues = lint_text(path.read_bytes(), file=str(path))
        results.append({"file": str(path), "issues": [i.to_dict() for i in issues]})
        if any(i.severity == "error" or strict for i in issues):
            failed = True
    if as_json:
        print(json.dumps(results, indent=2))
    else:
        for result in results:
            for issue in result["issues"]:
                where = f"{result['file']}:{issue['line']}" if issue.get("line") else result["file"]
                colour = "red" if issue["severity"] == "error" else "yellow"
                err.print(f"{where}: [{colour}]{issue['severity']}[/{colour}] {issue['code']}: "
                          f"{issue['path']}: {issue['message']}", highlight=False)  # fmt: skip
        total = sum(len(r["issues"]) for r in results)
        err.print(f"{len(paths)} file(s), {total} issue(s)")
    raise typer.Exit(EXIT_LINT_ERRORS if failed else 0)


def _plan_at(ref: str, client: Client | None) -> Plan:
    """A file path, or ``NAME@VERSION`` / ``NAME@draft`` from a running server."""
    if Path(ref).exists() or client is None or "@" not in ref:
        return load_plan_file(ref)
    name, _, version = ref.partition("@")
    if version == "draft":
        return plan_from_data(client.json("GET", f"/api/v1/plans/{name}/draft"))
    return plan_from_data(client.json("GET", f"/api/v1/plans/{name}/versions/{version}")["body"])


@plan_app.command("diff")
def diff(
    old: str = typer.Argument(..., help="A plan file, or NAME@VERSION / NAME@draft on the server"),
    new: str = typer.Argument(..., help="A plan file, or NAME@VERSION / NAME@draft on the server"),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output"),
    url: str = URL_OPTION,
    token: str = TOKEN_OPTION,
) -> None:
    """Changes between two plans, classified additive / revision / breaking."""
    try:
        client = Client(url, token) if "@" in old + new else None
        changes = diff_plans(_plan_at(old, client), _plan_at(new, client))
    except GovernanceError as exc:
        fail(exc, as_json=as_json, code=EXIT_INVALID)
    result = {"category": classify(changes), "changes": [c.to_dict() for c in changes]}
    if as_json:
        print(json.dumps(result, indent=2, default=str))
    else:
        for change in changes:
            colour = {"breaking": "red", "additive": "green"}.get(change.category, "yellow")
            print_line = f"[{colour}]{change.category:9}[/{colour}] {change.kind}: {change.path}"
            err.print(print_line, highlight=False)
        err.print(f"{len(changes)} change(s); overall: {result['category']}")


@plan_app.command("push")
def push(
    path: Path = typer.Argument(..., help="Plan file"),
    publish: bool = typer.Option(False, help="Publish the draft as a new version"),
    allow_breaking: bool = typer.Option(False, help="Publish even if the compatibility mode forbids it"),
    message: str = typer.Option(None, help="Version message"),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output"),
    url: str = URL_OPTION,
    token: str = TOKEN_OPTION,
) -> None:
    """Create or update a plan's draft from a file; with --publish, publish it.

    Exit codes: 0 done (or nothing to publish), 2 invalid plan or request, 3 incompatible change.
    """
    client = Client(url, token)
    result: dict[str, object] = {}
    try:
        plan = load_plan_file(path)
        body = plan.body()
        try:
            response = client.request("GET", f"/api/v1/plans/{plan.name}/draft")
            etag = response.headers["etag"]
            client.request("PUT", f"/api/v1/plans/{plan.name}/draft", json=body, headers={"If-Match": etag})
            result["draft"] = "updated"
        except ApiError as exc:
            if exc.http_status != 404:
                raise
            client.json("POST", "/api/v1/plans", json=body)
            result["draft"] = "created"
        if publish:
            try:
                version = client.json("POST", f"/api/v1/plans/{plan.name}/versions",
                                      json={"message": message, "allow_breaking": allow_breaking})  # fmt: skip
                result.update(version=version["version"], category=version["category"])
            except ApiError as exc:
                if exc.api_code != "nothing_to_publish":
                    raise
                result["version"] = None
    except ApiError as exc:
        fail(exc, as_json=as_json, code=EXIT_INCOMPATIBLE if exc.api_code == "incompatible_plan" else EXIT_INVALID)
    except GovernanceError as exc:
        fail(exc, as_json=as_json, code=EXIT_INVALID)
    emit(result, as_json)


@plan_app.command("pull")
def pull(
    name: str = typer.Argument(..., help="Plan name or id"),
    version: str = typer.Option("latest", help="A version number, 'latest' or 'draft'"),
    output: Path = typer.Option(None, "-o", "--output", help="Write to this file instead of stdout"),
    url: str = URL_OPTION,
    token: str = TOKEN_OPTION,
) -> None:
    """Download a plan version (or the draft) as YAML."""
    client = Client(url, token)
    try:
        if version == "draft":
            body = client.json("GET", f"/api/v1/plans/{name}/draft")
        else:
            body = client.json("GET", f"/api/v1/plans/{name}/versions/{version}")["body"]
        text = dump_plan_yaml(plan_from_data(body))
    except GovernanceError as exc:
        fail(exc, code=EXIT_INVALID)
    if output:
        output.write_text(text)
    else:
        print(text, end="")


