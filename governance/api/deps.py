"""Dependencies as ``Annotated`` aliases: the engine, the settings, and the authenticated actor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from governance.db import read_session
from governance.errors import Forbidden, InvalidToken, Unauthorized
from governance.registry.tokens import authenticate, role_rank
from governance.settings import Settings


@dataclass(frozen=True)
class Actor:
    token_id: str
    role: str

    @property
    def name(self) -> str:
        return f"token:{self.token_id}"


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


BEARER_DESCRIPTION = ("An API token (`gov_...`, from `governance token create` or `POST /api/v1/tokens`), with "
                      "the role viewer, editor or admin.")
# parses the header and names the scheme in the OpenAPI document; the refusals are ours (error shape)
bearer = HTTPBearer(auto_error=False, scheme_name="bearerToken", description=BEARER_DESCRIPTION)


def current_actor(engine: EngineDep,
                  credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Actor:
    secret = credentials.credentials.strip() if credentials is not None else ""
    if not secret:
        raise Unauthorized("missing API token: send 'Authorization: Bearer <token>'")
    with read_session(engine) as session:
        row = authenticate(session, secret)
    if row is None:
        raise InvalidToken("invalid or revoked API token")
    return Actor(token_id=row.id, role=row.role)


def require(role: str) -> Callable[..., Actor]:
    """A dependency that admits ``role`` and above (viewer < editor < admin)."""

    def check(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        if role_rank(actor.role) < role_rank(role):
            raise Forbidden(f"this needs the {role} role; the token has {actor.role}")
        return actor

    return check


def public() -> None:
    """No token needed: the route documents a format (no security in the OpenAPI document; docs role "public")."""


Public = Depends(public)  # dependencies=[Public] marks a route that needs no token

Viewer = Annotated[Actor, Depends(require("viewer"))]
Editor = Annotated[Actor, Depends(require("editor"))]
Admin = Annotated[Actor, Depends(require("admin"))]


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=500, description="Items per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31, description="Items to skip")] = 0,
) -> Page:
    return Page(limit=limit, offset=offset)


PageDep = Annotated[Page, Depends(page_params)]
