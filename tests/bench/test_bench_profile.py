"""The py-spy summary: threads, self and total samples of governance/ functions."""

from __future__ import annotations

from governance.bench.profile import summarise

RAW = """thread (1): MainThread;<module> (governance/__main__.py:3);ingest (governance/proxy/routes.py:10);\
_depth_ok (governance/proxy/spec.py:40) 30
thread (1): MainThread;<module> (governance/__main__.py:3);ingest (governance/proxy/routes.py:12) 10
thread (2): group-commit;Store.commit (governance/proxy/store.py:99);do_commit (sqlalchemy/engine/default.py:7) 60
"""


def test_summary_splits_threads_and_counts_self_and_total() -> None:
    text = summarise(RAW)
    assert text.startswith("100 samples")
    assert "  60.0  group-commit" in text and "  40.0  MainThread" in text
    self_part, total_part = text.split("self %")[1].split("total %")
    assert "  60.0  do_commit (sqlalchemy/engine/default.py)" in self_part
    assert "  30.0  _depth_ok (governance/proxy/spec.py)" in self_part  # line numbers folded
    assert "  40.0  ingest (governance/proxy/routes.py)" in total_part  # both lines of ingest, with callees
    assert "__main__" not in total_part and "sqlalchemy" not in total_part


def test_an_empty_profile_says_so() -> None:
    assert summarise("") == "0 samples\n"
