"""The ``governance`` command line (typer). Every command is documented in docs/reference/cli.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from governance.cli.client import TOKEN_OPTION, URL_OPTION, ApiError, Client
from governance.errors import GovernanceError

app = typer.Typer(help="Tracking-plan governance and data quality.", no_args_is_help=True,
                  pretty_exceptions_enable=False)  # fmt: skip
token_app = typer.Typer(help="Admin API tokens.", no_args_is_help=True)
source_app = typer.Typer(help="Sources (where events come from).", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(source_app, name="source")

console = Console()
err = Console(stderr=True)


def fail(exc: GovernanceError, *, as_json: bool = False, code: int = 1) -> None:
    """Print an error the way a user's CI reads it and exit non-zero."""
    api_code = getattr(exc, "api_code", exc.code)
    if as_json:
        print(json.dumps({"code": api_code, "message": exc.message, "details": exc.details}))
    else:
        err.print(f"[red]error[/red] ({api_code}): {exc.message}", highlight=False, markup=True)
        if isinstance(exc.details, list):
            for item in exc.details[:20]:
                err.print(f"  - {item}", highlight=False, markup=False)
    raise typer.Exit(code)


def emit(data: Any, as_json: bool) -> None:
    if as_json:
        print(json.dumps(data, indent=2, default=str))
    else:
        console.print(data)


@app.command()
def serve(
    host: str = typer.Option(None, help="Bind address (default GOVERNANCE_HOST or 127.0.0.1)"),
    port: int = typer.Option(None, help="Port (default GOVERNANCE_PORT or 8000)"),
    database_url: str = typer.Option(None, "--database-url", help="Overrides GOVERNANCE_DATABASE_URL"),
    demo: bool = typer.Option(False, help="Publish plans/ and print an admin token and a demo write key"),
    plans_dir: Path = typer.Option(Path("plans"), "--plans-dir", help="Example plans for --demo"),
    worker: bool = typer.Option(True, help="Also start the worker process (forwarder, scheduler)"),
) -> None:
    """Run the web process (API, proxy, console) and, by default, a worker beside it."""
    import uvicorn

    from governance.app import bootstrap, create_app
    from governance.db import make_engine
    from governance.settings import Settings

    overrides: dict[str, Any] = {k: v for k, v in {"host": host, "port": port, "database_url": database_url}.items()
                                 if v}  # fmt: skip
    settings = Settings(**overrides)
    env = {**os.environ, **{f"GOVERNANCE_{k.upper()}": str(v) for k, v in overrides.items()}}
    engine = make_engine(settings.database_url)
    bootstrap(settings, engine)  # tables exist before the worker and the web process both start
    if demo:
        from governance.demo import set_up_demo

        creds = set_up_demo(engine, plans_dir)
        base = f"http://{settings.host}:{settings.port}"
        console.print(f"[bold]governance[/bold] on {base}  (API docs: {base}/docs)")
        console.print(f"  plans published: {', '.join(creds.plans)}")
        console.print(f"  admin token:     {creds.admin_token}")
        console.print(f"  demo write key:  {creds.write_key}  (source '{creds.source_name}')")
        console.print(f"  try: curl -u '{creds.write_key}:' {base}/v1/validate -H 'content-type: application/json' "
                      "-d '{\"type\":\"track\",\"event\":\"Completed Order\",\"userId\":\"u1\"}'",
                      highlight=False, markup=False, soft_wrap=True)  # fmt: skip
    engine.dispose()
    child = None
    if worker and settings.run_worker:
        child = subprocess.Popen([sys.executable, "-m", "governance", "worker"], env=env)
    try:
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info",
                    access_log=settings.access_log)  # fmt: skip
    finally:
        if child is not None:
            child.terminate()
            child.wait(timeout=10)


@app.command()
def worker() -> None:
    """Run the worker: forwarder (outbox -> upstream), scheduler (checks), alert delivery."""
    from governance.worker import run_worker

    run_worker()


@token_app.command("create")
def token_create(
    role: str = typer.Option(..., help="viewer, editor or admin"),
    name: str = typer.Option("cli", help="A label to tell tokens apart"),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON object"),
) -> None:
    """Create an API token in the local database (GOVERNANCE_DATABASE_URL) and print it once."""
    from governance.app import bootstrap
    from governance.db import make_engine, write_session
    from governance.registry.tokens import create_token
    from governance.settings import Settings

    settings = Settings()
    engine = make_engine(settings.database_url)
    bootstrap(settings, engine)
    try:
        with write_session(engine) as session:
            row, secret = create_token(session, role=role, name=name, actor="cli")
            token_id = row.id
    except GovernanceError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print(json.dumps({"id": token_id, "role": role, "token": secret}))
    else:
        print(secret)


@source_app.command("create")
def source_create(
    name: str = typer.Option(..., help="Source name"),
    plan_ref: str = typer.Option(None, "--plan", help="Plan name or id to bind"),
    upstream: str = typer.Option(None, help="Upstream URL (e.g. https://api.segment.io)"),
    upstream_write_key: str = typer.Option(None, help="Write key sent to the upstream"),
    mode: str = typer.Option("enforce", help="enforce or shadow"),
    as_json: bool = typer.Option(False, "--json", help="Print {id, write_key} as JSON"),
    url: str = URL_OPTION,
    token: str = TOKEN_OPTION,
) -> None:
    """Create a source on a running server and print its write key (shown once)."""
    body = {"name": name, "plan": plan_ref, "upstream_url": upstream, "upstream_write_key": upstream_write_key,
            "mode": mode}  # fmt: skip
    try:
        created = Client(url, token).json("POST", "/api/v1/sources", json=body)
    except ApiError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print(json.dumps({"id": created["id"], "write_key": created["write_key"], "name": created["name"]}))
    else:
        print(created["write_key"])


def main() -> None:
    app()


from governance.cli import bench, db, formats, plan, validate  # noqa: E402, F401 - sub-command registration
