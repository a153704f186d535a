"""REST: import plans from other tools' formats, and a draft plan inferred from a source's traffic."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import col, select

from governance.api.deps import Editor, EngineDep, Viewer
from governance.api.documents import read_body
from governance.api.plan_reports import ImportPublic, InferredPlanPublic
from governance.api.schemas import PlanPublic
from governance.db import read_session, write_session
from governance.errors import PlanNotFound
from governance.formats import IMPORTERS, MAX_IMPORT_BYTES, import_plan, infer_plan_from_lines
from governance.plan.loader import dump_plan_yaml
from governance.proxy.tables import EventSampleRow
from governance.registry import plans as registry
from governance.registry.sources import get_source

router = APIRouter(prefix="/api/v1", tags=["formats"])
IMPORT_BODY: dict[str, Any] = {"requestBody": {"required": True, "description": (
    "The document in the other tool's format (JSON or YAML), or a zip of a directory (rudder-cli "
    "projects, Iglu schema trees)"), "content": {"application/json": {}, "application/yaml": {},
    "application/zip": {}}}}


@router.post("/plans/import", status_code=200, openapi_extra=IMPORT_BODY, response_model=ImportPublic,
             responses={201: {"model": ImportPublic, "description": "A new plan was created"}},
             summary="Import a plan (segment, rudderstack, iglu, jsonschema) into a new or existing draft")
async def import_route(
    request: Request, response: Response, engine: EngineDep, actor: Editor,
    format: Annotated[str, Query(description=f"One of {sorted(IMPORTERS)}")],
    name: Annotated[str | None, Query(description="Plan name (default: derived from the input)")] = None,
) -> dict[str, Any]:
    raw = await read_body(request, min(MAX_IMPORT_BYTES, request.app.state.settings.max_api_body_bytes))
    result = import_plan(format, raw, name=name)
    with write_session(engine) as session:
        try:
            row = registry.get_plan(session, result.plan.name)
            row = registry.replace_draft(session, ref=row.id, body=result.plan.body(), if_match="*", actor=actor.name)
            created = False
        except PlanNotFound:
            row = registry.create_plan(session, plan=result.plan, actor=actor.name)
            created = True
    response.status_code = 201 if created else 200
    response.headers["ETag"] = registry.etag_of(row)
    return {"plan": PlanPublic.of(row).model_dump(mode="json"), "created": created,
            "report": [item.to_dict() for item in result.report]}


@router.get("/sources/{source}/inferred-plan", response_model=InferredPlanPublic,
            responses={200: {"content": {"application/yaml": {}}}},
            summary="A draft plan inferred from the source's recent samples")
def inferred_plan(
    source: str, engine: EngineDep, _actor: Viewer,
    limit: Annotated[int, Query(ge=1, le=100_000, description="Most recent samples to learn from")] = 10_000,
    format: Annotated[str, Query(pattern="^(json|yaml)$", description="json or yaml")] = "json",
) -> Any:
    with read_session(engine) as session:
        src = get_source(session, source)
        rows = session.exec(select(EventSampleRow.payload).where(EventSampleRow.source_id == src.id)
                            .order_by(col(EventSampleRow.id).desc()).limit(limit)).all()
    plan, report = infer_plan_from_lines(rows, name=f"{src.name}-inferred")  # a damaged sample is counted
    if format == "yaml":
        return Response(dump_plan_yaml(plan), media_type="application/yaml")
    return {"samples": len(rows), "plan": plan.body(), "report": report.to_dict()}
