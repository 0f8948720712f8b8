"""Each programme's eligibility gates at their boundaries, and what a cohort configuration accepts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError
from rtw_assessment.domain import (
    ApplicationFacts,
    CohortConfig,
    EligibilityRules,
    Stage1Weights,
    default_config,
    eligibility_reasons,
    stage1_score,
)
from rtw_contracts import CareerBreakReason, IctSpecialism, IneligibilityReason, Programme
from rtw_contracts.types import CareerBreak, ProfessionalRegistration

pytestmark = pytest.mark.unit

TODAY = date(2020, 10, 15)
LONG_BREAK = CareerBreak(start=date(2016, 1, 1), end=date(2019, 12, 1), reason=CareerBreakReason.CARING)


def facts(programme: Programme = Programme.ICT, **changes: Any) -> ApplicationFacts:
    values: dict[str, Any] = {
        "programme": programme,
        "submitted_at": datetime(2020, 10, 2, 9, 58, tzinfo=UTC),
        "right_to_work": True,
        "career_break": LONG_BREAK,
        "years_experience": 8.5,
        "professional_registration": None,
        "specialisms": (IctSpecialism.DATA_ANALYST,) if programme is Programme.ICT else (),
        "skills": (),
    }
    values.update(changes)
    return ApplicationFacts(**values)


def reasons_for(programme: Programme, today: date = TODAY, **changes: Any) -> list[IneligibilityReason]:
    config = default_config(programme)
    return [
        r.code for r in eligibility_reasons(facts(programme, **changes), config.eligibility, config, today)
    ]


def registered(body: str, last_practised: date | None = None) -> ProfessionalRegistration:
    return ProfessionalRegistration(body=body, last_practised=last_practised)


# --------------------------------------------------------------------------- career break


@pytest.mark.parametrize("programme", list(Programme))
@pytest.mark.parametrize("reason", [CareerBreakReason.CARING, CareerBreakReason.LONG_TERM_UNEMPLOYED])
def test_a_break_of_eleven_months_is_too_short_and_twelve_is_enough(
    programme: Programme, reason: CareerBreakReason
) -> None:
    registration = (
        registered(default_config(programme).eligibility.registration_bodies[0], date(2016, 1, 1))
        if default_config(programme).eligibility.registration_required
        else None
    )
    eleven = CareerBreak(start=date(2019, 1, 1), end=date(2019, 11, 1), reason=reason)
    twelve = CareerBreak(start=date(2019, 1, 1), end=date(2019, 12, 1), reason=reason)

    short = reasons_for(programme, career_break=eleven, professional_registration=registration)
    enough = reasons_for(programme, career_break=twelve, professional_registration=registration)

    assert IneligibilityReason.CAREER_BREAK_TOO_SHORT in short
    assert IneligibilityReason.CAREER_BREAK_TOO_SHORT not in enough


def test_an_ongoing_break_counts_only_the_whole_months_up_to_the_decision() -> None:
    ongoing = CareerBreak(start=date(2019, 12, 1), reason=CareerBreakReason.CARING)
    too_short = [IneligibilityReason.CAREER_BREAK_TOO_SHORT]

    assert reasons_for(Programme.ICT, today=date(2020, 10, 15), career_break=ongoing) == too_short
    # 11 months and 14 days, then 11 months and 29 days: the current month is not over.
    assert reasons_for(Programme.ICT, today=date(2020, 11, 15), career_break=ongoing) == too_short
    assert reasons_for(Programme.ICT, today=date(2020, 11, 30), career_break=ongoing) == too_short
    assert reasons_for(Programme.ICT, today=date(2020, 12, 1), career_break=ongoing) == []


@pytest.mark.parametrize(
    ("reason", "start", "wording"),
    [
        # The cases: 11 months and 3 days, and 10 months and 3 days, on 4 December 2026.
        (CareerBreakReason.LONG_TERM_UNEMPLOYED, date(2026, 1, 1), "time out of work is 11 months"),
        (CareerBreakReason.CARING, date(2026, 2, 1), "career break to care for someone is 10 months"),
    ],
)
def test_an_ongoing_break_is_not_rounded_up_to_the_current_month(
    reason: CareerBreakReason, start: date, wording: str
) -> None:
    config = default_config(Programme.ICT)
    ongoing = CareerBreak(start=start, reason=reason)

    [found] = eligibility_reasons(facts(career_break=ongoing), config.eligibility, config, date(2026, 12, 4))

    assert found.code is IneligibilityReason.CAREER_BREAK_TOO_SHORT
    assert wording in found.message


def test_a_break_that_ended_this_month_counts_only_up_to_the_decision() -> None:
    # January to December, decided on 4 December: it ended at most 11 months and 3 days in.
    ended = CareerBreak(start=date(2026, 1, 1), end=date(2026, 12, 1), reason=CareerBreakReason.CARING)

    assert reasons_for(Programme.ICT, today=date(2026, 12, 4), career_break=ended) == [
        IneligibilityReason.CAREER_BREAK_TOO_SHORT
    ]
    assert reasons_for(Programme.ICT, today=date(2027, 1, 1), career_break=ended) == []


@pytest.mark.parametrize(
    ("reason", "wording"),
    [
        (CareerBreakReason.CARING, "career break to care for someone is 11 months"),
        (CareerBreakReason.LONG_TERM_UNEMPLOYED, "time out of work is 11 months"),
    ],
)
def test_a_short_break_is_explained_in_the_candidates_own_terms(
    reason: CareerBreakReason, wording: str
) -> None:
    config = default_config(Programme.ICT)
    short = CareerBreak(start=date(2019, 1, 1), end=date(2019, 11, 1), reason=reason)

    [found] = eligibility_reasons(facts(career_break=short), config.eligibility, config, TODAY)

    assert wording in found.message
    assert "12 months or more" in found.message


def test_the_covid_route_needs_no_minimum_break() -> None:
    one_month = CareerBreak(
        start=date(2020, 9, 1), end=date(2020, 9, 1), reason=CareerBreakReason.CARING_COVID_UNEMPLOYED
    )
    config = default_config(Programme.ICT)

    assert eligibility_reasons(facts(career_break=one_month), config.eligibility, config, TODAY) == []

    strict = config.model_copy(
        update={"eligibility": config.eligibility.model_copy(update={"covid_route_needs_break": True})}
    )
    assert [
        r.code for r in eligibility_reasons(facts(career_break=one_month), strict.eligibility, strict, TODAY)
    ] == [IneligibilityReason.CAREER_BREAK_TOO_SHORT]


# --------------------------------------------------------------------------- experience


@pytest.mark.parametrize(
    ("programme", "years", "eligible"),
    [
        (Programme.ICT, 1.9, False),
        (Programme.ICT, 2, True),
        (Programme.PLANNING, 1.9, False),
        (Programme.PLANNING, 2, True),
    ],
)
def test_two_years_experience_is_the_minimum(programme: Programme, years: float, eligible: bool) -> None:
    reasons = reasons_for(programme, years_experience=years)

    assert (IneligibilityReason.INSUFFICIENT_EXPERIENCE not in reasons) is eligible


def test_too_little_experience_says_how_much_is_needed_and_how_much_was_given() -> None:
    config = default_config(Programme.ICT)

    [found] = eligibility_reasons(facts(years_experience=1.9), config.eligibility, config, TODAY)

    assert found.code is IneligibilityReason.INSUFFICIENT_EXPERIENCE
    assert "at least 2 years" in found.message
    assert "1.9" in found.message


# --------------------------------------------------------------------------- registration


SOCIAL_WORK_BODIES = (
    "Social Work England",
    "Social Care Wales",
    "Scottish Social Services Council",
    "Northern Ireland Social Care Council",
    "Health and Care Professions Council",
)


@pytest.mark.parametrize("body", SOCIAL_WORK_BODIES)
def test_social_work_accepts_each_listed_regulator(body: str) -> None:
    assert (
        reasons_for(Programme.SOCIAL_WORK, professional_registration=registered(body, date(2016, 1, 1))) == []
    )


def test_social_work_needs_a_previous_registration() -> None:
    config = default_config(Programme.SOCIAL_WORK)

    found = eligibility_reasons(
        facts(Programme.SOCIAL_WORK, professional_registration=None), config.eligibility, config, TODAY
    )

    assert [r.code for r in found] == [IneligibilityReason.NOT_PREVIOUSLY_REGISTERED]
    assert "Social Work England" in found[0].message


def test_social_work_refuses_a_body_that_is_not_listed() -> None:
    config = default_config(Programme.SOCIAL_WORK)

    found = eligibility_reasons(
        facts(Programme.SOCIAL_WORK, professional_registration=registered("Law Society", date(2016, 1, 1))),
        config.eligibility,
        config,
        TODAY,
    )

    assert [r.code for r in found] == [IneligibilityReason.MISSING_PROFESSIONAL_BODY]
    assert "Law Society is not one of the bodies" in found[0].message


@pytest.mark.parametrize(
    ("last_practised", "expected"),
    [
        (date(2018, 11, 1), [IneligibilityReason.OUT_OF_PRACTICE_TOO_SHORT]),  # 1 year 11 months
        (date(2018, 9, 1), []),  # just over 2 years
        (date(2010, 11, 1), []),  # just under 10 years
        (date(2010, 9, 1), [IneligibilityReason.OUT_OF_PRACTICE_TOO_LONG]),  # 10 years 1 month
    ],
)
def test_social_work_is_for_two_to_ten_years_out_of_practice(
    last_practised: date, expected: list[IneligibilityReason]
) -> None:
    reasons = reasons_for(
        Programme.SOCIAL_WORK, professional_registration=registered("Social Work England", last_practised)
    )

    assert reasons == expected


def test_out_of_practice_is_counted_from_the_break_when_the_last_practice_is_not_given() -> None:
    recent = CareerBreak(start=date(2019, 6, 1), end=None, reason=CareerBreakReason.CARING)

    reasons = reasons_for(
        Programme.SOCIAL_WORK,
        career_break=recent,
        professional_registration=registered("Social Work England"),
    )

    assert reasons == [IneligibilityReason.OUT_OF_PRACTICE_TOO_SHORT]


def test_exactly_two_years_out_of_practice_is_eligible() -> None:
    config = default_config(Programme.SOCIAL_WORK)

    found = eligibility_reasons(
        facts(
            Programme.SOCIAL_WORK,
            professional_registration=registered("Social Work England", date(2017, 6, 1)),
        ),
        config.eligibility,
        config,
        date(2019, 6, 1),
    )

    assert found == []


def test_exactly_ten_years_out_of_practice_is_eligible() -> None:
    config = default_config(Programme.SOCIAL_WORK)

    found = eligibility_reasons(
        facts(
            Programme.SOCIAL_WORK,
            professional_registration=registered("Social Work England", date(2011, 1, 1)),
        ),
        config.eligibility,
        config,
        date(2021, 1, 1),
    )

    assert found == []


def test_out_of_practice_messages_give_the_years_and_the_range() -> None:
    config = default_config(Programme.SOCIAL_WORK)

    [too_long] = eligibility_reasons(
        facts(
            Programme.SOCIAL_WORK,
            professional_registration=registered("Social Work England", date(2005, 10, 1)),
        ),
        config.eligibility,
        config,
        TODAY,
    )

    assert too_long.code is IneligibilityReason.OUT_OF_PRACTICE_TOO_LONG
    assert "15.0 years" in too_long.message
    assert "up to 10 years" in too_long.message
    assert "return-to-practice" in too_long.message


@pytest.mark.parametrize(
    "body", ["Solicitors Regulation Authority", "Bar Standards Board", "CILEx Regulation"]
)
def test_legal_accepts_each_listed_regulator(body: str) -> None:
    assert reasons_for(Programme.LEGAL, professional_registration=registered(body)) == []


@pytest.mark.parametrize(
    ("registration", "code"),
    [
        (None, IneligibilityReason.NOT_PREVIOUSLY_REGISTERED),
        (registered("Social Work England"), IneligibilityReason.MISSING_PROFESSIONAL_BODY),
    ],
)
def test_legal_needs_one_of_its_regulators(
    registration: ProfessionalRegistration | None, code: IneligibilityReason
) -> None:
    assert reasons_for(Programme.LEGAL, professional_registration=registration) == [code]


def test_legal_needs_two_years_experience() -> None:
    registration = registered("Bar Standards Board")

    assert reasons_for(Programme.LEGAL, years_experience=1.9, professional_registration=registration) == [
        IneligibilityReason.INSUFFICIENT_EXPERIENCE
    ]
    assert reasons_for(Programme.LEGAL, years_experience=2, professional_registration=registration) == []


def test_planning_needs_no_registration_and_has_no_out_of_practice_limit() -> None:
    ancient = CareerBreak(start=date(1995, 1, 1), end=None, reason=CareerBreakReason.CARING)

    assert reasons_for(Programme.PLANNING, professional_registration=None) == []
    assert reasons_for(Programme.PLANNING, career_break=ancient) == []


@pytest.mark.parametrize("programme", list(Programme))
def test_no_right_to_work_is_ineligible_on_every_programme(programme: Programme) -> None:
    config = default_config(programme)
    registration = (
        registered(config.eligibility.registration_bodies[0], date(2016, 1, 1))
        if config.eligibility.registration_required
        else None
    )

    found = eligibility_reasons(
        facts(programme, right_to_work=False, professional_registration=registration),
        config.eligibility,
        config,
        TODAY,
    )

    assert [r.code for r in found] == [IneligibilityReason.NO_RIGHT_TO_WORK]
    assert "right to work in the UK" in found[0].message


def test_an_application_outside_the_cohorts_window_is_ineligible() -> None:
    config = default_config(Programme.ICT).model_copy(
        update={"window_opens_on": date(2020, 9, 1), "window_closes_on": date(2020, 9, 30)}
    )

    late = eligibility_reasons(facts(), config.eligibility, config, TODAY)
    on_time = eligibility_reasons(
        facts(submitted_at=datetime(2020, 9, 30, 23, 0, tzinfo=UTC)), config.eligibility, config, TODAY
    )

    assert [r.code for r in late] == [IneligibilityReason.OUTSIDE_WINDOW]
    assert "arrived on 2 October 2020," in late[0].message  # a date as people write it
    assert on_time == []


def test_several_failures_give_several_reasons_each_with_a_code_and_a_plain_message() -> None:
    config = default_config(Programme.SOCIAL_WORK)
    short = CareerBreak(start=date(2020, 3, 1), end=None, reason=CareerBreakReason.LONG_TERM_UNEMPLOYED)

    found = eligibility_reasons(
        facts(
            Programme.SOCIAL_WORK,
            right_to_work=False,
            career_break=short,
            professional_registration=registered("Law Society", date(2020, 2, 1)),
        ),
        config.eligibility,
        config,
        TODAY,
    )

    assert {r.code for r in found} == {
        IneligibilityReason.NO_RIGHT_TO_WORK,
        IneligibilityReason.CAREER_BREAK_TOO_SHORT,
        IneligibilityReason.MISSING_PROFESSIONAL_BODY,
        IneligibilityReason.OUT_OF_PRACTICE_TOO_SHORT,
    }
    for reason in found:
        assert reason.message.strip()
        assert reason.code.value not in reason.message  # words for people, not the code
        assert reason.message.endswith(".")


@pytest.mark.parametrize("programme", list(Programme))
def test_every_programme_has_a_valid_default_configuration(programme: Programme) -> None:
    config = default_config(programme)

    assert config.programme is programme
    assert config.eligibility.version
    assert config.rubric.version
    assert CohortConfig.model_validate(config.model_dump(mode="json")) == config


# --------------------------------------------------------------------------- configuration


def _config_json(**changes: Any) -> dict[str, Any]:
    data = default_config(Programme.ICT).model_dump(mode="json")
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "weights",
    [
        {"experience": 40, "specialism_demand": 30, "skills": 20},
        {"experience": 50, "specialism_demand": 30, "skills": 30},
        {"experience": 0},
    ],
)
def test_stage1_weights_must_add_up_to_100(weights: dict[str, float]) -> None:
    with pytest.raises(ValidationError, match="add up to 100"):
        Stage1Weights(**weights)
    with pytest.raises(ValidationError, match="add up to 100"):
        CohortConfig.model_validate(_config_json(weights=weights))


def test_weights_adding_up_to_100_are_accepted() -> None:
    assert Stage1Weights(experience=33.4, specialism_demand=33.3, skills=33.3).experience == 33.4


@pytest.mark.parametrize(
    ("size", "threshold"),
    [(None, None), (10, 50)],
)
def test_a_cohort_gives_exactly_one_shortlisting_rule(size: int | None, threshold: float | None) -> None:
    with pytest.raises(ValidationError, match="exactly one of shortlist_size or shortlist_threshold"):
        CohortConfig.model_validate(_config_json(shortlist_size=size, shortlist_threshold=threshold))


def test_either_shortlisting_rule_alone_is_accepted() -> None:
    by_size = CohortConfig.model_validate(_config_json(shortlist_size=10, shortlist_threshold=None))
    by_threshold = CohortConfig.model_validate(_config_json(shortlist_size=None, shortlist_threshold=60))

    assert (by_size.shortlist_size, by_size.shortlist_threshold) == (10, None)
    assert (by_threshold.shortlist_size, by_threshold.shortlist_threshold) == (None, 60)


@pytest.mark.parametrize("demand", [-0.1, 1.1])
def test_specialism_demand_runs_from_0_to_1(demand: float) -> None:
    with pytest.raises(ValidationError, match="from 0"):
        CohortConfig.model_validate(_config_json(specialism_demand={"data_analyst": demand}))


@pytest.mark.parametrize("demand", [0, 1])
def test_specialism_demand_at_its_limits_is_accepted(demand: float) -> None:
    config = CohortConfig.model_validate(_config_json(specialism_demand={"data_analyst": demand}))

    assert config.specialism_demand == {IctSpecialism.DATA_ANALYST: demand}


def test_a_configuration_refuses_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        CohortConfig.model_validate(_config_json(surprise=True))
    with pytest.raises(ValidationError):
        EligibilityRules(version="x", minimum_break=12)  # type: ignore[call-arg]


def test_any_accepted_weights_can_score_a_fully_experienced_candidate() -> None:
    config = default_config(Programme.ICT).model_copy(
        update={"weights": Stage1Weights(experience=12.375, specialism_demand=57.625, skills=30)}
    )

    score, breakdown = stage1_score(facts(years_experience=20), config)

    assert breakdown[0].points == breakdown[0].max_points == 12.375
    assert 0 <= score <= 100
