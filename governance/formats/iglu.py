"""Snowplow Iglu: import a directory of self-describing JSON Schemas (``vendor/name/jsonschema/M-R-A``).

Each ``vendor/name`` becomes one track event named ``vendor/name`` (for example
``com.snowplowanalytics.snowplow/link_click``): unique across vendors, and the part of the Iglu
URI that does not change between versions. Readable titles would collide (two vendors' ``page``).
Its SchemaVers, sorted, become the event's versions 1, 2, 3…; the SchemaVer of each is kept in
the labels ``schemaver.<version>`` (``schemaver.2: 1-0-1``) next to ``iglu.vendor`` and
``iglu.name``. An Iglu schema describes the event data itself, so its ``properties`` are the event's
properties; the document's ``self`` block wins over its path. Iglu's meta-schema is draft-04.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from governance.errors import PlanInvalid
from governance.formats.base import ImportResult, Reporter, build_plan, slugify
from governance.formats.drafts import DRAFT4, DRAFT4_INTEGERS, detect_draft, upgrade, uses_integer
from governance.formats.jsonschema_map import MapContext, properties_from_object
from governance.formats.naming import adopt_naming
from governance.formats.source import read_source

SCHEMAVER = re.compile(r"^(\d+)-(\d+)-(\d+)$")
SchemaVer = tuple[int, int, int]


def _accept(name: str) -> bool:
    last = PurePosixPath(name).name
    return bool(SCHEMAVER.match(last)) or last.endswith(".json")


def _identity(file: str, doc: Any, report: Reporter) -> tuple[str, str, SchemaVer] | None:
    parts = PurePosixPath(file).parts
    from_path = parts[-4:] if len(parts) >= 4 else None
    block = doc.get("self") if isinstance(doc, dict) else None
    if isinstance(block, dict):
        vendor, name, fmt, version = (block.get(k) for k in ("vendor", "name", "format", "version"))
    elif from_path is not None:
        vendor, name, fmt, version = from_path
        report.add("self", "no 'self' block; vendor, name and version taken from the path", "warning", file=file)
    else:
        report.add("", "not a self-describing schema (no 'self' block) and not under vendor/name/format/version; "
                       "skipped", "error", file=file)
        return None
    if not isinstance(doc, dict):
        report.add("", "not a JSON Schema object; skipped", "error", file=file)
        return None
    match = SCHEMAVER.match(str(version))
    if fmt != "jsonschema" or not match or not vendor or not name:
        report.add("self", f"not an Iglu JSON Schema (format {fmt!r}, version {version!r}); skipped", "error",
                   file=file)
        return None
    if from_path is not None and tuple(from_path) != (vendor, name, fmt, version) and isinstance(block, dict):
        report.add("self", f"path says {'/'.join(from_path)}; the self block "
                           f"({vendor}/{name}/{fmt}/{version}) is used", "warning", file=file)
    major, revision, addition = (int(g) for g in match.groups())
    return str(vendor), str(name), (major, revision, addition)


def _next_allowed(previous: SchemaVer) -> set[SchemaVer]:
    m, r, a = previous
    return {(m + 1, 0, 0), (m, r + 1, 0), (m, r, a + 1)}


class IgluImporter:
    name = "iglu"
    description = "Snowplow Iglu self-describing JSON Schemas (a directory vendor/name/jsonschema/M-R-A)"

    def load(self, source: Any, *, name: str | None = None) -> ImportResult:
        report = Reporter()
        src = read_source(source, accept=_accept)
        groups: dict[tuple[str, str], dict[SchemaVer, tuple[str, dict[str, Any]]]] = {}
        for file, doc in src.documents():
            found = _identity(file, doc, report)
            if found is None:
                continue
            vendor, schema_name, version = found
            versions = groups.setdefault((vendor, schema_name), {})
            if version in versions:
                report.add("self", f"SchemaVer {'-'.join(map(str, version))} also in {versions[version][0]}; "
                                   f"skipped", "error", file=file)
                continue
            versions[version] = (file, doc)
        if not groups:
            raise PlanInvalid("no Iglu self-describing schema found",
                              details=[{"path": src.label, "message": "no schema"}])
        events = {f"{vendor}/{schema_name}": _event(vendor, schema_name, versions, report)
                  for (vendor, schema_name), versions in sorted(groups.items())}
        vendors = {vendor for vendor, _ in groups}
        label = PurePosixPath(src.label).name if src.label != "<input>" else ""
        default = slugify(next(iter(vendors)) if len(vendors) == 1 else label or "iglu")
        data = {"name": name or default, "events": events}
        report.add("", "Iglu schemas validate the event data; in the plan they constrain the properties of track "
                       "events of the same name", "info")
        if any(detect_draft(doc, DRAFT4) == DRAFT4 and uses_integer(doc) for v in groups.values()
               for _, doc in v.values()):
            report.add("", DRAFT4_INTEGERS, "info")
        plan, naming = adopt_naming(build_plan(data))
        return ImportResult(plan, [*report.finish(), naming])


def _event(vendor: str, schema_name: str, versions: dict[SchemaVer, tuple[str, dict[str, Any]]],
           report: Reporter) -> dict[str, Any]:
    ordered = sorted(versions.items())
    labels = {"iglu.vendor": vendor, "iglu.name": schema_name}
    event: dict[str, Any] = {"labels": labels}
    previous: SchemaVer | None = None
    for number, (schemaver, (file, doc)) in enumerate(ordered, start=1):
        text = "-".join(map(str, schemaver))
        labels[f"schemaver.{number}"] = text
        if previous is None and schemaver != (1, 0, 0):
            report.add("self.version", f"first SchemaVer is {text}, not 1-0-0 (Iglu would refuse the gap)",
                       "warning", file=file)
        elif previous is not None and schemaver not in _next_allowed(previous):
            report.add("self.version", f"SchemaVer {text} follows {'-'.join(map(str, previous))}: a gap Iglu "
                                       f"would refuse", "warning", file=file)
        if previous is not None and schemaver[0] != previous[0]:
            report.add("self.version", f"SchemaVer {text} changes MODEL: breaking for every earlier version",
                       "info", file=file)
        previous = schemaver
        draft = detect_draft(doc, DRAFT4)
        root = upgrade(doc, draft)
        ctx = MapContext(root, report, file)
        props = properties_from_object(root, ctx, (), what="event data")
        if root.get("additionalProperties") is not False:
            report.add("additionalProperties", "the schema allows undeclared properties; in the plan they are "
                                               "unplanned properties (allowed or omitted by source settings)",
                       "info", file=file)
        description = doc.get("description") if isinstance(doc.get("description"), str) else None
        if number == 1:
            event["properties"] = props
            if description:
                event["description"] = description
        else:
            version: dict[str, Any] = {"properties": props}
            if description and description != event.get("description"):
                version["description"] = description
            event.setdefault("versions", {})[number] = version
    return event


IMPORTER = IgluImporter()
