"""The checks end to end over a real database: synthetic counters in, alerts out (SQLite and PostgreSQL).

Time is injected: ``check_cycle(engine, settings, now)`` (the worker's job: ``run_cycle`` with its
transitions handed to ``alerts.lifecycle``) replays two weeks of minute counters in milliseconds;
nothing sleeps.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson
import pytest
from sqlalchemy import insert
from sqlmodel import Session, select

from governance.alerts import lifecycle
from governance.alerts.tables import AlertRow
from governance.bench.synthetic import generate_traffic
from governance.clock import epoch_minute
from governance.db import make_engine, write_session, writer
from governance.migrations import upgrade
from governance.plan.model import Plan
from governance.proxy.tables import EventCountRow, EventSampleRow, ViolationCountRow
from governance.quality.cycle import run_cycle, run_requested
from governance.quality.sync import sync_checks
from governance.quality.tables import CheckRow, CheckRunRow, CheckStateRow
from governance.quality.transitions import Step
from governance.registry.plans import create_plan, publish
from governance.registry.sources import create_source
from governance.worker.jobs import check_cycle
from tests.conftest import ROOT, make_settings

BASE = epoch_minute(datetime(2024, 3, 4, tzinfo=UTC))  # synthetic minute 0
EVENTS = ["Order Completed", "Product Viewed", "Cart Viewed"]
SHOP: dict[str, Any] = {
    "name": "shop",
    "owner": "analytics@example.com",
    "events": {
        "Order Completed": {
            "owner": "checkout@example.com", "labels": {"team": "checkout"},
            "properties": {"order_id": {"type": "string"}, "coupon": {"type": "string"},
                           "quantity": {"type": "integer"}},
            "checks": [{"kind": "volume", "for": 3, "keep_firing_for": 1}],
        },
        "Product Viewed": {"properties": {"product_id": {"type": "string"}}},
        "Cart Viewed": {},
    },
}


def at(minute: int, second: int = 5) -> datetime:
    """The wall time inside synthetic minute ``minute`` (that minute is still incomplete)."""
    return datetime.fromtimestamp((BASE + minute) * 60 + second, UTC)


def seed(engine: Any, body: dict[str, Any] = SHOP, sources: tuple[str, ...] = ("web",)) -> dict[str, str]:
    with write_session(engine) as session:
        plan = Plan.model_validate(body)
        create_plan(session, plan=plan, actor="test")
        publish(session, ref=plan.name, actor="test")
        return {name: create_source(session, fields={"name": name, "plan": plan.name}, actor="test")[0].id
                for name in sources}


def insert_counts(engine: Any, source_id: str, names: list[str], counts: np.ndarray, base: int = BASE,
                  planned: bool = True) -> None:
    """Bulk insert a ``(events, minutes)`` matrix into ``event_counts`` (non-zero cells only)."""
    e_idx, m_idx = np.nonzero(counts)
    rows = [{"minute": base + int(m), "source_id": source_id, "kind": "track", "event": names[int(e)],
             "outcome": "forwarded", "planned": planned, "count": int(counts[e, m])}
            for e, m in zip(e_idx, m_idx, strict=True)]
    with writer(engine).begin() as conn:
        for start in range(0, len(rows), 20_000):
            conn.execute(insert(EventCountRow.__table__), rows[start : start + 20_000])  # type: ignore[attr-defined]


@pytest.fixture
def engine(database_url: str) -> Any:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def alerts(engine: Any, **where: Any) -> list[AlertRow]:
    with Session(engine) as session:
        query = select(AlertRow).where(*[getattr(AlertRow, k) == v for k, v in where.items()])
        return list(session.exec(query.order_by(AlertRow.id)).all())


def runs(engine: Any, check_id: str) -> list[CheckRunRow]:
    with Session(engine) as session:
        return list(session.exec(select(CheckRunRow).where(CheckRunRow.check_id == check_id)
                                 .order_by(CheckRunRow.id)).all())


def test_volume_drop_fires_after_for_evaluations_and_resolves(engine: Any, database_url: str) -> None:
    ids = seed(engine)
    traffic = generate_traffic(events=3, days=14, seed=7, min_rate=3000, max_rate=6000, anomaly_rates={},
                               keep_rate=False)
    drop = 13 * 1440 + 600  # day 13, 10:00: Order Completed stops for two hours
    traffic.counts[0, drop : drop + 120] = 0
    insert_counts(engine, ids["web"], EVENTS, traffic.counts)
    settings = make_settings(database_url)

    reports = [check_cycle(engine, settings, at(drop + m)) for m in (10, 15, 20)]
    with Session(engine) as session:
        volume = session.exec(select(CheckRow).where(CheckRow.kind == "volume",
                                                     CheckRow.event == "Order Completed")).one()
    assert volume.origin == "plan" and volume.for_evaluations == 3
    assert [r.outcome for r in runs(engine, volume.id)] == ["pending", "pending", "firing"]
    [alert] = alerts(engine, check_id=volume.id)
    assert alert.fingerprint not in reports[0].fired + reports[1].fired and alert.fingerprint in reports[2].fired
    assert alert.status == "firing" and alert.started_at == at(drop + 20)
    assert alert.title == "Volume drop: Order Completed on web"
    assert "dropped 100%" in alert.summary and alert.owner == "checkout@example.com"
    assert orjson.loads(alert.labels) == {"team": "checkout"}
    # the default silence check (for=1) saw it too; no other event raised anything
    assert {a.check_kind for a in alerts(engine)} == {"volume", "silence"}
    assert {a.event for a in alerts(engine)} == {"Order Completed"}

    after = [check_cycle(engine, settings, at(drop + m)) for m in (190, 195)]  # traffic is back
    assert [r.outcome for r in runs(engine, volume.id)][-2:] == ["firing", "resolved"]  # keep_firing_for=1
    [alert] = alerts(engine, check_id=volume.id)
    assert alert.status == "resolved" and alert.resolved_at == at(drop + 195)
    assert alert.fingerprint in after[1].resolved
    check_cycle(engine, settings, at(drop + 200))  # silence keeps firing for 2 clear evaluations (its default)
    assert not any(a.status == "firing" for a in alerts(engine))
    with Session(engine) as session:  # inactive fingerprints leave no state behind
        assert not session.exec(select(CheckStateRow).where(CheckStateRow.check_id == volume.id)).all()


def test_run_cycle_returns_its_transitions_and_touches_no_alert(engine: Any, database_url: str) -> None:
    ids = seed(engine, sources=("android-app",))
    now = at(20 * 1440)
    counts = np.zeros((1, 5), np.int64)
    counts[0] = [3, 0, 5, 1, 2]
    insert_counts(engine, ids["android-app"], ["Completed Order"], counts, base=epoch_minute(now) - 5, planned=False)
    report = run_cycle(engine, make_settings(database_url), now)
    assert report.transitions is not None
    [fired] = report.transitions.of(Step.FIRED)
    assert fired.alert is not None and fired.alert.title == "Unplanned event 'Completed Order' on android-app"
    assert fired.fingerprint in report.fired and not alerts(engine)  # quality never drives alerts itself
    with write_session(engine) as session:  # what the worker does with them, in the cycle's transaction
        lifecycle.apply(session, report.transitions)
    [alert] = alerts(engine)
    assert (alert.fingerprint, alert.status, alert.title) == (fired.fingerprint, "firing", fired.alert.title)


def test_new_unplanned_event_and_property_with_suggestions(engine: Any, database_url: str) -> None:
    ids = seed(engine, sources=("android-app",))
    now = at(20 * 1440)
    minute = epoch_minute(now)
    counts = np.zeros((1, 5), np.int64)
    counts[0] = [3, 0, 5, 1, 2]
    insert_counts(engine, ids["android-app"], ["Completed Order"], counts, base=minute - 5, planned=False)
    with writer(engine).begin() as conn:
        conn.execute(insert(ViolationCountRow.__table__), [  # type: ignore[attr-defined]
            {"minute": minute - 2, "source_id": ids["android-app"], "event": "Order Completed",
             "field": "properties.coupn", "type": "unplanned_property", "count": 4}])
    settings = make_settings(database_url)
    report = check_cycle(engine, settings, now)
    assert len(report.fired) == 2
    event_alert, property_alert = sorted(alerts(engine, check_kind="new_unplanned"), key=lambda a: a.field)
    assert event_alert.title == "Unplanned event 'Completed Order' on android-app"
    assert event_alert.summary == ('unplanned event "Completed Order" arrived 8 times in the last 5 min on '
                                   'android-app; did you mean "Order Completed"?')
    assert event_alert.owner == "checkout@example.com"  # the owner of the event it was meant to be
    assert orjson.loads(event_alert.details)["suggestion"] == "Order Completed"
    assert property_alert.field == "properties.coupn" and property_alert.event == "Order Completed"
    assert 'did you mean "properties.coupon"?' in property_alert.summary
    # no more arrivals: once the 5-minute window is clear, resolved after keep_firing_for (12) clear
    # evaluations (3 minutes at the fast cadence), on the 13th
    clear = [now + timedelta(minutes=5, seconds=15 * k) for k in range(13)]
    for moment in clear[:-1]:
        check_cycle(engine, settings, moment, fast_only=True)
    assert {a.status for a in alerts(engine, check_kind="new_unplanned")} == {"firing"}
    check_cycle(engine, settings, clear[-1], fast_only=True)
    assert {a.status for a in alerts(engine, check_kind="new_unplanned")} == {"resolved"}


def _sample_rows(source_id: str, start: datetime, minutes: int, per_minute: int, string_share: float,
                 seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    rows = []
    for m in range(minutes):
        for i in range(per_minute):
            quantity: Any = int(rng.integers(1, 5))
            if rng.random() < string_share:
                quantity = str(quantity)
            payload = {"type": "track", "event": "Order Completed",
                       "properties": {"order_id": f"o-{m}-{i}", "quantity": quantity}}
            rows.append({"source_id": source_id, "kind": "track", "event": "Order Completed", "planned": True,
                         "received_at": start + timedelta(minutes=m, seconds=i),
                         "payload": orjson.dumps(payload).decode()})
    return rows


def test_drift_of_type_mix_from_event_samples(engine: Any, database_url: str) -> None:
    ids = seed(engine)
    now = at(20 * 1440)
    reference = _sample_rows(ids["web"], now - timedelta(minutes=60 + 300), 300, 2, 0.0, seed=1)
    recent = _sample_rows(ids["web"], now - timedelta(minutes=60), 60, 5, 0.3, seed=2)
    with writer(engine).begin() as conn:
        conn.execute(insert(EventSampleRow.__table__), reference + recent)  # type: ignore[attr-defined]
    with write_session(engine) as session:
        session.add(CheckRow(id="chk_drift", kind="drift", source_id=ids["web"], event="Order Completed",
                             params=orjson.dumps({"properties": ["properties.quantity", "properties.order_id"],
                                                  "reference": 300}).decode(), for_evaluations=1))
    settings = make_settings(database_url, default_checks=False)
    check_cycle(engine, settings, now)
    [alert] = alerts(engine, check_id="chk_drift")
    assert alert.field == "properties.quantity" and alert.title == "Drift: Order Completed properties.quantity on web"
    assert alert.summary.startswith("type mix changed: integer 100% -> integer ")
    assert "string" in alert.summary
    [run] = runs(engine, "chk_drift")
    observed = {o["field"]: o for o in orjson.loads(run.observations)}
    assert observed["properties.quantity"]["condition"] and "properties.order_id" not in observed


def test_defaults_plan_overrides_and_switching_off(engine: Any, database_url: str) -> None:
    body = {"name": "app", "checks": [{"kind": "silence", "params": {"enabled": False}},
                                      {"kind": "violation_rate", "params": {"scope": "source", "threshold": 0.2}}],
            "events": {"A Happened": {"checks": [{"kind": "volume", "params": {"enabled": False}}]},
                       "B Happened": {"expectations": [{"type": "expect_column_values_to_not_be_null",
                                                        "column": "properties.id"}]}}}
    ids = seed(engine, body, sources=("web", "ios"))
    now = at(0)
    with write_session(engine) as session:
        sync_checks(session, defaults=True, now=now)
    with Session(engine) as session:
        rows = session.exec(select(CheckRow).where(CheckRow.source_id == ids["web"])).all()
    found = {(r.kind, r.event, r.origin) for r in rows}
    assert found == {
        ("volume", "B Happened", "default"),  # A turned volume off; nobody gets silence
        ("decline", "A Happened", "default"),
        ("decline", "B Happened", "default"),
        ("expectations", "B Happened", "plan"),
        ("violation_rate", "", "plan"),  # plan-level, per source: replaces the per-event default
        ("new_unplanned", "", "default"),
    }
    assert orjson.loads(next(r for r in rows if r.kind == "violation_rate").params) == {"scope": "source",
                                                                                        "threshold": 0.2}
    # an operator switches a default off; the next sync keeps it off, the ids are stable
    default = next(r for r in rows if r.kind == "volume")
    with write_session(engine) as session:
        session.get(CheckRow, default.id).enabled = False  # type: ignore[union-attr]
    with write_session(engine) as session:
        assert sync_checks(session, defaults=True, now=now) == []
        assert session.get(CheckRow, default.id).enabled is False  # type: ignore[union-attr]
        # GOVERNANCE_DEFAULT_CHECKS=false drops the defaults, keeps the plan's
        gone = sync_checks(session, defaults=False, now=now)
    assert len(gone) == 8  # volume, decline x 2 and new_unplanned, on both sources
    with Session(engine) as session:
        assert {r.origin for r in session.exec(select(CheckRow)).all()} == {"plan"}


def test_errors_are_recorded_per_check_and_manual_runs_leave_state_alone(engine: Any, database_url: str) -> None:
    ids = seed(engine)
    now = at(20 * 1440)
    with write_session(engine) as session:
        session.add(CheckRow(id="chk_bad", kind="violation_rate", source_id=ids["web"], params='{"window": -1}'))
        session.add(CheckRow(id="chk_rate", kind="violation_rate", source_id=ids["web"], event="",
                             params='{"min_events": 10, "threshold": 0.1}', for_evaluations=2))
    counts = np.full((1, 30), 10)
    insert_counts(engine, ids["web"], ["Order Completed"], counts, base=epoch_minute(now) - 30)
    with writer(engine).begin() as conn:
        conn.execute(insert(ViolationCountRow.__table__), [  # type: ignore[attr-defined]
            {"minute": epoch_minute(now) - 1 - m, "source_id": ids["web"], "event": "Order Completed",
             "field": field, "type": vtype, "count": 5} for m in range(30)
            for field, vtype in (("properties.total", "type_mismatch"), ("", "*"))])  # as the proxy counts them
    settings = make_settings(database_url, default_checks=False)
    report = check_cycle(engine, settings, now)
    assert report.errors == 1
    [bad] = runs(engine, "chk_bad")
    assert bad.outcome == "error" and "window" in (bad.error or "")
    [rate] = runs(engine, "chk_rate")
    assert rate.outcome == "pending"  # 50% violations, for=2
    # "run now": evaluated and recorded as manual; the hysteresis does not move
    with write_session(engine) as session:
        session.get(CheckRow, "chk_rate").run_requested_at = now  # type: ignore[union-attr]
    run_requested(engine, settings, now + timedelta(seconds=3))
    manual = runs(engine, "chk_rate")[-1]
    assert (manual.trigger, manual.outcome) == ("manual", "holds")
    assert "50.0% of events had violations" in manual.observations
    with Session(engine) as session:
        state = session.exec(select(CheckStateRow).where(CheckStateRow.check_id == "chk_rate")).one()
        assert orjson.loads(state.state)["active"] == 1 and session.get(CheckRow, "chk_rate").run_requested_at is None  # type: ignore[union-attr]
    assert [a.check_kind for a in alerts(engine)] == ["check_error"]  # the broken check, not the pending one
    check_cycle(engine, settings, now + timedelta(minutes=1))
    assert [a.title for a in alerts(engine, check_kind="violation_rate")] == ["High violation rate: all events on web"]


def test_a_check_that_errors_raises_check_error_to_its_owner_and_resolves_when_it_runs(engine: Any,
                                                                                       database_url: str) -> None:
    ids = seed(engine)
    now = at(20 * 1440)
    with write_session(engine) as session:  # valid when stored, broken at run time (a plug-in gone, a bad edit)
        session.add(CheckRow(id="chk_gone", kind="volume", source_id=ids["web"], event="Order Completed",
                             params='{"windows": [0]}', origin="api"))
    settings = make_settings(database_url, default_checks=False)
    for step in range(2):
        check_cycle(engine, settings, now + timedelta(minutes=5 * step))
    [alert] = alerts(engine, check_id="chk_gone")
    assert (alert.check_kind, alert.status, alert.owner) == ("check_error", "firing", "checkout@example.com")
    assert alert.title == "Check error: the volume check of 'Order Completed' on web cannot run"
    assert "windows" in alert.summary and orjson.loads(alert.details)["error"].startswith("invalid params")
    assert [r.outcome for r in runs(engine, "chk_gone")] == ["error", "error"]
    with write_session(engine) as session:  # fixed: it runs again
        session.get(CheckRow, "chk_gone").params = "{}"  # type: ignore[union-attr]
    check_cycle(engine, settings, now + timedelta(minutes=10))
    assert alerts(engine, check_id="chk_gone")[0].status == "firing"  # keep_firing_for 1: one clean run
    check_cycle(engine, settings, now + timedelta(minutes=15))
    [resolved] = alerts(engine, check_id="chk_gone")
    assert resolved.status == "resolved" and resolved.resolved_at == now + timedelta(minutes=15)
    check_cycle(engine, settings, now + timedelta(minutes=20))
    with Session(engine) as session:  # "resolved" lasts one evaluation, then the state is gone
        fields = {s.field for s in session.exec(select(CheckStateRow)).all()}
    assert "!check_error" not in fields


def test_expectations_suite_runs_and_its_result_is_stored(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    body = {"name": "shop", "events": {"Order Completed": {"expectations": [
        {"type": "expect_column_values_to_not_be_null", "column": "properties.order_id", "mostly": 0.99},
        {"type": "expect_column_values_to_be_between", "column": "properties.quantity", "min_value": 1,
         "max_value": 10}]}}}
    ids = seed(engine, body)
    now = at(20 * 1440)
    rows = _sample_rows(ids["web"], now - timedelta(minutes=30), 30, 4, 0.0, seed=3)
    for i, row in enumerate(rows):
        if i % 5 == 0:  # 20% null order ids
            payload = orjson.loads(row["payload"])
            payload["properties"]["order_id"] = None
            row["payload"] = orjson.dumps(payload).decode()
    with writer(engine).begin() as conn:
        conn.execute(insert(EventSampleRow.__table__), rows)  # type: ignore[attr-defined]
    check_cycle(engine, make_settings(sqlite_url, default_checks=False), now)
    assert os.environ["GX_ANALYTICS_ENABLED"] == "false"
    [alert] = alerts(engine, check_kind="expectations")
    assert alert.summary.startswith("1 of 2 expectations failed over 120 sampled events: "
                                    "expect_column_values_to_not_be_null(properties.order_id) 20.0% unexpected")
    [run] = runs(engine, alert.check_id)
    result = orjson.loads(run.result or "null")
    assert result["success"] is False and result["rows"] == 120
    assert [r["success"] for r in result["results"]] == [False, True]
    engine.dispose()


def test_every_parameter_of_every_kind_is_documented_with_its_default() -> None:
    from governance.quality.checks import CHECK_KINDS

    text = (ROOT / "docs" / "quality" / "checks.md").read_text()
    sections = {s.split("\n", 1)[0].strip(): s for s in re.split(r"^## ", text, flags=re.MULTILINE)}
    missing = []
    for name, kind in CHECK_KINDS.items():
        rows = {line.split("|")[1].strip(): line for line in sections.get(name, "").splitlines()
                if line.startswith("| `")}
        for param, info in kind.params.model_fields.items():
            row = rows.get(f"`{param}`")
            if row is None:
                missing.append(f"{name}.{param}")
            elif not info.is_required():
                default = info.default_factory() if info.default_factory else info.default  # type: ignore[call-arg]
                shown = default if isinstance(default, str) else json.dumps(default)
                if f"`{shown}`" not in row:
                    missing.append(f"{name}.{param} default {shown}")
    assert missing == []


def test_default_params_are_the_ones_the_bench_measures() -> None:
    from governance.bench.checks import HYSTERESIS, BenchConfig
    from governance.plan.check_spec import CHECK_SPECS

    bench = BenchConfig()
    for field, kind in (("volume", "volume"), ("silence", "silence"), ("decline", "decline"),
                        ("violations", "violation_rate"), ("drift", "drift")):
        assert getattr(bench, field) == CHECK_SPECS[kind].params(), field
    assert set(HYSTERESIS.values()) <= set(CHECK_SPECS)  # the bench uses each kind's own for / keep_firing_for
