"""One registry mechanism: built-ins from module names, plug-ins from real entry points."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from governance.alerts.channels import CHANNEL_KINDS
from governance.formats import EXPORTERS, IMPORTERS
from governance.plugins import Registry
from governance.quality.checks import CHECK_KINDS, CheckKind
from governance.registry.transformation_actions import ACTIONS
from governance.registry.transformation_spec import TransformationSpec

PLUGIN = '''
from governance.quality.checks.base import CheckKind, Params

def _evaluate(ctx):
    return []

KIND = CheckKind(name="freshness", summary="data is fresh", params=Params, evaluate=_evaluate)
'''


def _install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, group: str, points: dict[str, str]) -> None:
    """A distribution on ``sys.path`` with entry points, as ``pip install`` would leave it."""
    (tmp_path / "demo_plugin.py").write_text(PLUGIN)
    info = tmp_path / "demo_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-plugin\nVersion: 1.0\n")
    lines = "".join(f"{name} = {target}\n" for name, target in points.items())
    (info / "entry_points.txt").write_text(f"[{group}]\n{lines}")
    monkeypatch.syspath_prepend(str(tmp_path))


def test_the_built_ins_are_entries_of_one_mechanism() -> None:
    assert list(CHECK_KINDS) == ["volume", "silence", "decline", "source_drop", "violation_rate", "new_unplanned",
                                 "drift", "expectations"]
    assert list(CHANNEL_KINDS) == ["email", "webhook", "slack"]
    assert (list(IMPORTERS), list(EXPORTERS)) == (["segment", "rudderstack", "iglu", "jsonschema"],
                                                  ["segment", "jsonschema"])
    assert list(ACTIONS) == ["rename_event", "rename_property", "drop_property", "set_value", "map_value", "casing",
                             "hash", "mask", "drop_event"]
    assert all(isinstance(r, Registry) for r in (CHECK_KINDS, CHANNEL_KINDS, IMPORTERS, EXPORTERS, ACTIONS))


def test_an_entry_point_adds_a_check_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          caplog: pytest.LogCaptureFixture) -> None:
    _install(tmp_path, monkeypatch, "governance.test_kinds",
             {"freshness": "demo_plugin:KIND", "module": "demo_plugin", "broken": "demo_plugin:MISSING"})
    kinds: Registry[CheckKind] = Registry("check kind", group="governance.test_kinds", attr="KIND",
                                          defaults=("governance.quality.checks.volume",))
    with caplog.at_level(logging.WARNING, logger="governance.plugins"):
        assert list(kinds) == ["volume", "freshness"]  # the module entry point gives the same KIND again
    assert kinds["freshness"].summary == "data is fresh"
    assert "cannot load check kind plug-in broken" in caplog.text  # reported, and the others still load
    assert "'freshness' from entry point demo_plugin replaces an earlier one" in caplog.text


def test_register_and_the_transformation_actions_are_one_definition() -> None:
    actions = Registry("transformation action", group="governance.none", attr="BUILT_IN",
                       defaults=("governance.registry.transformation_actions",))
    assert [a.params for a in actions.values()] == [a.params for a in ACTIONS.values()]
    with pytest.raises(ValueError, match=r"casing\.to must be one of lower, upper, snake, title, kebab"):
        TransformationSpec.model_validate({"name": "c", "action": "casing", "params": {"path": "event", "to": "x"}})
    with pytest.raises(ValueError, match=r"action 'rename_property' needs params \['to'\]"):
        TransformationSpec.model_validate({"name": "r", "action": "rename_property", "params": {"from": "a"}})
    actions.register(ACTIONS["hash"], name="digest")
    assert actions["digest"] is ACTIONS["hash"] and "digest" not in ACTIONS
