"""The JSON Schema compatibility checker: one breaking and one compatible case per rule."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field
from rtw_contracts.compatibility import breaking_changes

pytestmark = pytest.mark.unit


def obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    """A root object schema titled ``Ev``."""
    return {
        "title": "Ev",
        "type": "object",
        "properties": properties,
        "required": required if required is not None else list(properties),
    }


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}], "default": None}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}


# ---------------------------------------------------------------------- identity


def test_identical_schemas_are_compatible() -> None:
    schema = obj({"a": STRING, "b": nullable(INTEGER)}, ["a"])
    assert breaking_changes(schema, schema) == []


def test_titles_descriptions_and_defaults_are_ignored() -> None:
    old = obj({"a": {"type": "string", "title": "A", "description": "old", "default": "x"}}, [])
    new = obj({"a": {"type": "string", "title": "AA", "description": "new", "default": "y"}}, [])
    assert breaking_changes(old, new) == []


# ---------------------------------------------------------------------- properties


def test_removed_property_is_breaking() -> None:
    old = obj({"a": STRING, "b": STRING})
    new = obj({"a": STRING})
    assert breaking_changes(old, new) == ["Ev.b: property removed"]


def test_renamed_property_shows_as_removal() -> None:
    old = obj({"postcode": STRING})
    new = obj({"postcode_district": STRING})
    changes = breaking_changes(old, new)
    assert "Ev.postcode: property removed" in changes
    assert "Ev.postcode_district: new required field" in changes


def test_added_optional_property_is_compatible() -> None:
    old = obj({"a": STRING})
    new = obj({"a": STRING, "b": nullable(STRING)}, ["a"])
    assert breaking_changes(old, new) == []


def test_new_required_field_is_breaking() -> None:
    old = obj({"a": STRING})
    new = obj({"a": STRING, "b": STRING})
    assert breaking_changes(old, new) == ["Ev.b: new required field"]


def test_optional_field_becoming_required_is_breaking() -> None:
    old = obj({"a": STRING, "b": STRING}, ["a"])
    new = obj({"a": STRING, "b": STRING}, ["a", "b"])
    assert breaking_changes(old, new) == ["Ev.b: optional field became required"]


def test_required_field_becoming_optional_is_compatible() -> None:
    old = obj({"a": STRING, "b": STRING}, ["a", "b"])
    new = obj({"a": STRING, "b": STRING}, ["a"])
    assert breaking_changes(old, new) == []


# ---------------------------------------------------------------------- types


def test_number_to_integer_is_narrowing() -> None:
    assert breaking_changes(obj({"a": NUMBER}), obj({"a": INTEGER})) == [
        "Ev.a: type narrowed from number to integer"
    ]


def test_integer_to_number_is_widening() -> None:
    assert breaking_changes(obj({"a": INTEGER}), obj({"a": NUMBER})) == []


def test_string_to_integer_is_a_type_change() -> None:
    assert breaking_changes(obj({"a": STRING}), obj({"a": INTEGER})) == [
        "Ev.a: type changed from string to integer"
    ]


def test_string_to_string_or_integer_is_widening() -> None:
    new = obj({"a": {"anyOf": [STRING, INTEGER]}})
    assert breaking_changes(obj({"a": STRING}), new) == []


def test_union_losing_a_member_is_narrowing() -> None:
    old = obj({"a": {"anyOf": [STRING, INTEGER]}})
    assert breaking_changes(old, obj({"a": STRING})) == [
        "Ev.a: type narrowed from string | integer to string"
    ]


def test_type_list_losing_a_member_is_narrowing() -> None:
    old = obj({"a": {"type": ["string", "boolean"]}})
    new = obj({"a": {"type": ["string"]}})
    assert breaking_changes(old, new) == ["Ev.a: type narrowed from string | boolean to string"]


def test_nullable_becoming_non_nullable_is_breaking() -> None:
    old = obj({"a": nullable(STRING)}, [])
    new = obj({"a": STRING}, [])
    assert breaking_changes(old, new) == [
        "Ev.a: no longer nullable (type narrowed from string | null to string)"
    ]


def test_non_nullable_becoming_nullable_is_compatible() -> None:
    assert breaking_changes(obj({"a": STRING}), obj({"a": nullable(STRING)})) == []


def test_any_becoming_typed_is_narrowing() -> None:
    assert breaking_changes(obj({"a": {}}), obj({"a": STRING})) == ["Ev.a: type narrowed from any to string"]


# ---------------------------------------------------------------------- enums and const


def test_enum_value_removed_is_breaking() -> None:
    old = obj({"a": {"type": "string", "enum": ["x", "y", "z"]}})
    new = obj({"a": {"type": "string", "enum": ["x"]}})
    assert breaking_changes(old, new) == ["Ev.a: enum values removed: 'y', 'z'"]


def test_enum_value_added_is_compatible() -> None:
    old = obj({"a": {"type": "string", "enum": ["x"]}})
    new = obj({"a": {"type": "string", "enum": ["x", "y"]}})
    assert breaking_changes(old, new) == []


def test_enum_introduced_on_free_string_is_breaking() -> None:
    new = obj({"a": {"type": "string", "enum": ["x"]}})
    assert breaking_changes(obj({"a": STRING}), new) == ["Ev.a: restricted to enum values 'x'"]


def test_const_changed_is_breaking_and_unchanged_is_compatible() -> None:
    old = obj({"v": {"type": "integer", "const": 1}})
    assert breaking_changes(old, obj({"v": {"type": "integer", "const": 2}})) == [
        "Ev.v: const changed from 1 to 2"
    ]
    assert breaking_changes(old, obj({"v": {"type": "integer", "const": 1}})) == []


# ---------------------------------------------------------------------- constraints


def test_max_length_lowered_is_breaking() -> None:
    old = obj({"a": {"type": "string", "maxLength": 200}})
    new = obj({"a": {"type": "string", "maxLength": 100}})
    assert breaking_changes(old, new) == ["Ev.a: maxLength lowered from 200 to 100"]


def test_max_length_raised_or_removed_is_compatible() -> None:
    old = obj({"a": {"type": "string", "maxLength": 100}})
    assert breaking_changes(old, obj({"a": {"type": "string", "maxLength": 200}})) == []
    assert breaking_changes(old, obj({"a": STRING})) == []


def test_max_length_added_is_breaking() -> None:
    new = obj({"a": {"type": "string", "maxLength": 10}})
    assert breaking_changes(obj({"a": STRING}), new) == ["Ev.a: maxLength added: 10"]


def test_min_length_raised_is_breaking_and_lowered_is_compatible() -> None:
    old = obj({"a": {"type": "string", "minLength": 1}})
    raised = obj({"a": {"type": "string", "minLength": 3}})
    assert breaking_changes(old, raised) == ["Ev.a: minLength raised from 1 to 3"]
    assert breaking_changes(raised, old) == []


def test_minimum_raised_is_breaking() -> None:
    old = obj({"a": {"type": "integer", "minimum": 0}})
    new = obj({"a": {"type": "integer", "minimum": 1}})
    assert breaking_changes(old, new) == ["Ev.a: minimum raised from 0 to 1"]


def test_minimum_lowered_is_compatible() -> None:
    old = obj({"a": {"type": "integer", "minimum": 1}})
    new = obj({"a": {"type": "integer", "minimum": 0}})
    assert breaking_changes(old, new) == []


def test_inclusive_to_exclusive_minimum_is_breaking() -> None:
    old = obj({"a": {"type": "number", "minimum": 0}})
    new = obj({"a": {"type": "number", "exclusiveMinimum": 0}})
    assert breaking_changes(old, new) == ["Ev.a: minimum raised from >= 0 to > 0"]
    assert breaking_changes(new, old) == []


def test_maximum_lowered_is_breaking_and_raised_is_compatible() -> None:
    old = obj({"a": {"type": "integer", "maximum": 1000}})
    lowered = obj({"a": {"type": "integer", "maximum": 500}})
    assert breaking_changes(old, lowered) == ["Ev.a: maximum lowered from 1000 to 500"]
    assert breaking_changes(lowered, old) == []


def test_pattern_changed_is_breaking() -> None:
    old = obj({"a": {"type": "string", "pattern": "^[A-Z]+$"}})
    new = obj({"a": {"type": "string", "pattern": "^[A-Z]{2}$"}})
    assert breaking_changes(old, new) == ["Ev.a: pattern changed from '^[A-Z]+$' to '^[A-Z]{2}$'"]


def test_pattern_removed_or_unchanged_is_compatible() -> None:
    old = obj({"a": {"type": "string", "pattern": "^[A-Z]+$"}})
    assert breaking_changes(old, obj({"a": STRING})) == []
    assert breaking_changes(old, old) == []


def test_format_added_or_changed_is_breaking() -> None:
    date = obj({"a": {"type": "string", "format": "date"}})
    date_time = obj({"a": {"type": "string", "format": "date-time"}})
    assert breaking_changes(obj({"a": STRING}), date) == ["Ev.a: format added: 'date'"]
    assert breaking_changes(date, date_time) == ["Ev.a: format changed from 'date' to 'date-time'"]


def test_format_removed_is_compatible() -> None:
    date = obj({"a": {"type": "string", "format": "date"}})
    assert breaking_changes(date, obj({"a": STRING})) == []


def test_array_limits_and_unique_items() -> None:
    old = obj({"a": {"type": "array", "items": STRING}})
    new = obj({"a": {"type": "array", "items": STRING, "maxItems": 3, "uniqueItems": True}})
    assert breaking_changes(old, new) == ["Ev.a: maxItems added: 3", "Ev.a: uniqueItems added"]
    assert breaking_changes(new, old) == []


def test_additional_properties_forbidden_is_breaking() -> None:
    old = obj({"a": STRING})
    new = {**obj({"a": STRING}), "additionalProperties": False}
    assert breaking_changes(old, new) == ["Ev: additional properties no longer allowed"]
    assert breaking_changes(new, old) == []


# ---------------------------------------------------------------------- nesting and $ref


class _PrefsOld(BaseModel):
    max_travel_km: float
    flexible_working: list[str]


class _PrefsNew(BaseModel):
    max_travel_km: int
    flexible_working: list[str]
    earliest_start: str | None = None


class _SkillOld(BaseModel):
    skill: str
    level: float


class _SkillNew(BaseModel):
    skill: str = Field(max_length=50)
    level: int


class _OldEvent(BaseModel):
    model_config = ConfigDict(title="ApplicationSubmitted")
    work_preferences: _PrefsOld
    skills: list[_SkillOld]
    registration: _SkillOld | None = None


class _NewEvent(BaseModel):
    model_config = ConfigDict(title="ApplicationSubmitted")
    work_preferences: _PrefsNew
    skills: list[_SkillNew]
    registration: _SkillNew | None = None


def test_nested_objects_and_array_items_through_refs() -> None:
    old = _OldEvent.model_json_schema()
    new = _NewEvent.model_json_schema()
    assert "$defs" in new
    assert breaking_changes(old, new) == [
        "ApplicationSubmitted.work_preferences.max_travel_km: type narrowed from number to integer",
        "ApplicationSubmitted.skills[].skill: maxLength added: 50",
        "ApplicationSubmitted.skills[].level: type narrowed from number to integer",
        "ApplicationSubmitted.registration.skill: maxLength added: 50",
        "ApplicationSubmitted.registration.level: type narrowed from number to integer",
    ]


def test_nested_compatible_changes_through_refs() -> None:
    assert breaking_changes(_NewEvent.model_json_schema(), _OldEvent.model_json_schema()) == [
        "ApplicationSubmitted.work_preferences.earliest_start: property removed"
    ]


def test_nested_required_field_in_array_items() -> None:
    old = obj({"items": {"type": "array", "items": {"type": "object", "properties": {}}}})
    new = obj(
        {
            "items": {
                "type": "array",
                "items": {"type": "object", "properties": {"x": STRING}, "required": ["x"]},
            }
        }
    )
    assert breaking_changes(old, new) == ["Ev.items[].x: new required field"]


def test_enum_through_ref_losing_a_value() -> None:
    old = {
        **obj({"region": {"$ref": "#/$defs/Region", "description": "where"}}),
        "$defs": {"Region": {"type": "string", "enum": ["london", "wales"]}},
    }
    new = {
        **obj({"region": {"$ref": "#/$defs/Region", "description": "where"}}),
        "$defs": {"Region": {"type": "string", "enum": ["london"]}},
    }
    assert breaking_changes(old, new) == ["Ev.region: enum value removed: 'wales'"]
    assert breaking_changes(new, old) == []


def test_all_of_wrapped_ref_is_resolved() -> None:
    defs = {"$defs": {"Level": {"type": "number"}}}
    old = {**obj({"a": {"allOf": [{"$ref": "#/$defs/Level"}]}}), **defs}
    new = obj({"a": INTEGER})
    assert breaking_changes(old, new) == ["Ev.a: type narrowed from number to integer"]


def test_recursive_schema_terminates() -> None:
    node = {
        "type": "object",
        "properties": {"child": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]}},
    }
    old = {"title": "Tree", "$ref": "#/$defs/Node", "$defs": {"Node": node}}
    new = {
        "title": "Tree",
        "$ref": "#/$defs/Node",
        "$defs": {"Node": {**node, "required": ["child"]}},
    }
    assert breaking_changes(old, old) == []
    assert breaking_changes(old, new) == ["Tree.child: optional field became required"]
