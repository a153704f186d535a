"""The in-process suppression set: exact answers over a compact filter, deltas that keep the base."""

from __future__ import annotations

from governance.proxy.suppression import GLOBAL, Suppressions


def test_global_and_source_scopes() -> None:
    s = Suppressions([(GLOBAL, "u-forget"), ("src_a", "u-a-only")], expected=2)
    assert s.suppressed("src_b", {"userId": "u-forget"}) == "u-forget"
    assert s.suppressed("src_a", {"userId": "u-a-only"}) == "u-a-only"
    assert s.suppressed("src_b", {"userId": "u-a-only"}) is None
    assert s.suppressed("src_a", {"userId": "u-keep", "anonymousId": "a-1"}) is None


def test_every_id_field_counts_and_numbers_match_their_text() -> None:
    s = Suppressions([(GLOBAL, "anon-7"), (GLOBAL, "12345")], expected=2)
    assert s.suppressed("src", {"type": "identify", "userId": "new-user", "anonymousId": "anon-7"}) == "anon-7"
    assert s.suppressed("src", {"type": "alias", "userId": "new-user", "previousId": "anon-7"}) == "anon-7"
    assert s.suppressed("src", {"userId": 12345}) == "12345"
    assert s.suppressed("src", {"userId": True, "anonymousId": ["anon-7"]}) is None  # not ids
    assert s.suppressed("src", ["not", "a", "message"]) is None


def test_deltas_add_and_lift_without_touching_the_base() -> None:
    base = Suppressions([(GLOBAL, f"user-{i}") for i in range(1000)], expected=1000)
    later = base.with_changes([(GLOBAL, "user-5", False), (GLOBAL, "new-1", True), ("src_x", "new-2", True)])
    assert base.suppressed("s", {"userId": "user-5"}) == "user-5"  # the old instance is unchanged
    assert base.suppressed("s", {"userId": "new-1"}) is None
    assert later.suppressed("s", {"userId": "user-5"}) is None
    assert later.suppressed("s", {"userId": "new-1"}) == "new-1"
    assert later.suppressed("src_x", {"userId": "new-2"}) == "new-2"
    assert later.suppressed("src_y", {"userId": "new-2"}) is None
    assert (len(base), len(later), later.delta_size) == (1000, 1001, 3)
    again = later.with_changes([(GLOBAL, "user-5", True), (GLOBAL, "new-1", False), (GLOBAL, "new-1", False)])
    assert again.suppressed("s", {"userId": "user-5"}) == "user-5"
    assert again.suppressed("s", {"userId": "new-1"}) is None
    assert (len(again), again.delta_size) == (1001, 1)  # applying a change twice changes nothing


def test_no_false_answers_and_few_false_filter_hits() -> None:
    n = 50_000
    s = Suppressions(((GLOBAL, f"id-{i}") for i in range(n)), expected=n)
    assert all(s.matches("src", f"id-{i}") for i in range(0, n, 7))
    assert not any(s.matches("src", f"other-{i}") for i in range(20_000))  # exact after the filter
    assert s.memory_bytes() < n * 40  # ~16 bytes of bitmap and 8 of digest per id


def test_a_million_suppressed_ids_fit_in_64_mb_of_a_fresh_process() -> None:
    """The figure ``governance bench privacy`` reports (the cost per check is reported, never asserted)."""
    from governance.bench.privacy import run_privacy_bench

    result = run_privacy_bench(1_000_000)
    assert result["rss_mb"] <= 64 and result["structures_mb"] <= 64, result
    assert result["missed"] == 0 and result["false_hits"] <= 1000, result  # exact: no wrong answer either way
