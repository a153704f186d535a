"""The web process's per-request work around the stages (capacity.md, phase 7): the commit's
handoff from the writer thread to the request, the U+0000 pre-check, and the metrics' children.

The handoff is driven by real ``concurrent.futures.Future`` objects settled from another thread, as
the group commit's writer settles them; the end-to-end path (a 2xx only once committed, a 503 when
the commit does not come in time) is ``tests/reliability/test_bounded_waits.py``'s, over real HTTP.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.proxy.counters import Outcome
from governance.proxy.limits import NUL_ESCAPE, has_nul, spells_nul
from governance.proxy.metrics import Metrics
from governance.proxy.routes import committed
from tests.conftest import make_settings

T = TypeVar("T")

SETTINGS = make_settings("sqlite://", commit_timeout_s=0.3)


def _run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run(main())`` in a thread of its own: a sync Playwright left open by an earlier
    test of the session runs a loop in this thread, where ``asyncio.run`` refuses to start."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


def _settle_later(future: Future[list[str]], delay_s: float, *, result: list[str] | None = None,
                  error: BaseException | None = None) -> threading.Thread:
    def run() -> None:
        time.sleep(delay_s)
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result or [])

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_the_outcomes_come_back_from_the_writer_thread() -> None:
    async def main() -> list[str]:
        future: Future[list[str]] = Future()
        writer = _settle_later(future, 0.05, result=["forwarded", "deduplicated"])
        try:
            return await committed(future, SETTINGS)
        finally:
            writer.join()

    assert _run(main) == ["forwarded", "deduplicated"]


def test_a_future_settled_before_the_request_waits_is_read_at_once() -> None:
    async def main() -> list[str]:
        future: Future[list[str]] = Future()
        future.set_result(["blocked"])
        return await committed(future, SETTINGS)

    assert _run(main) == ["blocked"]


def test_a_failed_commit_raises_its_own_error() -> None:
    async def main() -> None:
        future: Future[list[str]] = Future()
        writer = _settle_later(future, 0.02, error=OSError("disk full"))
        try:
            await committed(future, SETTINGS)
        finally:
            writer.join()

    with pytest.raises(OSError, match="disk full"):
        _run(main)


def test_a_late_commit_times_out_and_its_result_later_harms_nothing() -> None:
    """TimeoutError after ``commit_timeout_s`` (ingest answers 503); the commit that lands afterwards
    is dropped quietly, and the loop goes on serving the next request's commit."""
    errors: list[dict[str, object]] = []

    async def main() -> tuple[float, list[str]]:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, context: errors.append(context))
        late: Future[list[str]] = Future()
        writer = _settle_later(late, 0.6, result=["forwarded"])
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await committed(late, SETTINGS)
        waited = time.monotonic() - started
        writer.join()
        await asyncio.sleep(0.05)  # the late settle runs on the loop now
        assert late.result() == ["forwarded"]  # the commit itself was never cancelled
        nxt: Future[list[str]] = Future()
        writer = _settle_later(nxt, 0.01, result=["quarantined"])
        try:
            return waited, await committed(nxt, SETTINGS)
        finally:
            writer.join()

    waited, outcomes = _run(main)
    assert 0.25 <= waited < 0.6 and outcomes == ["quarantined"] and errors == []


def test_a_cancelled_request_leaves_the_commit_alone() -> None:
    errors: list[dict[str, object]] = []

    async def main() -> Future[list[str]]:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, context: errors.append(context))
        future: Future[list[str]] = Future()
        task = asyncio.ensure_future(committed(future, SETTINGS))
        await asyncio.sleep(0.01)
        task.cancel()  # the client went away
        with pytest.raises(asyncio.CancelledError):
            await task
        future.set_result(["forwarded"])  # the writer commits anyway
        await asyncio.sleep(0.05)
        return future

    future = _run(main)
    assert not future.cancelled() and future.result() == ["forwarded"] and errors == []


@given(st.lists(st.sampled_from([b"\\", b"u", b"0", b"\\u0000", b"\\\\", b"x", b'"', b"\\u00", b"00"]),
                max_size=12))
def test_the_nul_pre_check_answers_as_the_full_search(parts: list[bytes]) -> None:
    text = b"".join(parts)
    assert spells_nul(text) == (NUL_ESCAPE in text)


def test_has_nul_still_finds_an_escaped_nul_and_only_that() -> None:
    assert has_nul({"event": "a\u0000b"})
    assert not has_nul({"event": "a\\u0000b"})  # a backslash, then the six characters: no U+0000
    assert not has_nul({"event": "plain"})


def test_outcomes_count_into_one_series_whether_members_or_strings() -> None:
    metrics = Metrics()
    metrics.events([Outcome.FORWARDED, "forwarded", Outcome.BLOCKED])
    metrics.events(["forwarded"])
    metrics.request("batch", 200)
    metrics.request("batch", 200)
    metrics.request("batch", 503)
    text = metrics.render({}).decode()
    assert 'governance_events_total{outcome="forwarded"} 3.0' in text
    assert 'governance_events_total{outcome="blocked"} 1.0' in text
    assert 'governance_requests_total{endpoint="batch",status="200"} 2.0' in text
    assert 'governance_requests_total{endpoint="batch",status="503"} 1.0' in text
