"""Training rules: the CPD-days ledger, completion, skills gained and module recommendations.
Pure functions: no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from rtw_contracts import SkillClaim, SkillGap, SkillLevel

from .curricula import CpdRule, Curriculum, Module


class CpdKind(StrEnum):
    """Structured learning (courses, supervised practice) or private study."""

    STRUCTURED = "structured"
    PRIVATE_STUDY = "private_study"


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
