"""Built-ins registered like extensions (datasette's ``DEFAULT_PLUGINS``), open to entry points.

A ``Registry`` maps names to entries of one kind. Its built-ins are the modules named in
``defaults``, each exposing ``attr`` (one entry, or a sequence of entries). An installed package
adds more through the entry-point group ``group``: each entry point loads to an entry, a sequence
of entries, or a module exposing ``attr``. Code may also ``register(entry)`` (or assign
``REGISTRY[name] = entry``). Nothing is imported until the registry is first read.

    registry                                      group                              attr
    quality.checks.CHECK_KINDS                    governance.check_kinds             KIND
    alerts.channels.CHANNEL_KINDS                 governance.alert_channels          CHANNEL
    formats.IMPORTERS                             governance.import_formats          IMPORTER
    formats.EXPORTERS                             governance.export_formats          EXPORTER
    registry.transformation_actions.ACTIONS       governance.transformation_actions  ACTIONS

A plug-in package declares, in its ``pyproject.toml``::

    [project.entry-points."governance.check_kinds"]
    freshness = "my_package.freshness:KIND"

Adding a built-in is one more module name in ``defaults``.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any, Generic, TypeVar

log = logging.getLogger("governance.plugins")
T = TypeVar("T")


def _name(entry: Any) -> str:
    return str(entry.name)


class Registry(MutableMapping[str, T], Generic[T]):
    """Named entries: the built-ins of ``defaults`` first, then entry points, then ``register`` calls."""

    def __init__(self, what: str, *, group: str, defaults: Sequence[str], attr: str,
                 name_of: Callable[[T], str] = _name) -> None:
        self.what, self.group, self.defaults, self.attr, self.name_of = what, group, tuple(defaults), attr, name_of
        self._entries: dict[str, T] = {}
        self._loaded = False
        self._loading = False  # a default module that reads the registry while it loads sees it partly
        self._lock = threading.RLock()

    def register(self, entry: T, *, name: str | None = None) -> T:
        """Add (or replace) ``entry`` under its name; returns it (usable as a decorator)."""
        self._load()
        with self._lock:
            self._entries[name or self.name_of(entry)] = entry
        return entry

    def _load(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded or self._loading:
                return
            self._loading = True
            try:
                for module in self.defaults:
                    self._add(importlib.import_module(module), source=module)
                for point in entry_points(group=self.group):
                    try:
                        self._add(point.load(), source=f"entry point {point.value}")
                    except Exception as exc:  # a broken plug-in is reported; the built-ins still work
                        log.warning("cannot load %s plug-in %s (%s): %s", self.what, point.name, point.value, exc)
                self._loaded = True
            finally:
                self._loading = False

    def _add(self, found: Any, *, source: str) -> None:
        if isinstance(found, ModuleType):
            found = getattr(found, self.attr)
        entries = found if isinstance(found, list | tuple) else [found]
        for entry in entries:
            name = self.name_of(entry)
            if name in self._entries:
                log.warning("%s %r from %s replaces an earlier one", self.what, name, source)
            self._entries[name] = entry

    def __getitem__(self, name: str) -> T:
        self._load()
        return self._entries[name]

    def __setitem__(self, name: str, entry: T) -> None:
        self.register(entry, name=name)

    def __delitem__(self, name: str) -> None:
        self._load()
        with self._lock:
            del self._entries[name]

    def __iter__(self) -> Iterator[str]:
        self._load()
        return iter(list(self._entries))

    def __len__(self) -> int:
        self._load()
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.what!r}, {sorted(self)})"
