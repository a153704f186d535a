"""Import historical event counts so a new install starts with a baseline (``governance quality backfill``).

Three shapes of file are read (CSV and JSONL line by line):

- **CSV** with a header, as a warehouse query or RudderStack's event volume export writes it;
- **JSONL**, one object per line, with the same keys;
- **Segment's event volume JSON**, the body of ``GET /events/volume`` of the Public API
  (``{"data": {"query": {"granularity": ...}, "result": [{"source": {...}, "eventName": ...,
  "eventType": ..., "series": [{"time": ..., "count": ...}]}]}}``); only ``track`` series are
  events (identify, page and the others are skipped and counted).

Columns are matched by name, case-insensitively: the source (``source``, ``source_id``,
``source_name``, ``source_slug``, ``sourceId``), the event (``event``, ``event_name``,
``eventName``, ``name``), the time (``hour``, ``time``, ``timestamp``, ``date``, ``day``,
``bucket``, ``period``, ``date_hour``, ``hour_start``, ``window_start``) and the count
(``count``, ``events``, ``total``, ``volume``). A time is an ISO 8601 date or date-time (naive:
UTC) or epoch seconds; counts inside one hour are summed. With
``granularity="auto"`` the file is daily when every time is midnight and no event has two rows
less than a day apart, else hourly. Sources are matched by name or id, or all go to ``source``.

Rows for the same (source, event, hour or day) replace what an earlier import stored. Hours
older than what the checks read (``HISTORY_HOURS``) or in the future are skipped and counted.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import pairwise
from typing import Any, BinaryIO, Literal

from sqlalchemy import Engine, and_, delete, insert, or_
from sqlmodel import select

from governance.clock import as_utc
from governance.errors import InvalidBody, SourceNotFound
from governance.quality.queries import HISTORY_HOURS
from governance.quality.tables import BackfillRow
from governance.registry.tables import SourceRow

Granularity = Literal["auto", "hour", "day"]
Format = Literal["auto", "csv", "jsonl", "segment"]
ALIASES = {
    "source": ("source", "source_id", "sourceid", "source_name", "source_slug", "sourcename"),
    "event": ("event", "event_name", "eventname", "name"),
    "time": ("hour", "time", "timestamp", "date", "day", "bucket", "period", "date_hour", "hour_start", "window_start"),
    "count": ("count", "events", "total", "volume"),
}
MAX_ERRORS = 20


@dataclass
class Summary:
    """What an import read, stored and skipped."""

    rows: int = 0
    stored: int = 0
    granularity: str = "hour"
    sources: dict[str, int] = field(default_factory=dict)  # source name -> stored rows
    events: int = 0
    first: str | None = None
    last: str | None = None
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> rows

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + n

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "stored": self.stored, "granularity": self.granularity, "sources": self.sources,
                "events": self.events, "first": self.first, "last": self.last, "skipped": self.skipped}


@dataclass(frozen=True)
class Record:
    line: int
    source: str
    event: str
    moment: datetime
    count: int


def parse_time(value: Any) -> datetime:
    """An aware UTC datetime from an ISO 8601 date/date-time or epoch seconds."""
    if isinstance(value, bool):
        raise ValueError(f"not a time: {value!r}")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    text = str(value).strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1)))


def _pick(row: dict[str, Any], what: str, line: int) -> Any:
    keys = {k.lower().replace("-", "_"): k for k in row}
    for alias in ALIASES[what]:
        if alias in keys and row[keys[alias]] not in (None, ""):
            return row[keys[alias]]
    if what == "source":
        return None
    raise InvalidBody(f"line {line}: no {what} column (one of {', '.join(ALIASES[what])})")


def _record(row: dict[str, Any], line: int) -> Record:
    try:
        count = float(_pick(row, "count", line))
        if count < 0 or count != int(count):
            raise ValueError(f"count must be a whole number >= 0, got {count:g}")
        moment = parse_time(_pick(row, "time", line))
    except (TypeError, ValueError) as exc:
        raise InvalidBody(f"line {line}: {exc}") from None
    source = _pick(row, "source", line)
    return Record(line, "" if source is None else str(source), str(_pick(row, "event", line)), moment, int(count))


def read_records(stream: BinaryIO, fmt: Format = "auto", summary: Summary | None = None) -> tuple[list[Record], str]:
    """Every record of a CSV, JSONL or Segment file, and the granularity the file names (or ``auto``).

    CSV and JSONL are read line by line; a Segment body is one JSON document.
    """
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    if fmt == "auto":
        first = ""
        while not first.strip():
            chunk = text.read(1)
            if not chunk:
                return [], "auto"
            first += chunk
        rest = first + text.read(4095)
        fmt = "segment" if rest.lstrip().startswith("{") and _looks_like_segment(rest) else \
            "jsonl" if rest.lstrip().startswith("{") else "csv"
        lines: Iterable[str] = _chain(rest, text)
    else:
        lines = text
    if fmt == "segment":
        return _segment("".join(lines), summary or Summary())
    if fmt == "jsonl":
        return [_record(_json_line(raw, n), n) for n, raw in enumerate(_split(lines), 1) if raw.strip()], "auto"
    reader = csv.DictReader(_split(lines))
    return [_record(row, n) for n, row in enumerate(reader, 2)], "auto"


def _chain(head: str, rest: io.TextIOWrapper) -> Iterator[str]:
    yield head
    yield from iter(lambda: rest.read(1 << 16), "")


def _split(chunks: Iterable[str]) -> Iterator[str]:
    """Lines of a stream of text chunks (newlines kept, as ``csv`` wants them)."""
    pending = ""
    for chunk in chunks:
        pending += chunk
        *lines, pending = pending.split("\n")
        yield from (line + "\n" for line in lines)
    if pending:
        yield pending


def _looks_like_segment(head: str) -> bool:
    """A Segment event volume body starts with ``{"data"`` or ``{"path"``/``{"query"``/``{"result"``."""
    compact = head.lstrip()[1:].lstrip()
    return compact.startswith(('"data"', '"path"', '"query"', '"result"'))


def _json_line(raw: str, line: int) -> dict[str, Any]:
    try:
        row = json.loads(raw)
    except ValueError as exc:
        raise InvalidBody(f"line {line}: not JSON: {exc}") from None
    if not isinstance(row, dict):
        raise InvalidBody(f"line {line}: expected an object")
    return row


def _segment(text: str, summary: Summary) -> tuple[list[Record], str]:
    body = json.loads(text)
    data = body.get("data") or body
    granularity = str((data.get("query") or {}).get("granularity") or "auto").lower()
    out: list[Record] = []
    for i, series in enumerate(data.get("result") or []):
        if (series.get("eventType") or "track") != "track" or not series.get("eventName"):
            summary.skip("not a track event", len(series.get("series") or []))
            continue
        source = series.get("source") or {}
        name = source.get("name") or source.get("slug") or source.get("id") or ""
        for point in series.get("series") or []:
            out.append(_record({"source": name, "event": series["eventName"], "time": point.get("time"),
                                "count": point.get("count")}, i + 1))
    return out, {"minute": "hour", "hour": "hour", "day": "day"}.get(granularity, "auto")


def granularity_of(records: list[Record]) -> str:
    """``day`` when every record is at midnight and no event has two records less than a day apart."""
    if not records or any(r.moment.hour or r.moment.minute or r.moment.second for r in records):
        return "hour"
    seen: dict[tuple[str, str], list[datetime]] = {}
    for r in records:
        seen.setdefault((r.source, r.event), []).append(r.moment)
    for moments in seen.values():
        ordered = sorted(moments)
        if any((b - a).total_seconds() < 86_400 for a, b in pairwise(ordered)):
            return "hour"
    return "day"


def _sources(engine: Engine, records: Iterable[Record], override: str | None) -> dict[str, SourceRow]:
    from sqlmodel import Session

    with Session(engine) as session:
        rows = list(session.exec(select(SourceRow)).all())
    by_key = {k: r for r in rows for k in (r.id, r.name)}
    if override is not None:
        if override not in by_key:
            raise SourceNotFound(f"source {override!r} does not exist")
        return {r.source: by_key[override] for r in records} | {"": by_key[override]}
    wanted = {r.source for r in records}
    missing = sorted(s for s in wanted if s not in by_key)
    if missing:
        raise SourceNotFound(f"no source named {', '.join(repr(m) for m in missing[:5])}; give --source, or create "
                             f"it first (known: {', '.join(sorted(r.name for r in rows)) or 'none'})")
    return {s: by_key[s] for s in wanted}


def import_counts(engine: Engine, stream: BinaryIO, *, now: datetime, fmt: Format = "auto",
                  granularity: Granularity = "auto", source: str | None = None, dry_run: bool = False) -> Summary:
    """Parse, aggregate and store the counts of ``stream`` (see the module docstring)."""
    summary = Summary()
    records, named = read_records(stream, fmt, summary)
    summary.rows = len(records) + sum(summary.skipped.values())
    kind = granularity if granularity != "auto" else (named if named != "auto" else granularity_of(records))
    summary.granularity = kind
    sources = _sources(engine, records, source)
    hours = 24 if kind == "day" else 1
    newest, oldest = int(as_utc(now).timestamp() // 3600), int(as_utc(now).timestamp() // 3600) - HISTORY_HOURS
    totals: dict[tuple[str, str, int], int] = {}
    for r in records:
        hour = int(r.moment.timestamp() // 3600)
        hour -= hour % 24 if hours == 24 else 0
        if hour + hours > newest:
            summary.skip("not complete yet, or in the future")
        elif hour < oldest:
            summary.skip(f"older than the {HISTORY_HOURS // 24} days the checks read")
        else:
            key = (sources[r.source].id, r.event[:200], hour)
            totals[key] = totals.get(key, 0) + r.count
    _summarise(summary, totals, sources, hours)
    if not dry_run and totals:
        _store(engine, totals, hours, now)
    return summary


def _summarise(summary: Summary, totals: dict[tuple[str, str, int], int], sources: dict[str, SourceRow],
               hours: int) -> None:
    names = {row.id: row.name for row in sources.values()}
    summary.stored = len(totals)
    for source_id, _event, _hour in totals:
        summary.sources[names[source_id]] = summary.sources.get(names[source_id], 0) + 1
    summary.events = len({(s, e) for s, e, _ in totals})
    if totals:
        first, last = min(h for *_, h in totals), max(h for *_, h in totals) + hours
        summary.first = datetime.fromtimestamp(first * 3600, UTC).isoformat()
        summary.last = datetime.fromtimestamp(last * 3600, UTC).isoformat()


def _store(engine: Engine, totals: dict[tuple[str, str, int], int], hours: int, now: datetime) -> None:
    from governance.db import writer

    table = BackfillRow.__table__  # type: ignore[attr-defined]
    keys = sorted(totals)
    with writer(engine).begin() as conn:
        for lo in range(0, len(keys), 500):
            chunk = keys[lo : lo + 500]
            same = [and_(table.c.source_id == s, table.c.event == e, table.c.hour == h) for s, e, h in chunk]
            conn.execute(delete(table).where(table.c.hours == hours, or_(*same)))
            rows = [{"source_id": s, "event": e, "hour": h, "hours": hours, "count": totals[s, e, h],
                     "imported_at": now} for s, e, h in chunk]
            conn.execute(insert(table), rows)
