"""Timestamps through the relay: the upstream computes the event time the device meant.

Segment (and RudderStack) correct a device's clock skew when a message arrives::

    timestamp = receivedAt - (sentAt - originalTimestamp)

``originalTimestamp`` (Segment reads the message's ``timestamp``) and ``sentAt`` are on the
device's clock, ``receivedAt`` on the server's. The proxy sits between the two, and may hold an
event in its outbox for hours during an outage, so it must not hand the upstream its own clock as
``sentAt`` (the correction would then measure the proxy, and the device's skew would stay in), nor
the SDK's ``sentAt`` unchanged (the time spent in the outbox would be added to the event time).

The rule, in two halves:

* on ingestion (``stamp``), every message is made complete: ``sentAt`` from the message, else from
  its batch envelope (analytics.js, analytics-python, analytics-node and rudder-sdk-python put it
  there); ``timestamp`` from the message, else its ``originalTimestamp``, else its ``sentAt``, else
  the proxy's ``receivedAt``; ``originalTimestamp`` from the message, else ``timestamp``. The device's
  values are never changed, and ``receivedAt`` is the proxy's clock at receipt.
* on forwarding (``relay_batch``), each message gets its own ``sentAt``: the forwarding time on the
  device's clock, ``now + (sentAt - receivedAt)`` (the device's clock offset, measured when the
  event arrived), or ``now`` when the device gave no ``sentAt``. The batch envelope carries no
  ``sentAt`` of its own, since one batch holds events of many devices.

The upstream then computes ``receivedAt' - (sentAt' - timestamp) = receivedAt - (sentAt - timestamp)``
(plus the forward's own transit): the device's event time corrected once, by the proxy's clock,
however long the event waited.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson


def parse(value: Any) -> datetime | None:
    """An ISO-8601 timestamp as an aware datetime (naive ones are UTC), or None."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso(value: datetime) -> str:
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="milliseconds")[:-6] + "Z"


def _absent(value: Any) -> bool:
    return value is None or value == ""


def stamp(message: dict[str, Any], *, envelope_sent_at: Any, received_at: str) -> None:
    """Complete a message's ``sentAt``, ``timestamp`` and ``originalTimestamp`` in place (see above).

    Only absent fields (missing, null or "") are filled; what the device sent is kept as it is.
    """
    if _absent(message.get("sentAt")) and isinstance(envelope_sent_at, str) and envelope_sent_at:
        message["sentAt"] = envelope_sent_at
    if _absent(message.get("timestamp")):
        fallbacks = (message.get("originalTimestamp"), message.get("sentAt"), received_at)
        message["timestamp"] = next(v for v in fallbacks if isinstance(v, str) and v)
    if _absent(message.get("originalTimestamp")):
        message["originalTimestamp"] = message["timestamp"]


def relayed_sent_at(message: dict[str, Any], now: datetime) -> str:
    """The ``sentAt`` a forwarded message carries: ``now`` on the device's clock."""
    sent_at, received_at = parse(message.get("sentAt")), parse(message.get("receivedAt"))
    offset = sent_at - received_at if sent_at is not None and received_at is not None else timedelta(0)
    try:
        return iso(now + offset)
    except OverflowError:  # a device clock set to the year 1 or 9999
        return iso(now)


RELAYED_LAST = ("receivedAt", "sentAt")  # the keys the group commit writes last (``last_keys``)
_TAIL = ',"receivedAt":'


def last_keys(message: dict[str, Any]) -> None:
    """Move ``receivedAt`` then ``sentAt`` to the end of ``message`` (in place), so the forwarder
    can relay the stored text without parsing it (``relay``)."""
    for key in RELAYED_LAST:
        if key in message:
            message[key] = message.pop(key)


def relay(payload: str, now: datetime, seen: dict[tuple[Any, Any], str] | None = None) -> bytes:
    """One stored message with its relayed ``sentAt``. A payload the group commit wrote ends with
    ``,"receivedAt":…,"sentAt":…}`` (``last_keys``): only that tail is parsed and rewritten,
    the rest is sent as stored. Any other payload (an older row, a message without ``sentAt``)
    is parsed whole. The tail is found by its last ``,"receivedAt":`` (a quote inside a string is
    escaped, so that text is a key) and taken only when it parses alone as an object of exactly
    those two keys: then it is the end of the top-level object and the message has no other.
    ``seen`` memoises the relayed ``sentAt`` per (sentAt, receivedAt) within one batch: the events
    of one request share both."""
    cut = payload.rfind(_TAIL)
    if cut > 0:
        try:
            tail = orjson.loads("{" + payload[cut + 1 :])
        except orjson.JSONDecodeError:
            tail = None
        if isinstance(tail, dict) and tuple(tail) == RELAYED_LAST:
            pair = (tail["sentAt"], tail["receivedAt"])
            hashable = isinstance(pair[0], str) and isinstance(pair[1], str)
            relayed = seen.get(pair) if seen is not None and hashable else None
            if relayed is None:
                relayed = relayed_sent_at(tail, now)
                if seen is not None and hashable:
                    seen[pair] = relayed
            tail["sentAt"] = relayed
            return payload[:cut].encode() + b"," + orjson.dumps(tail)[1:]
    message = orjson.loads(payload)
    if isinstance(message, dict):
        message["sentAt"] = relayed_sent_at(message, now)
    return orjson.dumps(message)


def _relayed_tail(tail: str, now: datetime) -> str | None:
    """``relay``'s rewrite of one stored tail (``,"receivedAt":…,"sentAt":…}``), or None when it is not one."""
    try:
        parsed = orjson.loads("{" + tail[1:])
    except orjson.JSONDecodeError:
        return None
    if not isinstance(parsed, dict) or tuple(parsed) != RELAYED_LAST:
        return None
    parsed["sentAt"] = relayed_sent_at(parsed, now)
    return "," + orjson.dumps(parsed)[1:].decode()


def relay_batch(payloads: list[str], now: datetime) -> bytes:
    """The ``/v1/batch`` body the forwarder sends: each stored message with its relayed ``sentAt``
    (``relay``), byte for byte. The events of one request mostly share one stored tail (the same
    ``receivedAt`` and ``sentAt``), so each distinct tail is parsed and rewritten once and the body
    is joined as text and encoded once (``bench hotpath``'s relay: 2.06 to 0.78 µs an event)."""
    seen: dict[tuple[Any, Any], str] = {}
    tails: dict[str, str | None] = {}
    parts = ['{"batch":[']
    for i, payload in enumerate(payloads):
        if i:
            parts.append(",")
        cut = payload.rfind(_TAIL)
        if cut > 0:
            tail = payload[cut:]
            if tail in tails:
                relayed = tails[tail]
            else:
                relayed = tails[tail] = _relayed_tail(tail, now)
            if relayed is not None:
                parts += (payload[:cut], relayed)
                continue
        parts.append(relay(payload, now, seen).decode())
    parts.append("]}")
    return "".join(parts).encode()
