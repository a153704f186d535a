"""REST: who the caller's API token is (the console shows the role and disables what it cannot do)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from governance.api.deps import EngineDep, Viewer
from governance.db import read_session
from governance.registry.tables import ApiTokenRow
from governance.registry.tokens import ROLES, role_rank

router = APIRouter(prefix="/api/v1", tags=["admin"])


@router.get("/me", summary="The caller's token: id, name, role, and the roles it includes")
def whoami(engine: EngineDep, actor: Viewer) -> dict[str, Any]:
    with read_session(engine) as session:
        row = session.get(ApiTokenRow, actor.token_id)
    return {"token_id": actor.token_id, "name": row.name if row else None, "prefix": row.prefix if row else None,
            "role": actor.role, "roles": list(ROLES[: role_rank(actor.role) + 1])}
