"""Scoring alerts against the ground truth: false alerts per 1,000 event-days and recall per anomaly kind,
by week of history (week 1, week 2, week 3, weeks 4+), with the time to the first alert.

- An **alert** is a firing period of one fingerprint (``firing_spans`` of the kind's hysteresis).
- It is **caused** by an anomaly of a kind its check can see (``CAUSES``) when it starts inside
  the anomaly or within ``grace`` minutes after it (a decline's effect lasts to the end).
- Alerts that start on an undeclared holiday of their event (within ``grace`` of it) are
  **holiday alerts**: reported, not counted as false (a maintenance window is how a holiday is
  declared in advance).
- Every other alert is **false**.
- **Recall** of a family: the share of its anomalies on eligible events (at least ``min_minutes``
  long, on an event running at ``FAMILIES``' rate or more during the anomaly: the noise-free rate,
  a holiday included, times the campaigns and declines around it, ``Traffic.running_rate``) during
  which an alert of a detecting kind fires; **latency**: minutes from the anomaly's start to that
  alert.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from governance.bench.truth import CONTEXT_KINDS, MINUTES_PER_DAY, Anomaly, Traffic

Alert = tuple[int, int, int, str]  # event, first and last firing minute, alert kind
CAUSES = {"drop": {"zero", "night_zero", "half", "decline"}, "silence": {"zero", "night_zero", "half"},
          "spike": {"spike", "campaign"}, "decline": {"decline"}, "violations": {"violations"},
          "drift": {"drift"}}
FAMILIES: dict[str, tuple[set[str], tuple[str, ...], float]] = {  # anomaly kinds, detecting alerts, min rate
    "drops": ({"zero", "night_zero", "half"}, ("drop", "silence"), 100.0),
    "outages": ({"zero", "night_zero"}, ("drop", "silence"), 100.0),
    "half_drops": ({"half"}, ("drop", "silence"), 100.0),
    "night_outages": ({"night_zero"}, ("drop", "silence"), 0.0),
    "spikes": ({"spike"}, ("spike",), 100.0),
    "campaigns": ({"campaign"}, ("spike",), 100.0),
    "declines": ({"decline"}, ("decline",), 10.0),
    "violation_bursts": ({"violations"}, ("violations",), 100.0),
    "drift": ({"drift"}, ("drift",), 100.0),
}
WEEKS = (("week_1", 0, 7), ("week_2", 7, 14), ("week_3", 14, 21), ("weeks_4_plus", 21, 10_000))


@dataclass(frozen=True)
class ScoreConfig:
    grace: int = 60  # minutes after an anomaly during which an alert is still caused by it
    min_minutes: int = 30  # shorter anomalies are not scored for recall
    drift_grace: int = 1440 + 60  # drift's reference window still holds the drifted values


def _week(minute: int) -> str:
    day = minute // MINUTES_PER_DAY
    return next(name for name, lo, hi in WEEKS if lo <= day < hi)


def _caused(alert: Alert, anomalies: Iterable[Anomaly], config: ScoreConfig, end_of_traffic: int) -> bool:
    _event, on, _off, kind = alert
    for a in anomalies:
        if a.kind not in CAUSES[kind]:
            continue
        until = end_of_traffic if a.kind == "decline" else a.end + (config.drift_grace if kind == "drift"
                                                                   else config.grace)
        if a.start <= on <= until:
            return True
    return False


def _on_holiday(alert: Alert, holidays: dict[int, list[tuple[int, int]]], grace: int) -> bool:
    return any(lo - grace <= alert[1] <= hi + grace for lo, hi in holidays.get(alert[0], []))


def false_alerts(traffic: Traffic, alerts: list[Alert], config: ScoreConfig) -> dict[str, Any]:
    """False and holiday alerts per week bucket and per kind, with rates per 1,000 event-days."""
    by_event: dict[int, list[Anomaly]] = {}
    for a in traffic.anomalies:
        by_event.setdefault(a.event, []).append(a)
    holidays: dict[int, list[tuple[int, int]]] = {}
    for event, lo, hi in traffic.holidays:
        holidays.setdefault(event, []).append((lo, hi))
    days = traffic.minutes // MINUTES_PER_DAY
    out: dict[str, Any] = {}
    for name, lo, hi in WEEKS:
        if lo >= days:
            continue
        event_days = traffic.counts.shape[0] * (min(hi, days) - lo)
        mine = [a for a in alerts if _week(a[1]) == name]
        holiday = [a for a in mine if _on_holiday(a, holidays, config.grace)
                   and not _caused(a, by_event.get(a[0], []), config, traffic.minutes)]
        false = [a for a in mine if a not in holiday and not _caused(a, by_event.get(a[0], []), config,
                                                                      traffic.minutes)]
        kinds: dict[str, int] = {}
        for alert in false:
            kinds[alert[3]] = kinds.get(alert[3], 0) + 1
        out[name] = {"event_days": event_days, "false_alerts": len(false), "by_kind": kinds,
                     "per_1000_event_days": round(1000 * len(false) / event_days, 3),
                     "holiday_alerts": len(holiday)}
    total_days = sum(v["event_days"] for v in out.values())
    total = sum(v["false_alerts"] for v in out.values())
    out["all"] = {"event_days": total_days, "false_alerts": total,
                  "per_1000_event_days": round(1000 * total / max(total_days, 1), 3),
                  "holiday_alerts": sum(v["holiday_alerts"] for v in out.values())}
    return out


def recall(traffic: Traffic, alerts: list[Alert], config: ScoreConfig) -> dict[str, Any]:
    """Recall and latency per anomaly family, overall and per week bucket."""
    assert traffic.rate is not None, "scoring needs the noise-free rate"
    firing: dict[tuple[int, str], list[tuple[int, int]]] = {}
    for event, on, off, kind in alerts:
        firing.setdefault((event, kind), []).append((on, off))
    context: dict[int, list[Anomaly]] = {}
    for a in traffic.anomalies:
        if a.kind in CONTEXT_KINDS:
            context.setdefault(a.event, []).append(a)
    out: dict[str, Any] = {}
    for family, (kinds, detecting, min_rate) in FAMILIES.items():
        scored = [a for a in traffic.anomalies if a.kind in kinds and a.end - a.start >= config.min_minutes
                  and traffic.running_rate(a, context.get(a.event, [])) >= min_rate]
        if not scored:
            continue
        found: dict[str, list[float | None]] = {}
        for a in scored:
            until = traffic.minutes if a.kind == "decline" else a.end
            hits = [max(on, a.start) - a.start for k in detecting for on, off in firing.get((a.event, k), [])
                    if on <= until and off >= a.start]
            found.setdefault(_week(a.start), []).append(min(hits) if hits else None)
        out[family] = _summary([x for v in found.values() for x in v])
        out[family]["by_week"] = {w: _summary(v) for w, v in sorted(found.items())}
    return out


def _summary(latencies: list[float | None]) -> dict[str, Any]:
    hit = [x for x in latencies if x is not None]
    return {"anomalies": len(latencies), "detected": len(hit),
            "recall": round(len(hit) / len(latencies), 4) if latencies else None,
            "median_latency_min": float(np.median(hit)) if hit else None,
            "p90_latency_min": float(np.percentile(hit, 90)) if hit else None}


CORRELATED = ("drop", "spike", "silence")  # the kinds correlation joins (alerts/correlation.py)


def _notifications(alerts: list[Alert], window: int) -> int:
    """Notifications of one source's alerts once correlated: volume and silence alerts whose onsets
    lie within ``window`` minutes of the previous one's join its incident; other kinds go out alone."""
    starts = sorted(a[1] for a in alerts if a[3] in CORRELATED)
    incidents = sum(1 for i, s in enumerate(starts) if i == 0 or s - starts[i - 1] > window)
    return incidents + sum(1 for a in alerts if a[3] not in CORRELATED)


