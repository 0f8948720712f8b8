"""Published schemas require the envelope a subscriber relies on, and compatibility is checked
against the last released schema set kept in the repository (shared/contracts/released/)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest
from rtw_contracts import schemas
from rtw_contracts.compatibility import breaking_changes
from rtw_contracts.envelope import ALWAYS_SENT, Event
from rtw_contracts.examples import example
from rtw_contracts.registry import EVENTS
from rtw_contracts.schemas import (
    NEW_VERSION_ADVICE,
    RELEASED_DIR,
    ReleaseError,
    check_schemas,
    committed_schema,
    current_schema,
    last_release,
    release_problems,
    release_schemas,
    released_versions,
    render,
)
from rtw_contracts.schemas.__main__ import main

pytestmark = pytest.mark.contracts

ENVELOPE_REQUIRED = {"event_id", "event_type", "event_version", "occurred_at", "producer", "correlation_id"}


@pytest.mark.parametrize("key", sorted(EVENTS))
def test_published_schema_requires_the_envelope(key: str) -> None:
    committed = committed_schema(key)
    assert committed is not None
    assert set(committed["required"]) >= ENVELOPE_REQUIRED, key
    assert set(ALWAYS_SENT) <= set(current_schema(EVENTS[key])["required"])


def test_a_message_without_event_id_fails_the_published_schema() -> None:
    event = EVENTS["application.withdrawn.v1"]
    schema = committed_schema("application.withdrawn.v1")
    assert schema is not None
    body = json.loads(event.model_validate(_sample(event)).model_dump_json())
    jsonschema.validate(body, schema)  # a producer's message is valid
    del body["event_id"]
    with pytest.raises(jsonschema.ValidationError, match="'event_id' is a required property"):
        jsonschema.validate(body, schema)


def _sample(event: type[Event]) -> dict[str, object]:
    return example(event).model_dump()


def test_requiring_an_always_sent_envelope_field_is_accepted_by_name_only() -> None:
    old = {
        "title": "E",
        "type": "object",
        "properties": {"event_id": {"type": "string"}, "note": {"type": "string"}},
    }
    new = {**old, "required": ["event_id", "note"]}
    assert breaking_changes(old, new) == [
        "E.event_id: optional field became required",
        "E.note: optional field became required",
    ]
    assert breaking_changes(old, new, always_sent=ALWAYS_SENT) == ["E.note: optional field became required"]
    nested_old = {"title": "E", "type": "object", "properties": {"inner": old}}
    nested_new = {"title": "E", "type": "object", "properties": {"inner": {**old, "required": ["event_id"]}}}
    assert breaking_changes(nested_old, nested_new, always_sent=ALWAYS_SENT) == [
        "E.inner.event_id: optional field became required"
    ]  # only the top-level envelope is always sent


def test_the_repository_keeps_release_1_0_0_and_the_models_are_compatible_with_it() -> None:
    assert "1.0.0" in released_versions()
    release = last_release()
    assert release is not None
    version, released = release
    assert (RELEASED_DIR / version).is_dir()
    assert set(released) <= set(EVENTS) | {k for k, s in released.items() if s.get("deprecated")}
    assert release_problems() == []
    # 1.0.0 predates required event_id: the tightening is accepted, not silently equal
    assert "event_id" not in released["application.submitted.v2"]["required"]


@pytest.fixture
def released_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(schemas, "RELEASED_DIR", tmp_path / "released")
    return tmp_path / "released"


def test_release_snapshots_the_committed_schemas(released_dir: Path) -> None:
    assert last_release() is None
    assert release_problems() == []
    target = release_schemas("1.0.0")
    assert target == released_dir / "1.0.0"
    assert sorted(p.name.removesuffix(".json") for p in target.glob("*.json")) == sorted(EVENTS)
    assert last_release() == ("1.0.0", {key: committed_schema(key) for key in EVENTS})
    with pytest.raises(ReleaseError, match=r"not newer than the last release 1\.0\.0"):
        release_schemas("1.0.0")
    with pytest.raises(ReleaseError, match=r"MAJOR\.MINOR\.PATCH"):
        release_schemas("next")
    with pytest.raises(ReleaseError, match=r"not the contracts package's version 1\.0\.0"):
        release_schemas("1.1.0", package_version="1.0.0")
    release_schemas("1.10.0")
    assert released_versions() == ["1.0.0", "1.10.0"]  # numeric, not text, order
    assert main(["release", "1.2.0"]) == 1  # not the package's version, nor newer


def _release(released_dir: Path, version: str, schemas_by_key: dict[str, dict[str, object]]) -> None:
    target = released_dir / version
    target.mkdir(parents=True)
    for key, schema in schemas_by_key.items():
        (target / f"{key}.json").write_text(render(schema))


def test_a_breaking_change_to_a_released_event_fails_naming_the_field(released_dir: Path) -> None:
    released = {key: current_schema(event) for key, event in EVENTS.items()}
    released["application.withdrawn.v1"]["properties"]["reason_code"] = {"type": "string"}  # since removed
    _release(released_dir, "1.0.0", released)
    problems = check_schemas()
    assert (
        "application.withdrawn.v1: breaking change against release 1.0.0: "
        "ApplicationWithdrawn.reason_code: property removed"
    ) in problems
    assert f"application.withdrawn.v1: {NEW_VERSION_ADVICE}" in problems
    assert main(["check"]) == 1
    with pytest.raises(ReleaseError, match="reason_code: property removed"):
        release_schemas("1.1.0")


def test_an_unreleased_event_is_free_and_a_released_one_retires_only_when_due(released_dir: Path) -> None:
    released = {key: current_schema(event) for key, event in EVENTS.items() if key != "vacancy.posted.v1"}
    released["vacancy.posted.v0"] = {"title": "VacancyPosted", "type": "object", "properties": {}}
    _release(released_dir, "1.0.0", released)
    # vacancy.posted.v1 is not in the release (a new version): no check against it
    assert release_problems() == [
        "vacancy.posted.v0: released in 1.0.0 but no longer an event; a released event may be "
        "removed only after its deprecation (x-retires-on) has passed"
    ]
    released["vacancy.posted.v0"].update({"deprecated": True, "x-retires-on": "2026-01-31"})
    (released_dir / "1.0.0" / "vacancy.posted.v0.json").write_text(render(released["vacancy.posted.v0"]))
    assert release_problems(today=date(2026, 1, 31)) != []
    assert release_problems(today=date(2026, 2, 1)) == []
