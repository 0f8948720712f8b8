"""Realistic, deterministic example instances of every event (for docs and tests).

``example(ApplicationSubmitted)`` returns the same valid event every time; keyword overrides
replace fields and are validated, e.g. ``example(AssessmentScored, outcome="selected")``.
All examples belong to one journey: Priya Shah's application to the ICT 2020 cohort and
Walsall Council's data analyst vacancy. Ids are UUIDv5 of readable names, so they are stable.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

from rtw_contracts.envelope import Event
from rtw_contracts.events import (
    AdjustmentDecided,
    AppealDecided,
    AppealLodged,
    ApplicationContactGiven,
    ApplicationSubmitted,
    ApplicationSubmittedV2,
    ApplicationWithdrawn,
    AssessmentScored,
    AssessorChanged,
    CandidateErased,
    CandidateHired,
    CandidatePreferencesChanged,
    CandidateSignInRequested,
    CandidateSignInRequestedV2,
    CohortScheduled,
    CohortSelectionClosed,
    CouncilClaimRejected,
    CouncilRegistered,
    InterviewInvited,
    InterviewSlotsProposed,
    MatchProposed,
    MatchResponded,
    OfferAnswered,
    OfferMade,
    ReachOutSent,
    RecruiterInvited,
    RecruiterInvitedV2,
    SecondStageSubmitted,
    SelectionReopened,
    SessionEnded,
    SkillGapIdentified,
    TrainingCompleted,
    TrainingEnrolled,
    TrainingModuleCompleted,
    TrainingProviderChanged,
    VacancyPosted,
)
from rtw_contracts.events.cohorts import cohort_journey
from rtw_contracts.types import (
    AssessmentOutcome,
    AssessmentStage,
    CareerBreak,
    CareerBreakReason,
    ContractType,
    DecisionKind,
    FlexibleWorking,
    IctSpecialism,
    Language,
    MatchResponse,
    Programme,
    Region,
    SalaryBand,
    ScoreFactor,
    SecondStageAnswer,
    SkillClaim,
    SkillGap,
    SkillLevel,
    TrainingModuleRef,
    VideoFile,
    WithdrawalReason,
    WorkMode,
    WorkPreferences,
)

__all__ = ["example", "example_id"]

E = TypeVar("E", bound=Event)


def example_id(name: str) -> UUID:
    """Return a stable UUID for a readable example name (UUIDv5)."""
    return uuid5(NAMESPACE_URL, f"https://rtw.example/{name}")


APPLICATION_ID = example_id("application/priya-shah-ict-2020")
CANDIDATE_ID = example_id("candidate/priya-shah")
COUNCIL_ID = example_id("council/walsall")
VACANCY_ID = example_id("vacancy/walsall-data-analyst")
MATCH_ID = example_id("match/priya-shah-walsall-data-analyst")
ENROLMENT_ID = example_id("enrolment/priya-shah-ict-2020")
SESSION_ID = example_id("session/priya-shah-browser")
COHORT = "ict-2020"


def _at(day: int, month: int, year: int = 2020, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _envelope(name: str, occurred_at: datetime, sequence: int | None = 1) -> dict[str, Any]:
    return {
        "event_id": example_id(f"event/{name}"),
        "occurred_at": occurred_at,
        "correlation_id": APPLICATION_ID,
        "sequence": sequence,
    }


_SKILLS = [
    SkillClaim(skill="Data visualisation", level=SkillLevel.PRACTITIONER),
    SkillClaim(
        skill="Applying statistical and analytical tools and techniques",
        level=SkillLevel.WORKING,
    ),
    SkillClaim(skill="Data management", level=SkillLevel.WORKING),
]
_BAND = SalaryBand(min_pence=3_150_000, max_pence=3_600_000)
_MATCH_FACTORS = [
    ScoreFactor(
        name="specialism_fit",
        points=25,
        max_points=25,
        share=0.32,
        explanation="Data analyst is one of the candidate's specialisms.",
    ),
    ScoreFactor(
        name="skills_coverage",
        points=22.5,
        max_points=30,
        share=0.29,
        explanation="Covers 6 of the 8 skills of a data analyst at the level needed.",
        would_rise_if="Data ethics and privacy reached Working level.",
    ),
    ScoreFactor(
        name="distance",
        points=15,
        max_points=15,
        share=0.19,
        explanation="WS1 is 2 km from Walsall Council's base.",
    ),
    ScoreFactor(
        name="flexible_working",
        points=10,
        max_points=15,
        share=0.13,
        explanation="Part time is offered; compressed hours is not.",
        would_rise_if="The council offered compressed hours.",
    ),
    ScoreFactor(
        name="training_progress",
        points=5.5,
        max_points=15,
        share=0.07,
        explanation="3 of 8 refresher modules completed.",
        would_rise_if="The candidate completed more refresher modules.",
    ),
]


def _application_submitted() -> ApplicationSubmitted:
    return ApplicationSubmitted(
        **_envelope("application-submitted", _at(2, 10)),
        application_id=APPLICATION_ID,
        candidate_id=CANDIDATE_ID,
        reference="RTW-ICT-000123",
        programme=Programme.ICT,
        cohort_id=COHORT,
        submitted_at=_at(2, 10, hour=9, minute=58),
        given_name="Priya",
        family_name="Shah",
        email="priya.shah@example.org",
        preferred_language=Language.EN,
        postcode_district="WS1",
        region=Region.WEST_MIDLANDS,
        right_to_work=True,
        career_break=CareerBreak(start=date(2017, 3, 1), end=None, reason=CareerBreakReason.CARING),
        years_experience=8.5,
        professional_registration=None,
        specialisms=[IctSpecialism.DATA_ANALYST, IctSpecialism.SOFTWARE_DEVELOPER],
        skills=_SKILLS,
        work_preferences=WorkPreferences(
            flexible_working=[FlexibleWorking.PART_TIME, FlexibleWorking.COMPRESSED_HOURS],
            max_travel_km=25,
            visible_to_regions=[Region.WEST_MIDLANDS],
            visible_to_councils=["E08000025"],
            earliest_start=date(2021, 2, 1),
        ),
        privacy_notice_version="2020-09",
    )


def _application_submitted_v2() -> ApplicationSubmittedV2:
    facts, _contact = _application_submitted().split()
    return facts


def _application_contact_given() -> ApplicationContactGiven:
    _facts, contact = _application_submitted().split()
    return contact


def _adjustment_decided() -> AdjustmentDecided:
    return AdjustmentDecided(
        **_envelope("adjustment-decided", _at(18, 10, hour=11), sequence=2),
        application_id=APPLICATION_ID,
        candidate_id=CANDIDATE_ID,
        request_id=example_id("adjustment-request"),
        agreed=True,
        decided_at=_at(18, 10, hour=11),
    )


def _second_stage_submitted() -> SecondStageSubmitted:
    return SecondStageSubmitted(
        **_envelope("second-stage-submitted", _at(20, 10, hour=20, minute=15), sequence=2),
        application_id=APPLICATION_ID,
        candidate_id=CANDIDATE_ID,
        cohort_id=COHORT,
        programme=Programme.ICT,
        submitted_at=_at(20, 10, hour=20, minute=14),
        answers=[
            SecondStageAnswer(
                question_id="motivation",
                answer="I want to use my data skills to improve local services.",
            ),
            SecondStageAnswer(
                question_id="recent-learning",
                answer="I completed an online course in Python for data analysis in 2020.",
            ),
        ],
        video=VideoFile(
            storage_key="second-stage/ict-2020/5f2b7c1e.mp4",
            content_type="video/mp4",
            size_bytes=48_213_504,
            sha256="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        ),
    )


def _application_withdrawn() -> ApplicationWithdrawn:
    return ApplicationWithdrawn(
        **_envelope("application-withdrawn", _at(5, 1, year=2021), sequence=3),
        application_id=APPLICATION_ID,
        candidate_id=CANDIDATE_ID,
        cohort_id=COHORT,
        programme=Programme.ICT,
        withdrawn_at=_at(5, 1, year=2021),
        reason=WithdrawalReason.FOUND_WORK,
    )


def _candidate_preferences_changed() -> CandidatePreferencesChanged:
    return CandidatePreferencesChanged(
        **_envelope("candidate-preferences-changed", _at(4, 6, year=2021, hour=18), sequence=4),
        application_id=APPLICATION_ID,
        candidate_id=CANDIDATE_ID,
        work_preferences=WorkPreferences(
            flexible_working=[FlexibleWorking.PART_TIME],
            max_travel_km=40,
            visible_to_regions=[Region.WEST_MIDLANDS, Region.EAST_MIDLANDS],
            visible_to_councils=[],
            earliest_start=date(2021, 9, 1),
        ),
        changed_at=_at(4, 6, year=2021, hour=18),
    )


def _candidate_erased() -> CandidateErased:
    return CandidateErased(
        **_envelope("candidate-erased", _at(1, 6, year=2021), sequence=None),
        candidate_id=CANDIDATE_ID,
        application_ids=[APPLICATION_ID],
        erased_at=_at(1, 6, year=2021),
    )


def _candidate_sign_in_requested() -> CandidateSignInRequested:
    return CandidateSignInRequested(
        **_envelope("candidate-sign-in-requested", _at(2, 10), sequence=None),
        candidate_id=CANDIDATE_ID,
        email="amara.okafor@example.org",
        given_name="Amara",
        preferred_language=Language.EN,
        link="https://returners.example.org/sign-in/eyJhbGciOiJIUzI1NiJ9.example",
        expires_at=_at(2, 10, minute=30),
    )


def _candidate_sign_in_requested_v2() -> CandidateSignInRequestedV2:
    return CandidateSignInRequestedV2(
        **_envelope("candidate-sign-in-requested-v2", _at(2, 10), sequence=None),
        candidate_id=CANDIDATE_ID,
        email="priya.shah@example.org",
        given_name="Priya",
        preferred_language=Language.EN,
        next_page=f"/applications/my/applications/{APPLICATION_ID}",
        expires_at=_at(2, 10, minute=30),
    )


def _assessment_scored() -> AssessmentScored:
    return AssessmentScored(
        **_envelope("assessment-scored-second-stage", _at(10, 11), sequence=2),
        causation_id=example_id("event/second-stage-submitted"),
        application_id=APPLICATION_ID,
        candidate_id=CANDIDATE_ID,
        cohort_id=COHORT,
        programme=Programme.ICT,
        stage=AssessmentStage.SECOND_STAGE,
        outcome=AssessmentOutcome.SCORED,
        decision_kind=DecisionKind.AUTOMATIC,
        score=78.0,
        breakdown=[
            ScoreFactor(
                name="relevant_experience",
                points=32,
                max_points=40,
                share=0.41,
                explanation="Eight years as a data analyst in local government.",
                would_rise_if="Experience included leading a team.",
            ),
            ScoreFactor(
                name="motivation",
                points=26,
                max_points=30,
                share=0.33,
                explanation="Clear, specific reasons to return to council work.",
            ),
            ScoreFactor(
                name="video_assessment",
                points=20,
                max_points=30,
                share=0.26,
                explanation="Explained a past project clearly; little on stakeholders.",
                would_rise_if="The answer covered working with stakeholders.",
            ),
        ],
        reasons=[],
        rule_set_version="ict-2020.1",
        rubric_version="ict-2020-rubric.2",
        rank=None,
        next_step_deadline=None,
        decided_at=_at(10, 11),
    )


def _training_enrolled() -> TrainingEnrolled:
    return TrainingEnrolled(
        **_envelope("training-enrolled", _at(4, 1, year=2021)),
        causation_id=example_id("event/assessment-scored-final"),
        enrolment_id=ENROLMENT_ID,
        application_id=APPLICATION_ID,
        candidate_id=CANDIDATE_ID,
        programme=Programme.ICT,
        cohort_id=COHORT,
        curriculum_id="socitm-ict-refresher",
        curriculum_version="2020.1",
        modules=[
            TrainingModuleRef(
                module_id="digital-local-government",
                title="Digital in local government",
                required=True,
            ),
            TrainingModuleRef(module_id="cloud-fundamentals", title="Cloud fundamentals", required=True),
            TrainingModuleRef(
                module_id="data-protection", title="Data protection and UK GDPR", required=True
            ),
            TrainingModuleRef(module_id="agile-delivery", title="Agile delivery", required=False),
        ],
        enrolled_at=_at(4, 1, year=2021),
        expected_end=date(2021, 3, 31),
    )


def _training_module_completed() -> TrainingModuleCompleted:
    return TrainingModuleCompleted(
        **_envelope("training-module-completed", _at(18, 1, year=2021, hour=16), sequence=2),
        enrolment_id=ENROLMENT_ID,
        application_id=APPLICATION_ID,
        candidate_id=CANDIDATE_ID,
        module_id="data-protection",
        module_title="Data protection and UK GDPR",
        hours=6.0,
        skills=[SkillClaim(skill="Data ethics and privacy", level=SkillLevel.WORKING)],
        completed_at=_at(18, 1, year=2021, hour=16),
    )


def _training_completed() -> TrainingCompleted:
    return TrainingCompleted(
        **_envelope("training-completed", _at(29, 3, year=2021, hour=12), sequence=5),
        enrolment_id=ENROLMENT_ID,
        application_id=APPLICATION_ID,
        candidate_id=CANDIDATE_ID,
        programme=Programme.ICT,
        certificate_id=example_id("certificate/priya-shah-ict-2020"),
        skills_gained=[
            SkillClaim(skill="Data ethics and privacy", level=SkillLevel.WORKING),
            SkillClaim(skill="Developing code for analysis", level=SkillLevel.WORKING),
        ],
        completed_at=_at(29, 3, year=2021, hour=12),
    )


def _council_envelope(name: str, occurred_at: datetime, sequence: int | None) -> dict[str, Any]:
    return {**_envelope(name, occurred_at, sequence), "correlation_id": COUNCIL_ID}


def _council_registered() -> CouncilRegistered:
    return CouncilRegistered(
        **_council_envelope("council-registered", _at(1, 9), 1),
        council_id=COUNCIL_ID,
        gss_code="E08000030",
        name="Walsall",
        region=Region.WEST_MIDLANDS,
        contact_name="Sam Taylor",
        contact_email="digital.recruitment@walsall.example.gov.uk",
        specialisms_needed=[IctSpecialism.DATA_ANALYST, IctSpecialism.IT_TECHNICAL_SUPPORT],
        flexible_working_offered=[FlexibleWorking.PART_TIME, FlexibleWorking.HYBRID],
        registered_at=_at(1, 9),
    )


def _council_claim_rejected() -> CouncilClaimRejected:
    return CouncilClaimRejected(
        **_council_envelope("council-claim-rejected", _at(1, 8, minute=30), None),
        claim_id=example_id("claim/walsall-someone"),
        council_id=COUNCIL_ID,
        gss_code="E08000030",
        name="Walsall",
        contact_name="Someone Else",
        contact_email="someone.else@example.com",
        reason="The address is not a Walsall Council one: sign up again with your council address.",
        rejected_at=_at(1, 8, minute=30),
    )


def _recruiter_invited() -> RecruiterInvited:
    return RecruiterInvited(
        **_council_envelope("recruiter-invited", _at(1, 9, minute=5), 2),
        council_id=COUNCIL_ID,
        recruiter_id=example_id("recruiter/walsall-alex-jones"),
        name="Alex Jones",
        email="alex.jones@walsall.example.gov.uk",
        invited_at=_at(1, 9, minute=5),
    )


def _recruiter_invited_v2() -> RecruiterInvitedV2:
    return RecruiterInvitedV2(
        **_council_envelope("recruiter-invited-v2", _at(1, 9, minute=5), 2),
        council_id=COUNCIL_ID,
        recruiter_id=example_id("recruiter/walsall-alex-jones"),
        name="Alex Jones",
        email="alex.jones@walsall.example.gov.uk",
        invited_at=_at(1, 9, minute=5),
        expires_at=_at(2, 9, minute=5),
    )


def _vacancy_posted() -> VacancyPosted:
    return VacancyPosted(
        **_council_envelope("vacancy-posted", _at(15, 1, year=2021), 1),
        vacancy_id=VACANCY_ID,
        council_id=COUNCIL_ID,
        gss_code="E08000030",
        title="Data analyst (returner)",
        programme=Programme.ICT,
        specialism=IctSpecialism.DATA_ANALYST,
        role="Data analyst",
        role_level="Data analyst",
        required_skills=[
            SkillClaim(skill="Data visualisation", level=SkillLevel.WORKING),
            SkillClaim(skill="Data ethics and privacy", level=SkillLevel.WORKING),
            SkillClaim(skill="Data management", level=SkillLevel.WORKING),
        ],
        work_mode=WorkMode.HYBRID,
        flexible_working=[FlexibleWorking.PART_TIME, FlexibleWorking.HYBRID],
        base_postcode_districts=["WS1"],
        salary_band=_BAND,
        hours_per_week=30.0,
        closing_date=date(2021, 2, 12),
        posted_at=_at(15, 1, year=2021),
        description="Turn the council's housing and care data into reports that managers use every week.",
    )


def _match_proposed() -> MatchProposed:
    return MatchProposed(
        **_envelope("match-proposed", _at(15, 1, year=2021, minute=2)),
        causation_id=example_id("event/vacancy-posted"),
        match_id=MATCH_ID,
        vacancy_id=VACANCY_ID,
        council_id=COUNCIL_ID,
        candidate_id=CANDIDATE_ID,
        application_id=APPLICATION_ID,
        score=78.0,
        factors=_MATCH_FACTORS,
        weights_version="match-weights.3",
        proposed_at=_at(15, 1, year=2021, minute=2),
    )


def _reach_out_sent() -> ReachOutSent:
    return ReachOutSent(
        **_envelope("reach-out-sent", _at(18, 1, year=2021, hour=11), sequence=2),
        match_id=MATCH_ID,
        vacancy_id=VACANCY_ID,
        council_id=COUNCIL_ID,
        candidate_id=CANDIDATE_ID,
        application_id=APPLICATION_ID,
        sent_at=_at(18, 1, year=2021, hour=11),
    )


def _interview_invited() -> InterviewInvited:
    return InterviewInvited(
        **_envelope("interview-invited", _at(20, 1, year=2021, hour=9), sequence=None),
        causation_id=example_id("event/match-responded"),
        interview_id=example_id("interview/1"),
        match_id=MATCH_ID,
        vacancy_id=VACANCY_ID,
        council_id=COUNCIL_ID,
        candidate_id=CANDIDATE_ID,
        application_id=APPLICATION_ID,
        starts_at=_at(27, 1, year=2021, hour=14),
        place="Civic Centre, Darwall Street, Walsall WS1 1TP: ask at reception for room 2",
        invited_at=_at(20, 1, year=2021, hour=9),
        ends_at=_at(27, 1, year=2021, hour=15),
        stage=1,
    )


def _interview_slots_proposed() -> InterviewSlotsProposed:
    return InterviewSlotsProposed(
        **_envelope("interview-slots-proposed", _at(20, 1, year=2021, hour=8), sequence=None),
        causation_id=example_id("event/match-responded"),
        interview_id=example_id("interview/1"),
        match_id=MATCH_ID,
        vacancy_id=VACANCY_ID,
        council_id=COUNCIL_ID,
        candidate_id=CANDIDATE_ID,
        application_id=APPLICATION_ID,
        stage=1,
        slots=3,
        proposed_at=_at(20, 1, year=2021, hour=8),
    )


def _offer_made() -> OfferMade:
    return OfferMade(
        **_envelope("offer-made", _at(1, 2, year=2021, hour=10), sequence=None),
        offer_id=example_id("offer/1"),
        match_id=MATCH_ID,
        vacancy_id=VACANCY_ID,
        council_id=COUNCIL_ID,
        candidate_id=CANDIDATE_ID,
        application_id=APPLICATION_ID,
        made_at=_at(1, 2, year=2021, hour=10),
    )


def _offer_answered() -> OfferAnswered:
    return OfferAnswered(
        **_envelope("offer-answered", _at(2, 2, year=2021, hour=10), sequence=None),
        causation_id=example_id("event/offer-made"),
        offer_id=example_id("offer/1"),
        match_id=MATCH_ID,
        vacancy_id=VACANCY_ID,
        council_id=COUNCIL_ID,
        candidate_id=CANDIDATE_ID,
        application_id=APPLICATION_ID,
        response=MatchResponse.ACCEPTED,
        answered_at=_at(2, 2, year=2021, hour=10),
    )


def _match_responded() -> MatchResponded:
    return MatchResponded(
        **_envelope("match-responded", _at(19, 1, year=2021, hour=8), sequence=3),
        causation_id=example_id("event/reach-out-sent"),
        match_id=MATCH_ID,
        vacancy_id=VACANCY_ID,
        council_id=COUNCIL_ID,
        candidate_id=CANDIDATE_ID,
        application_id=APPLICATION_ID,
        response=MatchResponse.ACCEPTED,
        responded_at=_at(19, 1, year=2021, hour=8),
    )


def _candidate_hired() -> CandidateHired:
    return CandidateHired(
        **_envelope("candidate-hired", _at(26, 2, year=2021), sequence=4),
        match_id=MATCH_ID,
        vacancy_id=VACANCY_ID,
        council_id=COUNCIL_ID,
        candidate_id=CANDIDATE_ID,
        application_id=APPLICATION_ID,
        start_date=date(2021, 4, 6),
        hours_per_week=30.0,
        salary_band=SalaryBand(min_pence=3_300_000, max_pence=3_300_000),
        contract=ContractType.PERMANENT,
        hired_at=_at(26, 2, year=2021),
    )


def _skill_gap_identified() -> SkillGapIdentified:
    return SkillGapIdentified(
        **_envelope("skill-gap-identified", _at(15, 1, year=2021, minute=2)),
        causation_id=example_id("event/vacancy-posted"),
        candidate_id=CANDIDATE_ID,
        application_id=APPLICATION_ID,
        vacancy_id=VACANCY_ID,
        council_id=COUNCIL_ID,
        gaps=[
            SkillGap(
                skill="Data ethics and privacy",
                required_level=SkillLevel.WORKING,
                current_level=SkillLevel.AWARENESS,
            ),
            SkillGap(
                skill="Developing code for analysis",
                required_level=SkillLevel.WORKING,
                current_level=None,
            ),
        ],
        score=78.0,
        identified_at=_at(15, 1, year=2021, minute=2),
    )


def _selection_reopened() -> SelectionReopened:
    return SelectionReopened(
        **_envelope("selection-reopened", _at(2, 12, hour=9), sequence=4),
        application_id=APPLICATION_ID,
        candidate_id=CANDIDATE_ID,
        cohort_id=COHORT,
        programme=Programme.ICT,
        withdrawn_outcome=AssessmentOutcome.SELECTED,
        selection_closed_at=_at(1, 12, hour=15),
        reopened_at=_at(2, 12, hour=9),
    )


def _session_ended() -> SessionEnded:
    return SessionEnded(
        event_id=example_id("event/session-ended"),
        occurred_at=_at(2, 10, minute=40),
        correlation_id=SESSION_ID,
        session_id=SESSION_ID,
        expires_at=_at(2, 10, hour=18, minute=5),
    )


def _cohort_scheduled() -> CohortScheduled:
    return CohortScheduled(
        event_id=example_id("event/cohort-scheduled"),
        occurred_at=_at(1, 9),
        correlation_id=cohort_journey(COHORT),
        sequence=1,
        cohort_id=COHORT,
        programme=Programme.ICT,
        title="ICT returners, spring 2020",
        opens_on=date(2020, 1, 6),
        closes_on=date(2020, 1, 31),
        video_required=True,
        changed_at=_at(1, 9),
    )


def _assessor_changed() -> AssessorChanged:
    return AssessorChanged(
        event_id=example_id("event/assessor-changed"),
        occurred_at=_at(1, 9),
        correlation_id=example_id("staff/assessor-jo-okafor"),
        assessor_id="jo-okafor",
        display_name="Jo Okafor",
        programmes=[Programme.ICT],
        active=True,
        changed_at=_at(1, 9),
    )


def _cohort_selection_closed() -> CohortSelectionClosed:
    return CohortSelectionClosed(
        event_id=example_id("event/cohort-selection-closed"),
        occurred_at=_at(20, 3, minute=5),
        correlation_id=cohort_journey(COHORT),
        cohort_id=COHORT,
        programme=Programme.ICT,
        closed_at=_at(20, 3, minute=5),
    )


def _training_provider_changed() -> TrainingProviderChanged:
    return TrainingProviderChanged(
        event_id=example_id("event/training-provider-changed"),
        occurred_at=_at(1, 9, minute=5),
        correlation_id=example_id("staff/provider-digital-skills-college"),
        provider_id="digital-skills-college",
        name="Digital Skills College",
        cohorts=["ict-2020"],
        active=True,
        changed_at=_at(1, 9, minute=5),
    )


def _appeal_lodged() -> AppealLodged:
    return AppealLodged(
        **_envelope("appeal-lodged", _at(4, 9)),
        appeal_id=example_id("appeal/1"),
        application_id=APPLICATION_ID,
        candidate_id=CANDIDATE_ID,
        decision_id=example_id("decision/screening"),
        lodged_at=_at(4, 9),
    )


def _appeal_decided() -> AppealDecided:
    return AppealDecided(
        **_envelope("appeal-decided", _at(15, 9)),
        appeal_id=example_id("appeal/1"),
        application_id=APPLICATION_ID,
        candidate_id=CANDIDATE_ID,
        programme=Programme.ICT,
        upheld=True,
        reason="Your share code shows you have the right to work in the UK.",
        decided_at=_at(15, 9),
    )


_BUILDERS: dict[type[Event], Callable[[], Event]] = {
    ApplicationSubmitted: _application_submitted,
    ApplicationSubmittedV2: _application_submitted_v2,
    ApplicationContactGiven: _application_contact_given,
    SecondStageSubmitted: _second_stage_submitted,
    AdjustmentDecided: _adjustment_decided,
    ApplicationWithdrawn: _application_withdrawn,
    CandidatePreferencesChanged: _candidate_preferences_changed,
    CandidateErased: _candidate_erased,
    CandidateSignInRequested: _candidate_sign_in_requested,
    CandidateSignInRequestedV2: _candidate_sign_in_requested_v2,
    CohortScheduled: _cohort_scheduled,
    AssessmentScored: _assessment_scored,
    CohortSelectionClosed: _cohort_selection_closed,
    SelectionReopened: _selection_reopened,
    AppealLodged: _appeal_lodged,
    AppealDecided: _appeal_decided,
    TrainingEnrolled: _training_enrolled,
    TrainingModuleCompleted: _training_module_completed,
    TrainingCompleted: _training_completed,
    CouncilRegistered: _council_registered,
    CouncilClaimRejected: _council_claim_rejected,
    RecruiterInvited: _recruiter_invited,
    RecruiterInvitedV2: _recruiter_invited_v2,
    VacancyPosted: _vacancy_posted,
    MatchProposed: _match_proposed,
    ReachOutSent: _reach_out_sent,
    MatchResponded: _match_responded,
    InterviewSlotsProposed: _interview_slots_proposed,
    InterviewInvited: _interview_invited,
    OfferMade: _offer_made,
    OfferAnswered: _offer_answered,
    CandidateHired: _candidate_hired,
    SkillGapIdentified: _skill_gap_identified,
    SessionEnded: _session_ended,
    AssessorChanged: _assessor_changed,
    TrainingProviderChanged: _training_provider_changed,
}


def example(event_cls: type[E], **overrides: Any) -> E:
    """Return a realistic, valid, deterministic instance of ``event_cls``.

    ``overrides`` replace fields (validated like any input). Raises ``KeyError`` for a class
    without an example.
    """
    try:
        builder = _BUILDERS[event_cls]
    except KeyError:
        raise KeyError(f"no example for {event_cls.__name__}; add one to rtw_contracts.examples") from None
    instance = builder()
    if overrides:
        instance = event_cls.model_validate({**instance.model_dump(), **overrides})
    if not isinstance(instance, event_cls):  # pragma: no cover - guarded by the mapping
        raise TypeError(f"example builder for {event_cls.__name__} built {type(instance)}")
    return instance
