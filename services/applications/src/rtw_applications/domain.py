"""Pure rules of applying and of the candidate's journey: no I/O, no frameworks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from rtw_contracts import AdjustmentKind, AssessmentOutcome, AssessmentStage, MatchResponse, Programme
from rtw_contracts.months import add_months
from rtw_contracts.questions import SECOND_STAGE_QUESTIONS as SECOND_STAGE_QUESTIONS  # shared
from rtw_contracts.questions import SecondStageQuestion as SecondStageQuestion
from rtw_platform.marking import N_


class Stage(StrEnum):
    """Where an application is, as staff call it."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    INELIGIBLE = "ineligible"
    NOT_SHORTLISTED = "not_shortlisted"
    SHORTLISTED = "shortlisted"
    SECOND_STAGE_SUBMITTED = "second_stage_submitted"
    SCORED = "scored"
    SELECTED = "selected"
    WAITLISTED = "waitlisted"
    REJECTED = "rejected"
    ENROLLED = "enrolled"
    MODULE_COMPLETED = "module_completed"
    TRAINED = "trained"
    MATCHED = "matched"
    REACHED_OUT = "reached_out"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    HIRED = "hired"
    WITHDRAWN = "withdrawn"
    ERASED = "erased"
    SELECTION_REOPENED = "selection_reopened"
    APPEALED = "appealed"
    APPEAL_UPHELD = "appeal_upheld"
    APPEAL_DISMISSED = "appeal_dismissed"


#: What candidates see for each stage (they see "Application received", not "screening").
#: What the candidate reads for each stage (marked for the Welsh catalogue, translated where shown).
CANDIDATE_LABELS: dict[Stage, str] = {
    Stage.DRAFT: N_("Application started"),
    Stage.SUBMITTED: N_("Application received"),
    Stage.INELIGIBLE: N_("Not eligible for this programme"),
    Stage.NOT_SHORTLISTED: N_("Not invited to the second stage"),
    Stage.SHORTLISTED: N_("Invited to the second stage"),
    Stage.SECOND_STAGE_SUBMITTED: N_("Second stage received"),
    Stage.SCORED: N_("Second stage assessed"),
    Stage.SELECTED: N_("Offered a place on the programme"),
    Stage.WAITLISTED: N_("On the waiting list"),
    Stage.REJECTED: N_("Not offered a place this time"),
    Stage.ENROLLED: N_("Training started"),
    Stage.MODULE_COMPLETED: N_("Training module completed"),
    Stage.TRAINED: N_("Training completed"),
    Stage.MATCHED: N_("Matched with a council vacancy"),
    Stage.REACHED_OUT: N_("A council would like to talk to you"),
    Stage.ACCEPTED: N_("You agreed to talk to the council"),
    Stage.DECLINED: N_("You declined the council's interest"),
    Stage.HIRED: N_("Hired"),
    Stage.WITHDRAWN: N_("Application withdrawn"),
    Stage.ERASED: N_("Personal data erased"),
    Stage.SELECTION_REOPENED: N_("Decision being looked at again"),
    Stage.APPEALED: N_("You appealed the decision"),
    Stage.APPEAL_UPHELD: N_("Your appeal was upheld"),
    Stage.APPEAL_DISMISSED: N_("Your appeal was not upheld"),
}

#: How far along each stage is: the journey's current stage is the furthest reached, whatever
#: order the events arrive in. Outcomes of one step share a rank; the later decision wins.
_RANK: dict[Stage, int] = {
    Stage.DRAFT: 0,
    Stage.SUBMITTED: 1,
    Stage.INELIGIBLE: 2,
    Stage.NOT_SHORTLISTED: 2,
    Stage.SHORTLISTED: 2,
    # An appeal and its answer are screening steps too: the latest of them stands, and while an
    # appeal is open (or upheld, before the new screening decision) the application is not over.
    Stage.APPEALED: 2,
    Stage.APPEAL_UPHELD: 2,
    Stage.APPEAL_DISMISSED: 2,
    Stage.SECOND_STAGE_SUBMITTED: 3,
    Stage.SCORED: 4,
    Stage.SELECTED: 5,
    Stage.WAITLISTED: 5,
    Stage.REJECTED: 5,
    Stage.ENROLLED: 6,
    Stage.MODULE_COMPLETED: 7,
    Stage.TRAINED: 8,
    Stage.MATCHED: 9,
    Stage.REACHED_OUT: 10,
    Stage.ACCEPTED: 11,
    Stage.DECLINED: 11,
    Stage.HIRED: 12,
    Stage.WITHDRAWN: 100,
    Stage.ERASED: 101,
    # Never the furthest step: it takes back the selection's steps before it (see current_stage).
    Stage.SELECTION_REOPENED: 1,
}

