"""The Segment spec: message kinds, required fields, normalisation and the request vocabulary.

Error messages keep Segment's words (``Invalid JSON``, ``Invalid writeKey``, ``Missing event key
for track call``, ``Missing userId or anonymousId``) so SDK users recognise them; ``code`` is our
stable machine-readable form.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import jsonschema_rs

KINDS = frozenset({"track", "identify", "page", "screen", "group", "alias"})
# Where each kind keeps the data its plan schema constrains.
DATA_FIELD = {"track": "properties", "page": "properties", "screen": "properties", "identify": "traits",
              "group": "traits", "alias": None}


@dataclass(frozen=True)
class MessageError:
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


INVALID_JSON = MessageError("invalid_json", "Invalid JSON")
MISSING_WRITE_KEY = MessageError("missing_write_key", "Missing writeKey")
INVALID_WRITE_KEY = MessageError("invalid_write_key", "Invalid writeKey")
MISSING_EVENT = MessageError("missing_event", "Missing event key for track call")
EVENT_NOT_STRING = MessageError("event_not_string", "Event must be a string")
MISSING_ID = MessageError("missing_user_id", "Missing userId or anonymousId")
MISSING_GROUP_ID = MessageError("missing_group_id", "Missing groupId for group call")
MISSING_ALIAS_IDS = MessageError("missing_alias_ids", "Missing previousId or userId for alias call")
UNKNOWN_TYPE = MessageError("invalid_type", "Invalid or missing type")
NOT_AN_OBJECT = MessageError("invalid_message", "Message must be a JSON object")
BAD_FIELD = MessageError("invalid_field", "properties, traits and context must be objects")
TOO_DEEP = MessageError("too_deep", "Message nests too deep")
NUL_CHARACTER = MessageError("nul_character", "Message contains a NUL (U+0000) character")
EVENT_TOO_LARGE = MessageError("event_too_large", "Event is larger than the limit")
BATCH_TOO_LARGE = MessageError("batch_too_large", "Batch is larger than the limit")
TOO_MANY_EVENTS = MessageError("too_many_events", "Batch has too many events")
EMPTY_BATCH = MessageError("invalid_batch", "batch must be a non-empty array of messages")
ORIGIN_NOT_ALLOWED = MessageError("origin_not_allowed", "This origin may not send with this writeKey")
WRITE_KEY_MISMATCH = MessageError("write_key_mismatch", "Message writeKey differs from the request's")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _present(value: Any) -> bool:
    return value is not None and value != ""


def nesting_ok(value: Any, remaining: int) -> bool:
    """True when ``value`` nests containers at most ``remaining`` levels deep (the recursion is
    bounded by ``remaining``, never by the value)."""
    if remaining <= 0:
        return False
    kind = type(value)
    if kind is dict:
        items: Any = value.values()
    elif kind is list:
        items = value
    else:
        return True
    for item in items:
        sub = type(item)
        if (sub is dict or sub is list) and not nesting_ok(item, remaining - 1):
            return False
    return True


@lru_cache(maxsize=8)
def _depth_validator(levels: int) -> jsonschema_rs.Validator:
    """A schema that holds exactly when ``nesting_ok(value, levels)`` does: ``d{k}`` lets a value's
    containers hold only ``d{k-1}`` values, and ``d0`` is a scalar (a chain of ``$ref``, not nested
    copies, so the schema grows linearly with ``levels``)."""
    defs: dict[str, Any] = {"d0": {"type": ["string", "number", "boolean", "null"]}}
    for k in range(1, levels + 1):
        below = {"$ref": f"#/$defs/d{k - 1}"}
        defs[f"d{k}"] = {"additionalProperties": below, "items": below}
    return jsonschema_rs.validator_for({"$defs": defs, "$ref": f"#/$defs/d{levels}"})


def depth_ok(value: Any, max_depth: int) -> bool:
    """``nesting_ok(value, max_depth)`` for a parsed JSON document, walked in Rust (jsonschema_rs):
    ~1 µs for a 1 KB event where the Python walk takes ~2 (the same answer on every value, see
    tests/proxy/test_fast_paths.py). A value jsonschema_rs cannot read (a non-string key, which
    JSON cannot spell) is walked in Python."""
    if max_depth < 1:
        return False
    try:
        return _depth_validator(max_depth).is_valid(value)
    except ValueError:
        return nesting_ok(value, max_depth)


CREDENTIAL_KEYS = ("writeKey", "write_key")  # analytics.js puts the write key on every message


def without_credentials(message: Any) -> Any:
    """``message`` without the credentials a sender may put on it (a copy only when it has one):
    nothing the service stores or shows keeps a write key."""
    if isinstance(message, dict) and ("writeKey" in message or "write_key" in message):  # CREDENTIAL_KEYS
        return {k: v for k, v in message.items() if k not in CREDENTIAL_KEYS}
    return message


def _refusal(message: dict[str, Any], kind: str) -> MessageError | None:
    """Why a message of a known ``kind`` is not a valid one, or None (it reads ``message`` only)."""
    if kind == "track":
        if "event" not in message or message["event"] is None or message["event"] == "":
            return MISSING_EVENT
        if not isinstance(message["event"], str):
            return EVENT_NOT_STRING
    if kind == "alias":
        if not _present(message.get("previousId")) or not _present(message.get("userId")):
            return MISSING_ALIAS_IDS
    elif not _present(message.get("userId")) and not _present(message.get("anonymousId")):
        return MISSING_ID
    if kind == "group" and not _present(message.get("groupId")):
        return MISSING_GROUP_ID
    context = message.get("context")
    if context is not None and not isinstance(context, dict):
        return BAD_FIELD
    data_field = DATA_FIELD[kind]
    data = message.get(data_field) if data_field is not None else None
    if data is not None and not isinstance(data, dict):
        return BAD_FIELD
    return None


def normalise(message: Any, *, kind: str | None, received_at: str, max_depth: int | None,
              context_defaults: dict[str, Any] | None = None, in_place: bool = False) -> dict[str, Any] | MessageError:
    """A Segment message made complete (messageId, receivedAt, empty objects), or why it is invalid.

    ``kind`` is the endpoint's kind (``/v1/track``) or None for batch items, which name their own.
    ``max_depth`` None: the depth was checked where the body was parsed (``limits``). ``in_place``:
    the valid ``message`` itself is completed and returned (the ingestion routes own what they
    parsed); an invalid one is never changed.
    """
    if not isinstance(message, dict):
        return NOT_AN_OBJECT
    kind = kind or message.get("type")
    if kind not in KINDS:
        return UNKNOWN_TYPE
    if max_depth is not None and not nesting_ok(message, max_depth):
        return TOO_DEEP
    refusal = _refusal(message, kind)
    if refusal is not None:
        return refusal
    out = message if in_place else dict(message)
    out["type"] = kind
    data_field = DATA_FIELD[kind]
    context = out.get("context")
    if data_field == "traits" and out.get("traits") is None and isinstance(context, dict) \
            and isinstance(context.get("traits"), dict):
        out["traits"] = dict(context["traits"])  # rudder-sdk-python sends identify traits only there
    if context is None:
        out["context"] = {}
    if data_field is not None and out.get(data_field) is None:
        out[data_field] = {}
    if context_defaults:
        out["context"] = {**context_defaults, **out["context"]}
    if not isinstance(out.get("messageId"), str) or not out["messageId"]:
        out["messageId"] = f"gov-{uuid.uuid4()}"
    out["receivedAt"] = received_at
    for key in CREDENTIAL_KEYS:
        out.pop(key, None)
    return out


def event_name(message: dict[str, Any]) -> str:
    """The name a message is counted and planned under: the track event or page/screen name."""
    kind = message["type"]
    if kind == "track":
        return str(message["event"])
    if kind in {"page", "screen"}:
        name = message.get("name")
        return name if isinstance(name, str) else ""
    return ""


def requested_version(message: dict[str, Any]) -> int | None:
    """``context.protocols.event_version``, when the message names one."""
    protocols = message.get("context", {}).get("protocols")
    if isinstance(protocols, dict):
        version = protocols.get("event_version")
        if isinstance(version, int) and not isinstance(version, bool):
            return version
        # ASCII only and short: "²".isdigit() is True but int("²") raises; so does a 5,000-digit string
        if isinstance(version, str) and version.isascii() and version.isdigit() and len(version) <= 9:
            return int(version)
    return None
