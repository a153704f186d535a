"""The garbage collector of a serving web process, tuned for ingestion.

CPython's cyclic collector runs a young collection every 700 net allocations of tracked objects,
and a full one, which visits every tracked object, whenever enough objects have survived. A web
process holds a large, permanent heap from start-up (FastAPI, pydantic, SQLAlchemy, the compiled
plans), and ingestion allocates ~15 tracked objects per event, many of which live until their
group commit: under load the collector ran constantly and each full collection walked the whole
start-up heap. A profile of the web process under ``governance bench proxy`` (py-spy ``--gil``)
put 39 % of its samples in ``pii_guard.targets`` and 11 % in a dataclass ``__init__``, functions
that take under a microsecond alone: the collections they happened to trigger.

So, once the app has started (``create_app``'s lifespan, in processes ``governance serve``
runs): collect once, ``gc.freeze()`` what is left (the start-up heap moves to the permanent
generation, which collections skip), and raise the young generation's threshold so that a
collection runs every ~30 requests of 100 events rather than several times per request. Cycles
are still collected; only later. Tests and embedders keep the interpreter's defaults.
"""

from __future__ import annotations

import gc

THRESHOLDS = (50_000, 20, 20)  # young, then how many young (middle) collections before the next generation's


def tune_for_ingestion() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
