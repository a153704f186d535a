"""Recurring windows: an RFC 5545 RRULE (python-dateutil's ``rrule``), a duration and a time zone.

The rule counts in wall-clock time of ``timezone`` from the local time of the window's first
start (``DTSTART``), so "every Sunday 02:00 for 3 hours in Europe/Paris" stays at 02:00 across
daylight-saving changes. Rules may use ``RRULE``, ``RDATE`` and ``EXDATE`` lines (a list of
holidays is ``RDATE:20261225T000000,20270101T000000``; dateutil also knows ``BYEASTER``), and a
line ``HOLIDAYS:US`` (a country's public holidays, ``calendars.py``). The
frequency is at least hourly and the duration at most ``MAX_DURATION``; a rule is refused unless
it has an occurrence. Times here are aware ``datetime``s in UTC unless said otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from dateutil import rrule

from governance.alerts import calendars, timefmt

MAX_DURATION = timedelta(days=31)
_REFUSED_FREQ = ("FREQ=SECONDLY", "FREQ=MINUTELY")


class RecurrenceError(ValueError):
    """A recurrence that cannot be used: ``field`` names the part at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (``RecurrenceError`` when unknown)."""
    try:
        return timefmt.zone(name)
    except timefmt.UnknownZone as exc:
        raise RecurrenceError("timezone", str(exc)) from None


@dataclass(frozen=True)
class Window:
    """One occurrence: ``[start, end)``."""

    start: datetime
    end: datetime


@lru_cache(maxsize=512)
def _rule(text: str, first_local: datetime) -> Any:
    return rrule.rrulestr(calendars.expand(text, first_local), dtstart=first_local, forceset=True, cache=True)


def compile_rule(text: str, first: datetime, tz: str) -> Any:
    """The ``rruleset`` of ``text`` counted from ``first`` (UTC) in ``tz``; ``RecurrenceError`` if unusable."""
    upper = text.upper()
    if "DTSTART" in upper:
        raise RecurrenceError("rrule", "give the first start as starts_at, not as DTSTART in the rule")
    if any(f in upper.replace(" ", "") for f in _REFUSED_FREQ):
        raise RecurrenceError("rrule", "a window recurs at most hourly (FREQ=HOURLY, DAILY, WEEKLY, MONTHLY, YEARLY)")
    local = first.astimezone(zone(tz)).replace(tzinfo=None)
    try:
        rules = _rule(text.strip(), local)
        rules.after(local, inc=True)  # a rule that only fails when iterated fails here
    except calendars.CalendarError as exc:
        raise RecurrenceError("rrule", str(exc)) from None
    except (ValueError, TypeError, OverflowError, KeyError) as exc:
        raise RecurrenceError("rrule", f"not an RFC 5545 recurrence rule: {exc}") from None
    return rules


def _aware(local: datetime, tz: str) -> datetime:
    return local.replace(tzinfo=zone(tz)).astimezone(UTC)


def around(text: str, first: datetime, tz: str, duration: timedelta, now: datetime,
           until: datetime | None = None) -> tuple[Window | None, Window | None]:
    """The occurrence holding ``now`` (or ``None``) and the next one to start after ``now`` (or ``None``).

    Occurrences start at or after ``first`` and before ``until`` (when given).
    """
    rules = compile_rule(text, first, tz)
    local_now = now.astimezone(zone(tz)).replace(tzinfo=None)
    current = None
    # the latest start at or before now holds now if any does (every occurrence lasts as long)
    last = rules.before(local_now, inc=True)
    if last is not None:
        start = _aware(last, tz)
        if start < now + timedelta(microseconds=1) and now < start + duration and (until is None or start < until):
            current = Window(start, start + duration)
    upcoming = rules.after(local_now, inc=False)
    following = None
    if upcoming is not None:
        start = _aware(upcoming, tz)
        if until is None or start < until:
            following = Window(start, start + duration)
    return current, following


def first_window(text: str, first: datetime, tz: str, duration: timedelta) -> Window | None:
    """The first occurrence of the rule (a rule without one is useless)."""
    rules = compile_rule(text, first, tz)
    start = rules.after(first.astimezone(zone(tz)).replace(tzinfo=None), inc=True)
    return Window(_aware(start, tz), _aware(start, tz) + duration) if start is not None else None
