"""``governance bench hotpath``: CPU per event of the proxy's per-event Python, stage by stage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from governance.bench.hotpath import run
from tests.cli_support import cli


def test_every_stage_is_measured_over_every_event() -> None:
    figures = run(batches=3, rounds=1, commit=False)
    assert figures["events"] == 300
    assert figures["forwarded"] == 300  # the bench source lets events with violations through: all reach the outbox
    for stage in ("parse", "judge", "tally", "relay"):
        assert figures[f"{stage}_us_per_event"] > 0, stage
    assert figures["web_us_per_event"] == round(figures["parse_us_per_event"] + figures["judge_us_per_event"]
                                                + figures["tally_us_per_event"], 2)


def test_the_command_prints_the_figures_as_json() -> None:
    run_ = cli("bench", "hotpath", "--batches", "2", "--rounds", "1", "--no-commit", "--json")
    assert run_.code == 0, run_.err
    figures = run_.json()
    assert figures["events"] == 200 and figures["forwarded"] == 200 and figures["judge_us_per_event"] > 0


def test_the_ids_option_chooses_the_message_ids_and_refuses_an_unknown_shape(monkeypatch: Any) -> None:
    from governance.bench import hotpath

    sent: list[str] = []
    original = hotpath.Bodies.body

    def body(self: Any, stream: int, seq: int) -> bytes:
        raw = original(self, stream, seq)
        sent.extend(e["messageId"] for e in orjson.loads(raw)["batch"])
        return raw

    monkeypatch.setattr(hotpath.Bodies, "body", body)
    for ids, first in (("ordered", "-0000-0000-0000-000000000000"), ("uuid4", None), ("sdk", "ajs-next-")):
        sent.clear()
        assert hotpath.run(batches=1, rounds=1, commit=False, ids=ids)["ids"] == ids and len(sent) == 100
        if ids == "uuid4":
            assert all(len(i) == 36 and i[14] == "4" for i in sent)
        elif ids == "ordered":
            assert sent[0].endswith(first)
        else:
            assert sent[0].startswith(first)  # the first template is a browser's
    shown = cli("bench", "hotpath", "--batches", "1", "--rounds", "1", "--no-commit", "--ids", "uuid4", "--json")
    assert shown.code == 0 and shown.json()["ids"] == "uuid4", shown.err
    refused = cli("bench", "hotpath", "--ids", "uuid7", "--json")
    assert refused.code == 2 and "one of sdk, uuid4, ordered" in refused.err


def test_the_commit_stage_commits_every_event_to_a_real_sqlite_file(monkeypatch: Any) -> None:
    """The commit stage runs the group commit itself: every judged event is counted, claimed and
    queued in a real database file (read back before the round's directory goes), FULL commits."""
    from sqlalchemy import text

    from governance.bench import commit
    from governance.db import make_engine
    from governance.proxy.dedupe import WINDOW_SQL

    seen: dict[str, Any] = {}
    measured = commit._round

    def round_and_read_back(directory: Path, source_id: str, judged: list[list[Any]], template: Any = None) -> Any:
        result = measured(directory, source_id, judged, template)
        engine = make_engine(f"sqlite:///{directory / 'commit.db'}")
        with engine.connect() as conn:
            seen["outbox"] = conn.execute(text("SELECT count(*) FROM outbox")).scalar_one()
            seen["keys"] = len(conn.execute(text(WINDOW_SQL)).all())  # every level of the window
            seen["counted"] = conn.execute(text("SELECT sum(count) FROM event_counts")).scalar_one()
            seen["synchronous"] = conn.exec_driver_sql("PRAGMA synchronous").scalar_one()
        engine.dispose()
        return result

    monkeypatch.setattr(commit, "_round", round_and_read_back)
    figures = run(batches=5, rounds=1)
    # every event counted and claimed once; the outbox holds them (in rows of one or more events)
    assert seen["keys"] == 500 and seen["counted"] == 500 and seen["outbox"] > 0
    assert seen["synchronous"] == 2  # FULL, as serve runs
    assert figures["commit_group_requests"] == commit.GROUP
    assert 0 < figures["commit_us_per_event"] and 0 < figures["commit_wall_us_per_event"]
    assert figures["commit_written_bytes_per_event"] > 700  # the outbox alone holds each ~750-byte event


def test_the_diy_reference_writes_every_event_of_the_same_bodies(monkeypatch: Any) -> None:
    """``commit_diy_*``: the DIY peer's table receives one row per event sent, with its messageId and
    payload, in FULL commits on its own file."""
    import sqlite3

    import orjson

    from governance.bench import commit

    seen: dict[str, Any] = {}
    measured = commit._diy_round

    def round_and_read_back(directory: Path, events: list[list[dict[str, Any]]], valid: list[list[bool]]) -> Any:
        result = measured(directory, events, valid)
        with sqlite3.connect(directory / "diy.db") as db:
            seen["rows"] = db.execute("SELECT message_id, payload FROM events").fetchall()
            seen["synchronous"] = db.execute("PRAGMA synchronous").fetchone()[0]
        seen["sent"] = [e["messageId"] for body in events for e in body]
        return result

    monkeypatch.setattr(commit, "_diy_round", round_and_read_back)
    figures = run(batches=5, rounds=1)
    assert sorted(m for m, _ in seen["rows"]) == sorted(seen["sent"]) and len(set(seen["sent"])) == 500
    assert all(orjson.loads(p)["messageId"] == m for m, p in seen["rows"])
    assert seen["synchronous"] == 2
    assert 0 < figures["commit_diy_us_per_event"] and 0 < figures["commit_diy_wall_us_per_event"]
    assert figures["commit_diy_written_bytes_per_event"] > 700  # each ~750-byte event's row


def test_the_forward_stage_drains_a_real_outbox_to_a_real_upstream_once() -> None:
    """``forward_*``: the real forwarder drains the outbox rows of the judged bodies (100 events a
    row, as a group commit writes them) from a SQLite file to the counting upstream on 127.0.0.1;
    the round read back every event received once at the upstream and counted once as delivered."""
    figures = run(batches=3, rounds=2, commit=False, forward=True)
    assert figures["forward_events"] == 300
    assert figures["forward_requests"] == 3  # one /v1/batch per 100-event row
    assert 0 < figures["forward_us_per_event"] < figures["forward_wall_us_per_event"] * 10


def test_the_forward_stage_refuses_a_round_that_did_not_deliver_everything(monkeypatch: Any) -> None:
    """A round whose read-back differs (here: a forwarder that stops before the outbox is empty)
    raises instead of reporting a figure."""
    import pytest

    from governance.bench.forward import NotDelivered
    from governance.proxy.forwarder import Forwarder

    monkeypatch.setattr(Forwarder, "run_once", lambda self, limit=1: 0)
    with pytest.raises(NotDelivered, match="upstream_events"):
        run(batches=2, rounds=1, commit=False, forward=True)
