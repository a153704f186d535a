"""What ``make run`` (``serve --demo``) sets up: the example plans published, an admin token and a demo source."""

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

ACTOR = "serve --demo"
DEMO_TOKEN_NAMES = ("demo", "make-run")  # the name minted now, and the one 0.1.0 used


@dataclass
class DemoCredentials:
    admin_token: str
    source_name: str
    write_key: str
    plans: list[str]
    revoked_tokens: int = 0  # demo admin tokens of earlier starts, revoked now
    revoked_keys: int = 0  # demo write keys of earlier starts, revoked now


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
    """Publish ``directory``, then mint the demo admin token and write key, revoking earlier starts' ones.

    Secrets are stored hashed, so the previous ones cannot be shown again: each start prints a
    fresh pair and the pair it replaces stops working, rather than piling up valid credentials.
    """
    names = publish_directory(engine, directory, actor=ACTOR)
    with write_session(engine) as session:
        old_tokens = [t for t in tokens.list_tokens(session) if t.name in DEMO_TOKEN_NAMES and t.revoked_at is None]
        for old in old_tokens:
            tokens.revoke_token(session, token_id=old.id, actor=ACTOR)
        _row, admin = tokens.create_token(session, role="admin", name=DEMO_TOKEN_NAMES[0], actor=ACTOR)
        try:
            source = sources.get_source(session, "demo")
            old_keys = [k for k in sources.list_keys(session, ref=source.id) if k.revoked_at is None]
            for key in old_keys:
                sources.revoke_key(session, ref=source.id, key_id=key.id, actor=ACTOR)
            _key, write_key = sources.rotate_key(session, ref=source.id, actor=ACTOR)
        except SourceNotFound:
            old_keys = []
            plan = "ecommerce" if "ecommerce" in names else (names[0] if names else None)
            fields: dict[str, object] = {"name": "demo", "plan": plan, "mode": "enforce",
                                         "upstream_url": upstream_url, "settings": {}}
            source, write_key = sources.create_source(session, fields=fields, actor=ACTOR)
    return DemoCredentials(admin_token=admin, source_name="demo", write_key=write_key, plans=names,
                           revoked_tokens=len(old_tokens), revoked_keys=len(old_keys))
