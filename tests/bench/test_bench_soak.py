"""``governance bench soak``: per-interval figures read from the running proxy and its database."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_soak_reports_every_interval(database_url: str) -> None:
    out = subprocess.run([sys.executable, "-m", "governance", "bench", "soak", "--minutes", "2", "--interval", "2",
                          "--concurrency", "4", "--database-url", database_url, "--json"], capture_output=True,
                         text=True, timeout=240)
    assert out.returncode == 0, out.stderr + out.stdout
    report = json.loads(out.stdout)
    assert report["deduplicated"] == 0
    assert report["events_counted"] == report["events_sent"] > 0
    assert report["delivered"] == report["upstream_received"] == report["events_sent"]
    rows = report["per_minute"]
    assert [r["minute"] for r in rows] == [1, 2]
    for row in rows:
        assert row["events_per_s"] > 0 and row["errors"] == 0 and row["forwarded_per_s"] >= 0
        assert row["web_rss_mb"] > 0 and row["worker_rss_mb"] > 0
        assert row["dedupe_keys"] > 0 and row["dedupe_bytes_per_key"] > 16  # at least the 36-character id
        assert row["database_bytes_per_event"] > 0
    assert rows[1]["dedupe_keys"] > rows[0]["dedupe_keys"], "the window holds every key"
    assert set(report["goals_met"]) == {"last_vs_first", "rss_flat", "outbox_bounded"}
