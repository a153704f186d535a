"""Which firing alerts are muted now, and why: silences (``silences``) and inhibition (``inhibition``).

``mute(session, now, rules)`` runs before every flush of the dispatcher. For each firing alert it
records ``silenced_by`` (the ids of the active silences whose matchers all accept it) and
``inhibited_by`` (the ids of the firing alerts inhibiting it), and a history row whenever that
changes: ``silenced`` / ``unsilenced`` naming the silence and its comment, ``inhibited`` /
``uninhibited`` naming the alert and the rule. A muted alert is not notified (nothing is dropped:
it keeps firing and is listed by the API); once unmuted, it is notified like a new alert if it
still fires and has not been notified yet. An alert that resolves while muted is not announced.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlmodel import Session, select

from governance.alerts import lifecycle, silences
from governance.alerts.inhibition import InhibitRule, inhibitors
from governance.alerts.tables import AlertRow
from governance.matchers import alert_labels, matches_all


def ids_of(text: str | None) -> list[Any]:
    return list(orjson.loads(text)) if text else []


def muted(alert: AlertRow) -> bool:
    return bool(ids_of(alert.silenced_by) or ids_of(alert.inhibited_by))


def mute(session: Session, now: datetime, rules: Sequence[InhibitRule]) -> None:
    """Bring every firing alert's ``silenced_by`` and ``inhibited_by`` up to date at ``now``."""
    firing = list(session.exec(select(AlertRow).where(AlertRow.status == "firing")).all())
    if not firing:
        return
    active = silences.active(session, now)
    labels = {a.id: alert_labels(a) for a in firing if a.id is not None}
    inhibited = inhibitors(labels, rules)
    for alert in firing:
        assert alert.id is not None
        by_silence = [(s.id, s.comment) for s, matchers in active if matches_all(matchers, labels[alert.id])]
        _silenced(session, alert, by_silence, now)
        _inhibited(session, alert, inhibited.get(alert.id, []), now)


def _silenced(session: Session, alert: AlertRow, found: list[tuple[str, str]], now: datetime) -> None:
    assert alert.id is not None
    before, after = ids_of(alert.silenced_by), [sid for sid, _ in found]
    if before == after:
        return
    alert.silenced_by = orjson.dumps(after).decode() if after else None
    session.add(alert)
    if after:
        lifecycle.history(session, alert.id, "silenced", now, details={
            "silences": [{"id": sid, "comment": comment} for sid, comment in found]})
    else:
        lifecycle.history(session, alert.id, "unsilenced", now, details={"silences": before})


def _inhibited(session: Session, alert: AlertRow, found: list[tuple[int, str]], now: datetime) -> None:
    assert alert.id is not None
    before, after = ids_of(alert.inhibited_by), [aid for aid, _ in found]
    if before == after:
        return
    alert.inhibited_by = orjson.dumps(after).decode() if after else None
    session.add(alert)
    if after:
        lifecycle.history(session, alert.id, "inhibited", now, details={
            "by": [{"alert_id": aid, "rule": rule} for aid, rule in found]})
    else:
        if alert.root_id is None:  # the inhibitor stays its root (``correlation``): a symptom outlives its cause
            alert.root_id = before[0]
        lifecycle.history(session, alert.id, "uninhibited", now, details={"by": before})
