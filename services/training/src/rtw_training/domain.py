"""Training rules: the CPD-days ledger, completion, skills gained and module recommendations.
Pure functions: no I/O."""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from rtw_contracts import SkillClaim, SkillGap, SkillLevel

from .curricula import CpdRule, Curriculum, Module


class CpdKind(StrEnum):
    """Structured learning (courses, supervised practice) or private study."""

    STRUCTURED = "structured"
    PRIVATE_STUDY = "private_study"


CPD_KINDS = {
    CpdKind.STRUCTURED.value: "Structured learning (a course, supervised practice)",
    CpdKind.PRIVATE_STUDY.value: "Private study",
}


@dataclass(frozen=True)
class CpdEntry:
    day: date
    days: float
    kind: CpdKind


@dataclass(frozen=True)
class CpdStatus:
    """Where a learner's CPD stands against what the regulator needs."""

    required_days: float
    structured_days: float
    private_study_days: float
    counted_days: float
    met: bool


def years_out_of_practice(last_practised: date, on: date) -> float:
    """Years from the month last practised to a day."""
    return (on - last_practised).days / 365.25


def required_cpd_days(rule: CpdRule, years_out: float) -> float:
    """30 days of updating if out of practice for up to 5 years, 60 if longer (by default)."""
    return rule.days_if_out_up_to_5_years if years_out <= 5 else rule.days_if_out_longer


def cpd_status(rule: CpdRule, years_out: float, entries: Iterable[CpdEntry]) -> CpdStatus:
    """Private study counts only up to its share of the requirement (by default half)."""
    entries = list(entries)  # read twice below
    required = required_cpd_days(rule, years_out)
    structured = sum(e.days for e in entries if e.kind is CpdKind.STRUCTURED)
    private = sum(e.days for e in entries if e.kind is CpdKind.PRIVATE_STUDY)
    counted = structured + min(private, required * rule.max_private_study_share)
    return CpdStatus(
        required_days=required,
        structured_days=structured,
        private_study_days=private,
        counted_days=counted,
        met=counted >= required,
    )


def missing_modules(curriculum: Curriculum, completed: Iterable[str]) -> list[Module]:
    """Required modules not yet completed."""
    done = set(completed)
    return [m for m in curriculum.required_modules if m.id not in done]


def skills_gained(curriculum: Curriculum, completed: Iterable[str]) -> list[SkillClaim]:
    """The highest level of each skill built by the completed modules."""
    best: dict[str, SkillLevel] = {}
    for module_id in completed:
        module = curriculum.module(module_id)
        if module is None:
            continue
        for claim in module.skills:
            if claim.level > best.get(claim.skill, 0):
                best[claim.skill] = claim.level
    return [SkillClaim(skill=skill, level=level) for skill, level in sorted(best.items())]


def expected_end(enrolled_at: datetime, curriculum: Curriculum) -> date:
    """When the training should be over: the curriculum's weeks from enrolling."""
    return (enrolled_at + timedelta(weeks=curriculum.weeks)).date()


def is_complete(curriculum: Curriculum, completed: Iterable[str], cpd: CpdStatus | None) -> bool:
    """Every required module done, and the CPD ledger met where the curriculum keeps one."""
    return not missing_modules(curriculum, completed) and (cpd is None or cpd.met)


def full_name(given_name: str | None, family_name: str | None) -> str:
    """A learner's name as the application gave it ('' once erased)."""
    return " ".join(p for p in (given_name, family_name) if p)


def certificate_facts(
    certificate_id: str,
    name: str,
    programme: str,
    curriculum: Curriculum,
    completed: Iterable[str],
    cpd: CpdStatus | None,
    issued_on: date,
) -> dict[str, Any]:
    """What a certificate says (and its signature covers)."""
    done = set(completed)
    return {
        "certificate_id": certificate_id,
        "name": name,
        "programme": programme,
        "curriculum": f"{curriculum.title} ({curriculum.version})",
        "provider": curriculum.provider,
        "modules": [m.title for m in curriculum.modules if m.id in done],
        "skills": [{"skill": s.skill, "level": int(s.level)} for s in skills_gained(curriculum, done)],
        "cpd_days": cpd.counted_days if cpd else None,
        "issued_on": issued_on.isoformat(),
    }