#: The steps a reopened selection takes back: its decisions and the training they started.
REOPENED_STAGES = frozenset({Stage.SELECTED, Stage.WAITLISTED, Stage.REJECTED, Stage.ENROLLED})

#: Stages after which nothing more happens to the application (the retention clock starts).
FINAL_STAGES = frozenset(
    {
        Stage.INELIGIBLE,
        Stage.NOT_SHORTLISTED,
        Stage.REJECTED,
        Stage.HIRED,
        Stage.WITHDRAWN,
        Stage.APPEAL_DISMISSED,
    }
)

#: Stages an application can no longer be withdrawn from: it is over (a final outcome, withdrawn)
#: or its personal data are gone.
_NOT_WITHDRAWABLE = FINAL_STAGES | {Stage.ERASED}


def may_withdraw(stage: Stage) -> bool:
    """True while the application is still in progress: not withdrawn and no final outcome yet."""
    return stage not in _NOT_WITHDRAWABLE


def withdrawal_refusal(stage: Stage) -> str | None:
    """Why an application at this stage cannot be withdrawn (None if it can), as a person reads it."""
    if stage is Stage.WITHDRAWN:
        return "This application was already withdrawn."
    if may_withdraw(stage):
        return None
    return (
        "This application is already over, so there is nothing to withdraw. "
        "To stop the service holding your data, ask for it to be erased instead."
    )


#: The appeal's own steps: at the same moment as a decision, the decision stands before them (an
#: upheld appeal and the screening it leads to are made together).
APPEAL_STAGES = frozenset({Stage.APPEALED, Stage.APPEAL_UPHELD, Stage.APPEAL_DISMISSED})


def rank(stage: Stage) -> int:
    """How far along a stage is."""
    return _RANK[stage]


@dataclass(frozen=True)
class JourneyStep:
    """One dated step of a journey."""

    stage: Stage
    occurred_at: datetime


def current_stage(steps: list[JourneyStep]) -> Stage:
    """The stage an application is in: the furthest step, the latest among equals.

    Repeated or out-of-order events therefore never move an application backwards, except that
    a reopened selection takes back the selection decisions (and enrolments) before it: the
    application is back where it was before selection, until the new selection decides.
    """
    reopened = [s.occurred_at for s in steps if s.stage is Stage.SELECTION_REOPENED]
    if reopened:
        last = max(reopened)
        steps = [s for s in steps if not (s.stage in REOPENED_STAGES and s.occurred_at <= last)]
    if not steps:
        return Stage.DRAFT
    return max(steps, key=lambda s: (rank(s.stage), s.occurred_at, s.stage not in APPEAL_STAGES)).stage


def appeal_offer(
    status: Stage, appealed: bool, decided_by_appeal: bool, deadline: date | None, today: date
) -> str:
    """What the status page offers about appealing: 'open' (the candidate may appeal, until the
    deadline if one is known), 'closed' (the time to appeal has passed), 'appealed' (an appeal
    was made: see it), or '' (nothing to appeal)."""
    if appealed:
        return "appealed"
    if status is not Stage.INELIGIBLE or decided_by_appeal:
        return ""
    return "closed" if deadline is not None and today > deadline else "open"


def stage_after_assessment(stage: AssessmentStage, outcome: AssessmentOutcome) -> Stage:
    """The journey stage an assessment decision moves the application to."""
    if stage is AssessmentStage.SECOND_STAGE and outcome is AssessmentOutcome.SCORED:
        return Stage.SCORED
    return Stage(outcome.value)


