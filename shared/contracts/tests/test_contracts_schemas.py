"""Committed JSON Schemas: present for every event, compatible, and up to date."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import ClassVar

import pytest
from rtw_contracts import ApplicationWithdrawn, schemas
from rtw_contracts.compatibility import breaking_changes
from rtw_contracts.envelope import DEPRECATION_DAYS, Event
from rtw_contracts.events.applications import V1_DEPRECATION, V1_RETIREMENT
from rtw_contracts.registry import EVENTS
from rtw_contracts.schemas import (
    NEW_VERSION_ADVICE,
    check_schemas,
    committed_routing_keys,
    committed_schema,
    committed_text,
    current_schema,
    render,
    version_problems,
    write_schemas,
)
from rtw_contracts.schemas.__main__ import main

pytestmark = pytest.mark.contracts

EVENT_PARAMS = [pytest.param(event, id=key) for key, event in EVENTS.items()]


def test_every_event_has_a_committed_schema_and_vice_versa() -> None:
    committed = set(committed_routing_keys())
    missing = sorted(set(EVENTS) - committed)
    orphaned = sorted(committed - set(EVENTS))
    assert not missing, f"events without a committed schema: {missing}; run `make schemas`"
    assert not orphaned, (
        f"committed schemas of no current event: {orphaned}; run `make schemas` "
        "(an old version is removed only after its deprecation period)"
    )


@pytest.mark.parametrize("event", EVENT_PARAMS)
def test_current_schema_is_compatible_with_committed(event: type[Event]) -> None:
    committed = committed_schema(event.ROUTING_KEY)
    assert committed is not None, f"{event.ROUTING_KEY}: no committed schema; run `make schemas`"
    changes = breaking_changes(committed, current_schema(event))
    assert not changes, (
        f"{event.__name__} ({event.ROUTING_KEY}) changed incompatibly:\n  "
        + "\n  ".join(changes)
        + f"\nDo not edit the committed schema: {NEW_VERSION_ADVICE}."
    )


@pytest.mark.parametrize("event", EVENT_PARAMS)
def test_committed_schema_is_up_to_date(event: type[Event]) -> None:
    assert committed_text(event.ROUTING_KEY) == render(current_schema(event)), (
        f"{event.ROUTING_KEY}: the committed schema differs from the model; run `make schemas` "
        "(compatible changes must be committed too)"
    )


def test_committed_schemas_are_pretty_sorted_with_trailing_newline() -> None:
    for key in committed_routing_keys():
        text = committed_text(key)
        assert text is not None
        assert text.endswith("}\n")
        assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_schemas_pin_event_type_and_version() -> None:
    for key, event in EVENTS.items():
        properties = current_schema(event)["properties"]
        assert properties["event_type"]["const"] == event.EVENT_TYPE, key
        assert properties["event_version"]["const"] == event.EVENT_VERSION, key


def test_check_command_passes() -> None:
    assert check_schemas() == []
    assert main(["check"]) == 0


@pytest.fixture
def schema_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(schemas, "SCHEMA_DIR", tmp_path)
    return tmp_path


def test_write_then_check_in_an_empty_directory(schema_dir: Path) -> None:
    assert len(check_schemas()) == len(EVENTS)  # every schema missing
    changed, refused = write_schemas()
    assert len(changed) == len(EVENTS)
    assert refused == []
    assert sorted(p.name for p in schema_dir.glob("*.json")) == sorted(f"{k}.json" for k in EVENTS)
    assert check_schemas() == []
    assert write_schemas() == ([], [])


def test_check_reports_stale_orphaned_and_breaking(schema_dir: Path) -> None:
    write_schemas()
    submitted = schema_dir / "application.submitted.v1.json"
    committed = json.loads(submitted.read_text())
    committed["properties"]["legacy_field"] = {"type": "string"}  # the model "removed" it
    submitted.write_text(render(committed))
    withdrawn = schema_dir / "application.withdrawn.v1.json"
    stale = json.loads(withdrawn.read_text())
    stale["description"] = "old words"
    withdrawn.write_text(render(stale))
    (schema_dir / "application.submitted.v0.json").write_text("{}\n")

    problems = check_schemas()
    assert (
        "application.submitted.v1: breaking change: ApplicationSubmitted.legacy_field: property removed"
    ) in problems
    assert f"application.submitted.v1: {NEW_VERSION_ADVICE}" in problems
    assert any(p.startswith("application.withdrawn.v1: committed schema differs") for p in problems)
    assert any(p.startswith("application.submitted.v0.json: committed schema of no") for p in problems)
    assert main(["check"]) == 1

    changed, refused = write_schemas()  # refuses the breaking one, fixes the rest
    assert "wrote application.withdrawn.v1.json" in changed
    assert any("application.submitted.v0.json" in line for line in changed)
    assert f"application.submitted.v1: not written; {NEW_VERSION_ADVICE}" in refused
    assert main(["write"]) == 1
    changed, refused = write_schemas(allow_breaking=True)
    assert changed == ["wrote application.submitted.v1.json"]
    assert refused == []
    assert check_schemas() == []


# ---------------------------------------------------------------------- versions and retirement


def _family(
    *,
    deprecate: bool,
    retires: date | None = date(2027, 1, 4),
    deprecated_on: date | None = date(2026, 10, 1),
) -> list[type[Event]]:
    """A v1 and a v2 of one event type, the v1 deprecated or not."""

    class Thing(Event):
        ROUTING_KEY: ClassVar[str] = "thing.happened.v1"
        EVENT_VERSION: ClassVar[int] = 1
        PRODUCER: ClassVar[str] = "applications"
        SUPERSEDED_BY: ClassVar[str | None] = "thing.happened.v2" if deprecate else None
        RETIRES_ON: ClassVar[date | None] = retires if deprecate else None
        DEPRECATED_ON: ClassVar[date | None] = deprecated_on if deprecate else None
        SEQUENCE_OF: ClassVar[str] = "thing"
        SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("name",)

        name: str

    class ThingV2(Event):
        ROUTING_KEY: ClassVar[str] = "thing.happened.v2"
        EVENT_TYPE: ClassVar[str] = "Thing"
        EVENT_VERSION: ClassVar[int] = 2
        PRODUCER: ClassVar[str] = "applications"
        SEQUENCE_OF: ClassVar[str] = "thing"
        SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("correlation_id",)

    return [Thing, ThingV2]


def test_a_deprecated_version_stays_for_the_deprecation_period() -> None:
    assert DEPRECATION_DAYS == 90
    today = date(2026, 10, 1)
    assert version_problems(_family(deprecate=True, deprecated_on=date(2026, 10, 6)), today=today) == []
    assert version_problems(_family(deprecate=True, deprecated_on=date(2026, 10, 7)), today=today) == [
        "thing.happened.v1: retires on 2027-01-04, less than the deprecation period (90 days) after 2026-10-07"
    ]
    assert version_problems(_family(deprecate=True, deprecated_on=None), today=today) == [
        "thing.happened.v1: deprecated without the day it was (DEPRECATED_ON)"
    ]


def test_a_new_version_needs_the_old_one_deprecated_with_a_retirement_day() -> None:
    assert version_problems(_family(deprecate=True), today=date(2026, 12, 4)) == []
    assert version_problems(_family(deprecate=False), today=date(2026, 12, 4)) == [
        "thing.happened.v1: thing.happened.v2 replaces it: declare SUPERSEDED_BY "
        "'thing.happened.v2' and the day it retires (RETIRES_ON)"
    ]
    assert version_problems(_family(deprecate=True, retires=None), today=date(2026, 12, 4)) == [
        "thing.happened.v1: deprecated without a retirement day (RETIRES_ON)"
    ]


def test_a_deprecated_version_fails_the_check_after_its_retirement_day() -> None:
    family = _family(deprecate=True)
    assert version_problems(family, today=date(2027, 1, 4)) == []  # its last day
    assert version_problems(family, today=date(2027, 1, 5)) == [
        "thing.happened.v1: retired on 2027-01-04: remove its model, its schema and every subscription to it"
    ]


def test_the_successor_must_be_a_newer_version_of_the_same_type() -> None:
    old, new = _family(deprecate=True)
    assert "thing.happened.v1: superseded by thing.happened.v2, which is no event" in version_problems(
        [old], today=date(2026, 12, 4)
    )
    assert version_problems([old, new], today=date(2026, 12, 4)) == []

    class Stray(Event):
        ROUTING_KEY: ClassVar[str] = "thing.happened.v3"
        EVENT_TYPE: ClassVar[str] = "Other"
        EVENT_VERSION: ClassVar[int] = 3
        PRODUCER: ClassVar[str] = "applications"
        SUPERSEDED_BY: ClassVar[str | None] = "application.withdrawn.v1"
        RETIRES_ON: ClassVar[date | None] = date(2027, 1, 4)

    problems = version_problems([Stray, ApplicationWithdrawn], today=date(2026, 12, 4))
    assert "thing.happened.v3: the newest version of Other cannot be superseded" in problems
    assert (
        "thing.happened.v3: superseded by application.withdrawn.v1, which is not a newer version of Other"
    ) in problems


def test_the_replaced_events_are_new_versions_with_the_old_ones_retiring() -> None:
    replaced = {key: event for key, event in EVENTS.items() if event.is_deprecated()}
    assert set(replaced) == {
        "application.submitted.v1",
        "candidate.sign-in-requested.v1",
        "council.recruiter-invited.v1",
    }
    for key, event in replaced.items():
        successor = EVENTS[str(event.SUPERSEDED_BY)]
        assert (successor.EVENT_TYPE, successor.EVENT_VERSION) == (event.EVENT_TYPE, 2)
        assert event.RETIRES_ON == V1_RETIREMENT == date(2027, 3, 4)
        assert (event.DEPRECATED_ON, event.RETIRES_ON) == (V1_DEPRECATION, V1_RETIREMENT)
        assert V1_DEPRECATION.isoformat() == "2026-12-04"
        # v2 is a new version, not a breaking change to v1: each has its own committed schema.
        committed = committed_schema(key)
        assert committed is not None
        assert committed["deprecated"] is True
        assert committed["x-superseded-by"] == successor.ROUTING_KEY
        assert committed["x-retires-on"] == "2027-03-04"
        assert committed["x-deprecated-on"] == "2026-12-04"
        assert committed_schema(successor.ROUTING_KEY) == current_schema(successor)
        assert "deprecated" not in current_schema(successor)
    assert check_schemas(today=date(2027, 3, 4)) == []
    assert [p for p in check_schemas(today=date(2027, 3, 5)) if "retired on" in p] == [
        f"{key}: retired on 2027-03-04: remove its model, its schema and every subscription to it"
        for key in replaced
    ]
