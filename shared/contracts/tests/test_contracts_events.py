"""Events: envelope behaviour, JSON round trips, registry and parsing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

import pytest
import rtw_contracts
from pydantic import ValidationError
from rtw_contracts import (
    ApplicationSubmitted,
    ApplicationWithdrawn,
    AssessmentOutcome,
    AssessmentScored,
    Event,
    caused_by,
)
from rtw_contracts.examples import example, example_id
from rtw_contracts.registry import (
    EVENTS,
    RegistryError,
    UnknownEventError,
    build_registry,
    event_for,
    parse_event,
)

pytestmark = pytest.mark.contracts

EVENT_PARAMS = [pytest.param(event, id=key) for key, event in EVENTS.items()]

EXPECTED_ROUTING_KEYS = {
    "cohort.scheduled.v1": "applications",
    "cohort.selection-closed.v1": "assessment",
    "application.submitted.v1": "applications",
    "application.submitted.v2": "applications",
    "application.contact-given.v1": "applications",
    "candidate.sign-in-requested.v2": "applications",
    "council.recruiter-invited.v2": "matching",
    "application.second-stage-submitted.v1": "applications",
    "application.adjustment-decided.v1": "applications",
    "application.withdrawn.v1": "applications",
    "candidate.erased.v1": "applications",
    "candidate.preferences-changed.v1": "applications",
    "candidate.sign-in-requested.v1": "applications",
    "assessment.scored.v1": "assessment",
    "assessment.selection-reopened.v1": "assessment",
    "assessment.appeal-lodged.v1": "assessment",
    "assessment.appeal-decided.v1": "assessment",
    "training.enrolled.v1": "training",
    "training.module-completed.v1": "training",
    "training.completed.v1": "training",
    "council.registered.v1": "matching",
    "council.claim-rejected.v1": "matching",
    "council.recruiter-invited.v1": "matching",
    "vacancy.posted.v1": "matching",
    "match.proposed.v1": "matching",
    "match.reach-out-sent.v1": "matching",
    "match.interview-invited.v1": "matching",
    "match.interview-slots-proposed.v1": "matching",
    "match.offer-made.v1": "matching",
    "match.offer-answered.v1": "matching",
    "match.responded.v1": "matching",
    "match.candidate-hired.v1": "matching",
    "skills.gap-identified.v1": "matching",
    "session.ended.v1": "platform",
    "assessment.assessor-changed.v1": "assessment",
    "training.provider-changed.v1": "training",
}


def body_of(event: Event, **changes: Any) -> str:
    data = event.model_dump(mode="json")
    data.update(changes)
    return json.dumps(data)


# ---------------------------------------------------------------------- registry


def test_routing_keys_and_producers() -> None:
    assert {key: event.PRODUCER for key, event in EVENTS.items()} == EXPECTED_ROUTING_KEYS


def test_every_event_is_exported_and_documented() -> None:
    for event in EVENTS.values():
        assert getattr(rtw_contracts, event.__name__) is event
        doc = event.__doc__ or ""
        assert "Published" in doc, event.__name__
        assert "Consumed by" in doc, event.__name__


def test_event_for_and_unknown_routing_key() -> None:
    assert event_for("application.submitted.v1") is ApplicationSubmitted
    with pytest.raises(UnknownEventError, match=r"application\.submitted\.v9"):
        event_for("application.submitted.v9")
    assert issubclass(UnknownEventError, ValueError)


def test_registry_rejects_duplicate_routing_keys() -> None:
    class Twin(Event):
        ROUTING_KEY = "application.submitted.v1"
        EVENT_VERSION = 1
        PRODUCER = "applications"

    with pytest.raises(RegistryError, match="used by both ApplicationSubmitted and Twin"):
        build_registry([ApplicationSubmitted, Twin])


def test_registry_rejects_bad_routing_keys() -> None:
    class BadKey(Event):
        ROUTING_KEY = "Application_Submitted.v1"
        EVENT_VERSION = 1
        PRODUCER = "applications"

    class WrongVersion(Event):
        ROUTING_KEY = "application.thing.v2"
        EVENT_VERSION = 1
        PRODUCER = "applications"

    with pytest.raises(RegistryError, match="does not match"):
        build_registry([BadKey])
    with pytest.raises(RegistryError, match=r"does not end with \.v1"):
        build_registry([WrongVersion])


# ---------------------------------------------------------------------- metadata and envelope


@pytest.mark.parametrize("event", EVENT_PARAMS)
def test_metadata_defaults(event: type[Event]) -> None:
    # A later version's class is named for its type and version (its own queues and AsyncAPI
    # schema); its event_type stays the type's.
    suffix = f"V{event.EVENT_VERSION}" if event.__name__.endswith(f"V{event.EVENT_VERSION}") else ""
    assert event.__name__ == event.EVENT_TYPE + suffix
    assert bool(suffix) == (event.EVENT_VERSION > 1)
    assert event.ROUTING_KEY.split(".")[0] == event.CONTEXT
    instance = example(event)
    assert instance.event_type == event.EVENT_TYPE
    assert instance.event_version == event.EVENT_VERSION == int(event.ROUTING_KEY.rsplit(".v", 1)[1])
    assert instance.producer == event.PRODUCER


def test_envelope_defaults_for_a_new_event() -> None:
    base = example(ApplicationWithdrawn)
    payload = base.model_dump(exclude=set(Event.model_fields) - {"correlation_id"})
    before = datetime.now(UTC)
    first = ApplicationWithdrawn(**payload)
    second = ApplicationWithdrawn(**payload)
    assert first.event_id != second.event_id
    assert first.event_id.version == 4
    assert first.occurred_at.tzinfo is UTC
    assert first.occurred_at >= before
    assert first.event_type == "ApplicationWithdrawn"
    assert first.event_version == 1
    assert first.producer == "applications"
    assert first.causation_id is None
    assert first.sequence is None


def test_correlation_id_is_required() -> None:
    data = example(ApplicationWithdrawn).model_dump()
    del data["correlation_id"]
    with pytest.raises(ValidationError, match="correlation_id"):
        ApplicationWithdrawn.model_validate(data)


def test_caused_by_links_follow_on_events() -> None:
    parent = example(ApplicationSubmitted)
    link = caused_by(parent)
    assert link == {"correlation_id": parent.correlation_id, "causation_id": parent.event_id}
    child = example(AssessmentScored, **link)
    assert child.correlation_id == parent.correlation_id
    assert child.causation_id == parent.event_id


def test_events_are_frozen() -> None:
    event = example(ApplicationSubmitted)
    with pytest.raises(ValidationError, match="frozen"):
        event.given_name = "Someone"  # type: ignore[misc]


def test_negative_sequence_is_rejected() -> None:
    with pytest.raises(ValidationError, match="sequence"):
        example(ApplicationWithdrawn, sequence=-1)


# ---------------------------------------------------------------------- round trips and parsing


@pytest.mark.parametrize("event", EVENT_PARAMS)
def test_json_round_trip(event: type[Event]) -> None:
    instance = example(event)
    body = instance.model_dump_json()
    parsed = parse_event(event.ROUTING_KEY, body)
    assert type(parsed) is event
    assert parsed == instance
    assert parse_event(event.ROUTING_KEY, body.encode()) == instance


@pytest.mark.parametrize("event", EVENT_PARAMS)
def test_unknown_fields_are_ignored(event: type[Event]) -> None:
    instance = example(event)
    data = instance.model_dump(mode="json")
    data["added_in_a_later_release"] = {"anything": [1, 2, 3]}
    for value in data.values():  # nested objects ignore unknown fields too
        if isinstance(value, dict):
            value["also_new"] = True
    parsed = parse_event(event.ROUTING_KEY, json.dumps(data))
    assert parsed == instance
    assert "added_in_a_later_release" not in parsed.model_dump()


@pytest.mark.parametrize("event", EVENT_PARAMS)
def test_wrong_event_version_is_rejected(event: type[Event]) -> None:
    other = event.EVENT_VERSION + 1
    body = body_of(example(event), event_version=other)
    with pytest.raises(ValidationError, match=rf"event_version {other} is not supported") as caught:
        parse_event(event.ROUTING_KEY, body)
    assert f"which is version {event.EVENT_VERSION} (routing key {event.ROUTING_KEY})" in str(caught.value)


def test_wrong_event_type_is_rejected() -> None:
    body = body_of(example(ApplicationWithdrawn), event_type="ApplicationSubmitted")
    with pytest.raises(ValidationError, match="does not match ApplicationWithdrawn"):
        parse_event("application.withdrawn.v1", body)


def test_body_of_another_event_is_rejected() -> None:
    body = example(ApplicationWithdrawn).model_dump_json()
    with pytest.raises(ValidationError):
        parse_event("application.submitted.v1", body)


def test_parse_event_unknown_routing_key() -> None:
    with pytest.raises(UnknownEventError):
        parse_event("nobody.knows.v1", b"{}")


def test_invalid_json_is_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        parse_event("application.submitted.v1", b"not json")


# ---------------------------------------------------------------------- datetimes


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2020, 10, 2, 10, 0)  # noqa: DTZ001 (naive on purpose)
    with pytest.raises(ValidationError, match="occurred_at"):
        example(ApplicationWithdrawn, occurred_at=naive)
    with pytest.raises(ValidationError, match="withdrawn_at"):
        example(ApplicationWithdrawn, withdrawn_at=naive)
    body = body_of(example(ApplicationWithdrawn), occurred_at="2020-10-02T10:00:00")
    with pytest.raises(ValidationError, match="timezone"):
        parse_event("application.withdrawn.v1", body)


def test_aware_datetimes_are_converted_to_utc() -> None:
    bst = timezone(timedelta(hours=1))
    event = example(ApplicationWithdrawn, occurred_at=datetime(2020, 10, 2, 11, 0, tzinfo=bst))
    assert event.occurred_at == datetime(2020, 10, 2, 10, 0, tzinfo=UTC)
    assert event.occurred_at.utcoffset() == timedelta(0)
    assert event.model_dump(mode="json")["occurred_at"] == "2020-10-02T10:00:00Z"
    body = body_of(example(ApplicationWithdrawn), withdrawn_at="2021-01-05T12:00:00+01:00")
    parsed = parse_event("application.withdrawn.v1", body)
    assert isinstance(parsed, ApplicationWithdrawn)
    assert parsed.withdrawn_at == datetime(2021, 1, 5, 11, 0, tzinfo=UTC)
    assert parsed.withdrawn_at.tzinfo == UTC


# ---------------------------------------------------------------------- payload rules


def test_application_submitted_normalises_postcode_district() -> None:
    event = example(ApplicationSubmitted, postcode_district=" ws1 ")
    assert event.postcode_district == "WS1"


def test_application_submitted_rejects_a_bad_email_and_reference() -> None:
    with pytest.raises(ValidationError, match="email"):
        example(ApplicationSubmitted, email="not-an-email")
    with pytest.raises(ValidationError, match="reference"):
        example(ApplicationSubmitted, reference="123")


def test_assessment_score_range() -> None:
    assert example(AssessmentScored, score=100).score == 100
    with pytest.raises(ValidationError, match="score"):
        example(AssessmentScored, score=100.5)


def test_examples_are_deterministic_and_overridable() -> None:
    assert example(ApplicationSubmitted) == example(ApplicationSubmitted)
    assert example_id("x") == example_id("x")
    selected = example(AssessmentScored, outcome="selected")
    assert selected.outcome is AssessmentOutcome.SELECTED
    assert isinstance(selected.application_id, UUID)
    other = uuid4()
    assert example(ApplicationSubmitted, candidate_id=other).candidate_id == other


def test_example_for_unknown_class() -> None:
    class Unregistered(Event):
        ROUTING_KEY = "nobody.unregistered.v1"
        EVENT_VERSION = 1
        PRODUCER = "nobody"

    with pytest.raises(KeyError, match="no example for Unregistered"):
        example(Unregistered)
