"""The eligibility checker and screening give the same answer and the same reasons for the same
facts: the checker's form, parsed as the page parses it, against screening's own path (the
submitted event, the facts kept for it, `domain.screen`). Over generated facts, every programme,
and a changed configuration as well as the defaults."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rtw_assessment import screening
from rtw_assessment.domain import CohortConfig, EligibilityRules, default_config, screen
from rtw_assessment.eligibility_check import check
from rtw_assessment.models import Candidacy
from rtw_assessment.web.eligibility_page import NOT_REGISTERED, asks_registration, parse_answers
from rtw_contracts import ApplicationSubmittedV2, CareerBreakReason, IneligibilityReason, Programme
from rtw_contracts.examples import example
from rtw_contracts.types import CareerBreak, ProfessionalRegistration

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
STRICTER = {
    programme: default_config(programme).model_copy(
        update={
            "eligibility": default_config(programme).eligibility.model_copy(
                update={"version": "stricter-2", "min_break_months": 24, "min_years_experience": 5}
            )
        }
    )
    for programme in Programme
}
CONFIGS = [default_config(p) for p in Programme] + list(STRICTER.values())


def months(low: date, high: date) -> st.SearchStrategy[date]:
    return st.dates(min_value=low, max_value=high).map(lambda d: d.replace(day=1))


@st.composite
def cases(draw: st.DrawFn) -> tuple[CohortConfig, dict[str, str], dict[str, Any]]:
    """A configuration, the checker's form, and the same facts as an application sends them."""
    config = draw(st.sampled_from(CONFIGS))
    rules: EligibilityRules = config.eligibility
    right = draw(st.booleans())
    start = draw(months(date(1995, 1, 1), NOW.date()))
    end = draw(st.none() | months(start, NOW.date()))
    reason = draw(st.sampled_from(list(CareerBreakReason)))
    years = draw(st.sampled_from([0, 0.5, 1, 2, 2.5, 4.9, 5, 12, 40]))
    body = None
    practised = None
    if asks_registration(rules):
        body = draw(st.none() | st.sampled_from(rules.registration_bodies))
        practised = draw(st.none() | months(date(1990, 1, 1), NOW.date())) if body else None
    form = {
        "right_to_work": "yes" if right else "no",
        "start-month": str(start.month),
        "start-year": str(start.year),
        "end-month": str(end.month) if end else "",
        "end-year": str(end.year) if end else "",
        "reason": reason.value,
        "years": f"{years:g}",
        "body": body or NOT_REGISTERED,
        "practised-month": str(practised.month) if practised else "",
        "practised-year": str(practised.year) if practised else "",
    }
    facts = {
        "programme": config.programme,
        "submitted_at": NOW,
        "right_to_work": right,
        "career_break": CareerBreak(start=start, end=end, reason=reason),
        "years_experience": years,
        "professional_registration": ProfessionalRegistration(body=body, last_practised=practised)
        if body
        else None,
        "specialisms": [],
        "skills": [],
    }
    return config, form, facts


def screening_reasons(config: CohortConfig, facts: dict[str, Any]) -> list[tuple[str, str]]:
    """What screening decides: the event as sent, the facts assessment keeps, the rules."""
    application_id = uuid4()
    event = example(
        ApplicationSubmittedV2,
        event_id=uuid4(),
        correlation_id=application_id,
        application_id=application_id,
        candidate_id=uuid4(),
        cohort_id="checked",
        **facts,
    )
    candidacy = Candidacy(
        application_id=event.application_id,
        candidate_id=event.candidate_id,
        cohort_id=event.cohort_id,
        programme=event.programme.value,
        submitted_at=event.submitted_at,
        facts=screening._facts_record(event),
    )
    result = screen(screening.facts_of(candidacy), config, NOW.date())
    return [(r.code.value, r.message) for r in result.reasons]


@settings(max_examples=400, deadline=None)
@given(cases())
def test_the_checker_gives_the_answer_and_reasons_screening_gives(
    case: tuple[CohortConfig, dict[str, str], dict[str, Any]],
) -> None:
    config, form, facts = case
    answers, errors = parse_answers(form, config.eligibility, NOW.date())
    assert not errors, errors.problems
    assert answers is not None
    checked = [(r.code.value, r.message) for r in check(answers, config, NOW)]
    assert checked == screening_reasons(config, facts)


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        (CareerBreakReason.CARING, "Your career break to care for someone is 6 months"),
        (CareerBreakReason.CARING_FOR_CHILDREN, "Your career break to care for someone is 6 months"),
        (CareerBreakReason.CARING_FOR_ADULT, "Your career break to care for someone is 6 months"),
        (CareerBreakReason.LONG_TERM_UNEMPLOYED, "Your time out of work is 6 months"),
        (CareerBreakReason.OWN_HEALTH, "Your career break is 6 months"),
        (CareerBreakReason.RELOCATION, "Your career break is 6 months"),
        (CareerBreakReason.OTHER, "Your career break is 6 months"),
    ],
)
def test_every_career_break_reason_old_and_new_is_screened_with_its_own_words(
    reason: CareerBreakReason, words: str
) -> None:
    config = default_config(Programme.ICT)
    facts = {
        "programme": Programme.ICT,
        "submitted_at": NOW,
        "right_to_work": True,
        "career_break": CareerBreak(start=date(2026, 6, 1), end=None, reason=reason),
        "years_experience": 8,
        "professional_registration": None,
        "specialisms": [],
        "skills": [],
    }
    found = screening_reasons(config, facts)
    assert [code for code, _ in found] == [IneligibilityReason.CAREER_BREAK_TOO_SHORT.value]
    assert found[0][1].startswith(words)


def test_the_checker_uses_the_configuration_it_is_given() -> None:
    form = {
        "right_to_work": "yes",
        "start-month": "1",
        "start-year": "2025",
        "reason": "caring_for_children",
        "years": "3",
    }
    answers, _ = parse_answers(form, STRICTER[Programme.ICT].eligibility, NOW.date())
    assert answers is not None
    assert check(answers, default_config(Programme.ICT), NOW) == []
    stricter = [r.code for r in check(answers, STRICTER[Programme.ICT], NOW)]
    assert stricter == [
        IneligibilityReason.CAREER_BREAK_TOO_SHORT,
        IneligibilityReason.INSUFFICIENT_EXPERIENCE,
    ]


def test_every_problem_with_the_checker_form_is_shown_at_once() -> None:
    rules = default_config(Programme.SOCIAL_WORK).eligibility
    answers, errors = parse_answers({"start-month": "13", "years": "lots"}, rules, NOW.date())
    assert answers is None
    assert set(errors.problems) == {"right_to_work", "start-month", "reason", "years", "body"}
