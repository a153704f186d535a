"""The outbox's row format: one row holds the events of one group commit for one source.

A group commit writes, per source, one outbox row for every ``forward_batch_size`` accepted events
(``rows_of``): ``payload`` is their stored JSON texts joined by a newline (``SEP``), ``events``
their number, ``message_id`` the first one's. The JSON text the group commit writes (``orjson``)
never holds a raw newline (JSON escapes control characters inside strings), so ``split`` gives the
events back exactly. A row of one event (a replay, a row from before this format) is the same
format with ``events`` = 1.

So the web process inserts one row (and one ``ix_outbox_due`` entry) per request and source, not
per event, and the forwarder claims, leases, deletes and counts rows of up to a batch of events:
``governance bench proxy`` measured the worker's CPU per event down ~30 % and the web's ~8 %
against one row per event (docs/operations/capacity.md, phase 4). The forwarder still sends,
retries and dead-letters events:
``forwarder`` packs rows into ``/v1/batch`` requests of at most ``forward_batch_size`` events and
splits a row that holds more (written under a larger setting); what is left of a row after part
of it was delivered, dead-lettered or purged is written back to it (``remainder``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson

SEP = "\n"


def join(payloads: Sequence[str]) -> str:
    return SEP.join(payloads)


def split(payload: str) -> list[str]:
    return payload.split(SEP)


def rows_of(outbox: Sequence[tuple[str, str, str]], size: int) -> Iterator[tuple[str, str, str, int]]:
    """(source, first messageId, joined payloads, events) rows for ``outbox`` (source, messageId,
    payload), per source in order of arrival, ``size`` events at most per row."""
    by_source: dict[str, list[tuple[str, str]]] = {}
    for source_id, message_id, payload in outbox:
        by_source.setdefault(source_id, []).append((message_id, payload))
    for source_id, events in by_source.items():
        for start in range(0, len(events), size):
            chunk = events[start : start + size]
            yield source_id, chunk[0][0], join([p for _m, p in chunk]), len(chunk)


def message_id_of(payload: str) -> str:
    """The messageId of one stored event (as the outbox column holds it: 200 characters at most)."""
    try:
        message = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return ""
    value = message.get("messageId") if isinstance(message, dict) else None
    return str(value)[:200] if value is not None else ""


def remainder(payloads: Sequence[str]) -> dict[str, Any]:
    """The column values of a row that keeps only ``payloads`` (at least one)."""
    return {"payload": join(payloads), "events": len(payloads), "message_id": message_id_of(payloads[0])}


def holds_message(payload: str, message_id: str) -> bool:
    """Whether one of a row's events has this messageId (the quarantine replay's "already waiting")."""
    return any(message_id_of(p) == message_id for p in split(payload))


def message_like(message_id: str) -> str:
    """A LIKE pattern that every stored event of this messageId matches (a prefilter for ``holds_message``)."""
    text = orjson.dumps(message_id).decode()[:-1]  # open-ended: the column holds 200 characters of it
    return "%" + ('"messageId":' + text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class Unbatched:
    """One event of an outbox row: its own ``message_id`` and ``payload``, the row's other columns."""

    __slots__ = ("message_id", "payload", "row")

    def __init__(self, row: Any, message_id: str, payload: str) -> None:
        self.row, self.message_id, self.payload = row, message_id, payload

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row, name)


def unbatch(rows: Iterable[Any]) -> list[Unbatched]:
    """The events of outbox rows, in order (for reading the outbox event by event: tests, tools)."""
    out = []
    for row in rows:
        payloads = split(row.payload)
        for payload in payloads:
            message_id = row.message_id if len(payloads) == 1 else message_id_of(payload)
            out.append(Unbatched(row, message_id, payload))
    return out
