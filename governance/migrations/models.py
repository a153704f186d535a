"""Every table of the service, in one metadata: the Alembic environment's view of the models.

Each package's ``tables`` module registers its tables with ``SQLModel.metadata`` when imported;
this module (and nothing else) imports them all.
"""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlmodel import SQLModel


def metadata() -> MetaData:
    import governance.alerts.tables
    import governance.proxy.tables
    import governance.quality.tables
    import governance.registry.tables
    import governance.worker.tables  # noqa: F401

    return SQLModel.metadata
