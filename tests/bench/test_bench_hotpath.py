"""``governance bench hotpath``: CPU per event of the proxy's per-event Python, and which modules ran compiled."""

from __future__ import annotations

from governance import native
from governance.bench.hotpath import run
from tests.cli_support import cli


def test_every_stage_is_measured_over_every_event_and_the_modules_are_named() -> None:
    figures = run(batches=3, rounds=1)
    assert figures["events"] == 300
    assert figures["forwarded"] == 300  # the bench source lets events with violations through: all reach the outbox
    for stage in ("parse", "judge", "tally", "relay"):
        assert figures[f"{stage}_us_per_event"] > 0, stage
    assert figures["web_us_per_event"] == round(figures["parse_us_per_event"] + figures["judge_us_per_event"]
                                                + figures["tally_us_per_event"], 2)
    assert figures["native_modules"] == native.status()
    assert figures["compiled"] == (0 if native.why_not() else len(native.MODULES))
    assert figures["pure_reason"] == native.why_not()


def test_the_command_prints_the_figures_and_pure_runs_every_module_in_python() -> None:
    run_ = cli("bench", "hotpath", "--batches", "2", "--rounds", "1", "--json", env={native.PURE_ENV: "1"})
    assert run_.code == 0, run_.err
    figures = run_.json()
    assert figures["events"] == 200 and figures["forwarded"] == 200
    assert figures["native_modules"] == dict.fromkeys(native.MODULES, "pure") and figures["compiled"] == 0
    assert figures["pure_reason"] == f"{native.PURE_ENV} is set"
