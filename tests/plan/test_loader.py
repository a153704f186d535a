"""The plan loader refuses a key written twice, in YAML and in JSON, naming both lines."""

from __future__ import annotations

import pytest

from governance.errors import PlanInvalid
from governance.plan.loader import check_json_duplicates, load_plan_text, parse_document

TYPO_HIDDEN = """\
name: shop
events:
  Order Completed:
    properties:
      total:
        type: strng
        minimum: 0
        type: number
"""


def _refusal(text: str | bytes) -> PlanInvalid:
    with pytest.raises(PlanInvalid) as caught:
        load_plan_text(text, file="plans/shop.yaml")
    return caught.value


def test_a_yaml_key_written_twice_is_refused_with_both_lines() -> None:
    error = _refusal(TYPO_HIDDEN)
    assert error.code == "plan_invalid"
    assert error.details == [{
        "path": 'events."Order Completed".properties.total.type',
        "message": "duplicate key 'type': first at line 6, again at line 8",
        "line": 8, "file": "plans/shop.yaml",
    }]
    assert str(error).startswith('events."Order Completed".properties.total.type: duplicate key')


def test_every_duplicate_is_listed_in_line_order() -> None:
    text = "name: a\nname: b\nevents:\n  E F:\n    description: x\n    description: y\n  E F: {}\n"
    error = _refusal(text)
    assert [(d["path"], d["line"]) for d in error.details] == [
        ("name", 2), ('events."E F".description', 6), ('events."E F"', 7)]
    assert "(and 2 more)" in error.message


def test_duplicates_inside_lists_and_flow_mappings() -> None:
    text = "name: a\nchecks:\n  - {kind: volume, kind: silence}\n"
    error = _refusal(text)
    assert error.details[0]["path"] == "checks[0].kind" and error.details[0]["line"] == 3


def test_merge_keys_may_override_what_they_merge() -> None:
    text = "name: a\nevents:\n  A B: &base {description: x}\n  C D:\n    <<: *base\n    description: y\n"
    plan = load_plan_text(text)
    assert plan.events["C D"].description == "y"


def test_an_aliased_mapping_is_checked_once() -> None:
    text = "name: a\nevents:\n  A B: &e {description: x, description: y}\n  C D: *e\n"
    assert [d["line"] for d in _refusal(text).details] == [3]


def test_json_documents_are_refused_too() -> None:
    text = '{\n  "name": "shop",\n  "events": {"A B": {"properties": {\n    "x": {"type": "string"},\n' \
           '    "x": {"type": "number"}}}}\n}\n'
    error = _refusal(text)
    assert error.details[0]["path"] == 'events."A B".properties.x'
    assert error.details[0]["message"] == "duplicate key 'x': first at line 4, again at line 5"


def test_json_that_yaml_cannot_read_still_has_its_duplicates_found() -> None:
    # U+007F is valid in a JSON string but not in YAML: the loader reads such documents as JSON
    text = '{"name": "shop", "description": "a\x7fb", "description": "c"}'
    with pytest.raises(PlanInvalid) as caught:
        parse_document(text)
    assert "duplicate key 'description'" in caught.value.message


def test_check_json_duplicates_is_silent_on_clean_or_foreign_input() -> None:
    check_json_duplicates(b'{"a": {"b": 1}, "c": [{"b": 2}, {"b": 3}]}')
    check_json_duplicates(b"not json at all")  # the caller's own parser judges malformed input
    with pytest.raises(PlanInvalid) as caught:
        check_json_duplicates(b'{"a": [{"b": 1, "b": 2}]}', file="rules.json")
    assert caught.value.details[0] == {"path": "a[0].b", "message": "duplicate key 'b': first at line 1, again "
                                       "at line 1", "line": 1, "file": "rules.json"}


def test_distinct_keys_load_as_before() -> None:
    plan = load_plan_text(TYPO_HIDDEN.replace("        type: strng\n", ""))
    assert plan.events["Order Completed"].properties["total"].type == "number"
