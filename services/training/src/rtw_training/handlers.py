"""Events the training service consumes: one line each, over a use case. Each subscription
declares its inbox key (the handler's name as deployed): it never changes."""

from __future__ import annotations

from rtw_contracts import (
    ApplicationContactGiven,
    ApplicationSubmitted,
    ApplicationSubmittedV2,
    ApplicationWithdrawn,
    AssessmentScored,
    CandidateErased,
    SelectionReopened,
    SkillGapIdentified,
)
from rtw_platform.messaging import Subscription
from rtw_platform.sessions import SESSION_ENDED
from rtw_platform.uow import UnitOfWork

from .store import work_of
from .use_cases import enrolment, erasure, recommendations


async def remember_applicant(event: ApplicationSubmittedV2, uow: UnitOfWork) -> None:
    await enrolment.remember_applicant(work_of(uow), event)


async def remember_name(event: ApplicationContactGiven, uow: UnitOfWork) -> None:
    await enrolment.remember_name(work_of(uow), event)


async def remember_applicant_v1(event: ApplicationSubmitted, uow: UnitOfWork) -> None:
    await enrolment.remember_applicant_v1(work_of(uow), event)


async def record_assessment(event: AssessmentScored, uow: UnitOfWork) -> None:
    await enrolment.record_assessment(work_of(uow), event)


async def record_selection_reopened(event: SelectionReopened, uow: UnitOfWork) -> None:
    await enrolment.record_selection_reopened(work_of(uow), event)


async def record_withdrawal(event: ApplicationWithdrawn, uow: UnitOfWork) -> None:
    await enrolment.record_withdrawal(work_of(uow), event)


async def erase_candidate(event: CandidateErased, uow: UnitOfWork) -> None:
    await erasure.erase_candidate(work_of(uow), event)


async def recommend_for_gap(event: SkillGapIdentified, uow: UnitOfWork) -> None:
    await recommendations.recommend_for_gap(work_of(uow), event)


SUBSCRIPTIONS = (
    Subscription(ApplicationSubmittedV2, remember_applicant, "remember_applicant"),
    Subscription(ApplicationContactGiven, remember_name, "remember_name"),
    # Drained until v1 retires.
    Subscription(ApplicationSubmitted, remember_applicant_v1, "remember_applicant_v1"),
    Subscription(AssessmentScored, record_assessment, "record_assessment"),
    Subscription(SelectionReopened, record_selection_reopened, "record_selection_reopened"),
    Subscription(ApplicationWithdrawn, record_withdrawal, "record_withdrawal"),
    Subscription(CandidateErased, erase_candidate, "erase_candidate"),
    Subscription(SkillGapIdentified, recommend_for_gap, "recommend_for_gap"),
    SESSION_ENDED,  # a session signed out of anywhere ends here too
)
