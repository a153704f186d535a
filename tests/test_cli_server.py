"""The CLI against a live server on 127.0.0.1: push, check, versions, history, rollback, sources and
tokens, with stdout, stderr and exit codes asserted separately (through pipes, not a terminal)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from governance.api.schemas import RollbackRequest
from tests.cli_support import ROOT, cli, env_for, free_port, live_server
from tests.conftest import wait_until

ECOMMERCE = ROOT / "plans" / "ecommerce.yaml"
ROLLBACK_TAKES_MESSAGE = "message" in RollbackRequest.model_fields  # strict inputs: rollback keeps the message


@pytest.fixture
def server(sqlite_url: str) -> Iterator[str]:
    with live_server(sqlite_url) as url:
        yield url


def breaking_copy(tmp_path: Path) -> Path:
    body = yaml.safe_load(ECOMMERCE.read_text())
    body["events"]["Order Completed"]["properties"]["total"]["type"] = "string"
    path = tmp_path / "ecommerce.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


def test_push_publish_refusal_pull_and_diff(server: str, tmp_path: Path) -> None:
    env = env_for(server)
    pushed = cli("plan", "push", str(ECOMMERCE), "--publish", env=env)
    assert (pushed.code, pushed.err) == (0, "")
    assert pushed.out.splitlines() == ["ecommerce: draft created", "ecommerce: published version 1 (additive)"]
    again = cli("plan", "push", str(ECOMMERCE), "--publish", "--json", env=env)
    assert again.code == 0 and again.err == ""
    assert again.json() == {"plan": "ecommerce", "draft": "updated", "outcome": "nothing_to_publish", "version": None,
                            "category": None, "refused": None}
    # a breaking change: exit 1, the changes that broke it listed, the registry keeps version 1
    changed = breaking_copy(tmp_path)
    refused = cli("plan", "push", str(changed), "--publish", env=env)
    assert refused.code == 1
    lines = refused.out.splitlines()
    assert lines[1].startswith("ecommerce: publish refused: plan 'ecommerce': the change is not BACKWARD-compatible")
    changed_line = 'events."Order Completed".properties.total.type: type changed from ["number"] to ["string"]'
    assert f"  breaking  {changed_line}" in lines
    assert refused.err.strip() == "--allow-breaking publishes it anyway"
    machine = cli("plan", "push", str(changed), "--publish", "--json", env=env)
    assert machine.code == 1 and machine.json()["outcome"] == "refused"
    assert machine.json()["refused"]["against_version"] == 1
    assert [c["path"] for c in machine.json()["refused"]["changes"]] == [
        'events."Order Completed".properties.total.type']
    forced = cli("plan", "push", str(changed), "--publish", "--allow-breaking", "--json", env=env)
    assert forced.code == 0 and forced.json()["version"] == 2 and forced.json()["category"] == "breaking"
    pulled = cli("plan", "pull", "ecommerce", "--version", "1", env=env)
    assert pulled.code == 0 and pulled.err == ""
    assert yaml.safe_load(pulled.out)["events"]["Order Completed"]["properties"]["total"]["type"] == "number"
    assert cli("plan", "pull", "ecommerce", "--json", env=env).json()["version"] == 2
    diff = cli("plan", "diff", "ecommerce@1", "ecommerce@2", "--json", env=env)
    assert diff.code == 1 and diff.json()["category"] == "breaking" and diff.json()["mode"] == "BACKWARD"
    files = cli("plan", "diff", str(ECOMMERCE), str(changed), "--json")
    assert files.json()["changes"] == diff.json()["changes"]
    # the registry's mode decides for NAME@... sides
    httpx.patch(f"{server}/api/v1/plans/ecommerce", json={"compatibility": "NONE"},
                headers={"Authorization": f"Bearer {env['GOVERNANCE_TOKEN']}"}).raise_for_status()
    assert cli("plan", "diff", "ecommerce@1", "ecommerce@2", env=env).code == 0


def test_check_says_whether_a_publish_would_succeed_and_changes_nothing(server: str, tmp_path: Path) -> None:
    env = env_for(server)
    new = cli("plan", "check", str(ECOMMERCE), "--json", env=env)
    assert new.code == 0 and new.json()["exists"] is False and new.json()["is_compatible"] is True
    assert cli("plan", "push", str(ECOMMERCE), "--publish", env=env).code == 0
    same = cli("plan", "check", str(ECOMMERCE), env=env)
    assert same.code == 0 and same.out.strip() == "ecommerce: no changes from the latest version (nothing to publish)"
    changed = breaking_copy(tmp_path)
    bad = cli("plan", "check", str(changed), env=env)
    assert bad.code == 1 and bad.err == ""
    assert bad.out.splitlines()[-1] == ("ecommerce: publishing would be refused: not compatible with version 1 "
                                        "under BACKWARD (1 change(s) not allowed)")
    report = cli("plan", "check", str(changed), "--json", env=env).json()
    assert report["is_compatible"] is False and report["against_version"] == 1 and len(report["messages"]) == 1
    versions = cli("plan", "versions", "ecommerce", "--json", env=env).json()["versions"]
    assert [v["version"] for v in versions] == [1]  # nothing was published by the checks


def test_versions_history_and_rollback(server: str, tmp_path: Path) -> None:
    env = env_for(server)
    assert cli("plan", "push", str(ECOMMERCE), "--publish", "--message", "first", env=env).code == 0
    changed = breaking_copy(tmp_path)
    assert cli("plan", "push", str(changed), "--publish", "--allow-breaking", "--message", "totals as text",
               env=env).code == 0
    listed = cli("plan", "versions", "ecommerce", env=env)
    assert listed.code == 0 and listed.err == ""
    header, second, first = listed.out.splitlines()
    assert header.split() == ["VERSION", "CATEGORY", "CHANGES", "CREATED", "BY", "ROLLBACK_OF", "MESSAGE"]
    assert second.split()[:3] == ["2", "breaking", "1"] and second.endswith("totals as text")
    assert first.split()[:3] == ["1", "additive", "0"] and first.endswith("first")
    rolled = cli("plan", "rollback", "ecommerce", "1", "--allow-breaking", "--json", env=env)
    assert rolled.code == 0 and rolled.err == ""
    assert {k: rolled.json()[k] for k in ("outcome", "version", "rollback_of")} == {
        "outcome": "published", "version": 3, "rollback_of": 1}
    body = yaml.safe_load(cli("plan", "pull", "ecommerce", env=env).out)
    assert body["events"]["Order Completed"]["properties"]["total"]["type"] == "number"
    history = cli("plan", "history", "ecommerce", "--json", env=env).json()
    assert history["source"] == "audit"
    actions = [(e["action"], e["version"], e["message"]) for e in history["entries"] if e["version"]]
    assert actions[1:] == [("plan.publish", 2, "totals as text"), ("plan.publish", 1, "first")]
    assert actions[0][:2] == ("plan.rollback", 3)
    assert all(e["actor"] and e["at"] for e in history["entries"])
    # a viewer may not read the audit log: the versions stand in, and stderr says so
    viewer = cli("token", "create", "--role", "viewer", env=env).out.strip()
    as_viewer = cli("plan", "history", "ecommerce", env=env_for(server, viewer))
    assert as_viewer.code == 0 and "showing published versions only" in as_viewer.err
    assert as_viewer.out.splitlines()[0].split() == ["AT", "ACTOR", "ACTION", "VERSION", "CATEGORY", "MESSAGE"]
    assert len(as_viewer.out.splitlines()) == 4
    missing = cli("plan", "rollback", "ecommerce", "9", env=env)
    assert missing.code == 2 and "(version_not_found)" in missing.err


@pytest.mark.skipif(not ROLLBACK_TAKES_MESSAGE, reason="needs the rollback body with message/allow_breaking")
def test_rollback_is_judged_like_a_publish_and_keeps_the_message(server: str, tmp_path: Path) -> None:
    env = env_for(server)
    assert cli("plan", "push", str(ECOMMERCE), "--publish", env=env).code == 0
    body = yaml.safe_load(ECOMMERCE.read_text())
    body["events"]["Order Completed"]["properties"]["gift_note"] = {"type": "string", "description": "d"}
    added = tmp_path / "added.yaml"
    added.write_text(yaml.safe_dump(body, sort_keys=False))
    assert cli("plan", "push", str(added), "--publish", env=env).code == 0
    refused = cli("plan", "rollback", "ecommerce", "1", "--json", env=env)  # drops gift_note: breaking
    assert refused.code == 1 and refused.json()["outcome"] == "refused" and refused.json()["refused"]["changes"]
    done = cli("plan", "rollback", "ecommerce", "1", "--allow-breaking", "--message", "undo gift notes", env=env)
    assert done.code == 0
    versions = cli("plan", "versions", "ecommerce", "--json", env=env).json()["versions"]
    assert versions[0]["message"] == "undo gift notes" and versions[0]["rollback_of"] == 1


def test_source_create_list_and_show(server: str) -> None:
    env = env_for(server)
    assert cli("plan", "push", str(ROOT / "plans" / "saas.yaml"), "--publish", env=env).code == 0
    created = cli("source", "create", "--name", "app", "--plan", "saas", "--json", env=env)
    assert created.code == 0 and created.err == ""
    body = created.json()
    assert body["write_key"].startswith("wk_") and body["id"].startswith("src_")

    def judged() -> httpx.Response:
        return httpx.post(f"{server}/v1/validate", auth=(body["write_key"], ""),
                          json={"type": "track", "event": "Signed Up", "userId": "u"})

    assert wait_until(lambda: judged().status_code == 200, timeout=2.0)  # a new key works within a second
    listed = cli("source", "list", env=env)
    assert listed.code == 0
    assert listed.out.splitlines()[1].split() == ["app", body["id"], "saas", "latest", "enforce", "-"]
    shown = cli("source", "show", "app", "--json", env=env).json()
    assert shown["plan"] == "saas" and [k["prefix"] for k in shown["write_keys"]] == [body["write_key"][:10]]
    human = cli("source", "show", "app", env=env).out
    assert "plan: saas" in human.splitlines() and body["write_key"] not in human  # prefixes only
    assert "  track.allowUnplannedEvents: true" in human.splitlines()
    missing = cli("source", "show", "nope", "--json", env=env)
    assert missing.code == 2 and missing.out == "" and missing.error()["code"] == "source_not_found"


def test_tokens_through_the_server_and_errors_by_exit_code(server: str) -> None:
    env = env_for(server)
    created = cli("token", "create", "--role", "editor", "--name", "ci", "--json", env=env)
    assert created.code == 0 and created.err == "" and created.json()["created_in"] == "server"
    editor = created.json()
    listed = cli("token", "list", "--json", env=env).json()["tokens"]
    assert {"id": editor["id"], "name": "ci", "role": "editor"}.items() <= next(
        t for t in listed if t["id"] == editor["id"]).items()
    assert all("token" not in t for t in listed)
    table = cli("token", "list", env=env).out.splitlines()
    assert table[0].split() == ["ID", "NAME", "ROLE", "PREFIX", "CREATED", "STATUS"]
    revoked = cli("token", "revoke", editor["id"], env=env)
    assert (revoked.code, revoked.out.strip(), revoked.err) == (0, f"revoked {editor['id']}", "")
    # the revoked token is refused: exit 3, the server's code on stderr, nothing on stdout
    denied = cli("source", "list", "--json", env=env_for(server, editor["token"]))
    assert denied.code == 3 and denied.out == ""
    assert denied.error() == {"code": "unauthorized", "message": "invalid or revoked API token", "status": 401,
                              "details": None}
    too_low = cli("token", "list", env=env_for(server, cli("token", "create", "--role", "viewer", env=env).out.strip()))
    assert too_low.code == 3 and "(forbidden)" in too_low.err
    bad_role = cli("token", "create", "--role", "root", env=env)
    assert bad_role.code == 2 and "(validation_failed)" in bad_role.err and bad_role.out == ""


def test_an_unreachable_or_foreign_server_is_exit_3(tmp_path: Path) -> None:
    unreachable = cli("plan", "versions", "shop", "--url", f"http://127.0.0.1:{free_port()}", "--token", "t")
    assert unreachable.code == 3 and unreachable.out == "" and "(unreachable)" in unreachable.err
    # a web server that is not governance: a static page answers 200 with HTML
    (tmp_path / "api" / "v1" / "plans" / "shop").mkdir(parents=True)
    (tmp_path / "api" / "v1" / "plans" / "shop" / "versions").write_text("<html>hello</html>")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(tmp_path), **kwargs)  # type: ignore[arg-type]

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        foreign = cli("plan", "versions", "shop", "--json", "--url", f"http://127.0.0.1:{httpd.server_port}")
    finally:
        httpd.shutdown()
    assert foreign.code == 3 and foreign.out == "" and foreign.error()["code"] == "not_the_api"
