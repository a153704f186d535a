"""What every process does first on a database: check its schema, register the bootstrap token.

Framework-free: the web process (``app.create_app``), the worker and ``governance serve`` all call
``bootstrap(settings, engine)``.
"""

from __future__ import annotations

from sqlalchemy import Engine

from governance.db import write_session
from governance.migrations import ensure_current
from governance.registry.tokens import create_token
from governance.settings import Settings


def bootstrap(settings: Settings, engine: Engine) -> None:
    """Check the schema (an empty database is created, an old one refused) and register the
    bootstrap admin token, if configured."""
    ensure_current(engine)
    if settings.bootstrap_admin_token is not None:
        with write_session(engine) as session:
            create_token(session, role="admin", name="bootstrap", actor="bootstrap",
                         secret=settings.bootstrap_admin_token.get_secret_value())
