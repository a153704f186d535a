"""Naive DIY peer: the smart DIY peer (``diy.py``) with pure-Python ``jsonschema`` validators,
built once (``Draft202012Validator`` with its format checker). Everything else is the same code."""

from __future__ import annotations

import os
from typing import Any

from governance.bench.peers.diy import make_app


def _jsonschema(schema: dict[str, Any]) -> Any:
    import jsonschema

    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


app = make_app(_jsonschema) if "BENCH_SCHEMAS" in os.environ else None
