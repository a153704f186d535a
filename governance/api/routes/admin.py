"""REST: API tokens and the audit log (admin only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from governance.api.deps import Admin, EngineDep, PageDep
from governance.api.routes.quarantine import column_time
from governance.api.schemas import AuditPublic, ListOf, TokenCreate, TokenCreated, TokenPublic
from governance.db import read_session, write_session
from governance.registry import audit, tokens

router = APIRouter(prefix="/api/v1", tags=["admin"])


@router.get("/tokens", response_model=ListOf[TokenPublic], summary="List API tokens (prefixes only)")
def list_tokens(engine: EngineDep, _actor: Admin, page: PageDep) -> ListOf[TokenPublic]:
    with read_session(engine) as session:
        rows = [TokenPublic.of(t) for t in tokens.list_tokens(session)]  # a handful: paged here, oldest first
    return ListOf[TokenPublic](data=rows[page.offset:page.offset + page.limit], count=len(rows))


@router.post("/tokens", status_code=201, response_model=TokenCreated, summary="Create an API token (shown once)")
def create_token(body: TokenCreate, engine: EngineDep, actor: Admin) -> TokenCreated:
    with write_session(engine) as session:
        row, secret = tokens.create_token(session, role=body.role, name=body.name, actor=actor.name)
        return TokenCreated(**TokenPublic.of(row).model_dump(), token=secret)


@router.delete("/tokens/{token_id}", status_code=204, summary="Revoke an API token")
def revoke_token(token_id: str, engine: EngineDep, actor: Admin) -> Response:
    with write_session(engine) as session:
        tokens.revoke_token(session, token_id=token_id, actor=actor.name)
    return Response(status_code=204)


@router.get("/audit", response_model=ListOf[AuditPublic], summary="The audit log, newest first")
def list_audit(engine: EngineDep, _actor: Admin, page: PageDep, entity: str | None = None,
               entity_id: str | None = None,
               actor: Annotated[str | None, Query(description="Who: token:<id>, scheduler, dispatcher, ...")] = None,
               action: Annotated[str | None, Query(description="An action; ending in '.' a prefix (alert.)")] = None,
               since: Annotated[datetime | None, Query(description="At or after this time")] = None,
               until: Annotated[datetime | None, Query(description="Before this time")] = None,
               ) -> ListOf[AuditPublic]:
    with read_session(engine) as session:
        rows, count = audit.list_audit(session, entity=entity, entity_id=entity_id, actor=actor, action=action,
                                       since=column_time(since), until=column_time(until),
                                       limit=page.limit, offset=page.offset)
        return ListOf[AuditPublic](data=[AuditPublic.of(r) for r in rows], count=count)
