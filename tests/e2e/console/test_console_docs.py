"""docs/console.md shows a screenshot of every screen the browser tests photograph, and each exists."""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]


def test_every_screenshot_taken_by_the_tests_is_in_the_console_page() -> None:
    taken = set()
    for test in HERE.glob("test_*.py"):
        taken |= set(re.findall(r'shoot\(page, "([a-z0-9-]+)"', test.read_text()))
    page = (ROOT / "docs" / "console.md").read_text()
    shown = set(re.findall(r"!\[[^\]]*\]\(console/([a-z0-9-]+)\.png\)", page))
    assert len(taken) >= 15
    assert sorted(taken - shown) == [] and sorted(shown - taken) == []
    missing = [name for name in shown if not (ROOT / "docs" / "console" / f"{name}.png").is_file()]
    assert missing == []


def test_the_readme_tour_shows_the_console_url() -> None:
    readme = (ROOT / "README.md").read_text()
    assert readme.splitlines()[3].startswith("make run") and readme.splitlines()[4].startswith("make test")
    assert "console:         http://127.0.0.1:8000/" in readme and "docs/console.md" in readme
