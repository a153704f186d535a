"""What every process does first on a database: create missing tables, register the bootstrap token.

Framework-free: the web process (``app.create_app``), the worker and ``governance serve`` all call
``bootstrap(settings, engine)``.
"""

from __future__ import annotations

from sqlalchemy import Engine

from governance.db import create_schema, write_session
from governance.registry.tokens import create_token
from governance.settings import Settings


def bootstrap(settings: Settings, engine: Engine) -> None:
    """Create missing tables and register the bootstrap admin token, if configured."""
    create_schema(engine)
    if settings.bootstrap_admin_token is not None:
        with write_session(engine) as session:
            create_token(session, role="admin", name="bootstrap", actor="bootstrap",
                         secret=settings.bootstrap_admin_token.get_secret_value())  # fmt: skip
