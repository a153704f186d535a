"""What every importer and exporter shares: the result types, the report, and the two protocols.

An import never loses anything silently: what the plan format cannot express is either kept as a
raw ``schema:`` escape hatch or dropped, and in both cases a ``ReportItem`` names it, with the
place in the input it came from (``file:path.in.document``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from governance.plan.loader import format_path, plan_from_data
from governance.plan.model import Plan, Properties, PropertySpec

Severity = Literal["info", "warning", "error"]


@dataclass(frozen=True)
class ReportItem:
    """One thing the import did not carry over exactly, or did on purpose in another form.

    ``path`` is the source location in the input (``events.yaml:spec.events[2].name``);
    ``severity`` is ``info`` (carried over in another form), ``warning`` (meaning changed or
    lost) or ``error`` (left out, or kept in a form that will not compile until fixed).
    """

    path: str
    message: str
    severity: Severity = "warning"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "message": self.message, "severity": self.severity}

    def __str__(self) -> str:
        return f"{self.severity}: {self.path or '<input>'}: {self.message}"


@dataclass
class Reporter:
    """Collects report items; repeated ignorable annotations are counted, then summarised once."""

    file: str | None = None
    items: list[ReportItem] = field(default_factory=list)
    ignored: Counter[str] = field(default_factory=Counter)

    def where(self, loc: tuple[Any, ...] | list[Any] | str, file: str | None = None) -> str:
        text = loc if isinstance(loc, str) else format_path(tuple(loc))
        name = file if file is not None else self.file
        return f"{name}:{text}" if name else text

    def add(self, loc: tuple[Any, ...] | list[Any] | str, message: str, severity: Severity = "warning",
            *, file: str | None = None) -> None:
        self.items.append(ReportItem(self.where(loc, file), message, severity))

    def ignore(self, keyword: str) -> None:
        self.ignored[keyword] += 1

    def finish(self) -> list[ReportItem]:
        """The items, plus one summary of annotations that carry no validation rule."""
        out = list(self.items)
        if self.ignored:
            listed = ", ".join(f"{k} ×{n}" for k, n in sorted(self.ignored.items()))
            out.append(ReportItem(self.file or "", f"annotations without a validation rule dropped: {listed}",
                                  "info"))
        return out


@dataclass
class ImportResult:
    plan: Plan
    report: list[ReportItem] = field(default_factory=list)

    def items(self, severity: Severity | None = None) -> list[ReportItem]:
        return [i for i in self.report if severity is None or i.severity == severity]


@dataclass
class ExportResult:
    files: dict[str, bytes]
    report: list[ReportItem] = field(default_factory=list)


class Importer(Protocol):
    name: str
    description: str

    def load(self, source: Any, *, name: str | None = None) -> ImportResult:
        """Read ``source`` (a path, bytes, a parsed document or ``{file name: bytes}``)."""
        ...


class Exporter(Protocol):
    name: str
    description: str

    def dump(self, plan: Plan) -> ExportResult: ...


def slugify(text: str | None, default: str = "imported") -> str:
    """A plan name (``^[a-z0-9][a-z0-9_.-]*$``, at most 100 characters) from a display name."""
    slug = re.sub(r"[^a-z0-9_.-]+", "-", (text or "").lower()).strip("-_.")
    return slug[:100].rstrip("-_.") or default


def build_plan(data: dict[str, Any]) -> Plan:
    """Validate assembled plan data; a failure is a ``PlanInvalid`` naming every path."""
    return plan_from_data(data)


def is_template(text: Any) -> bool:
    return isinstance(text, str) and "{{" in text and "}}" in text


def _walk(properties: Properties, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], PropertySpec]]:
    for name, spec in properties.items():
        here = (*path, name)
        yield here, spec
        if spec.properties:
            yield from _walk(spec.properties, (*here, "properties"))
        if spec.items is not None:
            yield (*here, "items"), spec.items
            if spec.items.properties:
                yield from _walk(spec.items.properties, (*here, "items", "properties"))


def walk_properties(plan: Plan) -> Iterator[tuple[tuple[Any, ...], PropertySpec]]:
    """Every property spec of a plan with its path in the plan (nested ones too)."""
    yield from _walk(plan.common.properties, ("common", "properties"))
    for name, event in plan.events.items():
        for number, props in event.all_versions().items():
            base = ("events", name) if number == event.version else ("events", name, "versions", number)
            yield from _walk(props, (*base, "properties"))
    for kind in ("identify", "group"):
        traits = getattr(plan, kind)
        if traits is not None:
            yield from _walk(traits.traits, (kind, "traits"))
    for kind in ("page", "screen"):
        view = getattr(plan, kind)
        if view is not None:
            yield from _walk(view.properties, (kind, "properties"))
            for name, named in view.names.items():
                yield from _walk(named.properties, (kind, "names", name, "properties"))
