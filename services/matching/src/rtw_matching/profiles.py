"""Rows as the scoring rules see them: a profile as a `domain.Candidate` or `domain.Facts`, a
vacancy as a `domain.Vacancy` or a `Target` (an open vacancy as matching needs it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from . import domain
from .models import CandidateProfile, Vacancy


def candidate_of(profile: CandidateProfile) -> domain.Candidate:
    """A profile as the scoring rules see it."""
    return domain.Candidate(
        candidate_id=str(profile.candidate_id),
        programme=profile.programme,
        home=domain.Place(profile.latitude, profile.longitude),
        region=profile.region,
        specialisms=frozenset(profile.specialisms),
        skills=profile.skills or {},
        years_experience=profile.years_experience,
        flexible_working=frozenset(profile.flexible_working),
        max_travel_km=profile.max_travel_km,
        visible_to_regions=frozenset(profile.visible_regions),
        visible_to_councils=frozenset(profile.visible_councils),
        earliest_start=profile.earliest_start,
        training_status=profile.training_status,
        modules_completed=profile.modules_completed,
        modules_total=profile.modules_total,
    )


def vacancy_of(vacancy: Vacancy) -> domain.Vacancy:
    """A vacancy as the scoring rules see it."""
    return domain.Vacancy(
        vacancy_id=str(vacancy.id),
        council_gss=vacancy.gss_code,
        council_region=vacancy.region,
        programme=vacancy.programme,
        specialism=vacancy.specialism,
        role=vacancy.role,
        required_skills=vacancy.required_skills,
        bases=tuple(domain.Place(b["latitude"], b["longitude"]) for b in vacancy.bases),
        work_mode=vacancy.work_mode,
        flexible_working=frozenset(vacancy.flexible_working),
        starts_on=domain.vacancy_start(vacancy.closing_date),
    )


def facts_of(profile: CandidateProfile) -> domain.Facts:
    """A profile's facts for `domain.quick_scores`."""
    return domain.Facts(
        profile.programme,
        profile.latitude,
        profile.longitude,
        profile.specialisms,
        profile.skills or {},
        profile.years_experience,
        profile.flexible_working,
        profile.max_travel_km,
        profile.earliest_start,
        profile.training_status,
        profile.modules_completed,
        profile.modules_total,
    )


@dataclass(frozen=True, slots=True)
class Target:
    """An open vacancy as matching needs it."""

    id: UUID
    council_id: UUID
    vacancy: domain.Vacancy


def target_of_row(row: Any) -> Target:
    """A vacancy read as `store.VACANCY_COLUMNS`."""
    (id_, council_id, gss, region, programme, specialism, role, skills, bases, mode, flexible, closing) = row
    return Target(
        id_,
        council_id,
        domain.Vacancy(
            vacancy_id=str(id_),
            council_gss=gss,
            council_region=region,
            programme=programme,
            specialism=specialism,
            role=role,
            required_skills=skills,
            bases=tuple(domain.Place(b["latitude"], b["longitude"]) for b in bases),
            work_mode=mode,
            flexible_working=frozenset(flexible),
            starts_on=domain.vacancy_start(closing),
        ),
    )


def target_of(vacancy: Vacancy) -> Target:
    """A vacancy row as a target."""
    return Target(vacancy.id, vacancy.council_id, vacancy_of(vacancy))
