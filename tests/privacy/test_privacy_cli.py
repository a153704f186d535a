"""``governance privacy ...`` and ``governance bench pii|privacy`` as real processes against a real
server: results on stdout, one JSON error line on stderr, the exit-code table."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cli_support import cli, env_for, live_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with live_server(f"sqlite:///{tmp_path_factory.mktemp('cli') / 'governance.db'}") as url:
        yield url


def test_suppress_delete_unsuppress_and_status(server: str) -> None:
    env = env_for(server)
    suppressed = cli("privacy", "suppress", "u-1", "u-2", "--json", env=env)
    assert suppressed.code == 0, suppressed.err
    body = suppressed.json()
    assert (body["regulationType"], body["overallStatus"], body["subjectIds"]) == ("SUPPRESS_ONLY", "FINISHED",
                                                                                  ["u-1", "u-2"])
    deleted = cli("privacy", "delete", "u-3", env=env)
    assert deleted.code == 0 and "SUPPRESS_WITH_DELETE  INITIALIZED" in deleted.out
    reg = deleted.out.split()[0]
    assert f"governance privacy status {reg} --wait 60" in deleted.out
    keep = cli("privacy", "delete", "--keep-collecting", "u-4", "--json", env=env)
    assert keep.json()["regulationType"] == "DELETE_ONLY"
    status = cli("privacy", "status", reg, "--json", env=env)
    assert status.code == 0 and status.json()["id"] == reg  # on its way: the answer is yes
    waited = cli("privacy", "status", reg, "--wait", "1", env=env)
    assert waited.code == 1 and "overallStatus: INITIALIZED" in waited.out  # no worker here: not finished
    done = cli("privacy", "status", body["id"], env=env)
    assert done.code == 0 and "steps:" in done.out and "suppressed" in done.out
    lifted = cli("privacy", "unsuppress", "u-1", "--json", env=env)
    assert lifted.json()["receipt"]["steps"][0]["lifted_suppressions"] == 1


def test_refusals_and_their_exit_codes(server: str) -> None:
    env = env_for(server)
    unknown = cli("privacy", "suppress", "u-1", "--source", "nowhere", "--json", env=env)
    assert unknown.code == 2 and unknown.error()["code"] == "validation_failed"
    assert unknown.error()["details"][0]["path"] == "sourceIds.0" and unknown.out == ""
    missing = cli("privacy", "status", "reg_nope", env=env)
    assert missing.code == 2 and "regulation_not_found" in missing.err
    no_token = cli("privacy", "suppress", "u-1", env={"GOVERNANCE_URL": server})
    assert no_token.code == 3


def test_bench_commands_report_their_shapes() -> None:
    pii = cli("bench", "pii", "--events", "100", "--json")
    assert pii.code == 0, pii.err
    figures = pii.json()
    for corpus in ("pii_corpus", "pii_holdout"):
        assert {"recall", "false_positive_rate", "per_value_us", "per_value_us_cached"} <= set(figures[corpus])
        assert figures[corpus]["recall"] >= 0.99 and figures[corpus]["false_positive_rate"] <= 0.01
    assert set(figures["hot_path"]) == {"planned", "unplanned_lookalikes", "unplanned_pii", "no_plan"}
    assert figures["hot_path"]["unplanned_pii"]["pii_found_per_event"] == 2.0
    assert figures["hot_path"]["unplanned_lookalikes"]["pii_found_per_event"] == 0.0
    assert all(set(s) == {"judge_us_per_event", "with_scan_us_per_event", "scan_us_per_event", "pii_found_per_event"}
               for s in figures["hot_path"].values())
    privacy = cli("bench", "privacy", "--ids", "20000", "--json")
    assert privacy.code == 0, privacy.err
    assert {"ids", "rss_mb", "structures_mb", "check_us_not_suppressed", "check_us_suppressed", "false_hits",
            "missed", "goal"} <= set(privacy.json())
    assert privacy.json()["missed"] == 0
