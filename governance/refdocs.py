"""Reference pages generated from the code: settings, CLI commands and REST routes.

``python -m governance.refdocs`` rewrites ``docs/reference/{settings,cli,rest-api}.md`` and
``docs/reference/plan.schema.json`` (the plan format's JSON Schema, for editors);
``tests/test_docs.py`` fails when a page is stale or an entry has no description, so nothing
ships undocumented. The prose around each table lives here, next to what it describes.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import typer.main

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "reference"

SETTINGS_INTRO = """# Settings

Every setting is read from the environment with the prefix `GOVERNANCE_` (for example
`GOVERNANCE_DATABASE_URL`), once, at start-up; contradictions (an event limit larger than the
batch limit, an SMTP password without a user, ...) stop the process with a message. Secrets are
never printed or logged. The limits and their anchors are explained in [limits](limits.md).

| variable | default | description |
|---|---|---|
"""

CLI_INTRO = """# Command line

`governance` is installed with the package (`.venv/bin/governance` after `make run` or `make test`).
Commands that talk to a running server take `--url` and `--token`, defaulting to the
`GOVERNANCE_URL` and `GOVERNANCE_TOKEN` environment variables; commands that work on files need
neither.

## Output

- **stdout carries the result** (the plan YAML, the changes, the table, the token), **stderr
  the diagnostics** (errors, import reports, progress, hints), so `governance ... | grep` and
  `x=$(governance ...)` see only the result.
- Human output is plain lines. The CLI never wraps a line: a terminal soft-wraps it, a pipe or a
  CI log gets it whole (`events."Completed Order".properties.total: ...` stays on one line).
  Colour only on a terminal, and never with `NO_COLOR` set. Tables are aligned columns with
  capitalised headers, nothing cut.
- **`--json`** (every command takes it) prints one JSON document on stdout, in the shape given
  under the command below; keys are only ever added. With `--json` an error (exit 2 or 3) is one
  line on stderr, `{"error": {"code", "message", "status", "details"}}`, where `code` is the
  server's stable error code (see [the REST API](rest-api.md#error-codes)) or one of the CLI's
  (`file_error`, `no_database`, `no_target`, `database_unreachable`, `unreachable`,
  `not_the_api`, `http_error`) and `status` the HTTP status (`0`: no answer; `null`: not from
  the server). Usage errors (an unknown option, a missing argument) are found before a command
  runs and are plain text, exit 2. A `change` in a shape below is one entry of the REST diff:
  `{"kind", "path", "event", "category", "backward", "forward", "message", "old", "new"}`.

## Exit codes

{exit_codes}
A CI job gates on these: `plan lint` and `plan check` (or `plan diff NAME@latest FILE`) on a pull
request, `plan push --publish` on the main branch ([plans in CI](../how-to/plans-in-ci.md)).

## Two commands with a choice to know

- `token create` writes to a database only when one is named, with `--database-url` or
  `GOVERNANCE_DATABASE_URL`, and only if it already exists (SQLite: the file; PostgreSQL: the
  tables): that is how the first admin token is made. Otherwise it asks the server at `--url`,
  which needs an admin `--token`. With neither it refuses with exit 2 and creates nothing.
- `serve --demo` mints a fresh admin token and demo write key at every start and **revokes**
  the ones earlier `--demo` starts minted (they are stored hashed, so they cannot be shown
  again); the banner says how many it revoked.

"""


REST_INTRO = """# REST API

All routes answer JSON. The OpenAPI document is served at `/openapi.json` and browsable at
`/docs` on a running server (Swagger UI, from files vendored in `web/vendor/swagger-ui/`: it works
offline). Admin routes under `/api/v1` need `Authorization: Bearer <token>` (security scheme
`bearerToken`; roles viewer < editor < admin: 401 without a valid token, with
`WWW-Authenticate: Bearer realm="governance"`, 403 for a role too low). Ingestion routes under
`/v1` take a source's write key as HTTP Basic `writeKey:` (scheme `writeKey`; a 401 carries
`WWW-Authenticate: Basic realm="governance ingestion"`) or `writeKey` in the body (see
[the proxy](../proxy/ingestion.md)). "Authorize" in `/docs` takes either. Routes marked
`public` need nothing: `/api/v1/schemas/plan.json` is the [plan format](plan-format.md) as a
JSON Schema ([committed copy](plan.schema.json)).

Request bodies are strict: a key a body does not define is refused with 422
`validation_failed` and its path (`{"path": "settings.track.allowUnplanedEvents", "message":
"unknown key"}`), and a plan document that writes a key twice is refused with 422 `plan_invalid`
naming both lines. Plan documents (JSON, or YAML with `Content-Type: application/yaml`) are typed
in the OpenAPI document by the plan format's schema (`#/components/schemas/Plan`).

Errors always have the shape `{"code": "...", "message": "...", "details": ...}`; `code` is
stable (see `governance/errors.py`). Lists are paginated with `limit` (1-500, default 50) and
`offset`, and answer `{"data": [...], "count": total}`. Draft edits need `If-Match` with the
draft's `ETag` (412 when stale, 428 when missing). A version reference is a number, `latest`
(and, in a diff, `draft`); anything else is 400 `invalid_version_ref`. A rollback is judged like
a publish: 409 `incompatible_plan` with the changes unless `allow_breaking: true`.

