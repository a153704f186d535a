"""Open expected periods (marked while their alert was firing) end when their alert resolves."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import col, select

from governance.alerts.tables import AlertRow
from governance.db import write_session
from governance.quality.tables import ExpectedPeriodRow


def close_expected_periods(engine: Engine, now: datetime) -> int:
    """Give every open period whose alert resolved (or is gone) its end; how many were closed."""
    closed = 0
    with write_session(engine) as session:
        for row in session.exec(select(ExpectedPeriodRow).where(col(ExpectedPeriodRow.ends_at).is_(None))).all():
            alert = session.get(AlertRow, row.alert_id) if row.alert_id is not None else None
            if alert is not None and alert.status != "resolved":
                continue
            row.ends_at = alert.resolved_at if alert is not None and alert.resolved_at else now
            session.add(row)
            closed += 1
    return closed
