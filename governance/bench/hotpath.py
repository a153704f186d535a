"""``governance bench hotpath``: the proxy's per-event Python in one process, in CPU time per event.

``bench proxy`` measures the whole web process under HTTP load, on a machine whose other work moves
its figures (15-20 % between runs on a shared machine); this bench measures only the per-event
Python of the web process (and the forwarder's relay), on the same bodies (``load.sample_events``:
~1 KB e-commerce events, 10 % invalid, in batches of 100) under the same plan
(``plans/ecommerce.yaml``), with no HTTP and no database:

    parse    orjson.loads of the body and the 20-digit scan (``limits.out_of_range_integer``)
    judge    ``routes._judge_all``: limits, timestamps, ``pipeline.judge`` per message
    tally    ``tally.tally`` of the verdicts: counters, outbox rows (payload text), samples
    relay    ``timestamps.relay_batch`` of those outbox rows (the forwarder, in the worker)
    commit   ``Store.commit`` of the judged bodies on a real SQLite file (``bench.commit``: the
             group commit's dedupe claim, tally, rows and fsynced COMMIT; CPU, wall and bytes
             written per event, the one stage with a database; ``commit_diy_*``: the smart DIY
             peer's write of the same events in the same harness, for reference; with
             ``window_keys``, the dedupe window already holds that many keys)
    forward  the worker's ``Forwarder`` draining those outbox rows from a real SQLite file to a
             counting upstream in another process (``bench.forward``: CPU of the forwarding process
             only, every event read back as received once)

It reports the CPU microseconds per event of each stage (the best of ``rounds``, each over every
body; ``time.process_time``, so time other processes take is not counted), with the garbage
collector tuned as in a serving web process (``webgc``). Compare two builds of the code with it
(see docs/operations/capacity.md, "Compiled hot path").
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from governance import webgc
from governance.bench.commit import measure as measure_commit
from governance.bench.forward import measure as measure_forward
from governance.bench.load import Bodies, sample_events

ROOT = Path(__file__).resolve().parent.parent.parent


def _best(rounds: int, run: Callable[[], None], events: int, prepare: Callable[[], None] | None = None) -> float:
    best = float("inf")
    for _ in range(rounds):
        if prepare is not None:
            prepare()  # not timed
        # what the stage reads (every body at once) is frozen, as a web process's few requests in
        # flight would not make its collections walk 20,000 events; what the stage allocates is not
        gc.collect()
        gc.freeze()
        started = time.process_time()
        run()
        best = min(best, time.process_time() - started)
        gc.unfreeze()
    return round(best * 1e6 / events, 2)


def _with_databases(source_id: str, judged: list[Any], payloads: list[list[str]], raws: list[bytes], rounds: int, *,
                    commit: bool, forward: bool, window_keys: int = 0, ids: str = "sdk") -> dict[str, Any]:
    """The stages with a database: the group commit (beside the DIY reference's write of the bodies
    as sent; its window holding ``window_keys`` keys) and the worker's forwarder draining the outbox
    to an upstream."""
    sent = [orjson.loads(raw)["batch"] for raw in raws] if commit else []
    out = measure_commit(source_id, judged, rounds, sent, window_keys=window_keys, ids=ids) if commit else {}
    return out | (measure_forward(payloads, rounds) if forward else {})


def run(*, batches: int = 200, batch: int = 100, rounds: int = 5, commit: bool = True,
        ids: str = "sdk", forward: bool = False, window_keys: int = 0) -> dict[str, Any]:
    """CPU µs per event of each stage over ``batches`` bodies of ``batch`` events (best of ``rounds``)."""
    from governance.plan.compile import compile_validators
    from governance.plan.loader import load_plan_file
    from governance.proxy.limits import out_of_range_integer
    from governance.proxy.pipeline import SourceState, Verdict
    from governance.proxy.routes import _judge_all
    from governance.proxy.sampling import SamplePolicy
    from governance.proxy.suppression import Suppressions
    from governance.proxy.tally import tally
    from governance.proxy.timestamps import relay_batch
    from governance.registry.source_settings import SourceSettings
    from governance.settings import Settings

    settings = Settings()
    state = SourceState(id="src_bench", name="bench", mode="enforce", settings=SourceSettings(), plan_version=1,
                        compiled=compile_validators(load_plan_file(ROOT / "plans" / "ecommerce.yaml")))
    raws = [bodies.body(0, seq) for bodies in [Bodies(sample_events(batch * 20), batch, ids)] for seq in range(batches)]
    events = batches * batch
    now = datetime.now(UTC)
    minute = int(now.timestamp() // 60)
    parsed: list[Any] = []
    judged: list[list[Verdict]] = []
    payloads: list[list[str]] = []

    def parse() -> None:
        parsed[:] = [orjson.loads(raw) for raw in raws if not out_of_range_integer(raw)]

    fresh: list[Any] = []
    none = Suppressions()

    def copies() -> None:  # judging stamps and trims the messages in place: each round judges new ones
        fresh[:] = [orjson.loads(raw) for raw in raws]

    def judge() -> None:
        judged[:] = [_judge_all(body["batch"], state, kind=None, key="k", size=len(raw), nul=False,
                                envelope_sent_at=body.get("sentAt"), settings=settings, suppressions=none)
                     for raw, body in zip(raws, fresh, strict=True)]

    def count() -> None:
        samples = SamplePolicy()
        payloads[:] = [[p for _, _, p in tally([(state.id, v) for v in verdicts], (), now=now, minute=minute,
                                               samples=samples).outbox] for verdicts in judged]

    def relay() -> None:
        for rows in payloads:
            relay_batch(rows, now)

    figures: dict[str, Any] = {"events": events, "batch": batch, "rounds": rounds, "ids": ids}
    webgc.tune_for_ingestion()  # the collector as in a serving web process
    parse_us = _best(rounds, parse, events)
    figures["judge_us_per_event"] = _best(rounds, judge, events, prepare=copies)
    figures["parse_us_per_event"] = parse_us
    figures["tally_us_per_event"] = _best(rounds, count, events)
    figures["relay_us_per_event"] = _best(rounds, relay, events)
    figures["web_us_per_event"] = round(parse_us + figures["judge_us_per_event"] + figures["tally_us_per_event"], 2)
    figures["forwarded"] = sum(len(rows) for rows in payloads)
    return figures | _with_databases(state.id, judged, payloads, raws, rounds, commit=commit, forward=forward,
                                     window_keys=window_keys, ids=ids)
