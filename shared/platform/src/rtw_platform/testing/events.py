"""Events tests publish as another service would."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from rtw_contracts import AssessmentScored, Event
from rtw_contracts.examples import example

from ..outbox import OutboxMessage


def outbox_message(event: Event, row: int) -> OutboxMessage:
    """`event` as a row of its producer's outbox, for the relay's publisher."""
    return OutboxMessage(
        id=row,
        event_id=event.event_id,
        event_type=event.EVENT_TYPE,
        routing_key=event.ROUTING_KEY,
        correlation_id=event.correlation_id,
        body=event.model_dump_json().encode(),
        created_at=datetime.now(UTC),
    )


def selected(application_id: UUID, candidate_id: UUID, cohort_id: str = "ict-test") -> AssessmentScored:
    """Assessment's final decision selecting the candidate (what puts them into training and the
    talent pool)."""
    return example(
        AssessmentScored,
        event_id=uuid4(),
        correlation_id=application_id,
        application_id=application_id,
        candidate_id=candidate_id,
        cohort_id=cohort_id,
        stage="final",
        outcome="selected",
        sequence=9,
        decided_at=datetime.now(UTC),
    )
