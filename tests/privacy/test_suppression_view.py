"""A web process's view of the suppressions over a real database (both backends): deltas by
sequence number, concurrent regulations never sharing one, a rebuilt base swapped in when the
deltas grow, and several views (web processes) in step."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from governance.clock import utcnow
from governance.db import make_engine, write_session
from governance.migrations import upgrade
from governance.proxy import suppression_view
from governance.proxy.suppression_view import SuppressionView
from governance.registry import regulations
from governance.registry.regulations import RegulationType
from governance.registry.tables import SuppressionRow


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def regulate(engine: Engine, kind: RegulationType, subjects: list[str]) -> None:
    with write_session(engine) as session:
        regulations.create(session, regulation_type=kind, subject_ids=subjects, source_refs=None, notify=[],
                           actor="test", now=utcnow())


def test_deltas_and_two_views_in_step(engine: Engine) -> None:
    one, two = SuppressionView(engine), SuppressionView(engine)
    one.load()
    two.load()
    regulate(engine, RegulationType.SUPPRESS_ONLY, ["a", "b"])
    regulate(engine, RegulationType.UNSUPPRESS, ["a"])
    for view in (one, two):
        view.refresh()
        assert view.current.suppressed("s", {"userId": "b"}) == "b" and view.current.matches("s", "a") is False
        assert view.rebuilds == 1  # applied as deltas, no rebuild
    one.refresh()
    assert one.current.count == 1


def test_concurrent_regulations_take_distinct_sequence_numbers(engine: Engine) -> None:
    view = SuppressionView(engine)
    view.load()
    threads = [threading.Thread(target=regulate, args=(engine, RegulationType.SUPPRESS_ONLY, [f"u-{i}"]))
               for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    from sqlmodel import Session, select

    with Session(engine) as session:
        seqs = [r.seq for r in session.exec(select(SuppressionRow)).all()]
    assert len(set(seqs)) == 8  # never two changes under one number: a poll cannot miss one
    view.refresh()
    assert view.current.count == 8


def test_large_deltas_are_folded_into_a_rebuilt_base(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(suppression_view, "MIN_COMPACT", 50)
    view = SuppressionView(engine)
    view.load()
    regulate(engine, RegulationType.SUPPRESS_ONLY, [f"u-{i}" for i in range(120)])
    view.refresh()
    assert view.current.count == 120 and view.current.delta_size == 120
    assert view._rebuilding is not None
    view._rebuilding.join(timeout=30)
    regulate(engine, RegulationType.SUPPRESS_ONLY, ["late"])  # arrives while the base was rebuilt
    view.refresh()  # swaps the rebuilt base in, then applies what came after it
    assert view.rebuilds == 2 and view.current.delta_size == 1 and view.current.count == 121
    assert all(view.current.matches("s", f"u-{i}") for i in range(120)) and view.current.matches("s", "late")
