"""The write queue on a real SQLite file: a writer gets its turn while two other processes commit
back to back, waits are bounded, and a turn is given back however its transaction ends."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from governance import writelock
from governance.db import make_engine, writer

# A process that commits back to back for ``seconds``: every transaction holds the write lock for
# ``hold`` seconds (as a group commit waiting for its fsync does) and adds a row.
HAMMER = textwrap.dedent("""
    import sys, time
    from sqlalchemy import text
    from governance.db import make_engine, writer
    url, seconds, hold = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    engine = writer(make_engine(url, synchronous="NORMAL"))
    print("ready", flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO hammered (at) VALUES (:at)"), {"at": time.time()})
            time.sleep(hold)
""")


def _hammers(url: str, n: int, seconds: float, hold: float) -> list[subprocess.Popen[str]]:
    procs = [subprocess.Popen([sys.executable, "-c", HAMMER, url, str(seconds), str(hold)], stdout=subprocess.PIPE,
                              text=True) for _ in range(n)]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return procs


def test_a_writer_gets_its_turn_while_two_processes_commit_back_to_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'queue.db'}"
    engine = make_engine(url, synchronous="NORMAL", lock_timeout_s=5)
    with writer(engine).begin() as conn:
        conn.execute(text("CREATE TABLE hammered (id INTEGER PRIMARY KEY, at REAL)"))
    procs = _hammers(url, 2, seconds=6.0, hold=0.005)
    try:
        time.sleep(0.5)  # both are committing back to back
        waits, between = [], []
        with engine.connect() as conn:
            before = conn.execute(text("SELECT count(*) FROM hammered")).scalar_one()
        for _ in range(25):
            started = time.monotonic()
            with writer(engine).begin() as conn:  # the forwarder's turn
                waits.append(time.monotonic() - started)
                now = conn.execute(text("SELECT count(*) FROM hammered")).scalar_one()
                time.sleep(0.005)  # a turn as long as theirs
            between.append(now - before)
            before = now
        alive = [p.poll() is None for p in procs]
    finally:
        for proc in procs:
            proc.wait(timeout=30)
    assert all(alive), "the hammering processes were still committing during the measured turns"
    assert sum(between) >= 10, "the other processes did commit meanwhile"
    # each turn waited for at most a few of the others' transactions (5 ms each), never for a
    # lock timeout; the turnstile lets each hammering process in at most once or twice per turn
    assert max(waits) < 2.0, waits
    assert max(between) <= 12, between
    assert all(p.returncode == 0 for p in procs)


def test_a_turn_not_given_within_the_timeout_fails_as_a_locked_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'held.db'}"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import sys, time
        from governance import writelock
        queue = writelock.for_database(sys.argv[1])
        assert queue.acquire(5)
        print("holding", flush=True)
        time.sleep(3)
        queue.release()
    """), str(tmp_path / "held.db")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        engine = make_engine(url, lock_timeout_s=0.5)
        started = time.monotonic()
        with pytest.raises(Exception, match="database is locked"), writer(engine).begin() as conn:
            conn.execute(text("SELECT 1"))
        assert 0.4 < time.monotonic() - started < 2.5
        # once the holder is gone the turn comes, and the abandoned request did not keep it
        holder.wait(timeout=10)
        with writer(engine).begin() as conn:
            conn.execute(text("CREATE TABLE after (a)"))
        queue = writelock.for_database(str(tmp_path / "held.db"))
        assert queue.acquire(1)
        queue.release()
    finally:
        holder.kill()
        holder.wait()


def test_the_turn_is_given_back_after_commit_rollback_and_a_failed_statement(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'back.db'}", lock_timeout_s=1)
    queue = writelock.for_database(str(tmp_path / "back.db"))
    with writer(engine).begin() as conn:
        conn.execute(text("CREATE TABLE t (a INTEGER PRIMARY KEY)"))
        assert conn.connection.driver_connection.holds_turn  # type: ignore[union-attr]
    with pytest.raises(Exception, match="UNIQUE"), writer(engine).begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1), (1)"))
    with pytest.raises(RuntimeError), writer(engine).begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (2)"))
        raise RuntimeError("the block fails: rolled back")
    with engine.connect() as conn:  # a read takes no turn
        assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
        assert not conn.connection.driver_connection.holds_turn  # type: ignore[union-attr]
    assert queue.acquire(0.5), "every transaction gave its turn back"
    queue.release()
    assert queue.paths[0].endswith("back.db-writer.turn") and Path(queue.paths[1]).exists()


def test_the_threads_of_one_process_take_their_turns_in_order() -> None:
    lock = writelock.FairLock()
    assert lock.acquire(1)
    order: list[str] = []

    def wait(name: str) -> None:
        assert lock.acquire(10)
        order.append(name)
        lock.release()

    threads = []
    for name in ("first", "second", "third"):
        threads.append(threading.Thread(target=wait, args=(name,)))
        threads[-1].start()
        time.sleep(0.1)  # queued in this order
    assert not lock.acquire(0.05)  # a waiter that gives up leaves the queue
    lock.release()
    for thread in threads:
        thread.join(timeout=10)
    assert order == ["first", "second", "third"]
    assert lock.acquire(0.1)  # free again
    lock.release()
