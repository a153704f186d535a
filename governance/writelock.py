"""A fair queue for SQLite's one write lock, across the threads and processes of one database file.

SQLite lets one connection write at a time. A writer that finds the lock taken waits in SQLite's
busy handler, which sleeps and polls (1 to 100 ms) and is not a queue: a process that commits
back to back (the web processes' group commits under full load) takes the lock again before a
sleeping poller looks, and the forwarder's ``BEGIN IMMEDIATE`` rarely wins. So every write
transaction of ``governance.db`` takes this lock first; whoever holds it is the only one of us
that asks SQLite for its write lock, and gets it at once.

It is a pair of ``flock`` locks on two sidecar files next to the database, taken in turn::

    <database>-writer.turn   the turnstile: held by the one writer that is next
    <database>-writer.lock   the writer's lock: held from BEGIN IMMEDIATE to COMMIT or ROLLBACK

A writer takes the turnstile, then the writer's lock, then gives the turnstile back. When the
holder commits and comes back for its next transaction, the turnstile is held by the writer
waiting for the lock, so the lock goes to that writer and the holder queues behind it: two
writers alternate whatever their pace, and a waiting writer is woken by the kernel rather than
polling. (``flock`` alone is not fair: the releasing process wins a lock it asks for again at once.)
Locks are per open file description, so a process keeps one descriptor of each file and a
``FairLock`` orders its own threads (first come, first served); the kernel drops a dead process's locks.

Waits are bounded: ``acquire`` gives up after its timeout (the engine's busy timeout) and the
transaction fails as SQLite's "database is locked" would. Because ``flock`` cannot time out, a
contended wait runs in one daemon thread per process (the *waiter*); the uncontended case takes
both locks with ``LOCK_NB`` in the calling thread (a few microseconds). Writers that do not go
through this queue (another program, a raw ``sqlite3`` connection) still meet SQLite's own lock
and busy handler, as before: the queue makes our writers fair, SQLite keeps them correct.
"""

from __future__ import annotations

import collections
import fcntl
import os
import queue
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

# every engine on a file holds its queue; the queue closes its descriptors when the last one is gone
_REGISTRY: weakref.WeakValueDictionary[tuple[int, str], WriteQueue] = weakref.WeakValueDictionary()
_REGISTRY_LOCK = threading.Lock()
WAITER_IDLE_S = 5.0  # the waiter thread ends after this long without a contended acquisition


def for_database(path: str) -> WriteQueue:
    """This process's queue for the database file at ``path`` (shared by every engine on it)."""
    real = os.path.realpath(path)
    key = (os.getpid(), real)  # a forked child opens its own descriptors (flock locks follow them)
    with _REGISTRY_LOCK:
        found = _REGISTRY.get(key)
        if found is None:
            found = WriteQueue(real)
            _REGISTRY[key] = found
        return found


@dataclass
class _Request:
    deadline: float
    granted: threading.Event = field(default_factory=threading.Event)
    abandoned: bool = False
    error: OSError | None = None


class FairLock:
    """A lock handed to its waiters in the order they came (``threading.Lock`` is not: a thread
    that releases it and asks again at once usually wins, so a loop of short transactions, such
    as a prune in chunks, would starve the forwarder's lanes of the same process)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiters: collections.deque[threading.Event] = collections.deque()

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._held and not self._waiters:
                self._held = True
                return True
            turn = threading.Event()
            self._waiters.append(turn)
        if turn.wait(max(0.0, timeout)):
            return True
        with self._mutex:
            if turn.is_set():  # handed over just as the wait ended
                return True
            self._waiters.remove(turn)
            return False

    def release(self) -> None:
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().set()  # still held: ownership passes to the first waiter
            else:
                self._held = False


class WriteQueue:
    """``acquire(timeout)`` / ``release()`` around one write transaction on one database file."""

    def __init__(self, database: str) -> None:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        self.paths = (f"{database}-writer.turn", f"{database}-writer.lock")
        self._turn = os.open(self.paths[0], os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._lock = os.open(self.paths[1], os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._threads = FairLock()  # one writer per process at a time, in turn: flock is per descriptor
        self._requests: queue.Queue[_Request] = queue.Queue()
        self._state = threading.Lock()  # guards a request's granted/abandoned hand-over
        self._waiter: threading.Thread | None = None
        self.contended = 0  # acquisitions that had to wait for another writer (for tests and benches)

    def acquire(self, timeout: float) -> bool:
        """Take the writer's lock within ``timeout`` seconds; False when it did not come."""
        deadline = time.monotonic() + timeout
        if not self._threads.acquire(timeout):
            return False
        try:
            if self._try_both():
                return True
            self.contended += 1
            return self._wait(deadline)  # on a timeout the waiter releases ``_threads`` once it is done
        except BaseException:
            self._threads.release()
            raise

    def __del__(self) -> None:
        for fd in (getattr(self, "_turn", None), getattr(self, "_lock", None)):
            if fd is not None:
                os.close(fd)

    def release(self) -> None:
        fcntl.flock(self._lock, fcntl.LOCK_UN)
        self._threads.release()

    def _try_both(self) -> bool:
        """The uncontended case, in the caller's thread: the turnstile and the lock, neither waited for."""
        try:
            fcntl.flock(self._turn, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fcntl.flock(self._turn, fcntl.LOCK_UN)  # the waiter takes it again, blocking
            return False
        fcntl.flock(self._turn, fcntl.LOCK_UN)
        return True

    def _wait(self, deadline: float) -> bool:
        request = _Request(deadline)
        self._submit(request)
        granted = request.granted.wait(max(0.0, deadline - time.monotonic()))
        with self._state:
            if request.error is not None:
                raise request.error
            if granted or request.granted.is_set():
                return True
            request.abandoned = True  # the waiter drops the lock when it gets it, then ``_threads``
            return False

    def _submit(self, request: _Request) -> None:
        with self._state:  # the waiter ends only under this lock and with no request queued
            self._requests.put(request)
            if self._waiter is None or not self._waiter.is_alive():
                self._waiter = threading.Thread(target=self._serve, name="sqlite-write-queue", daemon=True)
                self._waiter.start()

    def _serve(self) -> None:
        """The waiter: take both locks, blocking, for one request at a time (the caller holds
        ``_threads``, so there is never more than one)."""
        while True:
            try:
                request = self._requests.get(timeout=WAITER_IDLE_S)
            except queue.Empty:
                with self._state:
                    if self._requests.empty():
                        self._waiter = None
                        return
                continue
            try:
                fcntl.flock(self._turn, fcntl.LOCK_EX)
                try:
                    fcntl.flock(self._lock, fcntl.LOCK_EX)
                finally:
                    fcntl.flock(self._turn, fcntl.LOCK_UN)
            except OSError as exc:
                with self._state:
                    request.error = exc
                    request.granted.set()
                    if request.abandoned:
                        self._threads.release()
                continue
            with self._state:
                if request.abandoned:
                    fcntl.flock(self._lock, fcntl.LOCK_UN)
                    self._threads.release()
                else:
                    request.granted.set()
