"""Correlation: alerts with the same root go out as one notification.

Two volume or silence alerts share a root when they are on the same source and their estimated
onsets (``AlertRow.onset_at``: a silence's last event, the start of the window a drop was judged
in) lie within ``GOVERNANCE_CORRELATION_WINDOW_S`` of each other: one outage seen by a
source-level silence check, the per-event silences and a volume drop. Other kinds (an unplanned
event, a violation rate) are news of their own and never correlated. Per audience (a channel and its
recipient), when the dispatcher flushes:

- a group's firing notification also lists the not-yet-notified alerts of the audience's other
  groups that share a root with one of its alerts (``join``): they go out together;
- an alert whose root the audience has already been told about (firing, or resolved within the
  window: a drop judged over the last hour outlives the outage it saw) is not news (``news``): it
  joins that incident silently (route state ``correlated``, history ``correlated``) and is listed
  in the group's next notification (a repeat); it is not announced when it resolves, since it
  never was (unless it inhibits the alert the audience was told of: a silence after a drop says
  more, and is news); and if it still fires ``GOVERNANCE_CORRELATION_WINDOW_S`` after its root resolved,
  it is news then (something is still wrong). An alert that was inhibited shares the root of the
  alert that inhibited it, for every audience: the owner of one event of a source whose outage was
  announced is not told of its volume drop in the minutes after the outage ended.

``0`` turns correlation off. The alert's ``root_id`` names the alert it was correlated with.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from governance.alerts import lifecycle
from governance.alerts.muting import ids_of, muted
from governance.alerts.tables import AlertRouteRow, AlertRow

Member = tuple[AlertRouteRow, AlertRow]
Audience = tuple[str, str | None]
CORRELATED = "correlated"  # the route state of an alert that joined an incident silently


KINDS = frozenset({"silence", "volume", "source_drop"})  # the counts of a source going wrong together


def same_root(a: AlertRow, b: AlertRow, window: timedelta) -> bool:
    if window <= timedelta(0) or a.id == b.id or a.source_id != b.source_id:
        return False
    if a.check_kind not in KINDS or b.check_kind not in KINDS or a.onset_at is None or b.onset_at is None:
        return False
    return abs(a.onset_at - b.onset_at) <= window


def _audience(route: AlertRouteRow) -> Audience:
    return route.channel_id, route.recipient


class Incidents:
    """What each audience has heard of (notified firing alerts) and what waits to be told."""

    def __init__(self, session: Session, groups: Iterable[list[Member]], window: timedelta, now: datetime) -> None:
        self.session, self.window, self.now = session, window, now
        self.known: dict[Audience, list[AlertRow]] = {}
        self.waiting: dict[Audience, list[Member]] = {}
        since = now - window
        recent = session.exec(select(AlertRouteRow, AlertRow).where(
            AlertRouteRow.alert_id == AlertRow.id, AlertRow.status == "resolved", col(AlertRow.resolved_at) >= since,
            col(AlertRouteRow.notified_status).in_(("firing", "resolved"))))
        for route, alert in recent.all():
            self.known.setdefault(_audience(route), []).append(alert)
        for rows in groups:
            for route, alert in rows:
                if alert.status != "firing":
                    continue
                if route.notified_status == CORRELATED and self._orphan(alert):
                    route.notified_status = None  # its root resolved while it still fires: news now
                    alert.root_id = None
                    session.add_all([route, alert])
                if route.notified_status in ("firing", CORRELATED):
                    self.known.setdefault(_audience(route), []).append(alert)
                elif not muted(alert) and alert.acked_at is None and not (
                        alert.snoozed_until is not None and alert.snoozed_until > now):
                    self.waiting.setdefault(_audience(route), []).append((route, alert))

    def _orphan(self, alert: AlertRow) -> bool:
        """Its root resolved a whole window ago, and it still fires."""
        root = self.session.get(AlertRow, alert.root_id) if alert.root_id is not None else None
        if root is None:
            return True
        return root.status != "firing" and (root.resolved_at is None or root.resolved_at + self.window <= self.now)

    @staticmethod
    def _escalated(known: AlertRow, alert: AlertRow) -> bool:
        """``alert`` inhibits what the audience was told (a drop, then the silence): it says more, so it is news."""
        return alert.id in ids_of(known.inhibited_by)

    def _inhibitor(self, alert: AlertRow) -> AlertRow | None:
        """The alert that inhibited this one (its root), while it fires or resolved within the window."""
        root = self.session.get(AlertRow, alert.root_id) if alert.root_id is not None else None
        if root is None or root.status == "firing":
            return root
        return root if root.resolved_at is not None and root.resolved_at + self.window > self.now else None

    def _correlate(self, alert: AlertRow, root: AlertRow) -> None:
        if alert.root_id is None and alert.id is not None:
            alert.root_id = root.id
            self.session.add(alert)
            lifecycle.history(self.session, alert.id, "correlated", self.now,
                              details={"with": root.id, "title": root.title})

    def news(self, new: list[Member]) -> list[Member]:
        """The new alerts of a group that are news to its audience; the others join their incident."""
        out = []
        for route, alert in new:
            known = self.known.get(_audience(route), [])
            root = next((k for k in known if same_root(k, alert, self.window) and not self._escalated(k, alert)), None)
            root = root or self._inhibitor(alert)
            if root is None:
                out.append((route, alert))
                continue
            route.notified_status, route.notified_at = CORRELATED, self.now
            self.session.add(route)
            self._correlate(alert, root)
            self.known.setdefault(_audience(route), []).append(alert)
        return out

    def join(self, live: list[Member]) -> list[Member]:
        """The audience's not-yet-notified alerts of other groups sharing a root with one of ``live``."""
        if not live:
            return []
        ids = {a.id for _, a in live}
        out = []
        for route, alert in self.waiting.get(_audience(live[0][0]), []):
            taken = route.notified_status in ("firing", CORRELATED) or route.group_key == live[0][0].group_key
            if alert.id in ids or taken:
                continue
            root = next((a for _, a in live if same_root(a, alert, self.window)), None)
            if root is not None:
                self._correlate(alert, root)
                out.append((route, alert))
        return out

    def heard(self, members: list[Member]) -> None:
        for route, alert in members:
            self.known.setdefault(_audience(route), []).append(alert)
