"""REST: sources, their schema controls and write keys (``/api/v1/sources``)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from governance.api.deps import Admin, Editor, EngineDep, PageDep, SettingsDep, Viewer
from governance.api.schemas import (
    ListOf,
    SourceCreate,
    SourceCreated,
    SourceListed,
    SourcePublic,
    SourceUpdate,
    WriteKeyCreated,
    WriteKeyPublic,
)
from governance.api.stats import source_stats
from governance.db import read_session, write_session
from governance.errors import ValidationFailed
from governance.proxy.upstream import url_refusal
from governance.registry import sources as registry
from governance.registry.source_settings import SourceSettings, SourceSettingsPatch
from governance.settings import Settings

router = APIRouter(prefix="/api/v1/sources", tags=["sources"])


def _check_upstream(url: str | None, settings: Settings) -> None:
    """Link-local and cloud-metadata upstreams are refused (``upstream_*_networks`` adjust it)."""
    reason = url_refusal(url, settings) if url else None
    if reason is not None:
        raise ValidationFailed(f"upstream_url: {reason}", details=[{"path": "upstream_url", "message": reason}])


@router.get("", response_model=ListOf[SourceListed], summary="List sources (?stats=true: 24 h counts, outbox)")
def list_sources(engine: EngineDep, _actor: Viewer, page: PageDep, stats: bool = False) -> ListOf[SourceListed]:
    with read_session(engine) as session:
        rows, count = registry.list_sources(session, limit=page.limit, offset=page.offset)
        extra = source_stats(session, rows) if stats else {}
        return ListOf[SourceListed](data=[SourceListed.of(r, extra.get(r.id)) for r in rows], count=count)


@router.post("", status_code=201, response_model=SourceCreated, summary="Create a source (returns its write key once)")
def create_source(body: SourceCreate, engine: EngineDep, actor: Editor, settings: SettingsDep) -> SourceCreated:
    _check_upstream(body.upstream_url, settings)
    fields = body.model_dump()
    fields["settings"] = body.settings.model_dump()
    with write_session(engine) as session:
        row, key = registry.create_source(session, fields=fields, actor=actor.name)
        return SourceCreated(**SourcePublic.of(row).model_dump(), write_key=key)


@router.get("/{source}", response_model=SourcePublic, summary="Get a source by id or name")
def get_source(source: str, engine: EngineDep, _actor: Viewer) -> SourcePublic:
    with read_session(engine) as session:
        return SourcePublic.of(registry.get_source(session, source))


@router.patch("/{source}", response_model=SourcePublic, summary="Update a source (plan, pin, upstream, mode)")
def update_source(source: str, body: SourceUpdate, engine: EngineDep, actor: Editor,
                  settings: SettingsDep) -> SourcePublic:
    _check_upstream(body.upstream_url, settings)
    with write_session(engine) as session:
        row = registry.update_source(session, ref=source, fields=body.model_dump(exclude_unset=True),
                                     actor=actor.name)
        return SourcePublic.of(row)


@router.delete("/{source}", status_code=204, summary="Delete a source and its write keys")
def delete_source(source: str, engine: EngineDep, actor: Admin) -> Response:
    with write_session(engine) as session:
        registry.delete_source(session, ref=source, actor=actor.name)
    return Response(status_code=204)


@router.get("/{source}/settings", response_model=SourceSettings, summary="The source's schema controls")
def get_settings(source: str, engine: EngineDep, _actor: Viewer) -> SourceSettings:
    with read_session(engine) as session:
        return registry.settings_of(registry.get_source(session, source))


@router.patch("/{source}/settings", response_model=SourceSettings,
              summary="Change schema controls (Segment Public API body: {track, identify, group})")
def patch_settings(source: str, body: SourceSettingsPatch, engine: EngineDep, actor: Editor) -> SourceSettings:
    with write_session(engine) as session:
        return registry.settings_of(registry.patch_settings(session, ref=source, patch=body.changes(),
                                                            actor=actor.name))


@router.get("/{source}/write-keys", response_model=list[WriteKeyPublic], summary="List write keys (prefixes only)")
def list_keys(source: str, engine: EngineDep, _actor: Viewer) -> list[WriteKeyPublic]:
    with read_session(engine) as session:
        return [WriteKeyPublic.of(k) for k in registry.list_keys(session, ref=source)]


@router.post("/{source}/write-keys", status_code=201, response_model=WriteKeyCreated,
             summary="Rotate: add a write key (old keys stay valid until revoked)")
def rotate_key(source: str, engine: EngineDep, actor: Editor) -> WriteKeyCreated:
    with write_session(engine) as session:
        row, secret = registry.rotate_key(session, ref=source, actor=actor.name)
        return WriteKeyCreated(**WriteKeyPublic.of(row).model_dump(), write_key=secret)


@router.delete("/{source}/write-keys/{key_id}", status_code=204, summary="Revoke a write key")
def revoke_key(source: str, key_id: str, engine: EngineDep, actor: Editor) -> Response:
    with write_session(engine) as session:
        registry.revoke_key(session, ref=source, key_id=key_id, actor=actor.name)
    return Response(status_code=204)
