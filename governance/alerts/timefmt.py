"""Times as people read them in notifications: in the recipient's zone, to the minute, with durations.

A channel's ``config.timezone`` (an IANA name, default UTC) is the recipient's zone: emails and Slack
messages show ``Tue 1 Dec 2026, 10:42 CET`` rather than ``2026-12-01T09:42:13.512345+00:00``.
Webhook payloads keep machine-readable ISO 8601 times in UTC, to the second (``iso``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from governance.clock import as_utc


class UnknownZone(ValueError):
    """Not an IANA time zone name."""


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (``UnknownZone`` when it is not one)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name like "../x" reaches the file system
        raise UnknownZone(f"unknown time zone {name!r}; give an IANA name such as Europe/Paris") from None


def iso(moment: datetime | None) -> str | None:
    """``2026-12-01T09:42:13Z``: UTC, to the second."""
    if moment is None:
        return None
    return as_utc(moment).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def human(moment: datetime | str | None, tz: str | None = None) -> str:
    """``Tue 1 Dec 2026, 10:42 CET`` in ``tz`` (UTC by default or when unknown)."""
    if moment is None:
        return "-"
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            return str(moment)
    try:
        where = zone(tz) if tz else UTC
    except UnknownZone:
        where = UTC
    local = as_utc(moment).astimezone(where)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname() or 'UTC'}"


def duration(seconds: float) -> str:
    """``42 s``, ``27 min``, ``3 h 05 min``, ``2 d 4 h``."""
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"
