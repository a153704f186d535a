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
from governance.matchers import MatcherIndex, alert_labels


def ids_of(text: str | None) -> list[Any]:
    return list(orjson.loads(text)) if text else []


def muted(alert: AlertRow) -> bool:
    return bool(ids_of(alert.silenced_by) or ids_of(alert.inhibited_by))


def mute(session: Session, now: datetime, rules: Sequence[InhibitRule]) -> None:
    """Bring every firing alert's ``silenced_by`` and ``inhibited_by`` up to date at ``now``."""
    firing = list(session.exec(select(AlertRow).where(AlertRow.status == "firing")).all())
    if not firing:
        return
    index = MatcherIndex((s, found) for s, found in silences.active(session, now))  # looked up, not scanned
    labels = {a.id: alert_labels(a) for a in firing if a.id is not None}
    inhibited = inhibitors(labels, rules)
    for alert in firing:
        assert alert.id is not None
        by_silence = [{"id": s.id, "comment": s.comment} for s in index.matching(labels[alert.id])]
        _update(session, alert, "silenced_by", by_silence, now)
        by_alert = [{"alert_id": aid, "rule": rule} for aid, rule in inhibited.get(alert.id, [])]
        _update(session, alert, "inhibited_by", by_alert, now)


# per column: the id in each found entry, the history actions (muted, unmuted), their details' key
_COLUMNS = {"silenced_by": ("id", "silenced", "unsilenced", "silences"),
            "inhibited_by": ("alert_id", "inhibited", "uninhibited", "by")}


def _update(session: Session, alert: AlertRow, column: str, found: list[dict[str, Any]], now: datetime) -> None:
    """Set ``column`` to the ids ``found``; a history row (``silenced`` / ``unsilenced``, ``inhibited`` /
    ``uninhibited``) when that changes."""
    assert alert.id is not None
    key, muted_as, unmuted_as, details = _COLUMNS[column]
    before, after = ids_of(getattr(alert, column)), [entry[key] for entry in found]
    if before == after:
        return
    setattr(alert, column, orjson.dumps(after).decode() if after else None)
    session.add(alert)
    if after:
        lifecycle.history(session, alert.id, muted_as, now, details={details: found})
        return
    if column == "inhibited_by" and alert.root_id is None:  # the inhibitor stays its root (``correlation``)
        alert.root_id = before[0]  # a symptom outlives its cause
    lifecycle.history(session, alert.id, unmuted_as, now, details={details: before})
