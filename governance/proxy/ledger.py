"""The conservation ledger: every event a source received, and where each one is now.

For one source and a range of whole minutes of *receipt*::

    received = forwarded + quarantined + dead_lettered + deduplicated + rejected
               + handed_on + suppressed + purged + in_outbox  (difference = received - all terms)

Each term is read from where the events are, not from a second copy of the counts, so a
difference other than 0 means an event was lost (or written twice):

    received        event_counts, every outcome, summed over the minutes of the range (the
                    counter written in the commit that stored the events)
    deduplicated    event_counts ``deduplicated`` (a duplicate is stored nowhere else), plus
                    quarantine rows a replay found already forwarded
    handed_on       event_counts ``blocked_forwarded``: blocked here, forwarded through the source
                    ``forwardingBlockedEventsTo`` names (that source's ledger counts them received)
    rejected        quarantine rows of reason ``invalid_message`` (not valid Segment messages)
    quarantined     the other quarantine rows (blocked by the plan, dropped by a transformation)
                    — a row a replay forwarded is counted where its outbox row went instead
    in_outbox       outbox events received in the range (waiting, or being retried; a row holds
                    ``events`` of them)
    forwarded       delivery_counts: events an upstream accepted, by the minute they were received
                    (written in the transaction that deleted their outbox rows)
    dead_lettered   dead_letter rows received in the range (``first_attempt_at``)
    suppressed      event_counts ``suppressed``: a suppressed user's events (privacy regulations),
                    answered 200 and stored nowhere
    purged          purge_counts: rows a deletion regulation removed from the outbox, the
                    quarantine or the dead letter, by the minute their events were received

Requests refused as a whole with 4xx (invalid JSON, a bad write key, a single-event call that is
not a valid message) are not in the ledger: nothing of them was acknowledged or stored; they are
counted in ``governance_requests_total`` by status. The ledger is read in one snapshot
(REPEATABLE READ on PostgreSQL; one read transaction on SQLite), so it balances while events
move: each move (commit, delivery, dead letter, replay) is one transaction.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select

from governance.proxy.tables import (
    DeadLetterRow,
    DeliveryCountRow,
    EventCountRow,
    OutboxRow,
    PurgeCountRow,
    QuarantineRow,
)

REPLAY_FORWARDED = ("forwarded", "already_forwarded")
TERMS = ("forwarded", "quarantined", "dead_lettered", "deduplicated", "rejected", "handed_on", "suppressed",
         "purged", "in_outbox")


@dataclass
class Ledger:
    source_id: str
    from_minute: int
    to_minute: int  # exclusive
    received: int = 0
    forwarded: int = 0
    quarantined: int = 0
    dead_lettered: int = 0
    deduplicated: int = 0
    rejected: int = 0
    handed_on: int = 0
    suppressed: int = 0
    purged: int = 0
    in_outbox: int = 0

    @property
    def accounted(self) -> int:
        return sum(getattr(self, term) for term in TERMS)

    @property
    def difference(self) -> int:
        return self.received - self.accounted

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["from"] = minute_start(self.from_minute).isoformat().replace("+00:00", "Z")
        out["to"] = minute_start(self.to_minute).isoformat().replace("+00:00", "Z")
        return {**out, "accounted": self.accounted, "difference": self.difference, "balanced": self.difference == 0}


def minute_start(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, UTC)


def _counts(conn: Any, ledger: Ledger) -> None:
    c = EventCountRow.__table__.c  # type: ignore[attr-defined]
    query = (select(c.outcome, func.sum(c.count)).where(c.source_id == ledger.source_id,
             c.minute >= ledger.from_minute, c.minute < ledger.to_minute).group_by(c.outcome))
    for outcome, n in conn.execute(query):
        ledger.received += int(n)
        if outcome == "deduplicated":
            ledger.deduplicated += int(n)
        elif outcome == "blocked_forwarded":
            ledger.handed_on += int(n)
        elif outcome == "suppressed":
            ledger.suppressed += int(n)


def _quarantine(conn: Any, ledger: Ledger, since: datetime, until: datetime) -> None:
    c = QuarantineRow.__table__.c  # type: ignore[attr-defined]
    unreplayed = c.replayed_at.is_(None)
    query = (select(c.reason, c.replay_outcome, unreplayed, func.count())
             .where(c.source_id == ledger.source_id, c.received_at >= since, c.received_at < until)
             .group_by(c.reason, c.replay_outcome, unreplayed))
    for reason, replay_outcome, not_replayed, n in conn.execute(query):
        replayed = not not_replayed and replay_outcome in REPLAY_FORWARDED
        if replayed and replay_outcome == "already_forwarded":
            ledger.deduplicated += int(n)
        elif replayed:
            continue  # forwarded by a replay: counted where its outbox row is now
        elif reason == "invalid_message":
            ledger.rejected += int(n)
        else:
            ledger.quarantined += int(n)


def _rows(conn: Any, table: Any, column: str, ledger: Ledger, since: datetime, until: datetime,
          events: Any = None) -> int:
    """Events of ``table`` received in the range: its rows, or the sum of ``events`` (the outbox's)."""
    c = table.__table__.c
    what = func.count() if events is None else func.coalesce(func.sum(events), 0)
    query = select(what).where(c.source_id == ledger.source_id, c[column] >= since, c[column] < until)
    return int(conn.execute(query).scalar_one())


def ledger_of(engine: Engine, source_id: str, from_minute: int, to_minute: int) -> Ledger:
    """The ledger of one source over ``[from_minute, to_minute)`` (minutes since the epoch, UTC)."""
    ledger = Ledger(source_id=source_id, from_minute=from_minute, to_minute=to_minute)
    since, until = minute_start(from_minute), minute_start(to_minute)
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect().execution_options(**options) as conn, conn.begin():
        _counts(conn, ledger)
        _quarantine(conn, ledger, since, until)
        ledger.in_outbox = _rows(conn, OutboxRow, "created_at", ledger, since, until, OutboxRow.events)
        ledger.dead_lettered = _rows(conn, DeadLetterRow, "first_attempt_at", ledger, since, until)
        d = DeliveryCountRow.__table__.c  # type: ignore[attr-defined]
        delivered = select(func.coalesce(func.sum(d.delivered), 0)).where(
            d.source_id == ledger.source_id, d.minute >= from_minute, d.minute < to_minute)
        ledger.forwarded = int(conn.execute(delivered).scalar_one())
        p = PurgeCountRow.__table__.c  # type: ignore[attr-defined]
        purged = select(func.coalesce(func.sum(p.count), 0)).where(
            p.source_id == ledger.source_id, p.minute >= from_minute, p.minute < to_minute)
        ledger.purged = int(conn.execute(purged).scalar_one())
    return ledger


def sources_with_events(engine: Engine, from_minute: int) -> list[str]:
    """Sources that received anything since ``from_minute`` or still have rows in flight."""
    c = EventCountRow.__table__.c  # type: ignore[attr-defined]
    o = OutboxRow.__table__.c  # type: ignore[attr-defined]
    with engine.connect() as conn:
        counted = set(conn.execute(select(c.source_id).where(c.minute >= from_minute).distinct()).scalars())
        waiting = set(conn.execute(select(o.source_id).distinct()).scalars())
    return sorted(counted | waiting)


METRICS_WINDOW_MIN = 24 * 60


def metric_lines(engine: Engine, names: dict[str, str], now_minute: int) -> list[str]:
    """``/metrics`` lines: each source's ledger over the last 24 hours (up to the current minute)."""
    since = now_minute - METRICS_WINDOW_MIN + 1
    lines = ["# HELP governance_ledger_events Events of the last 24 h by where they are now (the ledger)",
             "# TYPE governance_ledger_events gauge"]
    differences = ["# HELP governance_ledger_difference received minus accounted for, last 24 h (0 = nothing lost)",
                   "# TYPE governance_ledger_difference gauge"]
    for source_id in sources_with_events(engine, since):
        ledger = ledger_of(engine, source_id, since, now_minute + 1)
        label = names.get(source_id, source_id).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        for term in ("received", *TERMS):
            lines.append(f'governance_ledger_events{{source="{label}",term="{term}"}} {getattr(ledger, term)}')
        differences.append(f'governance_ledger_difference{{source="{label}"}} {ledger.difference}')
    return lines + differences
