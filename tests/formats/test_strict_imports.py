"""Strict imports: empty imports are errors, Segment names are kept, duplicate keys refused, bad lines counted."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from governance.errors import InvalidBody, NothingImported, PlanInvalid
from governance.formats import import_plan, infer_plan_from_lines

RULES = [{"type": "TRACK", "key": "Order Completed", "version": 1, "jsonSchema": {
    "type": "object", "properties": {"properties": {"type": "object", "properties": {
        "order_id": {"type": "string"}}}}}}]


def test_a_lone_rudderstack_tracking_plan_is_an_error(peer: Path) -> None:
    lone = (peer / "rudderstack" / "create" / "trackingplan.yaml").read_bytes()
    with pytest.raises(NothingImported) as caught:
        import_plan("rudderstack", lone)
    error = caught.value
    assert isinstance(error, PlanInvalid) and error.code == "nothing_imported" and error.status == 422
    assert "import the project's directory" in error.message and "(3 skipped)" in error.message
    assert [d["path"] for d in error.details] == [f"<input>:spec.rules[{i}].event" for i in range(3)]
    # the directory it came from imports
    assert import_plan("rudderstack", peer / "rudderstack" / "create").plan.events


def test_an_import_without_any_rule_is_an_error() -> None:
    with pytest.raises(NothingImported, match="nothing imported from the segment input"):
        import_plan("segment", orjson.dumps({"rules": []}))


def test_identify_rules_alone_are_something() -> None:
    rules = [{"type": "IDENTIFY", "version": 1, "jsonSchema": {"type": "object", "properties": {
        "traits": {"type": "object", "properties": {"email": {"type": "string"}}}}}}]
    plan = import_plan("segment", orjson.dumps(rules), name="people").plan
    assert plan.identify is not None and not plan.events


@pytest.mark.parametrize("where", ["data.trackingPlan", "trackingPlan", "beside"])
def test_segment_keeps_the_plan_s_name(where: str) -> None:
    meta = {"id": "tp_1", "name": "Mobile App (iOS)", "description": "The iOS app"}
    docs: dict[str, object] = {
        "data.trackingPlan": {"data": {"trackingPlan": meta, "rules": RULES}},
        "trackingPlan": {"trackingPlan": meta, "rules": RULES},
    }
    if where == "beside":  # GET /tracking-plans/{id} and GET .../rules saved as two files
        source: object = {"tracking-plan.json": orjson.dumps({"data": {"trackingPlan": meta}}),
                          "rules.json": orjson.dumps({"data": {"rules": RULES}})}
    else:
        source = orjson.dumps(docs[where])
    plan = import_plan("segment", source).plan
    assert (plan.name, plan.display_name, plan.description) == ("mobile-app-ios", "Mobile App (iOS)", "The iOS app")


def test_segment_slug_and_display_name_win(peer: Path) -> None:
    body = {"data": {"trackingPlan": {"name": "Checkout", "slug": "web-checkout"}, "rules": RULES}}
    assert import_plan("segment", orjson.dumps(body)).plan.name == "web-checkout"
    v1 = import_plan("segment", peer / "segment" / "typewriter-plan-config-api-v1.json").plan
    assert (v1.name, v1.display_name) == ("typewriter-e2e", "Typewriter E2E")
    assert import_plan("segment", orjson.dumps(body), name="mine").plan.name == "mine"


def test_duplicate_keys_in_imported_files_are_refused() -> None:
    text = b'{"rules": [{"type": "TRACK", "key": "A B", "key": "C D", "version": 1}]}'
    with pytest.raises(InvalidBody) as caught:
        import_plan("segment", {"rules.json": text})
    assert caught.value.details[0]["path"] == "rules[0].key"
    assert caught.value.details[0]["file"] == "rules.json"
    yaml_text = b"version: rudder/v0.1\nkind: tp\nkind: events\nmetadata: {name: x}\nspec: {}\n"
    with pytest.raises(InvalidBody, match="duplicate key 'kind': first at line 2, again at line 3"):
        import_plan("rudderstack", {"tp.yaml": yaml_text})


def test_infer_skips_and_counts_lines_that_are_not_json() -> None:
    lines = [
        b'{"type": "track", "event": "Order Completed", "properties": {"total": 1}}\n',
        b"{not json\n",
        b"\n",
        b'{"type": "track", "event": "Order Completed", "properties": {"total": 2}}\n',
        b'{"type": "track", "event": "Order Completed", "properties": {"tot\n',
    ]
    plan, report = infer_plan_from_lines(lines, name="t")
    assert report.invalid_lines == 2 and report.invalid_line_numbers == [2, 5]
    assert report.messages == 2 and plan.events["Order Completed"].properties["total"].required
    assert report.to_dict()["invalid_lines"] == 2
    assert any(i.message == "2 lines skipped: not JSON (line 2, 5)" for i in report.items)


def test_infer_reads_an_open_file(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"type": "identify", "traits": {"email": "a@example.com"}}\n' * 3 + b"oops\n")
    with path.open("rb") as stream:
        plan, report = infer_plan_from_lines(stream, name="t")
    assert plan.identify is not None and report.invalid_lines == 1 and report.invalid_line_numbers == [4]
