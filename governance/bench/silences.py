"""What muting costs in one dispatch: ``silences`` active silences against ``alerts`` firing alerts.

``mute_bench`` fills a real SQLite file (or an empty database at ``url``) with firing alerts of
``alerts`` events over four sources and four check kinds, ``silences`` active silences (most of
them on an event, a few on a source and check kind, a few with a regular expression, a few
recurring every day) and ``expired`` silences that ended over the last days, and times
``muting.mute`` (what the dispatcher runs before every flush):

    first_mute_s   the first pass (marks every silenced alert and writes its history)
    mute_s         a steady pass (nothing changed: what every dispatch pays)
    silenced       firing alerts muted by a silence (the same before and after any change to muting)
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

KINDS = ("volume", "silence", "violation_rate", "decline")
SOURCES = ("web", "ios", "android", "server")


def _alerts(n: int, now: datetime) -> list[dict[str, Any]]:
    return [{"fingerprint": f"fp{i:06d}", "check_id": f"chk_{i % 500:04d}", "check_kind": KINDS[i % 4],
             "source_id": f"src_{SOURCES[i % 4]}", "source_name": SOURCES[i % 4], "event": f"Event {i // 4:05d}",
             "field": "", "severity": "warning", "status": "firing", "title": f"alert {i}", "summary": "",
             "details": "{}", "owner": f"team{i % 7}@example.com", "labels": f'{{"team": "t{i % 9}"}}',
             "started_at": now - timedelta(minutes=30), "last_firing_at": now} for i in range(n)]


def _matchers(i: int) -> list[dict[str, str]]:
    if i % 50 == 0:
        return [{"name": "event", "op": "=~", "value": f"Event {i // 4:04d}.*"}]
    if i % 10 == 0:
        return [{"name": "source", "op": "=", "value": SOURCES[i % 4]}, {"name": "check_kind", "op": "=",
                                                                         "value": KINDS[(i // 10) % 4]},
                {"name": "labels.team", "op": "=", "value": f"t{i % 9}"}]
    return [{"name": "event", "op": "=", "value": f"Event {i * 7 % 100_000:05d}"},
            {"name": "severity", "op": "!=", "value": "info"}]


def _silences(n: int, expired: int, now: datetime) -> list[dict[str, Any]]:
    import orjson

    rows = []
    for i in range(n + expired):
        ended = i >= n
        recurring = not ended and i % 25 == 0
        start = now - timedelta(days=3 if ended else 1, minutes=i % 60)
        rows.append({"id": f"sil_{i:06d}", "matchers": orjson.dumps(_matchers(i)).decode(), "comment": f"s{i}",
                     "created_by": "bench", "starts_at": start,
                     "ends_at": None if recurring else (now - timedelta(hours=1 + i % 48)) if ended
                     else now + timedelta(days=1),
                     "rrule": "FREQ=DAILY" if recurring else None, "duration_s": 86_399 if recurring else None,
                     "timezone": "UTC", "created_at": start, "updated_at": start})
    return rows


def mute_bench(silences: int = 1000, alerts: int = 1000, *, expired: int = 5000, url: str | None = None,
               repeat: int = 3, directory: str | None = None) -> dict[str, Any]:
    """Time ``muting.mute`` over ``silences`` active (and ``expired`` ended) silences and ``alerts`` alerts."""
    from sqlalchemy import func, insert, select

    from governance.alerts import muting
    from governance.alerts.tables import AlertRow, SilenceRow
    from governance.db import make_engine, write_session
    from governance.matchers import DEFAULT_RULES
    from governance.migrations import upgrade

    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        engine = make_engine(url or f"sqlite:///{Path(tmp) / 'silences.db'}")
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(insert(AlertRow.__table__), _alerts(alerts, now))  # type: ignore[attr-defined]
            conn.execute(insert(SilenceRow.__table__), _silences(silences, expired, now))  # type: ignore[attr-defined]
        out: dict[str, Any] = {"silences": silences, "expired_silences": expired, "alerts": alerts,
                               "database": engine.dialect.name}
        started = time.perf_counter()
        with write_session(engine) as session:
            muting.mute(session, now, DEFAULT_RULES)
        out["first_mute_s"] = round(time.perf_counter() - started, 3)
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            with write_session(engine) as session:
                muting.mute(session, now, DEFAULT_RULES)
            best = min(best, time.perf_counter() - started)
        out["mute_s"] = round(best, 3)
        with engine.connect() as conn:
            t = AlertRow.__table__  # type: ignore[attr-defined]
            out["silenced"] = int(conn.execute(select(func.count()).select_from(t)
                                               .where(t.c.silenced_by.is_not(None))).scalar() or 0)
        engine.dispose()
    return out
