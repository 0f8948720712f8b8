"""Every field that could carry text says whether it carries personal data, and what."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

import pytest
from pydantic import BaseModel, Field
from rtw_contracts.envelope import PERSONAL, PERSONAL_DATA, Event, not_personal, personal_data
from rtw_contracts.personal_data import (
    personal_data_fields,
    routing_keys_with_personal_data,
    unclassified_fields,
)
from rtw_contracts.registry import EVENTS
from rtw_contracts.schemas import current_schema
from rtw_contracts.types import Programme

pytestmark = pytest.mark.contracts

EVENT_PARAMS = [pytest.param(event, id=key) for key, event in EVENTS.items()]


@pytest.mark.parametrize("event", EVENT_PARAMS)
def test_every_field_that_could_carry_text_is_classified(event: type[Event]) -> None:
    assert unclassified_fields(event) == [], (
        f"{event.__name__}: say whether these carry personal data: personal(..., what=...), "
        "personal_data(what, ...) or not_personal(...)"
    )


class _Note(BaseModel):
    text: str = Field(description="Words someone wrote.")


class _Drifted(Event):
    ROUTING_KEY: ClassVar[str] = "test.drifted.v1"
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = "test"
    SEQUENCE_OF: ClassVar[str] = "test"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("thing_id",)

    thing_id: UUID = Field(description="An id: not text.")
    programme: Programme = Field(description="A code: not text.")
    nickname: str = Field(description="A new string field nobody classified.")
    nicknames: list[str] | None = Field(default=None, description="Strings in a list.")
    notes: list[_Note] = Field(description="Text inside a value type.")
    title: str = not_personal(description="Classified: none.")
    story: str = personal_data("the person's own words", description="Classified: personal.")


def test_a_new_text_field_classified_neither_way_is_found() -> None:
    assert unclassified_fields(_Drifted) == ["nickname", "nicknames", "notes"]
    assert personal_data_fields(_Drifted) == {"story": "the person's own words"}


def test_the_classification_is_in_the_published_schemas() -> None:
    schema = current_schema(EVENTS["application.second-stage-submitted.v1"])
    assert schema["properties"]["answers"][PERSONAL_DATA] == "the candidate's own words (free text)"
    assert schema["properties"]["cohort_id"][PERSONAL_DATA] is False


def test_the_personal_data_the_subscribers_were_not_told_of_is_now_listed() -> None:
    keys = routing_keys_with_personal_data()

    assert set(keys["candidate.sign-in-requested.v2"]) == {"email", "given_name"}
    assert set(keys["application.second-stage-submitted.v1"]) == {
        "answers",
        "video",
        "adjustments",
        "written_alternative",
    }
    assert set(keys["application.submitted.v2"]) >= {"guaranteed_second_stage"}
    assert "application.adjustment-decided.v1" not in keys  # that a decision was made, no more
    assert "reasons" in keys["assessment.scored.v1"]
    assert "career_break" in keys["application.submitted.v2"]
    assert "candidate.erased.v1" not in keys  # ids only
    assert "vacancy.posted.v1" not in keys


@pytest.mark.parametrize("event", EVENT_PARAMS)
def test_every_field_that_names_or_reaches_someone_is_personal_data(event: type[Event]) -> None:
    personal = personal_data_fields(event)
    for name in event.personal_fields():
        assert name in personal
        assert current_schema(event)["properties"][name][PERSONAL] is True
    listed = routing_keys_with_personal_data().get(event.ROUTING_KEY, {})
    assert listed == personal
