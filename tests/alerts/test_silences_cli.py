"""``governance silences create|list|expire`` as a user runs it: a real process against a live server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.cli_support import cli, env_for, live_server


@pytest.fixture
def server(sqlite_url: str) -> Iterator[str]:
    with live_server(sqlite_url) as url:
        yield url


def test_silences_create_list_and_expire(server: str) -> None:
    env = env_for(server)
    ends = (datetime.now(UTC) + timedelta(hours=2)).astimezone(timezone(timedelta(hours=1))).isoformat()
    created = cli("silences", "create", "-m", "source=web", "-m", 'event=~"Order.*"', "--comment", "deploy",
                  "--ends", ends, env=env)
    assert created.code == 0 and created.out.strip().startswith("sil_"), created.err
    sid = created.out.strip()
    weekly = cli("silences", "create", "-m", "check_kind=volume", "--comment", "Sunday maintenance",
                 "--starts", "2026-01-04T02:00:00", "--rrule", "FREQ=WEEKLY;BYDAY=SU", "--duration", "180",
                 "--timezone", "Europe/Paris", "--json", env=env)
    assert weekly.code == 0 and weekly.json()["recurrence"]["timezone"] == "Europe/Paris"
    listed = cli("silences", "list", env=env)
    assert listed.code == 0 and listed.out.splitlines()[0].split() == [
        "ID", "STATE", "WINDOW", "RECURRENCE", "MATCHERS", "COMMENT"]
    assert any(line.startswith(sid) and ' source="web" event=~"Order.*" ' in line and line.endswith("deploy")
               for line in listed.out.splitlines())
    active = cli("silences", "list", "--state", "active", "--json", env=env).json()["silences"]
    assert [s["id"] for s in active] == [sid] or sid in [s["id"] for s in active]
    expired = cli("silences", "expire", sid, env=env)
    assert expired.code == 0 and expired.out.startswith(f"{sid}: expired at ")
    again = cli("silences", "expire", sid, "--json", env=env)
    assert again.code == 2 and again.out == "" and again.error()["code"] == "silence_expired"
    bad = cli("silences", "create", "-m", "nonsense", "--comment", "x", "--ends", ends, "--json", env=env)
    assert bad.code == 2 and bad.error()["details"][0]["path"] == "matchers.0"
    refused = cli("silences", "create", "-m", "team=x", "--comment", "x", "--ends", ends, "--json", env=env)
    assert refused.code == 2 and refused.error()["code"] == "validation_failed"
    when = cli("silences", "create", "-m", "source=web", "--comment", "x", "--ends", "tomorrow", "--json", env=env)
    assert when.code == 2 and when.error()["details"][0]["path"] == "ends_at"
    viewer = cli("silences", "list", env=env_for(server, token="gov_not_a_token"))
    assert viewer.code == 3
