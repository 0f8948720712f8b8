"""Every event says which aggregate its `sequence` counts, and its schema says so too."""

from __future__ import annotations

from collections import defaultdict

import pytest
from rtw_contracts.envelope import Event
from rtw_contracts.registry import EVENTS
from rtw_contracts.schemas import committed_schema, current_schema, schema_id

pytestmark = pytest.mark.contracts

EVENT_PARAMS = [pytest.param(event, id=key) for key, event in EVENTS.items()]


@pytest.mark.parametrize("event", EVENT_PARAMS)
def test_every_event_declares_the_aggregate_its_sequence_counts(event: type[Event]) -> None:
    assert "SEQUENCE_OF" in event.__dict__, f"{event.__name__} must declare SEQUENCE_OF"
    assert "SEQUENCE_KEY" in event.__dict__, f"{event.__name__} must declare SEQUENCE_KEY"
    assert event.SEQUENCE_KEY, f"{event.__name__}: SEQUENCE_KEY names no field"
    for field in event.SEQUENCE_KEY:
        assert field in event.model_fields, f"{event.__name__}.SEQUENCE_KEY names no field {field!r}"
        assert event.model_fields[field].is_required(), f"{event.__name__}.{field} may be missing"


@pytest.mark.parametrize("event", EVENT_PARAMS)
def test_the_schema_names_the_aggregate_and_how_to_use_the_sequence(event: type[Event]) -> None:
    schema = current_schema(event)

    assert schema["x-sequence-of"] == event.SEQUENCE_OF
    assert schema["x-sequence-key"] == list(event.SEQUENCE_KEY)
    description = schema["properties"]["sequence"]["description"]
    assert event.SEQUENCE_OF in description
    assert all(f"`{field}`" in description for field in event.SEQUENCE_KEY)
    assert committed_schema(event.ROUTING_KEY) == schema


def test_events_counting_one_aggregate_agree_on_its_key_and_its_counter() -> None:
    """One producer's events of one aggregate share one counter: the same fields name it, and
    either the producer or the outbox counts it, never both."""
    families: dict[tuple[str, str], set[tuple[tuple[str, ...], bool]]] = defaultdict(set)
    for event in EVENTS.values():
        families[(event.PRODUCER, event.SEQUENCE_OF)].add(
            (event.SEQUENCE_KEY, event.SEQUENCE_SET_BY_PRODUCER)
        )
    disagreeing = {family: ways for family, ways in families.items() if len(ways) > 1}
    assert not disagreeing


def test_a_subclass_without_a_declaration_is_caught() -> None:
    class Unordered(Event):
        ROUTING_KEY = "test.unordered.v1"
        EVENT_VERSION = 1
        PRODUCER = "test"

    assert "SEQUENCE_OF" not in Unordered.__dict__
    assert "x-sequence-of" not in Unordered.model_json_schema()


@pytest.mark.parametrize("event", EVENT_PARAMS)
def test_every_schema_has_its_dialect_and_a_stable_id_with_its_version(event: type[Event]) -> None:
    schema = committed_schema(event.ROUTING_KEY)
    assert schema is not None

    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == schema_id(event.ROUTING_KEY) == f"urn:rtw:event:{event.ROUTING_KEY}"
    assert schema["$id"].endswith(f".v{event.EVENT_VERSION}")


def test_schema_ids_are_unique() -> None:
    ids = [schema_id(key) for key in EVENTS]
    assert len(set(ids)) == len(ids)
