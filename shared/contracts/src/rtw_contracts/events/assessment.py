"""Events published by the assessment service."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from rtw_contracts.envelope import Event, not_personal, personal_data
from rtw_contracts.types import (
    AssessmentOutcome,
    AssessmentStage,
    CohortId,
    DecisionKind,
    Programme,
    ReasonCode,
    Score,
    ScoreFactor,
    UtcDatetime,
)

__all__ = ["AppealDecided", "AppealLodged", "AssessmentScored", "AssessorChanged", "SelectionReopened"]

_PRODUCER = "assessment"


class AssessmentScored(Event):
    """Published for every assessment decision on an application.

    That is: screening (ineligible with reasons, shortlisted or not), second-stage scoring,
    and final selection (selected, waitlisted, rejected), whether automatic, an override, an
    appeal or a waitlist promotion. A later decision for the same stage supersedes an earlier
    one (use `sequence`). Consumed by applications (the candidate's journey and programme
    reports), training (enrols the selected), matching (puts the selected into the talent
    pool) and notifications (tells the candidate the outcome).
    """

    ROUTING_KEY: ClassVar[str] = "assessment.scored.v1"
    SEQUENCE_OF: ClassVar[str] = "candidacy"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("application_id",)
    SEQUENCE_SET_BY_PRODUCER: ClassVar[bool] = True
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "applications": ("application_id", "stage", "outcome", "reasons", "next_step_deadline", "decided_at"),
        "training": (
            "application_id",
            "candidate_id",
            "cohort_id",
            "programme",
            "stage",
            "outcome",
            "decided_at",
        ),
        "matching": ("application_id", "candidate_id", "outcome"),
        "notifications": (
            "application_id",
            "candidate_id",
            "programme",
            "outcome",
            "decision_kind",
            "reasons",
            "next_step_deadline",
        ),
    }

    application_id: UUID = Field(description="The application.")
    candidate_id: UUID = Field(description="The candidate.")
    cohort_id: CohortId = not_personal(description="The cohort.")
    programme: Programme = Field(description="The programme.")
    stage: AssessmentStage = Field(description="The stage decided.")
    outcome: AssessmentOutcome = Field(description="The outcome of the decision.")
    decision_kind: DecisionKind = Field(description="How the decision was made.")
    score: Score | None = Field(
        default=None, description="Score 0 to 100 for scored stages; null for screening."
    )
    breakdown: list[ScoreFactor] = personal_data(
        "explanations drawn from the candidate's facts (e.g. their career break)",
        description="The score's factors with points, shares and hints (empty if unscored).",
    )
    reasons: list[ReasonCode] = personal_data(
        "reasons that may mention the candidate's circumstances (e.g. a caring break)",
        description="Failed eligibility gates (non-empty when outcome is `ineligible`).",
    )
    rule_set_version: str = not_personal(
        min_length=1, max_length=50, description="Version of the eligibility rule set applied."
    )
    rubric_version: str | None = not_personal(
        default=None, max_length=50, description="Version of the scoring rubric, if scored."
    )
    rank: int | None = Field(default=None, ge=1, description="Rank within the cohort at final selection.")
    next_step_deadline: date | None = Field(
        default=None,
        description="Deadline for the candidate's next step: the second stage when shortlisted, "
        "the last day to appeal when found ineligible (not after an appeal).",
    )
    decided_at: UtcDatetime = Field(description="When the decision was made (UTC).")


class AssessorChanged(Event):
    """Published when a programme admin registers an assessor, changes one, or activates or
    retires one (pages or `PUT /assessors/{id}`): the assessor's staff identity and whether they
    may sign in. No e-mail address and no link: notifications holds staff addresses and makes the
    links (docs/notifications.md, "Staff directory").

    Consumed by notifications (whether an address registered for this assessor may be sent a
    sign-in link). A later change supersedes an earlier one (`changed_at`).
    """

    ROUTING_KEY: ClassVar[str] = "assessment.assessor-changed.v1"
    SEQUENCE_OF: ClassVar[str] = "assessor"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("assessor_id",)
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "notifications": ("assessor_id", "display_name", "active", "changed_at"),
    }

    assessor_id: str = not_personal(min_length=1, max_length=100, description="The assessor's staff id.")
    display_name: str = personal_data(
        "a member of staff's name",
        min_length=1,
        max_length=200,
        description="The assessor's name, as staff see it.",
    )
    programmes: list[Programme] = Field(description="The programmes they assess.")
    active: bool = Field(description="Whether they are active (a retired assessor may not sign in).")
    changed_at: UtcDatetime = Field(description="When the change was made (UTC).")


class SelectionReopened(Event):
    """Published for each application whose final decision an admin takes back by reopening a
    cohort's selection (allowed for a short window after it was confirmed; see assessment.md).

    The final decision (selected, waitlisted or not selected) no longer stands: the application
    is back where it was before selection, waiting for the cohort to be selected again; that new
    selection publishes AssessmentScored with a higher `sequence`. `sequence` is the
    application's assessment sequence (one above the decision it takes back), so consumers
    ignore it when they already hold a later decision. Carries ids only: the admin's reason
    stays in assessment.

    Consumed by training (withdraws the enrolment this selection made, unless training has
    started), applications (puts the application's status back and adds the step to the
    candidate's timeline), matching (takes the candidate out of the talent pool) and
    notifications (tells the candidate the decision is being looked at again: one e-mail).
    """

    ROUTING_KEY: ClassVar[str] = "assessment.selection-reopened.v1"
    SEQUENCE_OF: ClassVar[str] = "candidacy"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("application_id",)
    SEQUENCE_SET_BY_PRODUCER: ClassVar[bool] = True
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "applications": ("application_id", "reopened_at"),
        "training": (
            "application_id",
            "candidate_id",
            "cohort_id",
            "programme",
            "selection_closed_at",
            "reopened_at",
        ),
        "matching": ("application_id", "candidate_id"),
        "notifications": ("application_id", "candidate_id", "programme"),
    }

    application_id: UUID = Field(description="The application whose final decision is taken back.")
    candidate_id: UUID = Field(description="The candidate.")
    cohort_id: CohortId = not_personal(description="The cohort whose selection was reopened.")
    programme: Programme = Field(description="The programme.")
    withdrawn_outcome: AssessmentOutcome = Field(
        description="The final outcome taken back (`selected`, `waitlisted` or `rejected`)."
    )
    selection_closed_at: UtcDatetime = Field(
        description="When the selection being reopened was confirmed (UTC): what it caused since "
        "then is what is put back."
    )
    reopened_at: UtcDatetime = Field(description="When the selection was reopened (UTC).")


class AppealLodged(Event):
    """Published when a candidate appeals a decision that they are not eligible (one appeal per
    decision, within 28 days of it).

    Consumed by applications (the appeal is a step of the candidate's journey, and the
    application is no longer finished while it is considered).
    """

    ROUTING_KEY: ClassVar[str] = "assessment.appeal-lodged.v1"
    SEQUENCE_OF: ClassVar[str] = "appeal"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("appeal_id",)
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "applications": ("appeal_id", "application_id", "lodged_at"),
    }

    appeal_id: UUID = Field(description="The appeal.")
    application_id: UUID = Field(description="The application whose decision is appealed.")
    candidate_id: UUID = Field(description="The candidate who appealed.")
    decision_id: UUID = Field(description="The decision appealed against (assessment's id).")
    lodged_at: UtcDatetime = Field(description="When the appeal was made (UTC).")


class AppealDecided(Event):
    """Published when a programme admin upholds or dismisses an appeal, with the reason given to
    the candidate. An upheld appeal also puts the candidate back into the flow: the screening
    decision that follows is an AssessmentScored of kind `appeal` (at once, or when the cohort's
    shortlisting closes).

    Consumed by applications (the outcome is a step of the candidate's journey) and
    notifications (e-mails the candidate the outcome and the reason).
    """

    ROUTING_KEY: ClassVar[str] = "assessment.appeal-decided.v1"
    SEQUENCE_OF: ClassVar[str] = "appeal"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("appeal_id",)
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "applications": ("appeal_id", "application_id", "upheld", "reason", "decided_at"),
        "notifications": ("application_id", "candidate_id", "programme", "upheld", "reason"),
    }

    appeal_id: UUID = Field(description="The appeal.")
    application_id: UUID = Field(description="The application whose decision was appealed.")
    candidate_id: UUID = Field(description="The candidate who appealed.")
    programme: Programme = Field(description="The programme.")
    upheld: bool = Field(description="True if the appeal was upheld, false if it was dismissed.")
    reason: str = personal_data(
        "free text about the candidate's appeal, written by an assessor",
        min_length=1,
        max_length=5000,
        description="Why, in the admin's words to the candidate (names nobody else).",
    )
    decided_at: UtcDatetime = Field(description="When the appeal was decided (UTC).")