| method | path | role | summary |
|---|---|---|---|
"""


def settings_page() -> str:
    from governance.settings import Settings

    rows = []
    for name, info in Settings.model_fields.items():
        default = info.default if info.default_factory is None else info.default_factory()  # type: ignore[call-arg]
        if hasattr(default, "get_secret_value"):
            default = "(secret)"
        shown = "—" if default is None else f"`{default}`"
        rows.append(f"| `GOVERNANCE_{name.upper()}` | {shown} | {info.description or ''} |")
    return SETTINGS_INTRO + "\n".join(rows) + "\n"


def _commands(group: Any, prefix: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    if hasattr(group, "commands"):  # a group (typer vendors its own click classes)
        for name, command in sorted(group.commands.items()):
            out += _commands(command, f"{prefix} {name}")
    else:
        out.append((prefix, group))
    return out


def cli_commands() -> list[tuple[str, Any]]:
    from governance.cli import app

    return _commands(typer.main.get_command(app), "governance")


def exit_code_table() -> str:
    from governance.cli.output import EXIT_CODES

    rows = [f"| `{code}` | {meaning} | {example} |" for code, meaning, example in EXIT_CODES]
    return "\n".join(["| code | meaning | for example |", "|---|---|---|", *rows]) + "\n"


def cli_page() -> str:
    parts = [CLI_INTRO.replace("{exit_codes}", exit_code_table())]
    for path, command in cli_commands():
        parts.append(f"## `{path}`\n\n{(command.help or '').strip()}\n")
        options = []
        for param in command.params:
            if param.name == "help":
                continue
            if param.param_type_name == "argument":
                options.append(f"- `{(param.name or '').upper()}` (argument){_help(param)}")
            else:
                names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
                options.append(f"- {names}{_help(param)}")
        if options:
            parts.append("\n".join(options) + "\n")
    return "\n".join(parts)


def _help(param: click.Parameter) -> str:
    text = getattr(param, "help", None)
    return f": {text}" if text else ""


def rest_routes() -> list[dict[str, Any]]:
    from governance.app import create_app
    from governance.settings import Settings

    app = create_app(Settings(database_url="sqlite:///:memory:"))
    schema = app.openapi()
    routes = []
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            routes.append({"method": method.upper(), "path": path, "summary": op.get("summary", "")})
    return sorted(routes, key=lambda r: (r["path"], r["method"]))


def rest_page() -> str:
    roles = route_roles()
    rows = []
    for route in rest_routes():
        role = roles.get((route["method"], route["path"]), "")
        rows.append(f"| {route['method']} | `{route['path']}` | {role} | {route['summary']} |")
    return REST_INTRO + "\n".join(rows) + "\n\n" + error_table()


def error_codes() -> list[tuple[str, int, str]]:
    """(code, status, description) of every error class, from governance/errors.py."""
    from governance.errors import GovernanceError

    seen: dict[str, tuple[str, int, str]] = {}
    stack = list(GovernanceError.__subclasses__())
    while stack:
        cls = stack.pop(0)
        stack.extend(cls.__subclasses__())
        if cls.__module__ != "governance.errors":
            continue
        doc = (cls.__doc__ or cls.__name__).strip().splitlines()[0].replace("``", "`")
        seen.setdefault(cls.code, (cls.code, cls.status, doc))
    return sorted(seen.values(), key=lambda item: (item[1], item[0]))


def error_table() -> str:
    rows = "\n".join(f"| `{code}` | {status} | {doc} |" for code, status, doc in error_codes())
    return ("## Error codes\n\nIngestion routes keep Segment's messages (see the proxy page); the admin API answers:"
            "\n\n| code | status | meaning |\n|---|---|---|\n" + rows + "\n")


def route_roles() -> dict[tuple[str, str], str]:
    """The lowest role each route admits, read from its dependencies (every router module)."""
    import importlib
    import pkgutil

    from fastapi.routing import APIRoute

    import governance.api.routes as package
    from governance.api.deps import public

    modules = [importlib.import_module(f"{package.__name__}.{m.name}") for m in pkgutil.iter_modules(package.__path__)]
    modules.append(importlib.import_module("governance.proxy.routes"))
    out: dict[tuple[str, str], str] = {}
    for module in modules:
        for route in getattr(module, "router").routes:  # noqa: B009
            if not isinstance(route, APIRoute):
                continue
            role = "write key" if module.__name__ == "governance.proxy.routes" else "none"
            for dep in route.dependant.dependencies:
                if getattr(dep.call, "__qualname__", "").startswith("require.<locals>"):
                    role = dep.call.__closure__[0].cell_contents  # type: ignore[index,union-attr]
                elif dep.call is public:
                    role = "public"
            for method in route.methods or ():
                out[(method, route.path)] = role
    return out


def plan_schema_page() -> str:
    """``docs/reference/plan.schema.json``: what ``/api/v1/schemas/plan.json`` serves, for editors offline."""
    import json

    from governance.plan.schema import plan_json_schema

    return json.dumps(plan_json_schema(), indent=2, ensure_ascii=False) + "\n"


PAGES = {"settings.md": settings_page, "cli.md": cli_page, "rest-api.md": rest_page,
         "plan.schema.json": plan_schema_page}


def main() -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    for name, render in PAGES.items():
        (DOCS / name).write_text(render())
        print(f"wrote {DOCS / name}", file=sys.stderr)


if __name__ == "__main__":
    main()
