"""A web process's suppressions, kept in step with the database by the plan-refresh thread.

    load()      at start-up: every suppression in force, built into one ``Suppressions``
    refresh()   every poll: when ``config_state.suppression_seq`` moved, read only the rows whose
                ``seq`` is newer and apply them as a delta (one indexed query, however many are
                in force); when the deltas outgrow a tenth of the base, rebuild the base in a
                background thread and swap it in, with the deltas since, on a later poll

So a plan publish never rebuilds a million ids, and a new suppression is enforced within one
poll (``GOVERNANCE_PLAN_REFRESH_S``). Reading the sequence number before the rows makes a rebuild
safe: every change up to that number is in the rows read, and later ones are applied again as
deltas (applying a change twice changes nothing).
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from governance.proxy.suppression import Suppressions
from governance.registry import suppressions as rows

log = logging.getLogger("governance.proxy.suppressions")
MIN_COMPACT = 10_000  # deltas kept before a rebuild is worth it


def build(engine: Engine) -> tuple[int, Suppressions]:
    """Every suppression in force, and the sequence number it is current to."""
    with engine.connect() as conn, conn.begin():
        seq = rows.current_seq(conn)  # first: every change up to seq is in the rows read below
        expected = rows.count_in_force(conn)
        return seq, Suppressions(rows.in_force(conn), expected=expected)


class SuppressionView:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.current = Suppressions()
        self.seq = -1
        self.rebuilds = 0
        self._rebuilt: tuple[int, Suppressions] | None = None
        self._rebuilding: threading.Thread | None = None

    def load(self) -> None:
        self.seq, self.current = build(self.engine)
        self.rebuilds += 1

    def refresh(self) -> None:
        """Apply what changed since the last call (a rebuilt base first, when one is ready)."""
        rebuilt, self._rebuilt = self._rebuilt, None
        if rebuilt is not None:
            self.seq, self.current = rebuilt
        with self.engine.connect() as conn, conn.begin():
            seq = rows.current_seq(conn)
            if seq == self.seq:
                return
            changes = rows.changed_since(conn, self.seq, seq)
        self.current, self.seq = self.current.with_changes(changes), seq
        if self.current.delta_size > max(MIN_COMPACT, self.current.count // 10):
            self._rebuild_in_background()

    def _rebuild_in_background(self) -> None:
        if self._rebuilding is not None and self._rebuilding.is_alive():
            return

        def run() -> None:
            try:
                self._rebuilt = build(self.engine)
                self.rebuilds += 1
            except Exception as exc:  # the deltas stay in force; the next refresh tries again
                log.warning("cannot rebuild the suppressions: %s", exc)

        self._rebuilding = threading.Thread(target=run, name="suppressions-rebuild", daemon=True)
        self._rebuilding.start()
