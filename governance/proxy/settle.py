"""What a claim's deliveries leave to write, per outbox row (pure: the forwarder writes it).

An outbox row holds up to a batch of events (``outbox_batch``). ``pack`` cuts a claim into
``/v1/batch`` requests of at most ``size`` events and ``MAX_REQUEST_BYTES`` of body: whole rows while
they fit, a row that does not in pieces. ``resolve`` then turns the results into a ``Plan``:

* a row whose every piece was delivered is deleted, its events counted as delivered (the steady
  state: one row, one request);
* otherwise each event of the row ends in one place: delivered (counted), dead-lettered (one
  dead-letter row per event, when its piece was refused for good or the row has had its tries and
  is old enough), or kept in the row for a later try (a piece that failed retryably, or was not
  tried because the upstream went down). A row that keeps only some of its events is rewritten
  with them (``outbox_batch.remainder``); one that keeps none is deleted.

Attempts are counted per row, as they were per event: a row's events have one history.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from governance.clock import as_utc
from governance.proxy import outbox_batch
from governance.proxy.upstream import Delivery, retryable

# Segment's /v1/batch takes 500 KB a request (32 KB an event) and answers a larger one 400, which
# would dead-letter every event in it: requests are cut below that, whatever forward_batch_size says
MAX_REQUEST_BYTES = 500_000
RELAY_MARGIN = 64  # bytes an event may grow by in the relay (its sentAt) plus its comma, at most


@dataclass(frozen=True)
class Piece:
    """Events ``[start, end)`` of one claimed row, sent in one request."""

    row: Any
    start: int
    end: int
    payloads: list[str]


@dataclass
class Settlement:
    """One claim's deliveries: each request's pieces with its result, and the pieces not tried
    because the upstream went down (released to retry after ``rest_delay_s``)."""

    chunks: list[tuple[list[Piece], Delivery]] = field(default_factory=list)
    rest: list[Piece] = field(default_factory=list)
    rest_delay_s: float = 0.0
    down: bool = False


@dataclass
class Plan:
    delete_ids: list[int] = field(default_factory=list)
    delivered: list[tuple[Any, int]] = field(default_factory=list)  # (row, events delivered)
    dead: list[tuple[Any, str, str]] = field(default_factory=list)  # (row, payload, reason)
    retries: list[tuple[Any, int, float, str | None]] = field(default_factory=list)  # (row, tries, delay, error)
    released: list[Any] = field(default_factory=list)  # rows whose events were not tried (rest_delay_s)
    rewrites: dict[int, list[str]] = field(default_factory=dict)  # row id -> the events it keeps


def _bytes(payload: str) -> int:
    """What an event adds to a request body: its UTF-8 bytes, and room for the relayed ``sentAt``
    (longer than the stored one, or added) and the comma."""
    return (len(payload) if payload.isascii() else len(payload.encode())) + RELAY_MARGIN


def _fits(costs: list[int], start: int, room: int, space: int, *, alone: bool) -> tuple[int, int]:
    """How far from ``start`` the events fit ``room`` events and ``space`` bytes: (end, bytes used).
    The first event of an empty request (``alone``) fits whatever its size."""
    end, used = start, 0
    while end < len(costs) and end - start < room and (used + costs[end] <= space or (end == start and alone)):
        used += costs[end]
        end += 1
    return end, used


def pack(rows: Sequence[Any], size: int, max_bytes: int | None = None) -> Iterator[list[Piece]]:
    """The claim's requests, in order: whole rows while they fit in ``size`` events (and
    ``max_bytes`` of body, when given), a row that does not fit an empty request in pieces; an
    event larger than ``max_bytes`` alone goes alone (the web process caps it at ``max_event_bytes``)."""
    budget = max_bytes if max_bytes is not None else sys.maxsize
    chunk: list[Piece] = []
    room, space = size, budget
    for row in rows:
        payloads = outbox_batch.split(row.payload)
        costs = [_bytes(p) for p in payloads] if max_bytes is not None else [0] * len(payloads)
        if chunk and (len(payloads) > room or sum(costs) > space):
            yield chunk
            chunk, room, space = [], size, budget
        start = 0
        while start < len(payloads):
            end, used = _fits(costs, start, room, space, alone=not chunk)
            if end == start:  # the next event does not fit what is left of this request
                yield chunk
                chunk, room, space = [], size, budget
                continue
            chunk.append(Piece(row, start, end, payloads[start:end]))
            room, space, start = room - (end - start), space - used, end
            if room <= 0:
                yield chunk
                chunk, room, space = [], size, budget
    if chunk:
        yield chunk


def _final(result: Delivery) -> bool:
    return result.terminal or not retryable(result.status)


def resolve(done: Settlement, now: datetime, *, min_tries: int, dead_after_s: float,
            delay: Callable[[int, Delivery], float]) -> Plan:
    """The plan of one settlement (see the module's docstring). Rows retried with the same number
    of tries get the same delay (one draw of the jitter per settlement, as one request's rows)."""
    states: dict[int, list[tuple[Piece, Delivery | None]]] = {}
    for pieces, sent in done.chunks:
        for piece in pieces:
            states.setdefault(piece.row.id, []).append((piece, sent))
    for piece in done.rest:
        states.setdefault(piece.row.id, []).append((piece, None))
    plan = Plan()
    delays: dict[int, float] = {}
    after = timedelta(seconds=dead_after_s)
    for parts in states.values():
        row = parts[0][0].row
        if all(result is not None and result.ok for _p, result in parts):
            plan.delete_ids.append(row.id)
            plan.delivered.append((row, row.events))
            continue
        tries = row.attempts + 1
        failure = _split_row(plan, row, parts, old=tries >= min_tries and now - as_utc(row.created_at) >= after)
        if row.id in plan.delete_ids:
            continue
        if failure is not None:
            if tries not in delays:
                delays[tries] = delay(tries, failure)
            plan.retries.append((row, tries, delays[tries], failure.error))
        else:
            plan.released.append(row)
    return plan


def _split_row(plan: Plan, row: Any, parts: list[tuple[Piece, Delivery | None]], *, old: bool) -> Delivery | None:
    """Add a row that was not wholly delivered to ``plan``, event by event; the retryable failure
    that keeps some of its events, if any."""
    sent, keep = 0, []
    failure: Delivery | None = None
    for piece, result in parts:
        if result is None:
            keep += piece.payloads
        elif result.ok:
            sent += len(piece.payloads)
        elif _final(result) or old:
            plan.dead += [(row, p, result.error or "upstream refused") for p in piece.payloads]
        else:
            keep += piece.payloads
            failure = failure or result
    if sent:
        plan.delivered.append((row, sent))
    if not keep:
        plan.delete_ids.append(row.id)
    elif len(keep) < row.events:
        plan.rewrites[row.id] = keep
    return failure
