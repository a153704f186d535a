"""``governance plan versions|history|rollback``: a plan's published versions on a running server."""

from __future__ import annotations

from typing import Any

import typer

from governance.cli.client import TOKEN_OPTION, URL_OPTION, ApiError, Client
from governance.cli.output import JSON_HELP, NO, OK, handled, note, out, print_json, table, when
from governance.cli.plan import plan_app
from governance.cli.plan_remote import plan_path, print_refusal, refusal


def _versions(client: Client, name: str) -> list[dict[str, Any]]:
    """Every published version, newest first, without bodies."""
    found = list(client.pages(plan_path(name, "versions")))
    return sorted(found, key=lambda v: -int(v["version"]))


@plan_app.command("versions")
def versions(
    name: str = typer.Argument(..., help="Plan name or id"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    url: str = URL_OPTION,
    token: str = TOKEN_OPTION,
) -> None:
    """List a plan's published versions, newest first: category, changes, author, time, message.

    JSON: `{"plan", "versions": [{"version", "category", "changes": [change], "content_hash",
    "schema_hash", "message", "rollback_of", "created_by", "created_at"}]}`.
    """
    with handled(as_json):
        found = _versions(Client(url, token), name)
    if as_json:
        print_json({"plan": name, "versions": [{k: v for k, v in row.items() if k != "body"} for row in found]})
        return
    rows = [[v["version"], v["category"], len(v["changes"]), when(v["created_at"]), v["created_by"],
             v["rollback_of"], v["message"]] for v in found]
    table(["version", "category", "changes", "created", "by", "rollback_of", "message"], rows)


def _entry(at: str, actor: str | None, action: str, version: dict[str, Any] | None, details: Any) -> dict[str, Any]:
    return {"at": at, "actor": actor, "action": action, "version": version["version"] if version else None,
            "category": version["category"] if version else None, "message": version["message"] if version else None,
            "details": details}


def _history(client: Client, name: str) -> tuple[str, list[dict[str, Any]]]:
    """The audit log of the plan (admin), or its versions when the token may not read the audit log."""
    published = _versions(client, name)
    by_number = {v["version"]: v for v in published}
    plan_id = client.json("GET", plan_path(name))["id"]
    try:
        audit = list(client.pages("/api/v1/audit", entity="plan", entity_id=plan_id))
    except ApiError as exc:
        if exc.http_status != 403:
            raise
        note("the audit log needs an admin token: showing published versions only")
        entries = [_entry(v["created_at"], v["created_by"], "plan.rollback" if v["rollback_of"] else "plan.publish",
                          v, None) for v in published]
        return "versions", entries
    entries = []
    for row in audit:
        details = row.get("details")
        number = details.get("version") if isinstance(details, dict) else None
        entries.append(_entry(row["at"], row["actor"], row["action"], by_number.get(number), details))
    return "audit", entries


@plan_app.command("history")
def history(
    name: str = typer.Argument(..., help="Plan name or id"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    url: str = URL_OPTION,
    token: str = TOKEN_OPTION,
) -> None:
    """What happened to a plan, newest first: who created, edited, published or rolled it back, when, and why.

    Read from the audit log with an admin token; with a lower role, from the published versions.

    JSON: `{"plan", "source": "audit" | "versions", "entries": [{"at", "actor", "action", "version",
    "category", "message", "details"}]}`.
    """
    with handled(as_json):
        source, entries = _history(Client(url, token), name)
    if as_json:
        print_json({"plan": name, "source": source, "entries": entries})
        return
    rows = [[when(e["at"]), e["actor"], e["action"], e["version"], e["category"], e["message"]] for e in entries]
    table(["at", "actor", "action", "version", "category", "message"], rows)


@plan_app.command("rollback")
def rollback(
    name: str = typer.Argument(..., help="Plan name or id"),
    version: int = typer.Argument(..., min=1, help="The version whose body is published again as a new version"),
    message: str = typer.Option(None, help="Version message (default: 'rollback to version N')"),
    allow_breaking: bool = typer.Option(False, help="Roll back even if the compatibility mode forbids the change"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    url: str = URL_OPTION,
    token: str = TOKEN_OPTION,
) -> None:
    """Publish an old version's body as a new version (the draft follows). Judged like any publish.

    Exit 0 when published, 1 when refused as incompatible (the changes are listed).

    JSON: `{"plan", "outcome": "published" | "refused", "version": int | null, "rollback_of",
    "category": str | null, "refused": null | {"message", "mode", "against_version", "changes"}}`.
    """
    body = {"version": version, "message": message, "allow_breaking": allow_breaking}
    result: dict[str, Any] = {"plan": name, "outcome": "published", "version": None, "rollback_of": version,
                              "category": None, "refused": None}
    with handled(as_json):
        try:
            created = Client(url, token).json("POST", plan_path(name, "rollback"), json=body)
            result.update(version=created["version"], category=created["category"])
        except ApiError as exc:
            if exc.api_code != "incompatible_plan":
                raise
            result.update(outcome="refused", refused=refusal(exc))
    if as_json:
        print_json(result)
    elif result["refused"]:
        print_refusal(name, f"rollback to version {version}", result["refused"])
    else:
        out(f"{name}: published version {result['version']} ({result['category']}), the body of version {version}")
    raise typer.Exit(NO if result["refused"] else OK)
