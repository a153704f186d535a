"""RudderStack importer: the rudder-cli projects, custom types with variants, the create/update diff."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from governance.errors import PlanInvalid
from governance.formats import import_plan
from governance.plan.compile import compile_validators

TEMPLATE = "{{ .API_TRACKING_NAME }}"


@pytest.mark.parametrize("project", ["typer-project", "create", "update"])
def test_every_project_imports_and_compiles(peer: Path, project: str) -> None:
    result = import_plan("rudderstack", peer / "rudderstack" / project)
    compile_validators(result.plan)
    assert result.plan.events
    assert not [i for i in result.report if i.severity == "error"]


def test_typer_project(peer: Path) -> None:
    result = import_plan("rudderstack", peer / "rudderstack" / "typer-project")
    plan = result.plan
    assert plan.name == "typer-test-tracking-plan" and plan.display_name == "Typer Test Tracking Plan"
    event = plan.events["Some Track Event"]
    assert event.labels == {"category": "Test Category"}
    props = event.properties
    assert props["someString"].required and props["someString"].type == "string"
    assert props["someMultiType"].nullable and "null" not in props["someMultiType"].types()
    assert props["someArrayOfIntegers"].items is not None and props["someArrayOfIntegers"].items.type == "integer"
    assert props["someArrayOfMultipleTypes"].items.type == ["string", "integer", "number", "boolean"]  # type: ignore[union-attr]
    assert props["someIntegerWithEnum"].enum == [200, 201, 204, 400, 401, 403, 404, 500]
    level2 = props["someNestedObject"].properties["someNestedLevel1"].properties["someNestedLevel2"]  # type: ignore[index]
    assert set(level2.properties or {}) == {"someString", "someInteger", "someNumber", "someBoolean", "someObject"}
    custom = props["someCustomObject"]
    assert custom.properties is not None and custom.properties["someCustomString"].required
    assert props["someCustomString"].type == "string" and props["someCustomString"].description == (
        "some custom string property")
    assert props["someVariantType"].raw_schema is not None
    texts = [f"{i.path} {i.message}" for i in result.report]
    assert any("custom type 'SomeVariantType': discriminator variants kept as a raw if/then/else" in t
               for t in texts)
    assert any("variants on 'someString' are not carried over" in t and "someNumber, someBoolean" in t
               for t in texts)
    assert any("spec.rules[2].event allow_unplanned: true is not carried over" in t for t in texts)


def test_custom_type_variants_keep_their_meaning(peer: Path) -> None:
    plan = import_plan("rudderstack", peer / "rudderstack" / "typer-project").plan
    validator = compile_validators(plan).validators[("track", "Some Track Event", 1)]
    base = {"someString": "x", "someInteger": 1, "someNumber": 1.5, "someBoolean": True, "someObject": {}}

    def valid(variant: dict[str, Any]) -> bool:
        return bool(validator.is_valid({"properties": {**base, "someVariantType": variant}}))

    assert valid({"someString": "case_1", "someInteger": 3})
    assert not valid({"someString": "case_1"})  # case 1 requires someInteger
    assert valid({"someString": "case_2_a", "someNumber": 2.5})
    assert not valid({"someString": "case_2_b"})  # case 2 requires someNumber
    assert not valid({"someString": "case_2_b", "someNumber": "no"})
    assert valid({"someString": "other", "someBoolean": False})
    assert not valid({"someString": "other", "someBoolean": "no"})  # the default case types someBoolean
    assert not valid({"someInteger": 1})  # someString is required


def _leaves(properties: dict[str, Any], path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, spec in (properties or {}).items():
        here = f"{path}/{name}"
        out[here] = {k: v for k, v in spec.items() if k not in ("properties", "items")}
        out.update(_leaves(spec.get("properties") or {}, here))
    return out


def plan_diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, set[str]]:
    """Events and properties added, removed and changed between two plan bodies."""
    diff: dict[str, set[str]] = {k: set() for k in ("events+", "events-", "props+", "props-", "props~", "meta~")}
    a, b = old.get("events", {}), new.get("events", {})
    diff["events+"] = set(b) - set(a)
    diff["events-"] = set(a) - set(b)
    for name in set(a) & set(b):
        for key in ("description", "labels"):
            if a[name].get(key) != b[name].get(key):
                diff["meta~"].add(f"{name}:{key}")
        la, lb = _leaves(a[name].get("properties", {}), name), _leaves(b[name].get("properties", {}), name)
        diff["props+"] |= set(lb) - set(la)
        diff["props-"] |= set(la) - set(lb)
        diff["props~"] |= {p for p in set(la) & set(lb) if la[p] != lb[p]}
    return diff


def test_create_update_pair_yields_the_expected_diff(peer: Path) -> None:
    old = import_plan("rudderstack", peer / "rudderstack" / "create").plan
    update = import_plan("rudderstack", peer / "rudderstack" / "update")
    new = update.plan
    diff = plan_diff(old.body(), new.body())
    assert diff["events+"] == {"API Error"}
    assert diff["events-"] == {"Logout Event"}
    assert diff["props+"] == {
        f"{TEMPLATE}/User Email", f"{TEMPLATE}/Referrer", f"{TEMPLATE}/Content Type",
        "Login Event/User Email", "Login Event/Signin Info/Captcha/Captcha Info/Captcha Attempts",
    }
    assert diff["props-"] == {f"{TEMPLATE}/Username", "Login Event/Username"}
    assert diff["props~"] == {f"{TEMPLATE}/API Method", "Login Event/Signin Info/Remember Me Checkbox Clicked"}
    assert diff["meta~"] == {f"{TEMPLATE}:labels", "Login Event:description", "Login Event:labels"}
    # the concrete values behind the differences
    assert "HEAD" in (new.events[TEMPLATE].properties["API Method"].enum or [])
    assert "HEAD" not in (old.events[TEMPLATE].properties["API Method"].enum or [])
    email = new.events["Login Event"].properties["User Email"]
    assert (email.type, email.format, email.minLength, email.maxLength) == ("string", "email", 15, 255)
    assert old.events["Login Event"].properties["Username"].minLength == 10
    signin = new.events["Login Event"].properties["Signin Info"].properties or {}
    assert signin["Remember Me Checkbox Clicked"].required
    assert new.events[TEMPLATE].labels == {} and old.events[TEMPLATE].labels == {"category": "User Actions"}
    assert new.events["Login Event"].labels == {"category": "User Actions"}
    error = new.events["API Error"]
    assert error.labels == {"category": "Admin Actions"}
    assert error.properties["Error Code"].enum == [400, 401, 404, 500]
    retry = error.properties["HTTP Retry Count"]
    assert (retry.minimum, retry.maximum, retry.multipleOf, retry.required) == (0, 10, 2, False)
    texts = [f"{i.path} {i.message}" for i in update.report]
    assert sum("allow_unplanned: true is not carried over" in t for t in texts) == 2
    assert any("variants on 'API Method' are not carried over" in t and "Referrer" in t for t in texts)


def test_templates_are_kept_and_reported(peer: Path) -> None:
    result = import_plan("rudderstack", peer / "rudderstack" / "create")
    assert TEMPLATE in result.plan.events
    assert any(i.path == "events.yaml:spec.events[0]" and "template" in i.message for i in result.report)


V1_PROJECT = {
    "props.yaml": b"""version: rudder/v0.1
