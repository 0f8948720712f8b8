"""What the recruiter pages read (the same rows the JSON API's reads show), always through the
recruiter's own council: the queries are the store's, the access-checked reads the councils'."""

from __future__ import annotations

from ..councils import match_for, vacancy_for
from ..store import (
    TAKEN_UP,
    VacancyCounts,
    match_of,
    matches_of,
    shortlist_of,
    vacancies_of,
    vacancy_counts,
)

__all__ = [
    "TAKEN_UP",
    "VacancyCounts",
    "match_for",
    "match_of",
    "matches_of",
    "shortlist_of",
    "vacancies_of",
    "vacancy_counts",
    "vacancy_for",
]
