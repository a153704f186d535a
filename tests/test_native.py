"""The compiled hot path (``governance.native``): which modules run compiled, and that they judge as the pure ones.

Where ``make native`` built a current group, every module of ``native.MODULES`` must be loaded from
its extension (a silent fallback to Python fails here); CI sets ``GOVERNANCE_REQUIRE_NATIVE=1``,
so there the build itself must exist. The rest of the suite then runs against the compiled modules.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from datetime import UTC, datetime
from pathlib import Path

import pytest

from governance import native

ROOT = Path(__file__).resolve().parent.parent


def test_every_module_is_compiled_when_the_build_is_current() -> None:
    reason = native.why_not()
    if os.environ.get(native.REQUIRE_ENV, "") not in ("", "0"):
        assert reason is None, f"{native.REQUIRE_ENV} is set but the compiled modules are not used: {reason}"
    modules = native.status()
    assert list(modules) == list(native.MODULES)
    expected = "pure" if reason else "compiled"
    assert modules == dict.fromkeys(native.MODULES, expected), reason
    from governance.proxy import pipeline, spec, tally

    for function in (spec.normalise, spec.nesting_ok, pipeline.judge, tally.tally):
        # a mypyc-compiled function is a builtin, a Python one a function
        assert isinstance(function, types.FunctionType) is (reason is not None), function


def _manifest(out: Path, **changes: str) -> None:
    modules = {m: native.digest(native.source(m)) for m in native.MODULES} | changes
    out.mkdir(exist_ok=True)
    (out / native.MANIFEST).write_text(json.dumps({"suffix": native.SUFFIX, "modules": modules}))


def test_a_build_is_used_only_while_it_matches_every_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(native.PURE_ENV, raising=False)
    assert native.why_not(tmp_path / "absent") == "not built (make native)"
    _manifest(tmp_path / "current")
    assert native.why_not(tmp_path / "current") is None
    _manifest(tmp_path / "stale", **{"governance.proxy.tally": "0" * 64})  # tally.py edited since the build
    assert native.why_not(tmp_path / "stale") == "governance.proxy.tally changed since the build (make native)"
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / native.MANIFEST).write_text(json.dumps({"suffix": ".cpython-39.so", "modules": {}}))
    assert "another Python" in (native.why_not(tmp_path / "other") or "")
    monkeypatch.setenv(native.PURE_ENV, "1")
    assert native.why_not(tmp_path / "current") == f"{native.PURE_ENV} is set"


def test_status_prints_each_module_and_require_fails_when_pure() -> None:
    env = {**os.environ, native.PURE_ENV: "1"}
    env.pop(native.REQUIRE_ENV, None)
    run = subprocess.run([sys.executable, "-m", "governance.native", "status"], capture_output=True, text=True,
                         env=env, cwd=ROOT, timeout=60)
    assert run.returncode == 0, run.stderr
    assert [line.split() for line in run.stdout.splitlines()[:-1]] == [["pure", m] for m in native.MODULES]
    assert run.stdout.splitlines()[-1] == f"pure: {native.PURE_ENV} is set"
    required = subprocess.run([sys.executable, "-m", "governance.native", "status", "--require"],
                              capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert required.returncode == 1


MESSAGES = [
    {"type": "track", "event": "Order Completed", "userId": "u1", "writeKey": "k",
     "properties": {"order_id": "o1", "total": 12.5, "currency": "EUR", "products": []}},
    {"type": "track", "event": "Order Completed", "userId": "u2", "properties": {"total": "x", "coupon": 3,
                                                                                "email_guess": "ann@example.com"}},
    {"type": "track", "event": "Order Complted", "anonymousId": "a1", "properties": {"phone": "+44 20 7946 0958"}},
    {"type": "identify", "userId": "u3", "traits": {"email": "bob@example.org", "card": "4111 1111 1111 1111"}},
    {"type": "page", "name": "Home", "anonymousId": "a2", "context": {"protocols": {"event_version": "2"}}},
    {"type": "track", "userId": "u4"},
    {"type": "group", "userId": "u5"},
    {"type": "alias", "userId": "u6", "previousId": "p6"},
    {"type": "screen", "userId": "u7", "properties": {"deep": json.loads("[" * 32 + "1" + "]" * 32)}},
    {"type": "track", "event": "Product Viewed", "userId": "u8", "properties": {"name": "nul \u0000 in it"}},
    "not an object",
]


def scenario() -> None:
    """Judge and tally ``MESSAGES`` under the ecommerce plan and print everything they became (JSON)."""
    from governance.plan.compile import compile_validators
    from governance.plan.loader import load_plan_file
    from governance.proxy.limits import Refused, limit_messages
    from governance.proxy.pipeline import SourceState, judge
    from governance.proxy.sampling import SamplePolicy
    from governance.proxy.tally import tally
    from governance.proxy.timestamps import relay_batch, stamp
    from governance.registry.source_settings import SourceSettings

    settings = SourceSettings.model_validate({"privacy": {"piiAction": "mask"},
                                            "track": {"allowUnplannedEventProperties": False}})
    state = SourceState(id="src", name="s", mode="enforce", settings=settings, plan_version=4,
                        compiled=compile_validators(load_plan_file(ROOT / "plans" / "ecommerce.yaml")))
    received = "2026-12-01T12:00:00.000Z"
    messages = json.loads(json.dumps(MESSAGES))
    limited = limit_messages(messages, kind=None, max_depth=20, max_event_bytes=400, body_bytes=10_000, nul=True)
    verdicts = []
    for message in limited:
        if isinstance(message, Refused):
            verdicts.append(message.verdict())
            continue
        if isinstance(message, dict):
            stamp(message, envelope_sent_at="2026-12-01T11:59:59.000Z", received_at=received)
            message["messageId"] = f"m{len(verdicts)}"
        verdicts.append(judge(message, state, kind=None, received_at=received, max_depth=None, salt=b"salt"))
    now = datetime(2026, 12, 1, 12, 0, 1, tzinfo=UTC)
    counted = tally([("src", v) for v in verdicts], {4}, now=now, minute=29_413_440,
                    samples=SamplePolicy(per_minute=100))
    out = {"verdicts": [{**v.to_dict(), "forward": v.forward} for v in verdicts], "outcomes": counted.outcomes,
           "outbox": counted.outbox, "quarantine": counted.quarantine, "samples": counted.event_samples,
           "event_counts": sorted(map(list, counted.event_counts.items())),
           "violation_counts": sorted(map(list, counted.violation_counts.items())),
           "violation_samples": counted.violation_samples,
           "relayed": relay_batch([p for _, _, p in counted.outbox], now).decode()}
    print(json.dumps(out, sort_keys=True, default=str))


def test_compiled_and_pure_modules_judge_and_tally_alike() -> None:
    """The same messages through ``limits``, ``judge``, ``tally`` and ``relay_batch``, once on the
    modules as built (compiled where ``make native`` ran) and once pure: the same verdicts and rows."""
    code = "from tests.test_native import scenario; scenario()"
    outputs = {}
    for mode in ("as built", "pure"):
        env = {k: v for k, v in os.environ.items() if k != native.PURE_ENV}
        if mode == "pure":
            env[native.PURE_ENV] = "1"
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                             timeout=120)
        assert run.returncode == 0, run.stderr
        outputs[mode] = json.loads(run.stdout)
    assert outputs["as built"] == outputs["pure"]
    outcomes = outputs["pure"]["outcomes"]
    assert len(outcomes) == len(MESSAGES) and "deduplicated" in outcomes and "rejected" in outcomes
    assert any(v["type"] == "pii_detected" for verdict in outputs["pure"]["verdicts"] for v in verdict["violations"])
