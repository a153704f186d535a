"""The CLI on files, as a user's CI runs it: real processes, stdout and stderr through separate pipes,
exit codes from the table in docs/reference/cli.md (0 yes, 1 no, 2 bad input, 3 server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.cli_support import ROOT, cli

ECOMMERCE = ROOT / "plans" / "ecommerce.yaml"


def write_plan(path: Path, plan: dict[str, object]) -> Path:
    path.write_text(yaml.safe_dump(plan, sort_keys=False))
    return path


def test_lint_reports_the_near_duplicate_on_stdout_with_exit_1(tmp_path: Path) -> None:
    plan = {"name": "shop", "events": {
        "Order Completed": {"description": "d", "properties": {"order_id": {"type": "string", "description": "d"}}},
        "Completed Order": {"description": "d"}}}
    path = write_plan(tmp_path / "shop.yaml", plan)
    result = cli("plan", "lint", "--json", str(path))
    assert result.code == 1 and result.err == ""
    issues = result.json()[0]["issues"]
    assert any("Completed Order" in i["path"] + i["message"] and i["severity"] == "error" for i in issues)
    human = cli("plan", "lint", str(path))
    assert human.code == 1 and human.err == ""
    assert any(line.startswith(f"{path}:") and " error " in line for line in human.out.splitlines())
    clean = cli("plan", "lint", str(ECOMMERCE))
    assert (clean.code, clean.out.strip(), clean.err) == (0, "1 file(s), 0 issue(s)", "")


def test_lint_names_file_line_and_path_of_a_load_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: shop\nevents:\n  Order Completed:\n    properties:\n      total:\n        minimum: abc\n")
    result = cli("plan", "lint", str(path))
    assert result.code == 1 and result.err == ""
    assert f"{path}:6: error" in result.out and 'events."Order Completed".properties.total.minimum' in result.out


@pytest.mark.parametrize("args", [
    ("plan", "lint", "{missing}"),
    ("plan", "diff", "{missing}", str(ECOMMERCE)),
    ("plan", "export", "--to", "segment", "{missing}"),
    ("plan", "import", "--from", "segment", "{missing}"),
    ("plan", "infer", "{missing}"),
    ("validate", "--plan", "{missing}", str(ECOMMERCE)),
    ("validate", "--plan", str(ECOMMERCE), "{missing}"),
])
def test_a_missing_file_is_a_clean_error_with_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    missing = str(tmp_path / "nope.yaml")
    argv = [a.replace("{missing}", missing) for a in args]
    human = cli(*argv)
    assert human.code == 2 and human.out == ""
    assert human.err.strip() == f"error: {missing}: No such file or directory (file_error)"
    machine = cli(*argv, "--json")
    assert machine.code == 2 and machine.out == ""
    assert machine.error() == {"code": "file_error", "message": f"{missing}: No such file or directory",
                               "status": None, "details": None}


def test_an_invalid_plan_is_exit_2_with_file_line_and_path_on_stderr(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: shop\nevents:\n  Order Completed:\n    properties:\n      total:\n        type: strng\n")
    result = cli("plan", "diff", str(ECOMMERCE), str(path))
    assert result.code == 2 and result.out == ""
    assert "(plan_invalid)" in result.err and f"{path}:6: " in result.err
    assert cli("plan", "diff", str(ECOMMERCE), str(path), "--json").error()["code"] == "plan_invalid"


def test_usage_errors_exit_2_in_plain_text() -> None:
    result = cli("plan", "lint", "--bogus", str(ECOMMERCE))
    assert result.code == 2 and result.out == ""
    assert "No such option: --bogus" in result.err and "╭" not in result.err  # click's text, not a rich panel
    assert cli("plan", "diff", str(ECOMMERCE), str(ECOMMERCE), "--mode", "SIDEWAYS").code == 2


def test_diff_exit_code_gates_on_the_compatibility_mode(tmp_path: Path) -> None:
    body = yaml.safe_load(ECOMMERCE.read_text())
    body["events"]["Order Completed"]["properties"]["total"]["type"] = "string"
    breaking = write_plan(tmp_path / "breaking.yaml", body)
    result = cli("plan", "diff", str(ECOMMERCE), str(breaking))
    assert result.code == 1 and result.err == ""
    lines = result.out.splitlines()
    changed = 'events."Order Completed".properties.total.type: type changed from ["number"] to ["string"]'
    assert f"breaking  {changed}" in lines
    assert lines[-1] == "1 change(s), overall breaking; under BACKWARD: not compatible (1 change(s) not allowed)"
    report = cli("plan", "diff", str(ECOMMERCE), str(breaking), "--json")
    assert report.code == 1 and report.err == ""
    assert {k: report.json()[k] for k in ("mode", "is_compatible", "category")} == {
        "mode": "BACKWARD", "is_compatible": False, "category": "breaking"}
    assert cli("plan", "diff", str(ECOMMERCE), str(breaking), "--mode", "NONE").code == 0
    # an added optional property is additive: exit 0 under BACKWARD, and FORWARD allows it too
    body = yaml.safe_load(ECOMMERCE.read_text())
    body["events"]["Order Completed"]["properties"]["gift_note"] = {"type": "string", "description": "d"}
    additive = write_plan(tmp_path / "additive.yaml", body)
    assert cli("plan", "diff", str(ECOMMERCE), str(additive)).code == 0
    assert cli("plan", "diff", str(additive), str(ECOMMERCE)).code == 1  # removing it is not


def test_long_lines_are_not_wrapped_when_piped(tmp_path: Path) -> None:
    long_name = "Completed Order " + "With A Very Long Qualifier " * 6
    old = {"name": "shop", "events": {long_name: {"description": "d", "properties": {
        "total": {"type": "number", "description": "the order total, tax included"}}}}}
    new = json.loads(json.dumps(old))
    new["events"][long_name]["properties"]["total"]["type"] = "string"
    first, second = write_plan(tmp_path / "old.yaml", old), write_plan(tmp_path / "new.yaml", new)
    result = cli("plan", "diff", str(first), str(second), env={"COLUMNS": "80"})
    assert result.code == 1
    expected = f'breaking  events."{long_name}".properties.total.type: type changed from ["number"] to ["string"]'
    assert len(expected) > 200 and expected in result.out.splitlines()
    assert "\033[" not in result.out  # no colour into a pipe
    help_text = cli("plan", "diff", "--help", env={"COLUMNS": "80"}).out
    assert any(len(line) > 100 and "--mode" in line for line in help_text.splitlines())


def test_plan_schema_prints_a_json_schema_that_judges_plans(tmp_path: Path) -> None:
    import jsonschema

    result = cli("plan", "schema")
    assert result.code == 0 and result.err == ""
    schema = result.json()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in sorted((ROOT / "plans").glob("*.yaml")):
        assert list(validator.iter_errors(yaml.safe_load(path.read_text()))) == [], path
    assert list(validator.iter_errors({"name": "shop", "colour": "red"}))  # unknown key
    assert list(validator.iter_errors({"events": {}}))  # no name
    assert list(validator.iter_errors({"name": "shop", "events": {"X": {"properties": {"a": {"minimum": "abc"}}}}}))
    written = tmp_path / "plan.schema.json"
    assert cli("plan", "schema", "-o", str(written)).out == ""
    assert json.loads(written.read_text()) == schema == cli("plan", "schema", "--json").json()


def test_offline_validate_exit_codes_json_and_readable_output(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    good = {"type": "track", "event": "Order Completed", "userId": "u",
            "properties": {"order_id": "o1", "total": 10, "currency": "USD"}}
    bad = {**good, "properties": {"order_id": "o2", "total": "10"}}
    events.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n{not json\n")
    plan = str(ECOMMERCE)
    result = cli("validate", "--plan", plan, "--json", str(events))
    assert result.code == 1 and result.err == ""
    report = result.json()
    assert report["events"] == 3 and report["blocked"] == 2 and report["invalid_lines"] == 1
    found = {(v["line"], v["type"], v["field"]) for v in report["violations"]}
    assert (2, "type_mismatch", "properties.total") in found
    human = cli("validate", "--plan", plan, str(events))
    assert human.code == 1 and human.err == ""
    violation = "line 2: Order Completed: type_mismatch properties.total"
    assert any(line.startswith(violation) for line in human.out.splitlines())
    assert human.out.splitlines()[-1] == "3 events, 2 would be blocked"
    events.write_text(json.dumps(good) + "\n")
    assert cli("validate", "--plan", plan, str(events)).code == 0
    # lenient settings (Segment's defaults) let the bad event through: exit 0
    settings = tmp_path / "settings.yaml"
    settings.write_text(yaml.safe_dump({"track": {"allowEventOnViolations": True, "allowPropertiesOnViolations": True,
                                                  "allowUnplannedEventProperties": True}}))
    events.write_text(json.dumps(bad) + "\n")
    assert cli("validate", "--plan", plan, "--settings", str(settings), str(events)).code == 0
    piped = cli("validate", "--plan", plan, "--json", "-", stdin=json.dumps(bad).encode() + b"\n")
    assert piped.code == 1 and piped.json()["events"] == 1


def test_import_and_export_round_trip_from_the_cli(tmp_path: Path) -> None:
    peer = ROOT.parent / "shared" / "peer-data" / "segment" / "typewriter-telemetry-plan.json"
    if not peer.exists():
        peer = Path("/work/shared/peer-data/segment/typewriter-telemetry-plan.json")
    if not peer.exists():
        pytest.skip("shared/peer-data is not beside the checkout")
    out = tmp_path / "telemetry.yaml"
    imported = cli("plan", "import", "--from", "segment", str(peer), "-o", str(out))
    assert imported.code == 0 and imported.out == ""
    assert "event(s) imported" in imported.err.splitlines()[-1]
    exported = cli("plan", "export", "--to", "segment", str(out), "-o", str(tmp_path / "segment"))
    assert exported.code == 0 and exported.out == "" and exported.err.startswith("wrote 2 file(s)")
    rules_file = tmp_path / "segment" / "rules.json"
    assert "rules" in json.loads(rules_file.read_text())
    again = cli("plan", "import", "--from", "segment", str(rules_file), "--json")
    first = cli("plan", "import", "--from", "segment", str(peer), "--json")
    assert again.json()["plan"]["events"] == first.json()["plan"]["events"]
    assert first.json()["events"] == len(first.json()["plan"]["events"]) > 0
    as_json = cli("plan", "export", "--to", "segment", str(out), "--json")
    assert as_json.code == 0 and "rules" in as_json.json()["files"]["rules.json"]


def test_an_import_of_nothing_exits_1(tmp_path: Path) -> None:
    empty = tmp_path / "rules.json"
    empty.write_text('{"rules": []}')
    result = cli("plan", "import", "--from", "segment", str(empty))
    assert result.code == 1 and result.out == ""  # no plan: nothing was imported
    assert "nothing imported" in result.err and "(nothing_imported)" in result.err
    machine = cli("plan", "import", "--from", "segment", str(empty), "--json")
    assert machine.code == 1 and machine.out == ""
    assert json.loads(machine.err)["error"]["code"] == "nothing_imported"


def test_bench_registry_reports_the_required_keys() -> None:
    result = cli("bench", "registry", "--events", "300", "--json")
    assert result.code == 0, result.err
    report = result.json()
    assert {"events", "compile_s", "rss_mb", "diff_s"} <= set(report) and report["events"] == 300
    human = cli("bench", "registry", "--events", "300")
    assert human.code == 0 and human.out.splitlines()[1].split() == ["METRIC", "VALUE"]


def test_exit_codes_follow_the_documented_table() -> None:
    from governance.cli.client import ApiError
    from governance.cli.output import EXIT_CODES, exit_code_for
    from governance.errors import PlanInvalid

    assert [row[0] for row in EXIT_CODES] == [0, 1, 2, 3]
    table = (ROOT / "docs" / "reference" / "cli.md").read_text()
    assert all(f"| `{code}` | {meaning} |" in table for code, meaning, _ in EXIT_CODES)

    def answer(status: int, code: str = "error") -> int:
        return exit_code_for(ApiError(status, {"code": code, "message": "m"}))

    assert answer(409, "incompatible_plan") == 1
    assert [answer(s) for s in (400, 404, 409, 412, 413, 422)] == [2] * 6
    assert [answer(s) for s in (0, 401, 403, 500, 502, 503)] == [3] * 6
    assert exit_code_for(PlanInvalid("bad")) == 2  # raised locally: the input is wrong


def test_infer_skips_and_counts_lines_that_are_not_json(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    good = {"type": "track", "event": "Order Completed", "userId": "u1", "properties": {"total": 3}}
    events.write_text("\n".join([json.dumps(good), "{not json", json.dumps(good), "[truncated", ""]))
    result = cli("plan", "infer", "--json", str(events))
    assert result.code == 0, result.err
    report = result.json()["report"]
    assert report["invalid_lines"] == 2 and report["invalid_line_numbers"] == [2, 4]
    assert "Order Completed" in result.json()["plan"]["events"]
    human = cli("plan", "infer", str(events))
    assert human.code == 0 and "2 lines that are not JSON (line 2, 4)" in human.err
    assert yaml.safe_load(human.out)["events"]["Order Completed"]
