"""``governance plan push|pull|check``: a plan file against a running server."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import typer

from governance.cli.client import TOKEN_OPTION, URL_OPTION, ApiError, Client
from governance.cli.output import JSON_HELP, NO, OK, change_line, handled, note, out, paint, print_json
from governance.cli.plan import plan_app
from governance.plan.loader import dump_plan_yaml, load_plan_file, plan_from_data
from governance.plan.model import Plan


def plan_path(name: str, *rest: str) -> str:
    return "/".join([f"/api/v1/plans/{quote(name, safe='')}", *rest])


def store_draft(client: Client, plan: Plan) -> str:
    """Create the plan or replace its draft (with the draft's ETag); ``created`` or ``updated``."""
    try:
        etag = client.request("GET", plan_path(plan.name, "draft")).headers["etag"]
    except ApiError as exc:
        if exc.http_status != 404:
            raise
        client.json("POST", "/api/v1/plans", json=plan.body())
        return "created"
    client.request("PUT", plan_path(plan.name, "draft"), json=plan.body(), headers={"If-Match": etag})
    return "updated"


def refusal(exc: ApiError) -> dict[str, Any]:
    """What a 409 ``incompatible_plan`` says: the message, the mode, the version broken, the changes."""
    details = exc.details if isinstance(exc.details, dict) else {}
    return {"message": exc.message, "mode": details.get("mode"), "against_version": details.get("against_version"),
            "changes": details.get("changes", [])}


def print_refusal(name: str, what: str, refused: dict[str, Any]) -> None:
    out(f"{name}: {what} {paint('refused', 'red')}: {refused['message']}")
    for change in refused["changes"]:
        out(f"  {change_line(change)}")
    note("--allow-breaking publishes it anyway")


@plan_app.command("push")
def push(
    path: Path = typer.Argument(..., help="Plan file"),
    publish: bool = typer.Option(False, help="Publish the draft as a new version"),
    allow_breaking: bool = typer.Option(False, help="Publish even if the compatibility mode forbids it"),
    message: str = typer.Option(None, help="Version message"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    url: str = URL_OPTION,
    token: str = TOKEN_OPTION,
) -> None:
    """Create or update a plan's draft from a file; with --publish, publish it as the next version.

    Exit 0 when the draft is stored (and published, or identical to the latest version); 1 when
    the publish is refused as incompatible, listing the changes that broke it.

    JSON: `{"plan", "draft": "created" | "updated", "outcome": "draft_only" | "published" |
    "nothing_to_publish" | "refused", "version": int | null, "category": str | null,
    "refused": null | {"message", "mode", "against_version", "changes": [change]}}`.
    """
    with handled(as_json):
        plan = load_plan_file(path)
        client = Client(url, token)
        result: dict[str, Any] = {"plan": plan.name, "draft": store_draft(client, plan), "outcome": "draft_only",
                                  "version": None, "category": None, "refused": None}
        if publish:
            result.update(_publish(client, plan.name, {"message": message, "allow_breaking": allow_breaking}))
    if as_json:
        print_json(result)
    else:
        out(f"{plan.name}: draft {result['draft']}")
        if result["outcome"] == "published":
            out(f"{plan.name}: published version {result['version']} ({result['category']})")
        elif result["outcome"] == "nothing_to_publish":
            out(f"{plan.name}: nothing to publish (the draft is the latest version)")
        elif result["refused"]:
            print_refusal(plan.name, "publish", result["refused"])
    raise typer.Exit(NO if result["refused"] else OK)


def _publish(client: Client, name: str, body: dict[str, Any]) -> dict[str, Any]:
    try:
        version = client.json("POST", plan_path(name, "versions"), json=body)
    except ApiError as exc:
        if exc.api_code == "nothing_to_publish":
            return {"outcome": "nothing_to_publish"}
        if exc.api_code == "incompatible_plan":
            return {"outcome": "refused", "refused": refusal(exc)}
        raise
    return {"outcome": "published", "version": version["version"], "category": version["category"]}


@plan_app.command("pull")
def pull(
    name: str = typer.Argument(..., help="Plan name or id"),
    version: str = typer.Option("latest", help="A version number, 'latest' or 'draft'"),
    output: Path = typer.Option(None, "-o", "--output", help="Write the YAML to this file instead of stdout"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    url: str = URL_OPTION,
    token: str = TOKEN_OPTION,
) -> None:
    """Download a plan version (or the draft) as YAML.

    JSON: `{"plan", "version": int | "draft", "body": plan document}` (with -o the file still gets YAML).
    """
    with handled(as_json):
        client = Client(url, token)
        if version == "draft":
            body, number = client.json("GET", plan_path(name, "draft")), "draft"
        else:
            answer = client.json("GET", plan_path(name, "versions", quote(version, safe="")))
            body, number = answer["body"], answer["version"]
        plan = plan_from_data(body)
        if output:
            output.write_text(dump_plan_yaml(plan))
    if as_json:
        print_json({"plan": plan.name, "version": number, "body": body})
    elif not output:
        sys.stdout.write(dump_plan_yaml(plan))


@plan_app.command("check")
def check(
    path: Path = typer.Argument(..., help="Plan file"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    url: str = URL_OPTION,
    token: str = TOKEN_OPTION,
) -> None:
    """Would publishing this file succeed? Asks the server, changes nothing.

    The server judges the file against the plan's published versions under the plan's
    compatibility mode (the latest version, or every version for a transitive mode).

    Exit 0 when it would be published (a plan not yet on the server is new: 0), 1 when it would
    be refused, listing the changes not allowed.

    JSON: `{"plan", "file", "exists": bool, "is_compatible", "mode", "category", "against_version":
    int | null, "changes": [change], "messages": [str]}`.
    """
    with handled(as_json):
        plan = load_plan_file(path)
        try:
            report = Client(url, token).json("POST", plan_path(plan.name, "compatibility"), json=plan.body())
            exists = True
        except ApiError as exc:
            if exc.http_status != 404 or exc.api_code != "plan_not_found":
                raise
            report = {"is_compatible": True, "mode": plan.compatibility or "BACKWARD", "category": "additive",
                      "changes": [], "messages": []}
            exists = False
    result = {"plan": plan.name, "file": str(path), "exists": exists, "against_version": None, **report}
    if as_json:
        print_json(result)
    else:
        _print_check(result)
    raise typer.Exit(OK if result["is_compatible"] else NO)


def _print_check(result: dict[str, Any]) -> None:
    for change in result["changes"]:
        out(change_line(change))
    name, mode = result["plan"], result["mode"]
    if not result["exists"]:
        out(f"{name}: not on the server yet; publishing would create version 1")
    elif result["is_compatible"] and not result["changes"]:
        out(f"{name}: no changes from the latest version (nothing to publish)")
    elif result["is_compatible"]:
        out(f"{name}: publishing would succeed ({len(result['changes'])} change(s), overall {result['category']}, "
            f"allowed under {mode})")
    else:
        against = result.get("against_version")
        versus = f" with version {against}" if against else ""
        shown = {f"{c.get('path')}: {c.get('message')}" for c in result["changes"]}
        others = [m for m in result["messages"] if m not in shown]  # a transitive mode's, against an older version
        count = len(result["messages"])
        out(f"{name}: publishing would be {paint('refused', 'red')}: not compatible{versus} under {mode} "
            f"({count} change(s) not allowed)")
        for message in others:
            out(f"  {message}")
