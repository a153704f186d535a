"""REST: per-source transformations and a preview of transformations + plan on a sample payload."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from governance.api.deps import Editor, EngineDep, Viewer
from governance.api.schemas import TransformationCreate, TransformationUpdate
from governance.db import read_session, write_session
from governance.errors import InvalidBody
from governance.proxy.pipeline import judge
from governance.proxy.spec import now_iso
from governance.registry import transformations as registry
from governance.registry.sources import get_source

router = APIRouter(prefix="/api/v1/sources/{source}", tags=["transformations"])


@router.get("/transformations", summary="List the source's transformations, in order")
def list_transformations(source: str, engine: EngineDep, _actor: Viewer) -> list[dict[str, Any]]:
    with read_session(engine) as session:
        return [registry.to_public(r) for r in registry.list_transformations(session, source=source)]


@router.post("/transformations", status_code=201, summary="Add a transformation")
def create_transformation(source: str, body: TransformationCreate, engine: EngineDep,
                          actor: Editor) -> dict[str, Any]:
    fields = body.model_dump(by_alias=True, exclude_unset=True)
    with write_session(engine) as session:
        return registry.to_public(registry.create_transformation(session, source=source, body=fields,
                                                                 actor=actor.name))


@router.patch("/transformations/{transformation_id}", summary="Change a transformation")
def update_transformation(source: str, transformation_id: str, body: TransformationUpdate, engine: EngineDep,
                          actor: Editor) -> dict[str, Any]:
    fields = body.model_dump(by_alias=True, exclude_unset=True)
    with write_session(engine) as session:
        row = registry.update_transformation(session, source=source, transformation_id=transformation_id,
                                             body=fields, actor=actor.name)
        return registry.to_public(row)


@router.delete("/transformations/{transformation_id}", status_code=204, summary="Remove a transformation")
def delete_transformation(source: str, transformation_id: str, engine: EngineDep, actor: Editor) -> Response:
    with write_session(engine) as session:
        registry.delete_transformation(session, source=source, transformation_id=transformation_id,
                                       actor=actor.name)
    return Response(status_code=204)


@router.post("/preview", summary="Apply the source's transformations and plan to a sample payload")
def preview(source: str, body: dict[str, Any], request: Request, engine: EngineDep, _actor: Viewer) -> dict[str, Any]:
    """Body: a message, or ``{"batch": [...]}``. Nothing is stored or forwarded."""
    with read_session(engine) as session:
        source_id = get_source(session, source).id
    runtime = request.app.state.proxy.runtime
    runtime.reload()  # a preview must see the latest transformations, not wait for the poller
    state = runtime.by_id[source_id]
    messages = body.get("batch") if isinstance(body.get("batch"), list) else [body]
    if not messages:
        raise InvalidBody("batch must not be empty")
    settings = request.app.state.settings
    salt = settings.hash_salt.get_secret_value().encode()
    verdicts = [judge(m, state, kind=None, received_at=now_iso(), max_depth=settings.max_json_depth, salt=salt)
                for m in messages]
    return {"source": state.name, "plan": state.plan_name, "plan_version": state.plan_version,
            "verdicts": [{**v.to_dict(), "forwarded": v.forward} for v in verdicts]}
