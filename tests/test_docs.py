"""Docs are part of the feature: a setting, command, route, check kind, action or limit without
its entry in docs/ fails here (datasette's tests/test_docs.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from governance import refdocs

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


@pytest.mark.parametrize("page", sorted(refdocs.PAGES))
def test_generated_reference_pages_are_current(page: str) -> None:
    expected = refdocs.PAGES[page]()
    current = (DOCS / "reference" / page).read_text()
    assert current == expected, f"docs/reference/{page} is stale: run `python -m governance.refdocs`"


def test_every_setting_is_described() -> None:
    from governance.settings import Settings

    missing = [name for name, info in Settings.model_fields.items() if not (info.description or "").strip()]
    assert missing == []


def test_every_cli_command_and_option_is_described() -> None:
    undocumented = []
    for path, command in refdocs.cli_commands():
        if not (command.help or "").strip():
            undocumented.append(path)
        for param in command.params:
            if param.param_type_name == "option" and param.name != "help" and not getattr(param, "help", None):
                undocumented.append(f"{path} {param.opts[0]}")
            if param.param_type_name == "argument" and not getattr(param, "help", None):
                undocumented.append(f"{path} {param.name}")
    assert undocumented == []


def test_every_route_has_a_summary_and_a_role() -> None:
    routes = refdocs.rest_routes()
    assert [r["path"] for r in routes if not r["summary"].strip()] == []
    roles = refdocs.route_roles()
    admin_routes = [(r["method"], r["path"]) for r in routes if r["path"].startswith("/api/")]
    assert [key for key in admin_routes if roles.get(key) in (None, "none")] == []


def test_every_limit_setting_is_in_the_limits_page() -> None:
    from governance.settings import Settings

    text = (DOCS / "reference" / "limits.md").read_text()
    limits = [n for n in Settings.model_fields if n.startswith(("max_", "dedupe_", "retry_", "dead_letter_",
                                                                 "upstream_timeout", "forward_batch", "sample_",
                                                                 "plan_refresh", "webhook_", "request_", "commit_",
                                                                 "db_lock", "forward_", "upstream_",
                                                                 "sqlite_"))]
    assert [n for n in limits if f"GOVERNANCE_{n.upper()}" not in text] == []


def _headings(path: Path) -> set[str]:
    return {m.group(1).strip("` ").lower() for m in re.finditer(r"^#+\s+(.+)$", path.read_text(), re.MULTILINE)}


def test_every_transformation_action_is_documented() -> None:
    from governance.registry.transformation_actions import ACTIONS

    text = (DOCS / "proxy" / "transformations.md").read_text()
    assert [a for a in ACTIONS if f"`{a}`" not in text] == []


def test_every_violation_type_is_documented() -> None:
    from governance.proxy.violations import SEGMENT_NAMES

    text = (DOCS / "proxy" / "ingestion.md").read_text()
    assert [t for t in SEGMENT_NAMES if f"`{t}`" not in text] == []


def test_every_check_kind_is_documented() -> None:
    checks = pytest.importorskip("governance.quality.checks")
    kinds = getattr(checks, "CHECK_KINDS", None) or getattr(checks, "CHECKS", None)
    assert kinds, "governance.quality.checks registers its check kinds"
    headings = _headings(DOCS / "quality" / "checks.md")
    assert [k for k in kinds if k.lower() not in headings] == []


def test_every_channel_kind_is_documented() -> None:
    from governance.alerts.channels import CHANNEL_KINDS

    text = (DOCS / "alerts" / "channels.md").read_text().lower()
    assert [k for k in CHANNEL_KINDS if k not in text] == []


def test_docs_links_resolve() -> None:
    broken = []
    for page in DOCS.rglob("*.md"):
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            if not (page.parent / target).resolve().exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    readme = ROOT / "README.md"
    for target in re.findall(r"\]\(([^)#\s]+)\)", readme.read_text()):
        if not target.startswith("http") and not (ROOT / target).exists():
            broken.append(f"README.md -> {target}")
    assert broken == []
