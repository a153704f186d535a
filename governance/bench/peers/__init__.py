"""The reference programs ``governance bench proxy`` measures the proxy against.

Each is a fixed, small ASGI program run by uvicorn as a child process on 127.0.0.1, fed the same
``/v1/batch`` bodies by the same load generator:

    bare       parse the body with orjson and answer 200: the ceiling of this machine's HTTP stack
    naive      FastAPI + pure-Python ``jsonschema`` validators built once + stdlib ``sqlite3``
    diy        the same with ``jsonschema_rs`` validators: what a team writes by hand in 30 lines
    diy_forward  diy plus a forwarder thread to the upstream, as a team would add it by hand
    upstream   the local upstream the proxy's worker forwards to; it counts what it received

The DIY peers do the partial job only: validate each event against its event's schema and store
it once (``messageId`` primary key), one transaction per request. They keep no counters, samples,
quarantine, dedupe window, forwarding (but ``diy_forward``'s) or annotations. ``docs/operations/capacity.md`` compares
them with the proxy's full job.

They never import ``governance``: they read their inputs from the environment (``BENCH_SCHEMAS``,
a JSON file of ``{event name: JSON Schema}``; ``BENCH_DB``, a SQLite file; ``BENCH_SYNCHRONOUS``,
``FULL`` or ``NORMAL``).
"""
