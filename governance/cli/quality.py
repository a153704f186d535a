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
                           "database")
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
        f"({result['first'] or '-'} .. {result['last'] or '-'}) from {result['rows']} rows")
    for name, rows in sorted(result["sources"].items()):
        out(f"  {name}: {rows}")
    for reason, rows in sorted(result["skipped"].items()):
        out(f"  skipped {rows}: {reason}")


@quality_app.command("expected")
def expected(
    alert_id: int = typer.Argument(..., help="The alert to mark expected (a campaign, a launch)"),
    note: str = typer.Option("", "--note", help="Why it was expected"),
    start: datetime = typer.Option(None, "--start", help="Start, ISO 8601 (default: an hour before it fired)"),
    end: datetime = typer.Option(None, "--end", help="End, ISO 8601 (default: when it resolved, or until it does)"),
    actor: str = typer.Option("cli", "--actor", help="Who marks it (recorded in the audit log)"),
    database_url: str = DATABASE_OPTION,
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Mark a fired alert expected: its period is left out of the baselines (docs/quality/teaching.md).

    Like `POST /api/v1/alerts/{id}/expected`, for volume, silence and decline alerts.

    JSON: `{"id", "alert_id", "source_id", "event", "starts_at", "ends_at", "note", "created_by", "created_at"}`.
    """
    from governance.api.routes.teaching import ExpectedPeriodPublic, ExpectedRequest, teach

    with handled(as_json):
        if not database_url:
            raise NoTarget("quality expected needs --database-url (or GOVERNANCE_DATABASE_URL) naming the server's "
                           "database")
        engine = _existing_engine(database_url)
        try:
            body = ExpectedRequest(note=note, starts_at=_aware(start), ends_at=_aware(end))
            row = teach(engine, alert_id, body, actor=actor, now=datetime.now(UTC))
        finally:
            engine.dispose()
    result = ExpectedPeriodPublic.of(row).model_dump(mode="json")
    if as_json:
        print_json(result)
        return
    out(f"alert {alert_id}: {result['event'] or 'every event'} from {result['starts_at']} to "
        f"{result['ends_at'] or 'its resolution'} is left out of the baselines")


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment
