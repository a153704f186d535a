"""The pure half of the group commit: dedupe positions, counters, rows and samples, without a database."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from governance.proxy.counters import EVENTS_WITH_VIOLATIONS, Outcome
from governance.proxy.dedupe import compact_key, duplicates, key_of, keys_of
from governance.proxy.pipeline import Verdict
from governance.proxy.sampling import SAMPLES_PER_FINGERPRINT, SamplePolicy
from governance.proxy.spec import INVALID_JSON
from governance.proxy.tally import tally
from governance.proxy.violations import Violation, fingerprint

NOW = datetime(2026, 11, 28, 12, 0, 30, tzinfo=UTC)
MINUTE = int(NOW.timestamp() // 60)
WRONG_TYPE = Violation("type_mismatch", "properties.total", "Invalid type. Expected: number, given: string")


def track(message_id: str, *, outcome: str = "forwarded", violations: tuple[Violation, ...] = (),
          event: str = "Order Completed") -> Verdict:
    message = {"type": "track", "event": event, "messageId": message_id, "properties": {"total": "x"}}
    forward = message if outcome in ("forwarded", "omitted", "shadow_blocked") else None
    reason = "violations" if outcome == "blocked" else None
    return Verdict(outcome, kind="track", event=event, message_id=message_id, forward=forward, original=message,
                   reason=reason, violations=list(violations), plan_version=3)


def test_duplicates_are_what_the_database_did_not_call_fresh_and_repeats_within_the_group() -> None:
    rejected = Verdict("rejected", kind="track", message_id="m1", error=INVALID_JSON)
    rows = [("s", track("m1")), ("s", track("m1")), ("s", track("m2")), ("t", track("m1")), ("s", rejected),
            ("s", track(""))]
    fresh = {compact_key("s", "m1"), compact_key("t", "m1")}  # m2 was seen within the window
    # the second m1 repeats the first; m2 is stale; a rejected event and one without messageId never are
    keys = keys_of(rows)
    assert keys == [key_of(source, verdict) for source, verdict in rows]  # the one-pass form is key_of's
    assert keys[4] is None and keys[5] is None
    assert duplicates(keys, fresh) == {1, 2}


def test_tally_counts_every_event_and_routes_each_to_one_place() -> None:
    rows = [("s", track("a")), ("s", track("b", violations=(WRONG_TYPE,))), ("s", track("c", outcome="blocked",
            violations=(WRONG_TYPE,))), ("s", track("d")), ("s", Verdict("rejected", kind="track", message_id="e",
            original=b"{", reason="invalid_message", error=INVALID_JSON))]
    counted = tally(rows, {3}, now=NOW, minute=MINUTE, samples=SamplePolicy(per_minute=10))
    assert counted.outcomes == ["forwarded", "forwarded", "blocked", "deduplicated", "rejected"]
    assert counted.event_counts == {
        ("s", "track", "Order Completed", "forwarded", True): 2, ("s", "track", "Order Completed", "blocked", True): 1,
        ("s", "track", "Order Completed", "deduplicated", True): 1, ("s", "track", "", "rejected", True): 1,
    }
    assert [m for _, m, _ in counted.outbox] == ["a", "b"]  # the duplicate goes nowhere
    assert orjson.loads(counted.outbox[1][2])["messageId"] == "b"
    quarantined = [(q["message_id"], q["reason"]) for q in counted.quarantine]
    assert quarantined == [("c", "violations"), ("e", "invalid_message")]
    assert orjson.loads(counted.quarantine[1]["violations"]) == [INVALID_JSON.to_dict()]
    assert counted.violation_counts == {("s", "Order Completed", "", EVENTS_WITH_VIOLATIONS): 2,
                                        ("s", "Order Completed", "properties.total", "type_mismatch"): 2}
    fp = fingerprint("s", "Order Completed", WRONG_TYPE)
    assert list(counted.violation_samples) == [fp]  # one candidate per fingerprint and commit
    assert orjson.loads(counted.violation_samples[fp]["payload"])["messageId"] == "b"
    assert Outcome.DEDUPLICATED in counted.outcomes and isinstance(counted.outcomes[0], str)


def test_samples_follow_the_policy_across_commits() -> None:
    policy = SamplePolicy(per_minute=2)
    rows = [("s", track(str(i), violations=(WRONG_TYPE,))) for i in range(2)]
    assert len(tally(rows, set(), now=NOW, minute=MINUTE, samples=policy).event_samples) == 2
    fp = fingerprint("s", "Order Completed", WRONG_TYPE)
    policy.stored(fp, SAMPLES_PER_FINGERPRINT)  # the database holds enough samples of it now
    assert not tally(rows, set(), now=NOW, minute=MINUTE, samples=policy).violation_samples
