"""A JSON Schema bundle: one 2020-12 file per (message kind, event, version), and ``index.json``.

The files are exactly what ``compile.compile_plan`` produces, usable by any JSON Schema 2020-12
validator. ``index.json`` lists them (kind, name, version, file, ``$id``) and carries what a JSON
Schema cannot: the plan's settings, each event's owner, labels and checks, and which properties
are ``pii``. Importing a bundle reads the schemas back through the same mapping as every other
importer, so a plan survives ``export -> import`` unchanged. Without ``index.json`` the kind,
name and version of a schema are read from its ``$id`` (``urn:governance:<plan>:<kind>:<name>:<v>``).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import unquote

import orjson

from governance.errors import PlanInvalid
from governance.formats.base import ExportResult, ImportResult, Reporter, build_plan
from governance.formats.drafts import DRAFT2020, detect_draft, upgrade
from governance.formats.jsonschema_map import MapContext, properties_from_object
from governance.formats.source import read_source
from governance.plan.compile import DIALECT, SchemaKey, compile_plan
from governance.plan.model import Plan, Properties

INDEX = "index.json"
BUNDLE_FORMAT = "governance-jsonschema-bundle"
_SECTIONS = ("common", "events", "identify", "group", "page", "screen")
_URN = re.compile(r"^urn:governance:(?P<plan>[^:]+):(?P<kind>[a-z]+)(?::(?P<name>[^:]*):(?P<version>\d+))?$")


def _stem(name: str, used: set[str]) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")[:80]
    if stem != name or not stem or stem.lower() in used:
        stem = f"{stem or 'event'}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    used.add(stem.lower())
    return stem


def _pii(properties: Properties, path: tuple[str, ...] = ()) -> list[list[str]]:
    found: list[list[str]] = []
    for name, spec in properties.items():
        here = (*path, name)
        if spec.pii:
            found.append(list(here))
        if spec.properties:
            found.extend(_pii(spec.properties, (*here, "properties")))
        if spec.items is not None and spec.items.properties:
            found.extend(_pii(spec.items.properties, (*here, "items", "properties")))
    return found


def _entry_meta(plan: Plan, body: dict[str, Any], key: SchemaKey) -> tuple[dict[str, Any], Properties]:
    kind, name, version = key
    if kind == "common":
        meta = {k: v for k, v in body.get("common", {}).items() if k != "properties"}
        return meta, plan.common.properties
    if kind == "track":
        event = plan.events[name]
        meta = {"event": {k: v for k, v in body["events"][name].items() if k not in ("properties", "versions")}}
        if version != event.version:
            meta["event_version"] = {k: v for k, v in body["events"][name]["versions"][str(version)].items()
                                     if k != "properties"}
        return meta, event.all_versions()[version]
    if kind in ("identify", "group"):
        return {k: v for k, v in body[kind].items() if k != "traits"}, getattr(plan, kind).traits
    view = body[kind]
    if name:
        return {k: v for k, v in view["names"][name].items() if k != "properties"}, getattr(plan, kind).names[
            name].properties
    return {k: v for k, v in view.items() if k not in ("properties", "names")}, getattr(plan, kind).properties


class JsonSchemaBundleExporter:
    name = "jsonschema"
    description = "JSON Schema 2020-12 bundle: one file per (message kind, event, version) and index.json"

    def dump(self, plan: Plan) -> ExportResult:
        body = plan.body()
        used: set[str] = set()
        files: dict[str, bytes] = {}
        entries: list[dict[str, Any]] = []
        for key, schema in compile_plan(plan).items():
            kind, name, version = key
            if kind == "common":
                file = "common.schema.json"
            elif kind == "track":
                file = f"track/{_stem(name, used)}/v{version}.schema.json"
            elif kind in ("identify", "group"):
                file = f"{kind}.schema.json"
            else:
                file = f"{kind}/{_stem(name, used) if name else '_default'}.schema.json"
            files[file] = orjson.dumps(schema, option=orjson.OPT_INDENT_2)
            meta, properties = _entry_meta(plan, body, key)
            pii = _pii(properties)
            if pii:
                meta["pii"] = pii
            entry = {"kind": kind, "name": name, "version": version, "file": file, "$id": schema["$id"]}
            entries.append({**entry, "meta": meta} if meta else entry)
        index = {
            "format": BUNDLE_FORMAT,
            "bundle_version": 1,
            "dialect": DIALECT,
            "plan": {k: v for k, v in body.items() if k not in _SECTIONS},
            "schemas": entries,
        }
        files[INDEX] = orjson.dumps(index, option=orjson.OPT_INDENT_2)
        return ExportResult(files)


def _entries_from_ids(documents: dict[str, Any], report: Reporter) -> list[dict[str, Any]]:
    entries = []
    for file, doc in documents.items():
        match = _URN.match(str(doc.get("$id", ""))) if isinstance(doc, dict) else None
        if match is None:
            report.add("$id", "no urn:governance:… $id and no index.json entry; skipped", "error", file=file)
            continue
        entries.append({"kind": match["kind"], "name": unquote(match["name"] or ""),
                        "version": int(match["version"] or 0), "file": file, "plan": match["plan"]})
    return entries


class JsonSchemaBundleImporter:
    name = "jsonschema"
    description = "JSON Schema bundle written by the jsonschema exporter (index.json and one file per schema)"

    def load(self, source: Any, *, name: str | None = None) -> ImportResult:
        report = Reporter()
        documents = dict(read_source(source, accept=lambda n: n.endswith(".json")).documents())
        index = documents.pop(INDEX, None)
        if isinstance(index, dict) and isinstance(index.get("schemas"), list):
            entries = [e for e in index["schemas"] if isinstance(e, dict)]
            data: dict[str, Any] = dict(index.get("plan") or {})
        else:
            entries = _entries_from_ids(documents, report)
            data = {"name": entries[0]["plan"]} if entries else {}
        if not entries:
            raise PlanInvalid("not a JSON Schema bundle: no index.json and no governance schema",
                              details=[{"path": INDEX, "message": "missing"}])
        if name:
            data["name"] = name
        for i, entry in enumerate(entries):
            file = str(entry.get("file"))
            schema = documents.get(file)
            if not isinstance(schema, dict):
                report.add((INDEX, "schemas", i), f"file {file!r} is missing or not a schema; skipped", "error")
                continue
            _place(data, entry, schema, report)
        return ImportResult(build_plan(data), report.finish())


def _apply_pii(properties: Properties, paths: Any) -> None:
    for path in paths if isinstance(paths, list) else []:
        node: Any = properties
        for part in path[:-1]:
            node = getattr(node, part) if part in ("properties", "items") else node.get(part)
            if node is None:
                break
        target = node.get(path[-1]) if isinstance(node, dict) else getattr(node, path[-1], None)
        if target is not None and hasattr(target, "pii"):
            target.pii = True


def _place(data: dict[str, Any], entry: dict[str, Any], schema: dict[str, Any], report: Reporter) -> None:
    kind, name, version = entry.get("kind"), entry.get("name") or "", entry.get("version") or 1
    file = str(entry.get("file"))
    root = upgrade(schema, detect_draft(schema, DRAFT2020))
    ctx = MapContext(root, report, file)
    section = "traits" if kind in ("identify", "group") else "properties"
    target = root if kind == "common" else (root.get("properties") or {}).get(section, {})
    props = properties_from_object(target, ctx, () if kind == "common" else ("properties", section), what=section)
    meta = entry.get("meta") or {}
    _apply_pii(props, meta.get("pii"))
    extra = {k: v for k, v in meta.items() if k not in ("pii", "event", "event_version")}
    if kind == "common":
        data["common"] = {**extra, "properties": props}
    elif kind == "track":
        event = data.setdefault("events", {}).setdefault(name, {})
        event.update(meta.get("event") or {})
        own = event.get("version", 1)
        if "event_version" in meta or version != own:
            event.setdefault("versions", {})[version] = {**(meta.get("event_version") or {}), "properties": props}
        else:
            event["properties"] = props
    elif kind in ("identify", "group"):
        data[kind] = {**extra, "traits": props}
    elif kind in ("page", "screen"):
        view = data.setdefault(kind, {})
        if name:
            view.setdefault("names", {})[name] = {**extra, "properties": props}
        else:
            view.update({**extra, "properties": props})
    else:
        report.add("", f"unknown message kind {kind!r}; skipped", "error", file=file)


IMPORTER = JsonSchemaBundleImporter()
EXPORTER = JsonSchemaBundleExporter()
