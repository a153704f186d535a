"""``governance bench hotpath``: CPU per event of the proxy's per-event Python, stage by stage."""

from __future__ import annotations

from governance.bench.hotpath import run
from tests.cli_support import cli


def test_every_stage_is_measured_over_every_event() -> None:
    figures = run(batches=3, rounds=1)
    assert figures["events"] == 300
    assert figures["forwarded"] == 300  # the bench source lets events with violations through: all reach the outbox
    for stage in ("parse", "judge", "tally", "relay"):
        assert figures[f"{stage}_us_per_event"] > 0, stage
    assert figures["web_us_per_event"] == round(figures["parse_us_per_event"] + figures["judge_us_per_event"]
                                                + figures["tally_us_per_event"], 2)


def test_the_command_prints_the_figures_as_json() -> None:
    run_ = cli("bench", "hotpath", "--batches", "2", "--rounds", "1", "--json")
    assert run_.code == 0, run_.err
    figures = run_.json()
    assert figures["events"] == 200 and figures["forwarded"] == 200 and figures["judge_us_per_event"] > 0
