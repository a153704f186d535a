"""REST: plans, the draft, versions, diff, compatibility and rollback (``/api/v1/plans``)."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, Request, Response

from governance.api.deps import Editor, EngineDep, PageDep, Viewer
from governance.api.documents import read_document
from governance.api.openapi import EVENT_REF, PLAN_REF
from governance.api.plan_reports import CompatibilityPublic, CompiledSchemasPublic, DiffPublic
from governance.api.schemas import (
    ListOf,
    PlanListed,
    PlanPublic,
    PlanUpdate,
    PublishRequest,
    RollbackRequest,
    VersionPublic,
)
from governance.api.stats import plan_stats
from governance.db import read_session, write_session
from governance.errors import Forbidden, InvalidVersionRef
from governance.plan.compatibility import check_publish, classify, compatibility_report
from governance.plan.compile import compile_plan
from governance.plan.diff import diff_plans
from governance.registry import plans as registry
from governance.registry.tables import PlanRow

router = APIRouter(prefix="/api/v1/plans", tags=["plans"])

DOCUMENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A plan document (the plan format: docs/reference/plan-format.md, /api/v1/schemas/plan.json), "
                       "as JSON or YAML; a key written twice is refused",
        "content": {"application/json": {"schema": PLAN_REF}, "application/yaml": {"schema": PLAN_REF}},
    }
}
EVENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "One event of the plan format (the value under events.<name>), as JSON or YAML",
        "content": {"application/json": {"schema": EVENT_REF}, "application/yaml": {"schema": EVENT_REF}},
    }
}
PLAN_RESPONSE: dict[int | str, dict[str, Any]] = {200: {"description": "The draft, a plan document", "content": {
    "application/json": {"schema": PLAN_REF}}}}
EVENT_RESPONSE: dict[int | str, dict[str, Any]] = {200: {"description": "The event as stored in the draft",
                                                         "content": {"application/json": {"schema": EVENT_REF}}}}
IfMatch = Annotated[str | None, Header(description="The draft's ETag, from GET .../draft")]


def _with_etag(response: Response, row: PlanRow) -> None:
    response.headers["ETag"] = registry.etag_of(row)


@router.get("", response_model=ListOf[PlanListed], summary="List plans (?stats=true: drafts, sources, violations)")
def list_plans(engine: EngineDep, _actor: Viewer, page: PageDep, include_deleted: bool = False,
               stats: bool = False) -> ListOf[PlanListed]:
    with read_session(engine) as session:
        rows, count = registry.list_plans(session, limit=page.limit, offset=page.offset,
                                          include_deleted=include_deleted)
        extra = plan_stats(session, rows) if stats else {}
        return ListOf[PlanListed](data=[PlanListed.of(r, extra.get(r.id)) for r in rows], count=count)


@router.post("", status_code=201, response_model=PlanPublic, openapi_extra=DOCUMENT_BODY,
             summary="Create a plan from a plan document (its draft)")
async def create_plan(request: Request, response: Response, engine: EngineDep, actor: Editor) -> PlanPublic:
    document = await read_document(request)
    plan = registry.parse_plan_body(document)
    with write_session(engine) as session:
        row = registry.create_plan(session, plan=plan, actor=actor.name)
    _with_etag(response, row)
    response.headers["Location"] = f"/api/v1/plans/{row.id}"
    return PlanPublic.of(row)


@router.get("/{plan}", response_model=PlanPublic, summary="Get a plan by id or name")
def get_plan(plan: str, engine: EngineDep, _actor: Viewer) -> PlanPublic:
    with read_session(engine) as session:
        return PlanPublic.of(registry.get_plan(session, plan))


@router.patch("/{plan}", response_model=PlanPublic, summary="Update a plan's metadata")
def update_plan(plan: str, body: PlanUpdate, engine: EngineDep, actor: Editor) -> PlanPublic:
    with write_session(engine) as session:
        row = registry.update_plan_meta(session, ref=plan, changes=body.model_dump(exclude_unset=True),
                                        actor=actor.name)
        return PlanPublic.of(row)


@router.delete("/{plan}", status_code=204, summary="Soft-delete a plan; ?permanent=true deletes it for good")
def delete_plan(plan: str, engine: EngineDep, actor: Editor, permanent: bool = False) -> Response:
    if permanent and actor.role != "admin":
        raise Forbidden("permanent deletion needs the admin role")
    with write_session(engine) as session:
        registry.delete_plan(session, ref=plan, permanent=permanent, actor=actor.name)
    return Response(status_code=204)


@router.get("/{plan}/draft", summary="The editable draft (with its ETag)", response_model=None,
            responses=PLAN_RESPONSE)
def get_draft(plan: str, response: Response, engine: EngineDep, _actor: Viewer) -> dict[str, Any]:
    with read_session(engine) as session:
        row = registry.get_plan(session, plan)
    _with_etag(response, row)
    return orjson.loads(row.draft_body)


@router.put("/{plan}/draft", summary="Replace the draft (If-Match required)", openapi_extra=DOCUMENT_BODY,
            response_model=None, responses=PLAN_RESPONSE)
async def replace_draft(plan: str, request: Request, response: Response, engine: EngineDep, actor: Editor,
                        if_match: IfMatch = None) -> dict[str, Any]:
    document = await read_document(request)
    with write_session(engine) as session:
        row = registry.replace_draft(session, ref=plan, body=document, if_match=if_match, actor=actor.name)
    _with_etag(response, row)
    return orjson.loads(row.draft_body)


@router.put("/{plan}/draft/events/{event}", summary="Add or replace one event in the draft (If-Match)",
            openapi_extra=EVENT_BODY, response_model=None, responses=EVENT_RESPONSE)
async def upsert_event(plan: str, event: str, request: Request, response: Response, engine: EngineDep,
                       actor: Editor, if_match: IfMatch = None) -> dict[str, Any]:
    spec = await read_document(request)
    with write_session(engine) as session:
        row = registry.upsert_event(session, ref=plan, event=event, spec=spec, if_match=if_match,
                                    actor=actor.name)
    _with_etag(response, row)
    return orjson.loads(row.draft_body)["events"][event]


@router.delete("/{plan}/draft/events/{event}", status_code=204, summary="Remove one event from the draft")
def delete_event(plan: str, event: str, engine: EngineDep, actor: Editor, if_match: IfMatch = None) -> Response:
    with write_session(engine) as session:
        row = registry.delete_event(session, ref=plan, event=event, if_match=if_match, actor=actor.name)
    return Response(status_code=204, headers={"ETag": registry.etag_of(row)})


@router.get("/{plan}/versions", response_model=ListOf[VersionPublic], summary="List published versions")
def list_versions(plan: str, engine: EngineDep, _actor: Viewer, page: PageDep) -> ListOf[VersionPublic]:
    with read_session(engine) as session:
        rows, count = registry.list_versions(session, ref=plan, limit=page.limit, offset=page.offset)
        return ListOf[VersionPublic](data=[VersionPublic.of(r) for r in rows], count=count)


@router.post("/{plan}/versions", status_code=201, response_model=VersionPublic,
             summary="Publish the draft as the next version (409 when incompatible)")
def publish(plan: str, engine: EngineDep, actor: Editor, body: PublishRequest | None = None,
            if_match: IfMatch = None) -> VersionPublic:
    body = body or PublishRequest()
    with write_session(engine) as session:
        row = registry.publish(session, ref=plan, actor=actor.name, message=body.message,
                               allow_breaking=body.allow_breaking, if_match=if_match)
        return VersionPublic.of(row, with_body=True)


@router.get("/{plan}/versions/{version}", response_model=VersionPublic,
            summary="One version (a number or 'latest'), with its body")
def get_version(plan: str, version: str, engine: EngineDep, _actor: Viewer) -> VersionPublic:
    with read_session(engine) as session:
        return VersionPublic.of(registry.get_version(session, ref=plan, version=_version(version)),
                                with_body=True)


@router.get("/{plan}/versions/{version}/schemas", response_model=CompiledSchemasPublic,
            summary="The compiled JSON Schemas of a version")
def get_schemas(plan: str, version: str, engine: EngineDep, _actor: Viewer) -> dict[str, Any]:
    with read_session(engine) as session:
        row = registry.get_version(session, ref=plan, version=_version(version))
    schemas = compile_plan(registry.version_plan(row))
    return {
        "version": row.version,
        "schema_hash": row.schema_hash,
        "schemas": [{"kind": k, "event": e, "event_version": v, "schema": s} for (k, e, v), s in schemas.items()],
    }


@router.get("/{plan}/diff", response_model=DiffPublic,
            summary="Changes between two versions ('draft' allowed as either side)")
def diff(plan: str, engine: EngineDep, _actor: Viewer,
         from_: Annotated[str, Query(alias="from", description="A version number, 'latest' or 'draft'")],
         to: Annotated[str, Query(description="A version number, 'latest' or 'draft'")] = "draft",
         ) -> dict[str, Any]:
    with read_session(engine) as session:
        old, new = _side(session, plan, from_, "from"), _side(session, plan, to, "to")
    changes = diff_plans(old, new)
    return {"from": from_, "to": to, "category": classify(changes), "changes": [c.to_dict() for c in changes]}


@router.post("/{plan}/compatibility", openapi_extra=DOCUMENT_BODY, response_model=CompatibilityPublic,
             summary="Check a candidate plan against the plan's versions without publishing")
async def compatibility(plan: str, request: Request, engine: EngineDep, _actor: Viewer) -> dict[str, Any]:
    candidate = registry.parse_plan_body(await read_document(request))
    with read_session(engine) as session:
        row = registry.get_plan(session, plan)
        history = [registry.version_plan(v) for v in reversed(
            registry.list_versions(session, ref=plan, limit=10_000, offset=0)[0])]
    if not history:
        return {"is_compatible": True, "mode": row.compatibility, "category": "additive", "changes": [],
                "messages": []}
    report = compatibility_report(history[-1], candidate, row.compatibility)
    refusal = check_publish(candidate, history, row.compatibility)  # transitive modes see every version
    if refusal is not None:
        report.update(is_compatible=False, against_version=refusal.against_version,
                      messages=[str(c) for c in refusal.changes])
    return report


@router.post("/{plan}/rollback", status_code=201, response_model=VersionPublic,
             summary="Publish an old version's body as a new version (409 when incompatible)")
def rollback(plan: str, body: RollbackRequest, engine: EngineDep, actor: Editor) -> VersionPublic:
    with write_session(engine) as session:
        row = registry.rollback(session, ref=plan, to_version=body.version, actor=actor.name, message=body.message,
                                allow_breaking=body.allow_breaking)
        return VersionPublic.of(row, with_body=True)


MAX_VERSION = 2**31 - 1


def _version(value: str, *, draft: bool = False) -> int | str:
    """A version number or ``latest``; anything else is a 400 naming the ref (never "no version -1")."""
    if value == "latest":
        return value
    if value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_VERSION:
        return int(value)
    accepted = "a version number (1, 2, ...)" + (", 'latest' or 'draft'" if draft else " or 'latest'")
    message = f"{value!r} is not a version reference: give {accepted}"
    raise InvalidVersionRef(message, details=[{"path": "version", "message": message, "value": value}])


def _side(session: Any, plan: str, which: str, path: str) -> Any:
    if which == "draft":
        return registry.draft_plan(registry.get_plan(session, plan))
    try:
        number = _version(which, draft=True)
    except InvalidVersionRef as exc:
        raise InvalidVersionRef(exc.message, details=[{**exc.details[0], "path": path}]) from None
    return registry.version_plan(registry.get_version(session, ref=plan, version=number))
