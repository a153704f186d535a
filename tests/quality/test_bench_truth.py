"""The ground truth the checks bench scores recall against: which drops are eligible."""

from __future__ import annotations

import numpy as np

from governance.bench.realistic import _apply, generate_realistic
from governance.bench.score import ScoreConfig, recall
from governance.bench.truth import MONDAY, Anomaly, Traffic, context_factor


def test_context_factor_is_the_factor_the_realistic_generator_applies() -> None:
    minutes = 20_000
    placed = [Anomaly(0, "campaign", 1_000, 4_000, 2.5), Anomaly(0, "decline", 6_000, 10_320, 0.6),
              Anomaly(0, "half", 12_000, 12_100, 0.5)]
    rate = np.full(minutes, 2.0)
    applied, _keep, _extra = _apply(rate, placed, minutes)
    np.testing.assert_allclose(context_factor(placed, 0, minutes), applied / rate)
    np.testing.assert_allclose(context_factor(placed, 12_000, 12_100), 0.6)  # the decline's new level stays
    np.testing.assert_allclose(context_factor(placed, 2_000, 2_010), 2.5)


def _traffic(per_hour: float, anomalies: list[Anomaly], minutes: int = 3 * 1440) -> Traffic:
    rate = np.full((1, minutes), per_hour / 60.0, np.float32)
    counts = np.zeros((1, minutes), np.int32)
    return Traffic(counts, counts.copy(), counts.copy(), rate, np.array([per_hour]), anomalies, start_minute=MONDAY)


def test_a_half_drop_after_a_decline_is_judged_at_the_rate_the_event_runs_at() -> None:
    # 125/h before a 40 % decline: 75/h once it is done, so a half drop after it is a drop of a 75/h event
    decline = Anomaly(0, "decline", 0, 1440, 0.6)
    late = Anomaly(0, "half", 2000, 2100, 0.5)
    traffic = _traffic(125.0, [decline, late])
    assert abs(traffic.running_rate(late) - 75.0) < 1e-3
    assert abs(traffic.running_rate(decline) - 125.0) < 1e-3  # an anomaly is never its own context
    assert "half_drops" not in recall(traffic, [], ScoreConfig())  # under 100/h: not scored


def test_a_half_drop_in_a_campaign_is_judged_at_the_campaign_rate() -> None:
    campaign = Anomaly(0, "campaign", 0, 3000, 2.5)
    inside = Anomaly(0, "half", 1000, 1100, 0.5)  # 60/h x 2.5 = 150/h
    traffic = _traffic(60.0, [campaign, inside])
    assert abs(traffic.running_rate(inside) - 150.0) < 1e-3
    scored = recall(traffic, [(0, 1050, 1200, "drop")], ScoreConfig())
    assert scored["half_drops"]["anomalies"] == 1 and scored["half_drops"]["detected"] == 1


def test_realistic_eligibility_moves_only_drops_near_campaigns_and_declines() -> None:
    traffic = generate_realistic(events=30, days=29, seed=5)
    assert traffic.rate is not None
    moved = 0
    for a in traffic.anomalies:
        plain = float(traffic.rate[a.event, a.start : a.end].mean()) * 60
        context = [c for c in traffic.anomalies if c.event == a.event and c.kind in ("campaign", "decline")
                   and c is not a and c.start < a.end]
        if not context:
            assert traffic.running_rate(a) == plain
        else:
            moved += traffic.running_rate(a) != plain
    assert moved > 0
