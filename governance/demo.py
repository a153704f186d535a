"""What ``make run`` sets up: the example plans published, an admin token and a demo source."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from governance.db import write_session
from governance.errors import NothingToPublish, PlanNotFound, SourceNotFound
from governance.plan.loader import load_plan_file
from governance.registry import plans, sources, tokens
from governance.registry.tables import PlanRow


@dataclass
class DemoCredentials:
    admin_token: str
    source_name: str
    write_key: str
    plans: list[str]


def publish_directory(engine: Engine, directory: Path, *, actor: str) -> list[str]:
    """Create or update each plan's draft from ``directory/*.yaml`` and publish what changed."""
    published = []
    for path in sorted(directory.glob("*.y*ml")):
        plan = load_plan_file(path)
        with write_session(engine) as session:
            try:
                row: PlanRow = plans.get_plan(session, plan.name)
                if row.draft_hash != plans.content_hash(plan.body()):
                    plans.replace_draft(session, ref=row.id, body=plan.body(), if_match="*", actor=actor)
            except PlanNotFound:
                row = plans.create_plan(session, plan=plan, actor=actor)
        with write_session(engine) as session, contextlib.suppress(NothingToPublish):  # unchanged: fine
            plans.publish(session, ref=plan.name, actor=actor, message=f"from {path.name}")
        published.append(plan.name)
    return published


def set_up_demo(engine: Engine, directory: Path, *, upstream_url: str | None = None) -> DemoCredentials:
    names = publish_directory(engine, directory, actor="make-run")
    with write_session(engine) as session:
        _row, admin = tokens.create_token(session, role="admin", name="make-run", actor="make-run")
        try:
            source = sources.get_source(session, "demo")
            _key, write_key = sources.rotate_key(session, ref=source.id, actor="make-run")
        except SourceNotFound:
            plan = "ecommerce" if "ecommerce" in names else (names[0] if names else None)
            fields: dict[str, object] = {"name": "demo", "plan": plan, "mode": "enforce",
                                         "upstream_url": upstream_url, "settings": {}}  # fmt: skip
            source, write_key = sources.create_source(session, fields=fields, actor="make-run")
    return DemoCredentials(admin_token=admin, source_name="demo", write_key=write_key, plans=names)