def holiday_groups(traffic: Traffic, alerts: list[Alert], config: ScoreConfig, sources: list[int]
                   ) -> dict[tuple[int, int], list[Alert]]:
    """The holiday alerts of each (source, holiday), the holiday keyed by the start of its local day."""
    by_event: dict[int, list[Anomaly]] = {}
    for a in traffic.anomalies:
        by_event.setdefault(a.event, []).append(a)
    spans = {e: (lo, hi) for e, lo, hi in traffic.holidays}
    days = {e: (lo, hi) for e, lo, hi in traffic.holiday_days}
    groups: dict[tuple[int, int], list[Alert]] = {}
    for alert in alerts:
        e = alert[0]
        if e in spans and _on_holiday(alert, {e: [spans[e]]}, config.grace) \
                and not _caused(alert, by_event.get(e, []), config, traffic.minutes):
            groups.setdefault((sources[e], days[e][0] if e in days else spans[e][0]), []).append(alert)
    return groups


def holiday_report(traffic: Traffic, alerts: list[Alert], config: ScoreConfig, sources: list[int],
                   window: int = 30, source_alerts: list[tuple[int, int, int]] | None = None) -> dict[str, Any]:
    """What an undeclared holiday costs a source, and what a declared one does.

    Undeclared: the holiday alerts of each (source, holiday) and the notifications they make once
    correlated (``_notifications``; one audience per source). Declared: a maintenance window over
    the local calendar day (``Traffic.holiday_days``) silences the alerts that start in it; those
    still firing when it ends are notified then (one incident per source), and those that start
    outside it (the evening before, the morning after) are notified as usual. With
    ``source_alerts`` (the ``source_drop`` check's), the undeclared notifications once it inhibits
    (``source_drop.holiday_notifications``).
    """
    spans = {e: (lo, hi) for e, lo, hi in traffic.holidays}
    days = {e: (lo, hi) for e, lo, hi in traffic.holiday_days}
    groups = holiday_groups(traffic, alerts, config, sources)
    held = {(sources[e], days[e][0] if e in days else spans[e][0]) for e in spans}
    undeclared = [_notifications(g, window) for g in groups.values()]
    declared = 0
    for g in groups.values():
        outside = [a for a in g if not days[a[0]][0] <= a[1] < days[a[0]][1]]
        still = [a for a in g if days[a[0]][0] <= a[1] < days[a[0]][1] and a[2] >= days[a[0]][1]]
        declared += _notifications(outside, window) + (1 if still else 0)
    n = max(len(held), 1)
    return {"source_holidays": len(held), "alerts": sum(len(g) for g in groups.values()),
            "alerts_per_source_holiday": round(sum(len(g) for g in groups.values()) / n, 2),
            "notifications_undeclared": sum(undeclared),
            "notifications_per_source_holiday_undeclared": round(sum(undeclared) / n, 2),
            "max_notifications_one_source_holiday": max(undeclared, default=0),
            "notifications_declared": declared,
            "notifications_per_source_holiday_declared": round(declared / n, 2)} | (
        {} if source_alerts is None else _with_source_drop(traffic, groups, source_alerts, sources, config, window))


def _with_source_drop(traffic: Traffic, groups: dict[tuple[int, int], list[Alert]],
                      source_alerts: list[tuple[int, int, int]], sources: list[int], config: ScoreConfig,
                      window: int) -> dict[str, Any]:
    from governance.bench.source_drop import holiday_notifications

    return holiday_notifications(traffic, groups, source_alerts, sources, config.grace, window)
