"""The proxy's view of the registry: sources by write key, each with its compiled plan.

Loaded at start-up and reloaded whenever ``config_state.seq`` changes (polled every
``plan_refresh_s``, so a publish or a settings change reaches every web process within 1 s).
The same poll applies the suppressions that changed (``suppression_view``), on their own counter.
When the database cannot be read, the last loaded state stays in force: never fail open.

A write key that is not loaded yet is looked up in the database once (``lookup_key``), so a key
works the moment its creation has committed, not one refresh later (SDKs drop a 401). Unknown
keys are remembered for ``UNKNOWN_TTL_S`` (at most ``UNKNOWN_MAX`` of them), and at most
``LOOKUPS_PER_S`` lookups run per second, so a flood of bad keys cannot hammer the database.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from functools import partial
from typing import Any

import orjson
from sqlalchemy import Engine
from sqlmodel import col, select

from governance.db import read_session
from governance.plan.compile import ValidatorCache
from governance.plan.model import Plan
from governance.proxy.pipeline import SourceState
from governance.proxy.suppression_view import SuppressionView
from governance.registry.audit import config_seq
from governance.registry.secrets import hash_secret
from governance.registry.source_settings import SourceSettings
from governance.registry.tables import PlanRow, PlanVersionRow, SourceRow, TransformationRow, WriteKeyRow
from governance.registry.transformation_spec import TransformationSpec

log = logging.getLogger("governance.proxy.runtime")


class LookupUnavailable(Exception):
    """The database could not be asked about a write key."""


UNKNOWN_TTL_S = 60.0
UNKNOWN_MAX = 10_000
LOOKUPS_PER_S = 20.0


def _parse(body: str) -> Plan:
    return Plan.model_validate(orjson.loads(body))


def _name_index(names: list[str]) -> Any:
    from governance.plan.names import NameIndex

    return NameIndex(names)


class Runtime:
    def __init__(self, engine: Engine, *, refresh_s: float = 0.5) -> None:
        self.engine = engine
        self.refresh_s = refresh_s
        self.cache = ValidatorCache()
        self.seq = -1
        self.by_key: dict[str, SourceState] = {}
        self.by_id: dict[str, SourceState] = {}
        self.healthy = True
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.suppressions = SuppressionView(engine)
        self._reload_lock = threading.Lock()
        self._lookup_lock = threading.Lock()
        self._unknown: OrderedDict[str, float] = OrderedDict()  # key hash -> until (monotonic)
        self._tokens, self._refilled = LOOKUPS_PER_S, time.monotonic()
        self.key_lookups = 0  # database lookups of keys not loaded (observable in tests)
        self.reload()
        self.suppressions.load()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._poll, name="plan-refresh", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def source_for_key(self, write_key: str) -> SourceState | None:
        return self.by_key.get(hash_secret(write_key))

    def known_unknown(self, write_key: str) -> bool:
        """Whether this key was looked up and found in no source a moment ago (no lock, no database)."""
        until = self._unknown.get(hash_secret(write_key))
        return until is not None and until > time.monotonic()

    def lookup_key(self, write_key: str) -> SourceState | None:
        """``source_for_key`` for a key not loaded yet: one database lookup, then a reload if it exists.

        Blocking (run it in a thread from async code); unknown keys are cached and rate-limited.
        Raises ``LookupUnavailable`` when the database cannot be read (the key may well be valid).
        """
        digest = hash_secret(write_key)
        with self._lookup_lock:
            state = self.by_key.get(digest)
            now = time.monotonic()
            if state is not None or self._known_unknown(digest, now) or not self._take_token(now):
                return state
            self.key_lookups += 1
            try:
                with read_session(self.engine) as session:
                    found = session.exec(select(WriteKeyRow.id).where(
                        WriteKeyRow.key_hash == digest, col(WriteKeyRow.revoked_at).is_(None))).first()
                if found is not None:
                    self.reload()
            except Exception as exc:
                log.warning("cannot look a write key up: %s", exc)
                raise LookupUnavailable(str(exc)) from exc
            state = self.by_key.get(digest)
            if state is None:
                self._unknown[digest] = now + UNKNOWN_TTL_S
                while len(self._unknown) > UNKNOWN_MAX:
                    self._unknown.popitem(last=False)
            return state

    def _known_unknown(self, digest: str, now: float) -> bool:
        until = self._unknown.get(digest)
        if until is None:
            return False
        if until > now:
            return True
        self._unknown.pop(digest, None)
        return False

    def _take_token(self, now: float) -> bool:
        self._tokens = min(LOOKUPS_PER_S, self._tokens + (now - self._refilled) * LOOKUPS_PER_S)
        self._refilled = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    def _resolve(self, ref: str | None, exclude: str | None = None) -> str | None:
        if not ref:
            return None
        found = ref if ref in self.by_id else next((s.id for s in self.by_id.values() if s.name == ref), None)
        return None if found == exclude else found

    def violations_target(self, state: SourceState) -> str | None:
        """The id of the source that receives this source's Violation Generated events, if any."""
        return self._resolve(state.settings.forwardingViolationsTo)

    def blocked_target(self, state: SourceState) -> str | None:
        """The id of the source whose upstream receives this source's blocked events, if any."""
        return self._resolve(state.settings.forwardingBlockedEventsTo, exclude=state.id)

    def _poll(self) -> None:
        while not self._stop.wait(self.refresh_s):
            try:
                with read_session(self.engine) as session:
                    seq = config_seq(session)
                if seq != self.seq:
                    self.reload()
                self.suppressions.refresh()
                self.healthy = True
            except Exception as exc:
                if self.healthy:
                    log.warning("cannot refresh plans (keeping the last ones): %s", exc)
                self.healthy = False

    def reload(self) -> None:
        """Read every source, key, bound plan version and transformation; swap atomically."""
        with self._reload_lock:
            self._reload()

    def _reload(self) -> None:  # one read of the whole registry, kept in one place
        with read_session(self.engine) as session:
            seq = config_seq(session)
            sources = session.exec(select(SourceRow)).all()
            keys = session.exec(select(WriteKeyRow).where(col(WriteKeyRow.revoked_at).is_(None))).all()
            transformations = session.exec(
                select(TransformationRow).order_by(col(TransformationRow.position), col(TransformationRow.created_at))
            ).all()
            plans = {p.id: p for p in session.exec(select(PlanRow)).all()}
            states: dict[str, SourceState] = {}
            for row in sources:
                state = SourceState(
                    id=row.id, name=row.name, mode=row.mode,
                    settings=SourceSettings.model_validate(orjson.loads(row.settings)),
                    upstream_url=row.upstream_url, upstream_write_key=row.upstream_write_key,
                )
                plan_row = plans.get(row.plan_id) if row.plan_id else None
                if plan_row is not None and plan_row.deleted_at is None:
                    number = row.plan_version or plan_row.latest_version
                    version = session.exec(select(PlanVersionRow).where(
                        PlanVersionRow.plan_id == plan_row.id, PlanVersionRow.version == number)).first()
                    if version is not None:
                        # the body is parsed only when this version is not compiled yet
                        state.compiled = self.cache.get(version.content_hash, partial(_parse, version.body))
                        state.plan_id, state.plan_name, state.plan_version = plan_row.id, plan_row.name, number
                        if state.compiled.names is None:  # built once per compiled plan, not per reload
                            state.compiled.names = _name_index(sorted(state.compiled.plan.events))
                        state.names = state.compiled.names
                states[row.id] = state
            for t in transformations:
                if t.source_id in states and t.enabled:
                    spec = TransformationSpec.model_validate({**orjson.loads(t.spec), "name": t.name})
                    states[t.source_id].transformations.append(spec)
            by_key = {k.key_hash: states[k.source_id] for k in keys if k.source_id in states}
        self.by_id, self.by_key, self.seq = states, by_key, seq
        self._unknown.clear()  # a configuration change may have added keys
