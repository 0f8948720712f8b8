"""Events tests publish as another service would."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from rtw_contracts import AssessmentScored
from rtw_contracts.examples import example


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
