"""Silences at scale: the matcher index finds exactly what scanning every silence finds, expired
silences are listed for ``silence_retention_days`` and then pruned by the housekeeping (SQLite and
PostgreSQL), and the dispatch bench's counts agree with a brute-force scan."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from governance.alerts import silences
from governance.bench.silences import KINDS, SOURCES, _alerts, _silences, mute_bench
from governance.db import read_session, write_session
from governance.matchers import Matcher, MatcherIndex, alert_labels, load, matches_all
from governance.worker.housekeeping import prune_history
from tests.conftest import make_settings
from tests.quality.test_checks_db import engine

__all__ = ["engine"]  # the fixture, shared with the checks' tests
T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
NAMES = ("event", "source", "check_kind", "severity", "owner", "labels.team", "field")


def _labels(rng: random.Random) -> dict[str, list[str]]:
    source = rng.choice(SOURCES)
    labels = {"event": [f"E{rng.randrange(30)}"], "source": [source, f"src_{source}"], "source_id": [f"src_{source}"],
              "check_kind": [rng.choice(KINDS)], "severity": [rng.choice(["info", "warning", "critical"])],
              "owner": [rng.choice(["", "a@example.com", "b@example.com"])], "field": [""]}
    if rng.random() < 0.5:
        labels["labels.team"] = [f"t{rng.randrange(3)}"]
    return labels


def _matcher(rng: random.Random) -> Matcher:
    name = rng.choice(NAMES)
    op = rng.choice(["=", "=", "=", "!=", "=~", "!~"])
    value = {"event": f"E{rng.randrange(30)}", "source": rng.choice([*SOURCES, "src_web"]),
             "check_kind": rng.choice(KINDS), "severity": rng.choice(["info", "warning"]),
             "owner": rng.choice(["", "a@example.com"]), "labels.team": rng.choice(["", "t1", "t2"]),
             "field": ""}[name]
    if op in ("=~", "!~"):
        value = value[:1] + ".*" if value else ".+"
    return Matcher(name=name, op=op, value=value)  # type: ignore[arg-type]


def test_the_index_finds_exactly_what_a_scan_of_every_silence_finds() -> None:
    rng = random.Random(5)
    sets = [(f"s{i}", [_matcher(rng) for _ in range(rng.randint(1, 3))]) for i in range(400)]
    index = MatcherIndex(sets)
    assert len(index) == 400
    found_any = 0
    for _ in range(500):
        labels = _labels(rng)
        scanned = [key for key, found in sets if matches_all(found, labels)]
        assert index.matching(labels) == scanned, labels
        found_any += bool(scanned)
    assert found_any > 100  # the comparison saw matches, not only empty lists


class _Alert:
    def __init__(self, row: dict[str, Any]) -> None:
        self.__dict__.update(row)


def test_the_dispatch_bench_mutes_what_a_scan_finds() -> None:
    got = mute_bench(silences=60, alerts=80, expired=40, repeat=1)
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # the bench's
    live = [r for r in _silences(60, 40, now) if r["ends_at"] is None or r["ends_at"] > now]
    brute = sum(any(matches_all(load(r["matchers"]), alert_labels(_Alert(a))) for r in live)
                for a in _alerts(80, now))
    assert got["silenced"] == brute > 0


def _create(session: Any, *, start: datetime, end: datetime | None, now: datetime,
            recurrence: silences.Recurrence | None = None) -> str:
    return silences.create(session, matchers=[Matcher(name="event", value="Order Completed")], comment="window",
                           starts_at=start, ends_at=end, recurrence=recurrence, actor="test", now=now).id


def test_expired_silences_stay_listed_for_the_retention_then_the_housekeeping_prunes_them(
        engine: Any, database_url: str) -> None:
    settings = make_settings(database_url, silence_retention_days=5)
    daily = silences.Recurrence("FREQ=DAILY;BYHOUR=2", timedelta(hours=1))
    with write_session(engine) as session:
        ended = _create(session, start=T0, end=T0 + timedelta(hours=2), now=T0)
        expired = _create(session, start=T0, end=T0 + timedelta(days=30), now=T0)
        silences.expire(session, expired, actor="test", now=T0 + timedelta(hours=1))
        series = _create(session, start=T0, end=T0 + timedelta(days=2), now=T0, recurrence=daily)
        forever = _create(session, start=T0, end=None, now=T0, recurrence=daily)
        pending = _create(session, start=T0 + timedelta(days=20), end=T0 + timedelta(days=21), now=T0)
    within = T0 + timedelta(days=4)
    assert prune_history(engine, settings, within)["silences"] == 0
    with read_session(engine) as session:
        listed = silences.list_silences(session, now=within, state="expired", limit=100, offset=0)[0]
    assert {r.id for r in listed} == {ended, expired, series}
    later = T0 + timedelta(days=5, hours=2, minutes=1)  # 5 days after the first two ended, not the series
    assert prune_history(engine, settings, later)["silences"] == 2
    with read_session(engine) as session:
        states = {r.id: silences.status(r, later).state for r in silences.list_silences(
            session, now=later, state=None, limit=100, offset=0)[0]}
    assert states == {series: "expired", forever: "pending", pending: "pending"}
    # the series' last occurrence (day 2 at 02:00, an hour) ended < 5 days before; past its end + duration
    last = T0 + timedelta(days=2) + timedelta(hours=1) + timedelta(days=5)
    assert prune_history(engine, settings, last - timedelta(minutes=1))["silences"] == 0
    assert prune_history(engine, settings, last + timedelta(minutes=1))["silences"] == 1
    with read_session(engine) as session:
        assert {r.id for r in silences.list_silences(session, now=last, state=None, limit=9, offset=0)[0]} == {
            forever, pending}


def test_active_reads_only_silences_that_may_mute_now(engine: Any) -> None:
    with write_session(engine) as session:
        now_on = _create(session, start=T0, end=T0 + timedelta(hours=2), now=T0)
        _create(session, start=T0, end=T0 + timedelta(minutes=30), now=T0)
        _create(session, start=T0 + timedelta(hours=3), end=T0 + timedelta(hours=4), now=T0)
    with read_session(engine) as session:
        assert [r.id for r, _ in silences.active(session, T0 + timedelta(hours=1))] == [now_on]