kind: properties
metadata: {name: p}
spec:
  properties:
    - {id: email, name: email, type: string, propConfig: {format: email}}
    - {id: plan, name: plan, type: string, propConfig: {enum: [free, pro], format: ipv4-cidr}}
    - {id: seats, name: seats, type: integer, propConfig: {minimum: 1, colour: blue}}
""",
    "events.yaml": b"""version: rudder/v0.1
kind: events
metadata: {name: e}
spec:
  events:
    - {id: ident, event_type: identify}
    - {id: grp, event_type: group}
    - {id: home, name: Home, event_type: page}
    - {id: upgraded, name: Plan Upgraded, event_type: track}
""",
    "tp.yaml": b"""version: rudder/v0.1
kind: tp
metadata: {name: t}
spec:
  id: saas
  display_name: SaaS
  rules:
    - {type: event_rule, id: r1, event: "#event:ident", identity_section: context.traits,
       properties: [{property: "#property:email", required: true}]}
    - {type: event_rule, id: r2, event: "#event:grp", properties: [{property: "#property:plan"}]}
    - {type: event_rule, id: r3, event: "#event:home"}
    - {type: event_rule, id: r4, event: "#event:upgraded", properties: [{property: "#property:seats"},
       {property: "#property:missing"}]}
    - {type: event_rule, id: r5, event: "#event:nope"}
""",
}


def test_v1_references_identity_sections_and_reports() -> None:
    result = import_plan("rudderstack", V1_PROJECT)
    plan = result.plan
    assert plan.name == "saas"
    assert plan.identify is not None and plan.identify.traits["email"].required
    assert plan.group is not None and plan.group.traits["plan"].raw_schema is not None
    assert plan.page is not None and "Home" in plan.page.names
    assert plan.events["Plan Upgraded"].properties["seats"].minimum == 1
    texts = [f"{i.severity} {i.path} {i.message}" for i in result.report]
    assert any("identity_section 'context.traits' read as 'traits'" in t for t in texts)
    assert any("setting 'colour' is not carried over" in t for t in texts)
    assert any("format 'ipv4-cidr'" in t for t in texts)
    assert any(t.startswith("error") and "'#property:missing' not found" in t for t in texts)
    assert any(t.startswith("error") and "'#event:nope' not found" in t for t in texts)


def test_a_project_without_a_tracking_plan() -> None:
    with pytest.raises(PlanInvalid, match="no tracking plan"):
        import_plan("rudderstack", {"props.yaml": V1_PROJECT["props.yaml"]})


def test_several_tracking_plans_need_a_name() -> None:
    files = {**V1_PROJECT, "tp2.yaml": V1_PROJECT["tp.yaml"].replace(b"id: saas", b"id: other")}
    with pytest.raises(PlanInvalid, match="2 tracking plans"):
        import_plan("rudderstack", files)
    assert import_plan("rudderstack", files, name="other").plan.name == "other"
