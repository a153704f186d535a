"""Import and export tracking plans in other tools' formats; infer a plan from observed events.

Formats are registered like extensions (datasette's ``DEFAULT_PLUGINS``, see ``governance.plugins``):
each built-in module exposes ``IMPORTER`` and/or ``EXPORTER``; a plug-in package adds entry points in
``governance.import_formats`` / ``governance.export_formats``, and code may add one more entry::

    IMPORTERS.register(MyImporter())      # .name, .description, .load(source, *, name=None)
    EXPORTERS.register(MyExporter())      # .name, .description, .dump(plan) -> ExportResult

============  ======================================================  ======  ======
format        what                                                    import  export
============  ======================================================  ======  ======
segment       Segment Config API v1, Public API rules, Typewriter     yes     yes
rudderstack   rudder-cli YAML project (events, properties, tp, …)     yes     no
iglu          Snowplow self-describing schemas (vendor/name/…/M-R-A)  yes     no
jsonschema    JSON Schema 2020-12 bundle with index.json              yes     yes
============  ======================================================  ======  ======

``path_or_data`` is a path (file or directory), ``bytes`` (one document), ``{file name: bytes}``
(a directory in memory, e.g. what ``export_plan`` returns) or an already-parsed document. Inputs
over ``MAX_IMPORT_BYTES`` are refused before they are read whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from governance.errors import InvalidBody, NothingImported
from governance.formats.base import Exporter, ExportResult, Importer, ImportResult, ReportItem
from governance.formats.infer import InferReport, infer_plan, infer_plan_from_lines
from governance.formats.source import MAX_IMPORT_BYTES
from governance.plan.model import Plan
from governance.plugins import Registry

__all__ = [
    "EXPORTERS", "IMPORTERS", "MAX_IMPORT_BYTES", "ExportResult", "Exporter", "ImportResult", "Importer",
    "InferReport", "ReportItem", "export_plan", "export_plan_with_report", "import_plan", "infer_plan",
    "infer_plan_from_lines",
]

DEFAULT_IMPORTERS = ("governance.formats.segment", "governance.formats.rudderstack", "governance.formats.iglu",
                     "governance.formats.jsonschema_bundle")
DEFAULT_EXPORTERS = ("governance.formats.segment", "governance.formats.jsonschema_bundle")
IMPORTERS: Registry[Importer] = Registry("import format", group="governance.import_formats", attr="IMPORTER",
                                         defaults=DEFAULT_IMPORTERS)
EXPORTERS: Registry[Exporter] = Registry("export format", group="governance.export_formats", attr="EXPORTER",
                                         defaults=DEFAULT_EXPORTERS)


def _unknown(kind: str, format: str, known: Mapping[str, Any]) -> InvalidBody:
    message = f"unknown {kind} format {format!r}; expected one of {sorted(known)}"
    return InvalidBody(message, details=[{"path": "format", "message": message}])


def import_plan(format: str, path_or_data: Any, *, name: str | None = None) -> ImportResult:
    """Read a plan written for another tool; ``report`` names everything not carried over exactly.

    Raises ``InvalidBody`` for unreadable input (malformed, too large, too deep),
    ``PlanInvalid`` for readable input that is not a plan of that format, and its subclass
    ``NothingImported`` when the input yields no rule at all (every rule skipped, or none there).
    """
    importer = IMPORTERS.get(format)
    if importer is None:
        raise _unknown("import", format, IMPORTERS)
    result = importer.load(path_or_data, name=name)
    _refuse_empty(format, result)
    return result


def _refuse_empty(format: str, result: ImportResult) -> None:
    """An import that carries over no rule at all is an error, not an empty plan (details: why)."""
    plan = result.plan
    if plan.events or plan.common.properties or any(getattr(plan, k) for k in ("identify", "group", "page", "screen")):
        return
    skipped = result.items("error")
    hint = ""
    if format == "rudderstack" and any("not found" in item.message for item in skipped):
        hint = "; the tracking plan refers to events defined in other files: import the project's directory"
    message = (f"nothing imported from the {format} input: no events, traits, page, screen or common rules"
               f"{f' ({len(skipped)} skipped)' if skipped else ''}{hint}")
    details = [{"path": item.path, "message": item.message} for item in skipped] or [{"path": "", "message":
                                                                                        "no rules"}]
    raise NothingImported(message, details=details)


def export_plan_with_report(format: str, plan: Plan) -> ExportResult:
    exporter = EXPORTERS.get(format)
    if exporter is None:
        raise _unknown("export", format, EXPORTERS)
    return exporter.dump(plan)


def export_plan(format: str, plan: Plan) -> dict[str, bytes]:
    """The plan in another tool's format: relative file name -> content."""
    return export_plan_with_report(format, plan).files