def stage_after_response(response: MatchResponse) -> Stage:
    """The journey stage after the candidate answered a council."""
    return Stage.ACCEPTED if response is MatchResponse.ACCEPTED else Stage.DECLINED


# --------------------------------------------------------------------------- idempotency keys


def request_key(caller: str, key: str) -> str:
    """An `Idempotency-Key` as stored: bound to who sent it (see `access.caller_identity`), so the
    same key sent by anyone else matches nothing and is simply a new request. Only a hash of the
    two is kept."""
    digest = hashlib.sha256(f"{caller}\n{key}".encode()).hexdigest()
    return f"scoped:{digest}"


# --------------------------------------------------------------------------- cohorts and windows


@dataclass(frozen=True)
class Window:
    """A cohort's application window, both days included (UK dates)."""

    opens_on: date
    closes_on: date

    def is_open(self, today: date) -> bool:
        """True if applications are accepted today."""
        return self.opens_on <= today <= self.closes_on

    def describe(self) -> str:
        """e.g. '29 September 2026 to 18 December 2026'."""
        return f"{_long_date(self.opens_on)} to {_long_date(self.closes_on)}"


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def window_refusal(window: Window, today: date) -> str | None:
    """Why an application cannot be made today, naming the window; None if it can."""
    if today < window.opens_on:
        opens = _long_date(window.opens_on)
        return f"Applications for this cohort open on {opens} (window {window.describe()})."
    if today > window.closes_on:
        closed = _long_date(window.closes_on)
        return f"Applications for this cohort closed on {closed} (window {window.describe()})."
    return None


def selection_closed_refusal(closed_on: date) -> str:
    """Why nobody may apply once the cohort's selection is closed."""
    return (
        f"Selection for this cohort closed on {_long_date(closed_on)}: it takes no more applications. "
        "Look for a programme open now on the start page."
    )


def cohort_status(window: Window, today: date, selection_closed_at: datetime | None) -> str:
    """How a cohort stands for applicants, e.g. 'Opens on 5 January 2027', 'Open', 'Closed'."""
    if selection_closed_at is not None:
        return "Selection closed"
    if today < window.opens_on:
        return f"Opens on {_long_date(window.opens_on)}"
    if today > window.closes_on:
        return "Closed"
    return "Open"


# --------------------------------------------------------------------------- programme data


@dataclass(frozen=True)
class ProgrammeProfile:
    """What applying to a programme asks for beyond the common questions."""

    code: str
    title: str
    professional_bodies: tuple[str, ...]
    registration_required: bool
    asks_for_specialisms: bool


PROGRAMMES: dict[Programme, ProgrammeProfile] = {
    Programme.ICT: ProgrammeProfile(
        code="ICT",
        title="Return to Work - ICT",
        professional_bodies=(),
        registration_required=False,
        asks_for_specialisms=True,
    ),
    Programme.SOCIAL_WORK: ProgrammeProfile(
        code="SW",
        title="Return to Social Work",
        professional_bodies=(
            "Social Work England",
            "Social Care Wales",
            "Scottish Social Services Council",
            "Northern Ireland Social Care Council",
            "Health and Care Professions Council",
        ),
        registration_required=True,
        asks_for_specialisms=False,
    ),
    Programme.PLANNING: ProgrammeProfile(
        code="PLN",
        title="Return to Planning",
        professional_bodies=("Royal Town Planning Institute",),
        registration_required=False,
        asks_for_specialisms=False,
    ),
    Programme.LEGAL: ProgrammeProfile(
        code="LGL",
        title="Return to Legal",
        professional_bodies=(
            "Solicitors Regulation Authority",
            "Bar Standards Board",
            "CILEx Regulation",
        ),
        registration_required=True,
        asks_for_specialisms=False,
    ),
}


def reference_for(programme: Programme, number: int) -> str:
    """The reference quoted to the candidate, e.g. RTW-ICT-000123."""
    return f"RTW-{PROGRAMMES[programme].code}-{number:06d}"


#: Days a shortlisted candidate has for the second stage when assessment sets no deadline.
DEFAULT_SECOND_STAGE_DAYS = 14


