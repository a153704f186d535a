"""``governance bench validate``: ``governance validate`` on generated ~1 KB events, in a child process.

Reports throughput and the child's peak resident memory (``ru_maxrss``), next to the time the
same child takes only to read and parse the file (the floor any validator pays).
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from governance.bench.proxy import ROOT, sample_events

PARSE_ONLY = "import orjson,sys\nfor line in open(sys.argv[1],'rb'):\n    orjson.loads(line)\n"


def write_events(path: Path, count: int) -> int:
    """``count`` events from a pool of distinct ones (fresh messageIds are not needed offline)."""
    pool = [orjson.dumps(e) + b"\n" for e in sample_events(5000)]
    size = 0
    with path.open("wb") as out:
        for i in range(count):
            line = pool[i % len(pool)]
            out.write(line)
            size += len(line)
    return size


def _child(cmd: list[str]) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before) / 1024, proc.returncode


def run(events: int = 1_000_000) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="gov-bench-validate-") as tmp:
        path = Path(tmp) / "events.jsonl"
        size = write_events(path, events)
        parse_s, _, _ = _child([sys.executable, "-c", PARSE_ONLY, str(path)])
        cmd = [sys.executable, "-m", "governance", "validate", "--json", "--max-violations", "100",
               "--plan", str(ROOT / "plans" / "ecommerce.yaml"), str(path)]
        elapsed, peak_mb, code = _child(cmd)
    return {
        "events": events, "mean_event_bytes": round(size / events), "seconds": round(elapsed, 2),
        "events_per_s": round(events / elapsed), "peak_rss_mb": round(peak_mb, 1),
        "parse_only_events_per_s": round(events / parse_s), "ratio_to_parse_only": round(parse_s / elapsed, 3),
        "exit_code": code, "goals": {"events_per_s": 50_000, "peak_rss_mb": 200},
    }
