"""messageIds shaped like the real SDKs' ones, unique by construction (the load generator's ids).

What the SDKs send (read in their sources):

    ajs-next-<ms>-<uuid v4>    analytics-next, the browser's analytics.js
                               (segmentio/analytics-next, packages/browser/src/core/events/index.ts:
                               ``createMessageId: () => `ajs-next-${Date.now()}-${uuid()}```)
    node-next-<ms>-<uuid v4>   @segment/analytics-node
                               (segmentio/analytics-next, packages/node/src/lib/get-message-id.ts:
                               ``node-next-${Date.now()}-${uuid()}``)
    <uuid v4>                  the server and mobile libraries (segmentio/analytics-python,
                               analytics/client.py: ``message_id = uuid4()``; analytics-swift and
                               analytics-kotlin take the platform's random UUID, as do the
                               RudderStack SDKs; none read here makes UUIDv7s, which some newer
                               tracking libraries, PostHog's among them, use for their own event
                               ids)

``<ms>`` is ``Date.now()``: the wall clock in milliseconds when the event was made, 13 digits.

The uuid's 122 random bits come from a counter, not a random source: ``(run nonce: 64 bits,
stream: 16, request: 32, event index: 10)`` packed into 122 bits and mixed through a bijection of
the 122-bit integers (multiplications by odd constants and xor-shifts, each invertible modulo
2^122), then laid out as a version-4, variant-1 UUID. Two different counters give two different
uuids, so no two events of one run share an id (not "with probability 2^-122": never); the run
nonce is random, so two runs share an id only if their nonces are equal (2^-64 for a pair of
runs). The mixing makes the uuids look random to a B-tree (no two neighbours in order), which is
what real UUIDv4s are; a CSPRNG would do that as well and cost about the same, but its
uniqueness is a probability, and this bench refuses its ratios on any duplicate.
"""

from __future__ import annotations

import secrets
import time

SHAPES = ("ajs-next", "node-next", "uuid4")
# the share of each shape among the templates (one request comes from one library): 40 % browser,
# 20 % node, 40 % server and mobile libraries
SDK_MIX = ("ajs-next", "ajs-next", "node-next", "uuid4", "uuid4")
LIBRARIES: dict[str, tuple[dict[str, str], ...]] = {
    "ajs-next": ({"name": "analytics.js", "version": "npm:next-1.72.0"},),
    "node-next": ({"name": "@segment/analytics-node", "version": "2.1.3"},),
    "uuid4": ({"name": "analytics-python", "version": "2.3.4"}, {"name": "analytics-kotlin", "version": "1.16.3"}),
}
INDEX_BITS = 10  # events a request at most: 1024
SEQ_BITS = 32
STREAM_BITS = 16
_M = (1 << 122) - 1
_A = 0x2545F4914F6CDD1D_9E3779B97F4A7C15 & _M | 1  # odd multipliers: bijections modulo 2^122
_B = 0xBF58476D1CE4E5B9_94D049BB133111EB & _M | 1


def mix(counter: int) -> int:
    """A bijection of the 122-bit integers (each step is invertible modulo 2^122)."""
    x = (counter * _A) & _M
    x ^= x >> 61
    x = (x * _B) & _M
    return x ^ (x >> 59)


def uuid_text(bits: int) -> str:
    """122 bits as a version-4, variant-1 UUID (8-4-4-4-12 lower-case hex)."""
    return _UUID % (bits >> 90, (bits >> 74) & 0xFFFF, (bits >> 62) & 0xFFF, 0x8000 | ((bits >> 48) & 0x3FFF),
                    bits & 0xFFFFFFFFFFFF)


_UUID = "%08x-%04x-4%03x-%04x-%012x"
_A_TIMES = [j * _A for j in range(1 << INDEX_BITS)]  # (base + j) * A = base * A + j * A: one add an id


class Ids:
    """A run's messageIds: ``batch(shape, stream, seq, n)`` gives request ``seq`` of ``stream`` its ``n`` ids."""

    def __init__(self, nonce: int | None = None) -> None:
        self.nonce = secrets.randbits(64) if nonce is None else nonce

    def uuids(self, stream: int, seq: int, n: int) -> list[str]:
        assert n <= 1 << INDEX_BITS and 0 <= seq < 1 << SEQ_BITS and 0 <= stream < 1 << STREAM_BITS
        base_a = (((self.nonce << STREAM_BITS | stream) << SEQ_BITS | seq) << INDEX_BITS) * _A
        out: list[str] = []
        m, b, a_times, text = _M, _B, _A_TIMES, _UUID
        for j in range(n):  # mix(base | j) inlined: the load generator shares the cores with the servers
            x = (base_a + a_times[j]) & m
            x ^= x >> 61
            x = (x * b) & m
            x ^= x >> 59
            out.append(text % (x >> 90, (x >> 74) & 0xFFFF, (x >> 62) & 0xFFF, 0x8000 | ((x >> 48) & 0x3FFF),
                               x & 0xFFFFFFFFFFFF))
        return out

    def batch(self, shape: str, stream: int, seq: int, n: int, ms: int | None = None) -> list[str]:
        """``n`` ids of ``shape``; the ``ajs-next``/``node-next`` ones carry ``ms``, by default the wall
        clock's milliseconds of now, when the body is built (as the SDKs do when the event is made)."""
        uuids = self.uuids(stream, seq, n)
        if shape == "uuid4":
            return uuids
        head = f"{shape}-{time.time_ns() // 1_000_000 if ms is None else ms}-"
        return [head + u for u in uuids]