def recommend_modules(
    curriculum: Curriculum, gaps: Sequence[SkillGap], completed: Iterable[str]
) -> list[tuple[Module, list[str]]]:
    """Modules not yet completed that close at least one gap, with the skills each closes,
    the ones closing most gaps first."""
    done = set(completed)
    recommended = []
    for module in curriculum.modules:
        if module.id in done:
            continue
        closes = [
            gap.skill
            for gap in gaps
            if any(c.skill == gap.skill and c.level >= gap.required_level for c in module.skills)
        ]
        if closes:
            recommended.append((module, closes))
    return sorted(recommended, key=lambda item: (-len(item[1]), item[0].id))


# --------------------------------------------------------------------------- recording outcomes

#: What a provider records for a module: in progress, or completed with a result.
STARTED = "started"
RESULTS = {"passed": "Passed", "merit": "Merit", "distinction": "Distinction"}
OUTCOMES = {STARTED: "In progress", **RESULTS}
#: A correction that takes a recorded completion back (the module counts as not done).
NOT_COMPLETED = "not_completed"
CORRECTIONS = {**RESULTS, NOT_COMPLETED: "Not completed (take the recorded completion back)"}
MAX_HOURS = 500
REASON_LENGTH = (5, 500)


class Problem(ValueError):
    """Something a person entered that cannot be used, with the field it is about and what to do."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Recorded:
    """A module's recorded state: status (not_started, started, completed), result and hours."""

    status: str
    result: str | None = None
    hours: float | None = None


@dataclass(frozen=True)
class CellChange:
    """What one cell of the progress grid asks for: an outcome, and hours for a completion."""

    outcome: str
    hours: float | None


def outcome_words(status: str, result: str | None, hours: float | None) -> str:
    """A recorded outcome as a person reads it: 'Merit, 6 hours' or 'Not completed'."""
    if status != "completed":
        return "Not completed"
    text = RESULTS.get(result or "", "Completed")
    return f"{text}, {hours:g} hours" if hours is not None else text


def hours_from(text: str, field: str = "hours") -> float | None:
    """Hours as entered: blank is None; otherwise a number more than 0 and at most 500."""
    if not text:
        return None
    try:
        hours = float(text)
    except ValueError:
        raise Problem(field, "Hours must be a number, like 6 or 7.5") from None
    if not math.isfinite(hours) or hours <= 0 or hours > MAX_HOURS:
        raise Problem(field, f"Hours must be more than 0 and no more than {MAX_HOURS}")
    return hours


def cell_change(outcome: str, hours_text: str, current: Recorded, planned_hours: float) -> CellChange | None:
    """What a cell of the grid asks for (None: blank, no change). Blank hours on a completion are
    the module's planned hours; a recorded completion is changed by a correction, not here."""
    if not outcome:
        if hours_text:
            raise Problem("outcome", "Choose an outcome for the hours you entered, or clear the hours")
        return None
    if outcome not in OUTCOMES:
        raise Problem("outcome", "Choose an outcome from the list")
    if current.status == "completed":
        raise Problem("outcome", "This module is already recorded: use Correct to change it")
    hours = hours_from(hours_text)
    if outcome == STARTED:
        if hours is not None:
            raise Problem("hours", "Leave the hours blank for a module in progress")
        return None if current.status == STARTED else CellChange(STARTED, None)
    return CellChange(outcome, planned_hours if hours is None else hours)


