"""The daily digest email: violations per source and event over the last 24 hours.

The numbers come from ``proxy.observe`` — the same queries that answer
``GET /api/v1/sources/{id}/violations?window=24h`` — so the email and the API always agree.
Settings (enabled, UTC hour, recipients) live in ``digest_settings`` and are edited over REST.
The scheduler asks every hour (and when it takes the lead) whether a digest is due: the due
slot is today's hour (or yesterday's, while less than ``CATCH_UP`` old); ``scheduler_runs``
records it, so each slot is sent once, and a slot missed while no worker ran is caught up once.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from governance.alerts.channels import ChannelContext
from governance.alerts.channels.email import send_email
from governance.alerts.tables import DigestSettingsRow
from governance.clock import as_utc
from governance.db import read_session
from governance.errors import ValidationFailed
from governance.proxy import observe
from governance.registry.audit import record
from governance.registry.tables import SourceRow
from governance.settings import Settings

CATCH_UP = timedelta(hours=12)
TOP = 3


def get_digest_settings(session: Session, settings: Settings) -> DigestSettingsRow:
    """The stored settings, or the defaults (disabled, ``GOVERNANCE_DIGEST_HOUR``) when never set."""
    row = session.get(DigestSettingsRow, 1)
    return row if row is not None else DigestSettingsRow(id=1, enabled=False, hour=settings.digest_hour)


def put_digest_settings(session: Session, *, enabled: bool, hour: int, recipients: list[str], actor: str,
                        now: datetime) -> DigestSettingsRow:
    if any("@" not in r or any(c.isspace() for c in r) for r in recipients):
        raise ValidationFailed("recipients: give email addresses", details=[{"path": "recipients"}])
    if enabled and not recipients:
        raise ValidationFailed("recipients: an enabled digest needs at least one recipient",
                               details=[{"path": "recipients"}])
    row = session.get(DigestSettingsRow, 1) or DigestSettingsRow(id=1)
    row.enabled, row.hour, row.recipients, row.updated_at = enabled, hour, orjson.dumps(recipients).decode(), now
    session.add(row)
    record(session, actor=actor, action="digest.update", entity="digest", entity_id="1",
           details={"enabled": enabled, "hour": hour, "recipients": recipients})
    return row


def recipients(row: DigestSettingsRow) -> list[str]:
    return [str(r) for r in orjson.loads(row.recipients)]


def due_slot(row: DigestSettingsRow, now: datetime) -> datetime | None:
    """The digest slot to send at ``now`` (today's or yesterday's hour), or ``None``."""
    if not row.enabled:
        return None
    now = as_utc(now)
    slot = now.replace(hour=row.hour, minute=0, second=0, microsecond=0)
    if slot > now:
        slot -= timedelta(days=1)
    return slot if now - slot <= CATCH_UP else None


def build_digest(engine: Engine) -> dict[str, Any]:
    """Violations and events per source and event over the last 24 hours (``observe`` numbers)."""
    with read_session(engine) as session:
        sources = list(session.exec(select(SourceRow).order_by(col(SourceRow.name))).all())
    out: list[dict[str, Any]] = []
    for source in sources:
        groups = observe.violations_grouped(engine, source.id, "24h")
        seen: dict[str, int] = {}
        for entry in observe.events_seen(engine, source.id, "24h"):
            seen[entry["event"]] = seen.get(entry["event"], 0) + entry["total"]
        by_event: dict[str, dict[str, Any]] = {}
        for g in groups:
            item = by_event.setdefault(g["event"], {"event": g["event"], "violations": 0,
                                                    "events": seen.get(g["event"], 0), "top": []})
            item["violations"] += g["count"]
            if len(item["top"]) < TOP:
                item["top"].append({"field": g["field"], "type": g["type"], "count": g["count"]})
        events = sorted(by_event.values(), key=lambda e: (-e["violations"], e["event"]))
        out.append({"source_id": source.id, "source": source.name, "events": sum(seen.values()),
                    "violations": sum(e["violations"] for e in events), "by_event": events})
    return {"window": "24h", "total_violations": sum(s["violations"] for s in out), "sources": out}


def render_digest(digest: dict[str, Any], console_url: str) -> tuple[str, str, str]:
    """``(subject, text, html)`` of a digest."""
    total = digest["total_violations"]
    noisy = [s for s in digest["sources"] if s["violations"]]
    subject = f"[governance] Daily digest: {total} violations on {len(noisy)} sources"
    lines = [f"Violations in the last 24 hours: {total} on {len(noisy)} of {len(digest['sources'])} sources", ""]
    rows: list[str] = []
    for s in digest["sources"]:
        lines.append(f"{s['source']}: {s['violations']} violations in {s['events']} events")
        rows.append(f"<tr><th colspan=3 align=left>{html.escape(s['source'])}: {s['violations']} violations "
                    f"in {s['events']} events</th></tr>")
        for e in s["by_event"]:
            top = ", ".join(f"{t['field'] or '-'} {t['type']} {t['count']}" for t in e["top"])
            name = e["event"] or "(no event name)"
            lines.append(f"  {name}: {e['violations']} violations in {e['events']} events (top: {top})")
            rows.append(f"<tr><td>{html.escape(name)}</td><td align=right>{e['violations']}</td>"
                        f"<td>{html.escape(top)}</td></tr>")
    link = console_url.rstrip("/") + "/"
    lines += ["", f"Open in the console: {link}", ""]
    body = ('<!doctype html><html><body style="font-family:sans-serif">'
            f"<h2>{html.escape(subject.removeprefix('[governance] '))}</h2>"
            f"<table>{''.join(rows)}</table>"
            f'<p><a href="{html.escape(link, quote=True)}">Open in the console</a></p></body></html>')
    return subject, "\n".join(lines), body


def send_digest(engine: Engine, settings: Settings, to: list[str]) -> dict[str, Any]:
    """Build and email the digest to ``to``; returns the digest with ``sent`` and ``error``."""
    digest = build_digest(engine)
    context = ChannelContext.from_settings(settings)
    digest.update(sent=False, error=None, recipients=to)
    if context.smtp is None:
        digest["error"] = "the digest needs GOVERNANCE_SMTP_HOST"
        return digest
    if not to:
        digest["error"] = "the digest has no recipients"
        return digest
    subject, text, body = render_digest(digest, context.console_url)
    smtp = context.smtp
    try:
        send_email(host=smtp.host, port=smtp.port, starttls=smtp.starttls, username=smtp.username,
                   password=smtp.password, sender=smtp.sender, to=to, subject=subject, text=text, html=body,
                   timeout_s=smtp.timeout_s)
    except Exception as exc:
        digest["error"] = f"{type(exc).__name__}: {exc}"
        return digest
    digest["sent"] = True
    return digest
