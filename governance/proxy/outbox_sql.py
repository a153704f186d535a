"""Driver-level statements of the forwarder's steady state: claim, lease, delete, count deliveries.

The worker runs these once per 100-event chunk, tens of times a second. Built with SQLAlchemy's
expression language, each call cost more than its SQL: a profile of the worker under
``governance bench proxy`` had 7.4 % of its samples in ``get_cls_kwargs`` and 3.3 % in
``Column.__init__`` (each ``insert(...).on_conflict_do_update`` with ``excluded`` copies the
table's columns), and 11.5 % converting timestamps back. Here they are fixed strings handed to the
DB-API cursor, like the group commit's (``hotsql``); the rare paths (a failed delivery, the dead
letter, lease renewal) keep SQLAlchemy. Every value is a bound parameter; an ``IN`` list has one
placeholder per id (``ANY(%s)`` with an array on PostgreSQL).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from governance.clock import as_utc
from governance.proxy.hotsql import HotSQL


class Claimed(NamedTuple):
    """One claimed outbox row (the attributes the forwarder and ``leases`` read)."""

    id: int
    source_id: str
    message_id: str
    payload: str  # ``events`` stored messages joined by newlines (``outbox_batch``)
    events: int
    attempts: int
    created_at: datetime


def moment(value: Any) -> datetime:
    """A stored timestamp as an aware UTC datetime (SQLite's driver returns the stored text)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return as_utc(value)


class OutboxSQL:
    """The forwarder's hot statements for one dialect (``postgresql`` or ``sqlite``)."""

    def __init__(self, dialect: str) -> None:
        self.hot = HotSQL(dialect)
        self.postgres = self.hot.postgres
        p = self.hot.p
        # SQLite: in the order of ``ix_outbox_due`` (source, next_attempt_at, rowid), so the LIMIT stops
        # the index walk; ``ORDER BY id`` sorted every due row of the source, payloads included, in a
        # temporary b-tree under the write lock: a claim cost grew with the outbox (34 ms at 50,000 rows
        # against 0.9 ms).
        order = "id" if self.postgres else "next_attempt_at, id"
        lock = " FOR UPDATE SKIP LOCKED" if self.postgres else ""
        self.claim = ("SELECT id, source_id, message_id, payload, events, attempts, created_at FROM outbox "
                      f"WHERE source_id = {p} AND next_attempt_at <= {p} "
                      f"AND (claimed_until IS NULL OR claimed_until < {p}) ORDER BY {order} LIMIT {p}{lock}")
        biggest = "greatest" if self.postgres else "max"
        self.forward_stat = (
            "INSERT INTO forward_stats (minute, source_id, delivered, latency_sum_s, latency_max_s) "
            f"VALUES ({p}, {p}, {p}, {p}, {p}) ON CONFLICT (minute, source_id) DO UPDATE SET "
            "delivered = forward_stats.delivered + excluded.delivered, "
            "latency_sum_s = forward_stats.latency_sum_s + excluded.latency_sum_s, "
            f"latency_max_s = {biggest}(forward_stats.latency_max_s, excluded.latency_max_s)")
        self.delivery_count = (
            f"INSERT INTO delivery_counts (minute, source_id, delivered) VALUES ({p}, {p}, {p}) "
            "ON CONFLICT (minute, source_id) DO UPDATE SET delivered = delivery_counts.delivered + excluded.delivered")

    def stamp(self, value: datetime) -> Any:
        return self.hot.stamp(value)

    def ids(self, template: str, ids: list[int]) -> tuple[str, list[Any]]:
        """``template`` with ``{ids}`` standing for the id list: the statement and its id parameters."""
        if self.postgres:
            return template.format(ids="= ANY(%s)"), [list(ids)]
        return _in_list(template, len(ids)), list(ids)

    def lease(self, ids: list[int], until: datetime) -> tuple[str, list[Any]]:
        sql, params = self.ids(f"UPDATE outbox SET claimed_until = {self.hot.p} WHERE id {{ids}}", ids)
        return sql, [self.stamp(until), *params]

    def delete(self, ids: list[int]) -> tuple[str, list[Any]]:
        return self.ids("DELETE FROM outbox WHERE id {ids}", ids)

    def rows(self, fetched: list[Any]) -> list[Claimed]:
        return [Claimed(r[0], r[1], r[2], r[3], r[4], r[5], moment(r[6])) for r in fetched]


@lru_cache(maxsize=64)
def _in_list(template: str, n: int) -> str:
    return template.format(ids=f"IN ({', '.join(['?'] * n)})")
