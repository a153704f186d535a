"""``governance quality ...``: data-quality operations on the local database (GOVERNANCE_DATABASE_URL)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table

from governance.cli import app, console, fail
from governance.errors import GovernanceError

quality_app = typer.Typer(help="Data-quality operations: backfill history for the checks.", no_args_is_help=True)
app.add_typer(quality_app, name="quality")


@quality_app.command("backfill")
def backfill(
    path: Path = typer.Argument(..., help="CSV, JSONL or Segment event volume JSON ('-' reads standard input)"),
    source: str = typer.Option(None, "--source", help="Store every row for this source (name or id)"),
    fmt: str = typer.Option("auto", "--format", help="auto, csv, jsonl or segment"),
    granularity: str = typer.Option("auto", help="auto, hour or day"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Parse and report, store nothing"),
    as_json: bool = typer.Option(False, "--json", help="One JSON summary on stdout"),
) -> None:
    """Import historical hourly or daily counts per source and event, so the checks start with a baseline."""
    from governance.app import bootstrap
    from governance.db import make_engine
    from governance.errors import InvalidBody
    from governance.quality.backfill import import_counts
    from governance.settings import Settings

    if fmt not in ("auto", "csv", "jsonl", "segment") or granularity not in ("auto", "hour", "day"):
        fail(InvalidBody("--format is auto, csv, jsonl or segment; --granularity is auto, hour or day"),
             as_json=as_json, code=2)  # fmt: skip
    settings = Settings()
    engine = make_engine(settings.database_url)
    bootstrap(settings, engine)
    stream = sys.stdin.buffer if str(path) == "-" else None
    try:
        with (stream or path.open("rb")) as handle:
            summary = import_counts(engine, handle, now=datetime.now(UTC), fmt=fmt, granularity=granularity,  # type: ignore[arg-type]
                                    source=source, dry_run=dry_run)  # fmt: skip
    except GovernanceError as exc:
        fail(exc, as_json=as_json, code=2)
    except OSError as exc:
        fail(InvalidBody(f"{path}: {exc.strerror or exc}"), as_json=as_json, code=2)
    finally:
        engine.dispose()
    result = summary.to_dict() | {"dry_run": dry_run}
    if as_json:
        print(json.dumps(result, indent=2))
        return
    table = Table(title="backfill" + (" (dry run: nothing stored)" if dry_run else ""))
    table.add_column("")
    table.add_column("value", justify="right")
    for key, value in result.items():
        table.add_row(key, str(value))
    console.print(table)
