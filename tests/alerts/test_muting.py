"""Silences, inhibition, correlation and per-route grouping through the real dispatcher and a real receiver.

Webhooks go to a real HTTP server on 127.0.0.1 and every body's Standard Webhooks signature is
verified; time is injected into ``dispatch``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest

from governance.alerts import config, lifecycle, silences
from governance.alerts.dispatcher import dispatch
from governance.alerts.tables import AlertRow
from governance.db import read_session, write_session
from governance.matchers import Matcher, parse_text
from governance.quality.transitions import AlertInput
from tests.conftest import make_settings

from .conftest import Receiver
from .test_dispatcher import T0, bodies, engine, s

__all__ = ["engine"]  # the fixture, shared with the dispatcher's tests


@pytest.fixture
def settings(sqlite_url: str) -> Any:
    return make_settings(sqlite_url, webhook_allowed_networks=["127.0.0.0/8"])


def hook(engine: Any, receiver: Receiver, grouping: dict[str, Any] | None = None,
         channel_config: dict[str, Any] | None = None) -> str:
    with write_session(engine) as session:
        row, secret = config.create_channel(session, name="hook", kind="webhook",
                                            config={"url": receiver.url, **(channel_config or {})}, enabled=True,
                                            actor="test", now=T0)
        config.create_rule(session, name="all", matchers={}, channels=[row.id], enabled=True, actor="test", now=T0,
                           grouping=grouping)
    assert secret is not None
    return secret


def fire(engine: Any, at: datetime, *, kind: str = "volume", event: str = "Order Completed",
         details: dict[str, Any] | None = None, source: str = "web") -> int:
    title = f"{kind}: {event or 'all events'} on {source}"
    alert = AlertInput(fingerprint=f"fp-{kind}-{event}-{source}", check_id=f"chk_{kind}_{event}", check_kind=kind,
                       source_id=f"src_{source}", source_name=source, event=event, field="", severity="warning",
                       title=title, summary=f"{title} happened", details=details or {})
    with write_session(engine) as session:
        row = lifecycle.fire(session, alert, at)
        assert row.id is not None
        return row.id


def history(engine: Any, alert_id: int) -> list[tuple[str, dict[str, Any]]]:
    with read_session(engine) as session:
        return [(h.action, orjson.loads(h.details)) for h in lifecycle.history_of(session, alert_id)]


def silence(engine: Any, *texts: str, start: datetime, end: datetime) -> str:
    with write_session(engine) as session:
        row = silences.create(session, matchers=[Matcher.model_validate(parse_text(t)) for t in texts],
                              comment="planned maintenance", starts_at=start, ends_at=end, recurrence=None,
                              actor="test", now=start - timedelta(hours=1))
        return row.id


def test_a_silence_declared_ahead_mutes_what_fires_inside_it_and_notification_resumes_after(
        engine: Any, settings: Any, receiver: Receiver) -> None:
    secret = hook(engine, receiver)
    sid = silence(engine, "source=web", 'event=~"Order.*"', start=s(0), end=s(3600))
    muted = fire(engine, s(60))
    other = fire(engine, s(60), event="Signed Up")  # not matched by the silence
    dispatch(engine, settings, s(100))
    [first] = bodies(receiver, secret)
    assert [a["id"] for a in first["data"]["alerts"]] == [other]
    actions = history(engine, muted)
    assert ("silenced", {"silences": [{"id": sid, "comment": "planned maintenance"}]}) in actions
    with read_session(engine) as session:
        row = session.get(AlertRow, muted)
        assert row is not None and row.status == "firing" and orjson.loads(row.silenced_by or "[]") == [sid]
    dispatch(engine, settings, s(3000))
    assert len(receiver.requests) == 1  # still muted
    fire(engine, s(3590))  # still firing as the window ends
    dispatch(engine, settings, s(3601))
    resumed = bodies(receiver, secret)[-1]
    assert len(receiver.requests) == 2 and muted in [a["id"] for a in resumed["data"]["alerts"]]
    assert ("unsilenced", {"silences": [sid]}) in history(engine, muted)


def test_an_alert_that_resolves_inside_its_silence_is_never_announced(engine: Any, settings: Any,
                                                                      receiver: Receiver) -> None:
    hook(engine, receiver)
    silence(engine, "check_kind=volume", start=s(0), end=s(3600))
    fire(engine, s(60))
    dispatch(engine, settings, s(100))
    with write_session(engine) as session:
        lifecycle.resolve(session, "fp-volume-Order Completed-web", s(600))
    for at in (700, 1000, 4000):
        dispatch(engine, settings, s(at))
    assert receiver.requests == []


def test_a_source_level_silence_inhibits_the_per_event_volume_and_silence_alerts(
        engine: Any, settings: Any, receiver: Receiver) -> None:
    secret = hook(engine, receiver)
    outage = fire(engine, s(0), kind="silence", event="", details={"last_seen_minutes_ago": 20})
    drop = fire(engine, s(5), kind="volume", details={"window_minutes": 20})
    quiet = fire(engine, s(5), kind="silence", details={"last_seen_minutes_ago": 18})
    elsewhere = fire(engine, s(5), kind="volume", source="ios", details={"window_minutes": 20})
    dispatch(engine, settings, s(40))
    got = bodies(receiver, secret)
    sent = sorted(a["id"] for b in got for a in b["data"]["alerts"])
    assert sent == sorted([outage, elsewhere]) and len(got) == 2  # web's outage once; ios apart
    assert [d for a, d in history(engine, drop) if a == "inhibited"] == [
        {"by": [{"alert_id": outage, "rule": "source outage"}, {"alert_id": quiet, "rule": "event silence"}]}]
    assert any(a == "inhibited" for a, _ in history(engine, quiet))
    web = next(b for b in got if b["data"]["source"] == "web")
    assert web["data"]["since"] == "2024-05-01T09:40:00Z"  # the estimated onset, not the detection time


def test_all_events_silent_without_a_source_check_is_one_notification_of_the_silences(
        engine: Any, settings: Any, receiver: Receiver) -> None:
    secret = hook(engine, receiver)
    quiet = [fire(engine, s(i), kind="silence", event=e, details={"last_seen_minutes_ago": 16 + i})
             for i, e in enumerate(("Order Completed", "Signed Up", "Cart Viewed"))]
    drops = [fire(engine, s(10 + i), kind="volume", event=e, details={"window_minutes": 10})
             for i, e in enumerate(("Order Completed", "Signed Up", "Cart Viewed"))]
    dispatch(engine, settings, s(40))
    [one] = bodies(receiver, secret)
    assert sorted(a["id"] for a in one["data"]["alerts"]) == sorted(quiet)  # the drops: inhibited by the silences
    assert all(any(a == "inhibited" for a, _ in history(engine, d)) for d in drops)
    for at in (400, 800, 1200):
        dispatch(engine, settings, s(at))
    assert len(receiver.requests) == 1


def test_a_silence_after_its_events_drop_was_notified_is_news(engine: Any, settings: Any,
                                                                receiver: Receiver) -> None:
    secret = hook(engine, receiver)
    drop = fire(engine, s(0), kind="volume", details={"window_minutes": 10})
    dispatch(engine, settings, s(31))
    quiet = fire(engine, s(360), kind="silence", details={"last_seen_minutes_ago": 16})
    dispatch(engine, settings, s(400))
    assert [[a["id"] for a in b["data"]["alerts"]] for b in bodies(receiver, secret)] == [[drop], [quiet]]
    assert any(a == "inhibited" for a, _ in history(engine, drop))  # the drop is muted by the silence now


def test_inhibition_is_configurable_and_can_be_turned_off(engine: Any, sqlite_url: str, receiver: Receiver) -> None:
    settings = make_settings(sqlite_url, webhook_allowed_networks=["127.0.0.0/8"], inhibit_rules=[],
                             correlation_window_s=0)
    secret = hook(engine, receiver)
    fire(engine, s(0), kind="silence", event="", details={"last_seen_minutes_ago": 20})
    fire(engine, s(5), kind="volume", details={"window_minutes": 20})
    dispatch(engine, settings, s(40))
    assert sorted(b["data"]["check_kind"] for b in bodies(receiver, secret)) == ["silence", "volume"]


def test_the_same_root_goes_out_once_across_groups_and_later_alerts_join_it(engine: Any, settings: Any,
                                                                            receiver: Receiver) -> None:
    secret = hook(engine, receiver)
    first = fire(engine, s(0), kind="silence", event="Order Completed", details={"last_seen_minutes_ago": 16})
    # a volume drop of another event, same onset: another group (check kind), one notification
    drop = fire(engine, s(10), kind="volume", event="Signed Up", details={"window_minutes": 20})
    dispatch(engine, settings, s(31))
    [one] = bodies(receiver, secret)
    assert sorted(a["id"] for a in one["data"]["alerts"]) == sorted([first, drop])
    assert one["data"]["title"] == "2 firing alerts on web"
    late = fire(engine, s(400), kind="silence", event="Cart Viewed", details={"last_seen_minutes_ago": 22})
    dispatch(engine, settings, s(700))
    assert len(receiver.requests) == 1  # the same outage: not news
    assert ("correlated", {"with": first, "title": "silence: Order Completed on web"}) in history(engine, late)
    unrelated = fire(engine, s(800), kind="new_unplanned", event="Completed Order")
    dispatch(engine, settings, s(1200))
    assert [a["id"] for a in bodies(receiver, secret)[-1]["data"]["alerts"]] == [unrelated]
    with write_session(engine) as session:  # the outage's alerts resolve but the late one still fires
        lifecycle.resolve(session, "fp-silence-Order Completed-web", s(1300))
        lifecycle.resolve(session, "fp-volume-Signed Up-web", s(1300))
    dispatch(engine, settings, s(1600))
    kinds = {(b["type"], tuple(a["id"] for a in b["data"]["alerts"])) for b in bodies(receiver, secret)[2:]}
    assert kinds == {("alert.resolved", (first, drop))} or kinds == {("alert.resolved", (first,)),
                                                                     ("alert.resolved", (drop,))}
    dispatch(engine, settings, s(1300 + 1800 - 10))  # a lagging symptom within the window: not news
    assert len(receiver.requests) == 2 + len(kinds)
    dispatch(engine, settings, s(1300 + 1800 + 1))  # still firing a whole window after its root resolved: news
    assert [a["id"] for a in bodies(receiver, secret)[-1]["data"]["alerts"]] == [late]


def test_grouping_is_configurable_per_route(engine: Any, settings: Any, receiver: Receiver) -> None:
    secret = hook(engine, receiver, grouping={"group_by": ["source"], "group_wait_s": 0, "repeat_interval_s": 600})
    fire(engine, s(0), kind="volume")
    fire(engine, s(0), kind="new_unplanned", event="Completed Order")
    fire(engine, s(0), kind="volume", source="ios")
    dispatch(engine, settings, s(1))  # group_wait 0: at once
    got = bodies(receiver, secret)
    assert sorted(len(b["data"]["alerts"]) for b in got) == [1, 2]  # by source only: kinds share a group
    dispatch(engine, settings, s(601))
    assert len(receiver.requests) == 4  # repeat_interval 10 min, not the settings' 4 h


def test_resolve_notices_say_when_and_how_long_in_the_recipients_zone(engine: Any, settings: Any,
                                                                      receiver: Receiver) -> None:
    secret = hook(engine, receiver, channel_config={"timezone": "Europe/Paris"})
    fire(engine, s(0), details={"window_minutes": 10})
    dispatch(engine, settings, s(31))
    with write_session(engine) as session:
        lifecycle.resolve(session, "fp-volume-Order Completed-web", s(1620))
    dispatch(engine, settings, s(1950))
    notice = bodies(receiver, secret)[-1]["data"]
    assert notice["status"] == "resolved" and notice["resolved_at"] == "2024-05-01T10:27:00Z"
    assert notice["duration_s"] == 37 * 60 and notice["timezone"] == "Europe/Paris"
    assert notice["summary"] == "Resolved Wed 1 May 2024, 12:27 CEST, after 37 min (since Wed 1 May 2024, 11:50 CEST)."
    assert "happened" not in orjson.dumps(notice).decode()  # not the stale firing text
