"""``governance quality backfill``: historical counts into the local database, so the checks start with a baseline.

Like ``token create``, it writes only to an existing, current governance database
(``--database-url`` or ``GOVERNANCE_DATABASE_URL``) and never creates one.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import typer

from governance.cli import app
from governance.cli.output import JSON_HELP, handled, new_typer, out, print_json
from governance.cli.tokens import DATABASE_OPTION, NoTarget, _existing_engine
from governance.errors import InvalidBody

quality_app = new_typer("Data-quality operations: backfill history for the checks.")
app.add_typer(quality_app, name="quality")
FORMATS = ("auto", "csv", "jsonl", "segment")
GRANULARITIES = ("auto", "hour", "day")


@quality_app.command("backfill")
def backfill(
    path: Path = typer.Argument(..., help="CSV, JSONL or Segment event volume JSON ('-' reads standard input)"),
    source: str = typer.Option(None, "--source", help="Store every row for this source (name or id)"),
    fmt: str = typer.Option("auto", "--format", help="auto, csv, jsonl or segment"),
    granularity: str = typer.Option("auto", help="auto, hour or day"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Parse and report; store nothing"),
    database_url: str = DATABASE_OPTION,
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Import historical hourly or daily counts per source and event (docs/quality/backfill.md).

    Columns are matched by name (source, event, hour/time/date, count and their aliases); a
    Segment `GET /events/volume` body is read as it is. Rows replace earlier imports of the same
    source, event and hour or day.

    JSON: `{"rows", "stored", "granularity", "sources": {name: rows}, "events", "first", "last",
    "skipped": {reason: rows}, "dry_run"}`.
    """
    from governance.quality.backfill import import_counts

    with handled(as_json):
        if fmt not in FORMATS or granularity not in GRANULARITIES:
            raise InvalidBody(f"--format is one of {', '.join(FORMATS)}; "
                              f"--granularity one of {', '.join(GRANULARITIES)}")
        if not database_url:
            raise NoTarget("quality backfill needs --database-url (or GOVERNANCE_DATABASE_URL) naming the server's "
                           "database")  # fmt: skip
        engine = _existing_engine(database_url)
        try:
            with sys.stdin.buffer if str(path) == "-" else path.open("rb") as stream:
                summary = import_counts(engine, stream, now=datetime.now(UTC), fmt=fmt,  # type: ignore[arg-type]
                                        granularity=granularity, source=source, dry_run=dry_run)  # type: ignore[arg-type]
        finally:
            engine.dispose()
    result = summary.to_dict() | {"dry_run": dry_run}
    if as_json:
        print_json(result)
        return
    verb = "would store" if dry_run else "stored"
    out(f"{verb} {result['stored']} {result['granularity']}ly counts of {result['events']} events "
        f"({result['first'] or '-'} .. {result['last'] or '-'}) from {result['rows']} rows")  # fmt: skip
    for name, rows in sorted(result["sources"].items()):
        out(f"  {name}: {rows}")
    for reason, rows in sorted(result["skipped"].items()):
        out(f"  skipped {rows}: {reason}")