def correction_of(
    current: Recorded, outcome: str, hours_text: str, reason: str, *, enrolment_status: str
) -> tuple[Recorded | None, list[Problem]]:
    """The state a correction leaves a recorded module in, or every problem with it at once.
    Only a recorded completion is corrected, with a reason, while the training is under way: once
    it is complete its certificate is signed, so nothing behind it changes (see docs/training.md)."""
    if enrolment_status == "completed":
        return None, [
            Problem(
                "form",
                "This training is complete and its certificate was issued, so its outcomes can no "
                "longer be corrected. Ask the programme team if the certificate is wrong.",
            )
        ]
    if enrolment_status != "enrolled":
        return None, [
            Problem("form", f"This learner's training is {enrolment_status}: nothing can be corrected")
        ]
    if current.status != "completed":
        return None, [
            Problem("form", "Only a recorded completion can be corrected: record it on the progress grid")
        ]
    problems: list[Problem] = []
    hours: float | None = None
    if outcome not in CORRECTIONS:
        problems.append(Problem("outcome", "Select the outcome the learner actually got"))
    try:
        hours = hours_from(hours_text)
    except Problem as problem:
        problems.append(problem)
    if outcome == NOT_COMPLETED and hours is not None:
        problems.append(Problem("hours", "Leave the hours blank when taking a completion back"))
    low, high = REASON_LENGTH
    if len(reason) < low:
        problems.append(Problem("reason", "Give the reason for the correction (at least 5 characters)"))
    elif len(reason) > high:
        problems.append(Problem("reason", f"The reason must be {high} characters or fewer"))
    if problems:
        return None, problems
    if outcome == NOT_COMPLETED:
        corrected = Recorded(STARTED)
    else:
        corrected = Recorded("completed", outcome, current.hours if hours is None else hours)
    if corrected == current:
        return None, [Problem("outcome", "That is what is already recorded: change the outcome or the hours")]
    return corrected, []


def day_from(day: str, month: str, year: str, *, today: date) -> date:
    """A date entered as day, month and year: a real day, not in the future."""
    if not (day and month and year):
        raise Problem("day", "Enter the date of the CPD, with day, month and year")
    try:
        when = date(int(year), int(month), int(day))
    except (ValueError, OverflowError):
        raise Problem("day", "Enter a real date, like 27 3 2027") from None
    if when > today:
        raise Problem("day", "The date must be today or in the past")
    return when


def cpd_days_from(text: str) -> float:
    """Days of CPD as entered: half days from 0.5 to 5 (one entry a day or a few)."""
    if not text:
        raise Problem("days", "Enter how many days of CPD, like 1 or 0.5")
    try:
        days = float(text)
    except ValueError:
        raise Problem("days", "Days must be a number, like 1 or 0.5") from None
    if not math.isfinite(days) or days <= 0 or days > 5 or (days * 2) % 1:
        raise Problem("days", "Days must be in half days, from 0.5 to 5")
    return days


# --------------------------------------------------------------------------- LMS webhooks


def lms_signature(secret: str, body: bytes) -> str:
    """The signature an LMS sends: `sha256=` and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_matches(secret: str, body: bytes, signature: str | None) -> bool:
    """Whether the body was signed with the secret (compared in constant time)."""
    expected = lms_signature(secret, body)
    return signature is not None and hmac.compare_digest(
        expected.encode(), signature.encode("utf-8", "replace")
    )


class MoodleEvent(BaseModel):
    """A Moodle event as its webhook plugins post it (the fields we use)."""

    model_config = ConfigDict(extra="ignore")

    eventname: str
    userid: int | str | None = None
    relateduserid: int | str | None = None
    contextinstanceid: int | str | None = None
    courseid: int | str | None = None
    timecreated: int | None = None
    other: dict[str, Any] = Field(default_factory=dict)

    @property
    def learner_id(self) -> int | str | None:
        """In Moodle, `userid` is whoever changed the completion (a tutor may mark it); the learner
        is `relateduserid` (the learner's own actions leave it empty)."""
        return self.relateduserid if self.relateduserid is not None else self.userid


MODULE_COMPLETED = "\\core\\event\\course_module_completion_updated"
COURSE_COMPLETED = "\\core\\event\\course_completed"
