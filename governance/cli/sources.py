"""``governance source create|list|show``: sources (where events come from) on a running server."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import typer

from governance.cli import app
from governance.cli.client import TOKEN_OPTION, URL_OPTION, Client
from governance.cli.output import JSON_HELP, handled, new_typer, out, print_json, table, text, when

source_app = new_typer("Sources (where events come from): create, list, show.")
app.add_typer(source_app, name="source")


def _plan_names(client: Client) -> dict[str, str]:
    return {plan["id"]: plan["name"] for plan in client.pages("/api/v1/plans")}


def _named(source: dict[str, Any], plans: dict[str, str]) -> dict[str, Any]:
    """The source as the API returns it, with its plan's name beside the plan id."""
    return {**source, "plan": plans.get(source.get("plan_id") or "")}


@source_app.command("create")
def source_create(
    name: str = typer.Option(..., help="Source name"),
    plan_ref: str = typer.Option(None, "--plan", help="Plan name or id to bind"),
    upstream: str = typer.Option(None, help="Upstream URL (e.g. https://api.segment.io)"),
    upstream_write_key: str = typer.Option(None, help="Write key sent to the upstream"),
    mode: str = typer.Option("enforce", help="enforce or shadow"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    url: str = URL_OPTION,
    token: str = TOKEN_OPTION,
) -> None:
    """Create a source and print its write key (shown once; stdout: the key alone).

    JSON: `{"id", "name", "write_key"}`.
    """
    body = {"name": name, "plan": plan_ref, "upstream_url": upstream, "upstream_write_key": upstream_write_key,
            "mode": mode}
    with handled(as_json):
        created = Client(url, token).json("POST", "/api/v1/sources", json=body)
    if as_json:
        print_json({"id": created["id"], "name": created["name"], "write_key": created["write_key"]})
    else:
        out(created["write_key"])


@source_app.command("list")
def source_list(
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    url: str = URL_OPTION,
    token: str = TOKEN_OPTION,
) -> None:
    """List sources: name, id, bound plan (and pinned version), mode, upstream.

    JSON: `{"sources": [source]}`, each source as `GET /api/v1/sources/{source}` answers it, plus
    `"plan"` (the bound plan's name).
    """
    with handled(as_json):
        client = Client(url, token)
        plans = _plan_names(client)
        found = [_named(s, plans) for s in client.pages("/api/v1/sources")]
    if as_json:
        print_json({"sources": found})
        return
    rows = [[s["name"], s["id"], s["plan"], s["plan_version"] or "latest", s["mode"], s["upstream_url"]]
            for s in found]
    table(["name", "id", "plan", "version", "mode", "upstream"], rows)


@source_app.command("show")
def source_show(
    source: str = typer.Argument(..., help="Source name or id"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    url: str = URL_OPTION,
    token: str = TOKEN_OPTION,
) -> None:
    """One source: its plan, upstream, mode, schema controls and write keys (prefixes only).

    JSON: the source as `GET /api/v1/sources/{source}` answers it, plus `"plan"` (the bound plan's
    name) and `"write_keys": [{"id", "prefix", "created_at", "revoked_at"}]`.
    """
    with handled(as_json):
        client = Client(url, token)
        ref = quote(source, safe="")
        found = client.json("GET", f"/api/v1/sources/{ref}")
        found = _named(found, _plan_names(client))
        found["write_keys"] = client.json("GET", f"/api/v1/sources/{ref}/write-keys")
    if as_json:
        print_json(found)
        return
    for key in ("name", "id", "plan", "plan_id", "plan_version", "mode", "upstream_url", "has_upstream_write_key",
                "created_at", "updated_at"):
        value = when(found[key]) if key.endswith("_at") else found.get(key)
        out(f"{key}: {text(value)}")
    out("settings:")
    for kind, controls in (found.get("settings") or {}).items():
        for control, value in (controls if isinstance(controls, dict) else {"": controls}).items():
            out(f"  {kind}.{control}: {text(value)}" if control else f"  {kind}: {text(value)}")
    out("write keys:")
    for key in found["write_keys"]:
        status = f"revoked {when(key['revoked_at'])}" if key.get("revoked_at") else "active"
        out(f"  {key['id']}  {key['prefix']}…  created {when(key['created_at'])}  {status}")
