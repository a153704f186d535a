"""``docs/architecture.md`` names real modules and functions: every dotted name in it resolves."""

from __future__ import annotations

import importlib
import re

from tests.conftest import ROOT

TOP = ("plan", "registry", "formats", "proxy", "quality", "alerts", "api", "worker", "cli", "bench", "app", "settings",
       "db", "errors", "clock", "plugins", "jsonresponse", "bootstrap", "migrations", "governance")


def _resolve(dotted: str) -> object:
    parts = dotted.removeprefix("governance.").split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module("governance." + ".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            target = getattr(target, attr)
        return target
    raise ModuleNotFoundError(dotted)


def test_every_dotted_name_in_the_map_exists() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    names = {m.split("(")[0] for m in re.findall(r"`([a-z_]+(?:\.[A-Za-z_]+)+)(?:\([^`]*\))?`", text)}
    names = {n for n in names if n.split(".")[0] in TOP and not n.endswith((".py", ".toml"))}
    assert len(names) > 30  # the path of an event is spelled out
    missing = []
    for name in sorted(names):
        try:
            _resolve(name)
        except (ModuleNotFoundError, AttributeError) as exc:
            missing.append(f"{name}: {exc}")
    assert not missing, missing
