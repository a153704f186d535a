"""The payload of one notification: what the channels (email, webhook, Slack) render.

Machine fields are ISO 8601 in UTC to the second (``since`` is the alert's estimated onset,
``detected_at`` when it fired, ``resolved_at``); ``timezone`` is the recipient's zone (the
channel's ``config.timezone``), in which ``summary`` and the human ``details`` are written. A
resolved notice says when it resolved and how long it lasted, not the firing text it replaces.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from governance.alerts import lifecycle, timefmt
from governance.alerts.tables import AlertRow

MAX_LISTED = 20


def since(alert: AlertRow) -> Any:
    return alert.onset_at or alert.started_at


def _lasted(alert: AlertRow) -> float:
    end = alert.resolved_at or alert.last_firing_at
    return (end - since(alert)).total_seconds()


def resolved_text(alert: AlertRow, tz: str) -> str:
    return (f"Resolved {timefmt.human(alert.resolved_at, tz)}, after {timefmt.duration(_lasted(alert))} "
            f"(since {timefmt.human(since(alert), tz)}).")


def alert_dict(alert: AlertRow, status: str, tz: str = "UTC") -> dict[str, Any]:
    """One alert of a notification."""
    details = orjson.loads(alert.details)
    summary = alert.summary
    if status == "resolved":
        summary = resolved_text(alert, tz)
        details = {"fired": timefmt.human(since(alert), tz), "resolved": timefmt.human(alert.resolved_at, tz),
                   "lasted": timefmt.duration(_lasted(alert))}
    return {"id": alert.id, "title": alert.title, "severity": alert.severity, "status": status,
            "event": alert.event, "field": alert.field, "source": alert.source_name, "source_id": alert.source_id,
            "check_kind": alert.check_kind, "summary": summary, "since": timefmt.iso(since(alert)),
            "detected_at": timefmt.iso(alert.started_at), "resolved_at": timefmt.iso(alert.resolved_at),
            "duration_s": round(_lasted(alert)) if status == "resolved" else None, "timezone": tz,
            "fingerprint": alert.fingerprint, "owner": alert.owner, "details": details,
            "url": f"/#/alerts/{alert.id}"}


def _entry(alert: AlertRow, status: str) -> dict[str, Any]:
    return {"id": alert.id, "title": alert.title, "fingerprint": alert.fingerprint, "status": status,
            "check_kind": alert.check_kind, "event": alert.event, "since": timefmt.iso(since(alert))}


def render(alerts: Sequence[AlertRow], status: str, tz: str = "UTC") -> str:
    """The channel payload (JSON text) of one notification about ``alerts`` (the first is the group's)."""
    if len(alerts) == 1:
        payload = alert_dict(alerts[0], status, tz)
        payload["alerts"] = [_entry(alerts[0], status)]
        return orjson.dumps(payload).decode()
    first = alerts[0]
    events = {a.event for a in alerts}
    kinds = {a.check_kind for a in alerts}
    worst = max(alerts, key=lambda a: lifecycle.SEVERITY_RANK.get(a.severity, 0)).severity
    word = "resolved" if status == "resolved" else "firing"
    kind = f" {first.check_kind}" if len(kinds) == 1 else ""
    said = {a.title: resolved_text(a, tz) if status == "resolved" else a.summary for a in alerts[:MAX_LISTED]}
    lines = [f"- {title}: {text}" for title, text in said.items()]
    onset = min(since(a) for a in alerts)
    payload = {
        "title": f"{len(alerts)} {word}{kind} alerts on {first.source_name}",
        "severity": worst, "status": status, "event": events.pop() if len(events) == 1 else "",
        "source": first.source_name, "source_id": first.source_id, "check_kind": first.check_kind if kind else "",
        "summary": "\n".join(lines), "since": timefmt.iso(onset), "timezone": tz,
        "detected_at": timefmt.iso(min(a.started_at for a in alerts)),
        "details": said,
        "url": "/#/alerts",
        "alerts": [_entry(a, status) for a in alerts],
    }
    return orjson.dumps(payload).decode()