def second_stage_problems(
    questions: tuple[SecondStageQuestion, ...], answers: dict[str, str]
) -> list[tuple[str, str]]:
    """(field, message) for every missing, unknown or over-long answer."""
    problems: list[tuple[str, str]] = []
    known = {q.id for q in questions}
    for question_id in answers:
        if question_id not in known:
            problems.append((f"answers.{question_id}", "is not a question of this programme"))
    for question in questions:
        answer = (answers.get(question.id) or "").strip()
        if not answer:
            problems.append((f"answers.{question.id}", f"Answer the question: {question.text}"))
        elif (words := len(answer.split())) > question.max_words:
            problems.append(
                (
                    f"answers.{question.id}",
                    f"Use {question.max_words} words or fewer (you used {words}).",
                )
            )
    return problems


def second_stage_deadline(shortlisted_at: datetime, deadline: date | None) -> datetime:
    """The end of the last day a second stage is accepted (UTC)."""
    day = deadline or (shortlisted_at + timedelta(days=DEFAULT_SECOND_STAGE_DAYS)).date()
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)


# --------------------------------------------------------------------------- videos


VIDEO_EXTENSIONS = {"video/mp4": "mp4", "video/webm": "webm", "video/quicktime": "mov"}

#: ISO media "major brands" of MP4 video (photos such as HEIC and audio such as M4A share the
#: container, so the brand must be one of these).
MP4_VIDEO_BRANDS = frozenset(
    {
        b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1",
        b"M4V ", b"M4VH", b"M4VP", b"dash", b"mmp4", b"MSNV", b"3gp4", b"3gp5", b"3gp6",
    }
)  # fmt: skip


