"""Holiday calendars in a recurrence: one line, ``HOLIDAYS:US`` (a country, ``HOLIDAYS:DE-BY`` with a
subdivision), becomes the ``RDATE`` list of that calendar's public holidays at 00:00 local time, from
the year of the window's first start for ``YEARS`` years, computed by the ``holidays`` package. With
``duration_minutes: 1440`` and the source's time zone, it is a recurring maintenance window over each
holiday: the alerts it matches are silenced (recorded, and notified at its end if they still fire).

Any other line of the rule is kept, so ``HOLIDAYS:US`` can sit beside an ``RDATE`` of company days off
or an ``EXDATE`` of a holiday the business works through.
"""

from __future__ import annotations

from datetime import datetime

PREFIX = "HOLIDAYS:"
YEARS = 10  # years of holidays a calendar line expands to, from its first start


class CalendarError(ValueError):
    """An unknown country or subdivision."""


def expand(text: str, first_local: datetime) -> str:
    """``text`` with each ``HOLIDAYS:<country>[-<subdivision>]`` line replaced by its ``RDATE`` line."""
    import holidays

    lines = []
    for line in text.splitlines():
        if not line.strip().upper().startswith(PREFIX):
            lines.append(line)
            continue
        code = line.strip()[len(PREFIX):].strip()
        country, _, subdiv = code.partition("-")
        try:
            calendar = holidays.country_holidays(country.upper(), subdiv=subdiv.upper() or None,
                                                 years=range(first_local.year, first_local.year + YEARS))
        except NotImplementedError as exc:
            raise CalendarError(f"unknown holiday calendar {code!r} ({exc}); use an ISO 3166 country code such "
                                "as US or DE, with an optional subdivision: DE-BY") from None
        dates = sorted(d for d in calendar if d >= first_local.date())
        if dates:
            lines.append("RDATE:" + ",".join(d.strftime("%Y%m%dT000000") for d in dates))
    return "\n".join(lines)
