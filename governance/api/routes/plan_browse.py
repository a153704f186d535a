"""REST: read a plan a page at a time — its events filtered and paginated, the rest of the document,
and an export in our format or another tool's.

``version`` is a version number, ``latest`` or ``draft`` everywhere here. The stored body is read as
plain JSON (no model validation), so a page of a plan of thousands of events costs one parse.
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Response

from governance.api.deps import EngineDep, PageDep, Viewer
from governance.db import read_session
from governance.formats import EXPORTERS, export_plan_with_report
from governance.plan.loader import dump_plan_yaml
from governance.plan.model import Plan
from governance.registry import plans as registry

router = APIRouter(prefix="/api/v1/plans/{plan}", tags=["plans"])
VersionRef = Annotated[str, Query(description="A version number, 'latest' or 'draft'")]
EXPORT_FORMATS = ("yaml", "json", *sorted(EXPORTERS))


def _body(engine: Any, plan: str, version: str) -> tuple[dict[str, Any], Any, int | None]:
    """The stored document of ``version``, its plan row, and the version number (None: draft)."""
    with read_session(engine) as session:
        row = registry.get_plan(session, plan)
        if version == "draft":
            return orjson.loads(row.draft_body), row, None
        ref: int | str = version if version == "latest" else int(version) if version.isascii() and \
            version.isdigit() else -1
        found = registry.get_version(session, ref=row.id, version=ref)
        return orjson.loads(found.body), row, found.version


def _matches(name: str, spec: dict[str, Any], q: str, label: str | None, owner: str | None) -> bool:
    if q and q not in name.casefold() and q not in str(spec.get("description") or "").casefold():
        return False
    if owner is not None and (spec.get("owner") or "") != owner:
        return False
    if label is not None:
        key, sep, value = label.partition(":")
        labels = spec.get("labels") or {}
        if key not in labels or (sep and labels[key] != value):
            return False
    return True


def _facets(events: dict[str, Any]) -> dict[str, Any]:
    owners = Counter(str(e.get("owner") or "") for e in events.values())
    labels = Counter(f"{k}:{v}" for e in events.values() for k, v in (e.get("labels") or {}).items())
    return {"owners": [{"value": o, "count": n} for o, n in sorted(owners.items()) if o],
            "labels": [{"value": lab, "count": n} for lab, n in sorted(labels.items())]}


@router.get("/events", summary="The plan's events, filtered by name, label and owner, a page at a time")
def list_events(
    plan: str, engine: EngineDep, _actor: Viewer, page: PageDep, version: VersionRef = "latest",
    q: Annotated[str, Query(max_length=200, description="Part of the name or description (any case)")] = "",
    label: Annotated[str | None, Query(max_length=300, description="'key' or 'key:value'")] = None,
    owner: Annotated[str | None, Query(max_length=300, description="Exactly this owner")] = None,
) -> dict[str, Any]:
    """Events in the document's order, each ``{name, spec}``; ``facets`` list every owner and label
    of the whole version (with counts) so a filter can offer them."""
    body, _row, number = _body(engine, plan, version)
    events: dict[str, Any] = body.get("events") or {}
    needle = q.strip().casefold()
    found = [name for name, spec in events.items() if _matches(name, spec, needle, label, owner)]
    data = [{"name": name, "spec": events[name]} for name in found[page.offset : page.offset + page.limit]]
    return {"version": number, "data": data, "count": len(found), "total": len(events), "facets": _facets(events)}


@router.get("/outline", summary="The plan document without its events (identify, group, page, screen, common)")
def outline(plan: str, engine: EngineDep, _actor: Viewer, version: VersionRef = "latest") -> dict[str, Any]:
    body, _row, number = _body(engine, plan, version)
    events = body.pop("events", None) or {}
    return {"version": number, "events_count": len(events), "document": body}


EXPORT_RESPONSES: dict[int | str, Any] = {
    200: {"content": {"application/yaml": {}, "application/json": {}, "application/zip": {}}}}
ExportFormat = Annotated[str, Query(description=f"One of {list(EXPORT_FORMATS)}")]


@router.get("/export", responses=EXPORT_RESPONSES,
            summary="Download a version in our format (yaml, json) or another tool's (zip when many files)")
def export(plan: str, engine: EngineDep, _actor: Viewer, version: VersionRef = "latest",
           format: ExportFormat = "yaml") -> Response:
    body, row, number = _body(engine, plan, version)
    parsed = Plan.model_validate(body)
    stem = f"{row.name}-{'draft' if number is None else f'v{number}'}"
    if format == "yaml":
        files = {f"{stem}.yaml": dump_plan_yaml(parsed).encode()}
    elif format == "json":
        files = {f"{stem}.json": orjson.dumps(parsed.body(), option=orjson.OPT_INDENT_2)}
    else:  # an unknown format: 400 naming the known ones
        files = {f"{stem}-{format}-{name}": content
                 for name, content in export_plan_with_report(format, parsed).files.items()}
    if len(files) == 1:
        name, content = next(iter(files.items()))
        kind = "application/yaml" if name.endswith((".yaml", ".yml")) else "application/json"
        return Response(content, media_type=kind, headers=_attachment(name))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(files.items()):
            archive.writestr(name.removeprefix(f"{stem}-{format}-"), content)
    return Response(buffer.getvalue(), media_type="application/zip", headers=_attachment(f"{stem}-{format}.zip"))


def _attachment(filename: str) -> dict[str, str]:
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "_" for ch in filename)
    return {"Content-Disposition": f'attachment; filename="{safe}"'}