def sniff_video(head: bytes) -> str | None:
    """The video type from its first bytes (never from its name): mp4, webm or mov, else None."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "video/quicktime"
        return "video/mp4" if brand in MP4_VIDEO_BRANDS else None
    if head[:4] == b"\x1a\x45\xdf\xa3" and b"webm" in head[:64]:
        return "video/webm"
    return None


# --------------------------------------------------------------------------- reasonable adjustments


class AdjustmentStatus(StrEnum):
    """Where a request for reasonable adjustments is."""

    REQUESTED = "requested"
    AGREED = "agreed"
    DECLINED = "declined"


#: The longest a candidate's explanation (or staff's reason) may be, in characters.
MAX_ADJUSTMENT_TEXT = 2000
#: The most extra time staff may agree at once (14 days, in minutes): beyond is a typing mistake.
MAX_EXTRA_MINUTES = 14 * 24 * 60
#: The longest written alternative to the video, in words (about what 3 minutes of speech holds).
WRITTEN_ALTERNATIVE_MAX_WORDS = 500
#: Adjustments that replace the one-way video: the second stage is complete without one.
VIDEO_REPLACEMENTS = frozenset(
    {AdjustmentKind.WRITTEN_ALTERNATIVE_TO_VIDEO, AdjustmentKind.LIVE_CALL_WITH_ASSESSOR}
)


def adjustment_request_problems(kinds: list[str], details: str) -> list[tuple[str, str]]:
    """(field, message) for what is wrong with a request: at least one kind from the list, an
    explanation for another format, and nothing too long."""
    problems: list[tuple[str, str]] = []
    known = {kind.value for kind in AdjustmentKind}
    if not kinds:
        problems.append(("kinds", N_("Choose at least one adjustment")))
    elif any(kind not in known for kind in kinds):
        problems.append(("kinds", N_("Choose from the adjustments listed")))
    if AdjustmentKind.OTHER_FORMAT.value in kinds and not details.strip():
        problems.append(("details", N_("Tell us which format you need")))
    if len(details) > MAX_ADJUSTMENT_TEXT:
        problems.append(("details", N_("Use 2000 characters or fewer")))
    return problems


def adjustment_decision_problems(
    status: str,
    asked: list[str],
    agreed: list[str],
    extra_minutes: int | None,
    reason: str,
) -> list[tuple[str, str]]:
    """(field, message) for what is wrong with staff's decision: agreed means at least one of the
    kinds asked (more time with how many minutes), declined means a reason the candidate reads."""
    problems: list[tuple[str, str]] = []
    if status not in {AdjustmentStatus.AGREED.value, AdjustmentStatus.DECLINED.value}:
        return [("decision", "Choose whether to agree or decline the request")]
    if len(reason) > MAX_ADJUSTMENT_TEXT:
        problems.append(("reason", "Use 2000 characters or fewer"))
    if status == AdjustmentStatus.DECLINED.value:
        if not reason.strip():
            problems.append(("reason", "Give the reason the request is declined; the candidate reads it"))
        return problems
    if not agreed:
        problems.append(("agreed", "Choose at least one adjustment to agree, or decline the request"))
    elif any(kind not in asked for kind in agreed):
        problems.append(("agreed", "Agree only adjustments the candidate asked for"))
    if AdjustmentKind.MORE_TIME.value in agreed:
        if extra_minutes is None or not 1 <= extra_minutes <= MAX_EXTRA_MINUTES:
            problems.append(
                ("extra_minutes", f"Enter the extra time in minutes, from 1 to {MAX_EXTRA_MINUTES}")
            )
    elif extra_minutes is not None:
        problems.append(
            ("extra_minutes", "Extra minutes go with more time: agree more time or leave them out")
        )
    return problems


def video_replaced(agreed: frozenset[AdjustmentKind]) -> bool:
    """Whether an agreed adjustment replaces the one-way video (written answers or a live call)."""
    return bool(agreed & VIDEO_REPLACEMENTS)


def second_stage_evidence_problems(
    *,
    video_required: bool,
    has_video: bool,
    written_alternative: str,
    agreed: frozenset[AdjustmentKind],
) -> list[tuple[str, str]]:
    """(field, message) for the evidence beside the answers: the video the cohort asks for, unless
    an agreed adjustment replaces it (written answers are then required in its place, a live call
    needs nothing here); written answers only when agreed, within the word limit."""
    written = written_alternative.strip()
    problems: list[tuple[str, str]] = []
    if written and AdjustmentKind.WRITTEN_ALTERNATIVE_TO_VIDEO not in agreed:
        problems.append(
            ("written_alternative", N_("Written answers instead of the video need an agreed adjustment"))
        )
    elif written and len(written.split()) > WRITTEN_ALTERNATIVE_MAX_WORDS:
        problems.append(("written_alternative", N_("Use 500 words or fewer")))
    if not video_required or has_video:
        return problems
    if AdjustmentKind.WRITTEN_ALTERNATIVE_TO_VIDEO in agreed and not written:
        if AdjustmentKind.LIVE_CALL_WITH_ASSESSOR not in agreed:
            problems.append(("written_alternative", N_("Write your answer instead of the video")))
    elif not video_replaced(agreed):
        problems.append(("video", N_("Upload your video assessment (MP4, WebM or MOV).")))
    return problems


def deadline_with_more_time(deadline: datetime | None, extra_minutes: int) -> datetime | None:
    """The second stage's deadline once agreed extra time is added (None: no deadline)."""
    return None if deadline is None else deadline + timedelta(minutes=extra_minutes)


# --------------------------------------------------------------------------- retention

#: The shortest retention period the law allows us: a candidate may bring a discrimination claim
#: about a decision for three months less a day after it (longer with ACAS early conciliation), and
#: may appeal it; the programme must still be able to show how the decision was made until then.
MIN_RETENTION_MONTHS = 6
#: The longest period accepted: nothing in the programme needs more, so a bigger number is a typo.
MAX_RETENTION_MONTHS = 120


def retention_refusal(months: int) -> str | None:
    """Why `months` cannot be the retention period, or None if it can."""
    if months < MIN_RETENTION_MONTHS:
        return (
            f"{months} months is shorter than the legal minimum of {MIN_RETENTION_MONTHS} months "
            "(decisions must stay explainable while they can be appealed or challenged)"
        )
    if months > MAX_RETENTION_MONTHS:
        return f"{months} months is longer than the longest period allowed, {MAX_RETENTION_MONTHS} months"
    return None


def retention_due(final_outcome_at: datetime | None, months: int, now: datetime) -> bool:
    """True once `months` whole months have passed since the application's final outcome."""
    if final_outcome_at is None:
        return False
    return now >= add_months(final_outcome_at, months)
