"""``governance serve`` and ``governance worker``: the two long-running processes."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import typer

from governance.cli import app
from governance.cli.output import handled, note, out
from governance.errors import IncompatiblePlan

SERVE_JSON = "Start-up summary as one JSON line on stdout, log records as JSON lines on stderr"


@app.command()
def serve(
    host: str = typer.Option(None, help="Bind address (default GOVERNANCE_HOST or 127.0.0.1)"),
    port: int = typer.Option(None, help="Port (default GOVERNANCE_PORT or 8000)"),
    database_url: str = typer.Option(None, "--database-url", help="Overrides GOVERNANCE_DATABASE_URL"),
    demo: bool = typer.Option(False, help="Publish plans/ and print an admin token and a demo write key"),
    plans_dir: Path = typer.Option(Path("plans"), "--plans-dir", help="Example plans for --demo"),
    worker: bool = typer.Option(True, help="Also start the worker process (forwarder, scheduler)"),
    workers: int = typer.Option(None, "--workers", min=1, max=64,
                                help="Web processes on the one port (default GOVERNANCE_WEB_WORKERS or 1)"),
    as_json: bool = typer.Option(False, "--json", help=SERVE_JSON),
) -> None:
    """Run the web process (API, proxy, console) and, by default, a worker beside it.

    With --demo every start mints a fresh admin token and demo write key and revokes the ones
    the previous --demo start printed (secrets are stored hashed and cannot be shown twice).

    JSON: `{"url", "docs", "demo": null | {"plans", "admin_token", "source", "write_key",
    "revoked_tokens", "revoked_keys"}}`.
    """
    from governance.app import create_app
    from governance.bootstrap import bootstrap
    from governance.db import make_engine
    from governance.logs import configure_logging
    from governance.settings import Settings
    from governance.timeouts import run_web
    from governance.worker.supervisor import serve_supervised

    overrides: dict[str, Any] = {k: v for k, v in {"host": host, "port": port, "database_url": database_url,
                                                   "web_workers": workers}.items() if v}
    settings = Settings(**overrides)
    configure_logging(settings.log_level, json_lines=as_json)
    env = {**os.environ, **{f"GOVERNANCE_{k.upper()}": str(v) for k, v in overrides.items()}}
    engine = make_engine(settings.database_url)
    base = f"http://{settings.host}:{settings.port}"
    with handled(as_json):
        bootstrap(settings, engine)  # tables exist before the worker and the web process both start
        summary: dict[str, Any] = {"url": base, "docs": f"{base}/docs", "demo": None}
        if demo:
            summary["demo"] = _demo(engine, plans_dir)
    engine.dispose()
    if as_json:
        out(json.dumps(summary))  # one line: a supervisor reads it before the logs follow
    else:
        _banner(summary)
    command = [sys.executable, "-m", "governance", "worker", *(["--json"] if as_json else [])]
    command_or_none = command if worker and settings.run_worker else None
    if settings.web_workers > 1:
        _serve_many(settings, command_or_none, env, as_json)
        return
    web = create_app(settings)  # the worker is supervised: restarted when it dies, stopped with serve
    web.state.tune_gc = True  # governance.webgc, once started
    serve_supervised(lambda on_exit: run_web(web, settings, on_exit), command_or_none, env)


def _serve_many(settings: Any, command: list[str] | None, env: dict[str, str], as_json: bool) -> None:
    """``--workers N``: N web processes on one port, sharing metrics and the worker's status."""
    from governance.webprocs import JSON_LOGS_ENV, run_web_processes, shared_state
    from governance.worker.supervisor import serve_supervised

    os.environ.update({k: v for k, v in env.items() if k.startswith("GOVERNANCE_")})  # the web processes' settings
    os.environ[JSON_LOGS_ENV] = "1" if as_json else "0"
    with shared_state(worker=command is not None) as status_file:
        serve_supervised(lambda on_exit: run_web_processes(settings, settings.web_workers, on_exit), command,
                         env, status_file=status_file)


def _demo(engine: Any, plans_dir: Path) -> dict[str, Any]:
    from governance.demo import set_up_demo

    try:
        creds = set_up_demo(engine, plans_dir)
    except IncompatiblePlan:
        note(f"--demo publishes {plans_dir}/*.yaml; a file that breaks the plan's published version is "
             "refused: publish it with `governance plan push FILE --publish --allow-breaking`, or "
             "start on a new database")
        raise
    return {"plans": creds.plans, "admin_token": creds.admin_token, "source": creds.source_name,
            "write_key": creds.write_key, "revoked_tokens": creds.revoked_tokens,
            "revoked_keys": creds.revoked_keys}


def _banner(summary: dict[str, Any]) -> None:
    out(f"governance on {summary['url']}  (API docs: {summary['docs']})")
    demo = summary["demo"]
    if demo is None:
        return
    out(f"  console:         {summary['url']}/  (sign in with the admin token)")
    out(f"  plans published: {', '.join(demo['plans']) or '-'}")
    out(f"  admin token:     {demo['admin_token']}")
    out(f"  demo write key:  {demo['write_key']}  (source '{demo['source']}')")
    if demo["revoked_tokens"] or demo["revoked_keys"]:
        out(f"  revoked the previous start's {demo['revoked_tokens']} demo token(s) and "
            f"{demo['revoked_keys']} write key(s)")
    out(f"  try: curl -u '{demo['write_key']}:' {summary['url']}/v1/validate -H 'content-type: application/json' "
        "-d '{\"type\":\"track\",\"event\":\"Completed Order\",\"userId\":\"u1\"}'")


@app.command()
def worker(as_json: bool = typer.Option(False, "--json", help="Log records as JSON lines on stderr")) -> None:
    """Run the worker: forwarder (outbox -> upstream), scheduler (checks), alert delivery.

    It prints nothing on stdout; logs go to stderr (JSON lines with --json).
    """
    from governance.worker import run_worker

    with handled(as_json):
        run_worker(json_logs=as_json)

