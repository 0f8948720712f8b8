"""Properties of the stage-1 score, the scorecard and selection, over generated inputs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from rtw_assessment.domain import (
    ApplicationFacts,
    CohortConfig,
    Criterion,
    Ranked,
    Rubric,
    Stage1Weights,
    default_config,
    role_targets,
    scorecard_points,
    screen,
    select,
    stage1_score,
)
from rtw_contracts import (
    AssessmentOutcome,
    CareerBreakReason,
    IctSpecialism,
    Programme,
    SkillClaim,
    SkillLevel,
)
from rtw_contracts.types import CareerBreak

pytestmark = pytest.mark.unit

TODAY = date(2020, 10, 15)
SUBMITTED = datetime(2020, 10, 2, 10, 0, tzinfo=UTC)
FRAMEWORK_SKILLS = sorted(
    {skill for s in IctSpecialism for role in s.ddat_roles for skill in role_targets(role)}
)

# --------------------------------------------------------------------------- strategies

specialisms = st.lists(st.sampled_from(list(IctSpecialism)), min_size=1, max_size=4, unique=True).map(tuple)
levels = st.sampled_from(list(SkillLevel))
skill_names = st.sampled_from(FRAMEWORK_SKILLS) | st.sampled_from(["Juggling", "Knitting"])
skills = st.lists(st.tuples(skill_names, levels), max_size=12, unique_by=lambda t: t[0]).map(
    lambda pairs: tuple(SkillClaim(skill=name, level=level) for name, level in pairs)
)
years = st.floats(min_value=0, max_value=70, allow_nan=False)
demand = st.floats(min_value=0, max_value=1, allow_nan=False)


@st.composite
def career_breaks(draw: st.DrawFn) -> CareerBreak:
    start = draw(st.dates(min_value=date(1990, 1, 1), max_value=date(2020, 10, 1)))
    end = draw(st.none() | st.dates(min_value=start, max_value=TODAY))
    reason = draw(st.sampled_from(list(CareerBreakReason)))
    return CareerBreak(start=start, end=end, reason=reason)


@st.composite
def weights(draw: st.DrawFn) -> Stage1Weights:
    """Whole-number points adding to 100 (the ICT default among them)."""
    experience = draw(st.integers(min_value=0, max_value=100))
    specialism = draw(st.integers(min_value=0, max_value=100 - experience))
    return Stage1Weights(
        experience=experience,
        specialism_demand=specialism,
        skills=100 - experience - specialism,
        full_experience_years=draw(st.sampled_from([1, 5, 10, 15, 7.5, 20])),
    )


@st.composite
def configs(draw: st.DrawFn) -> CohortConfig:
    base = default_config(Programme.ICT)
    if draw(st.booleans()):
        return base
    table = draw(st.dictionaries(st.sampled_from(list(IctSpecialism)), demand))
    return base.model_copy(update={"weights": draw(weights()), "specialism_demand": table})


@st.composite
def ict_facts(draw: st.DrawFn) -> ApplicationFacts:
    return ApplicationFacts(
        programme=Programme.ICT,
        submitted_at=SUBMITTED,
        right_to_work=True,
        career_break=draw(career_breaks()),
        years_experience=draw(years),
        professional_registration=None,
        specialisms=draw(specialisms),
        skills=draw(skills),
    )


def changed(facts: ApplicationFacts, **changes: Any) -> ApplicationFacts:
    values = {name: getattr(facts, name) for name in facts.__dataclass_fields__}
    values.update(changes)
    return ApplicationFacts(**values)


# --------------------------------------------------------------------------- stage 1


@given(facts=ict_facts(), config=configs(), more=st.floats(min_value=0, max_value=30, allow_nan=False))
def test_more_experience_never_lowers_the_score(
    facts: ApplicationFacts, config: CohortConfig, more: float
) -> None:
    before, _ = stage1_score(facts, config)
    after, _ = stage1_score(changed(facts, years_experience=facts.years_experience + more), config)

    assert after >= before


@given(facts=ict_facts(), config=configs(), data=st.data())
def test_more_demand_for_a_chosen_specialism_never_lowers_the_score(
    facts: ApplicationFacts, config: CohortConfig, data: st.DataObject
) -> None:
    chosen = data.draw(st.sampled_from(facts.specialisms))
    low = data.draw(demand)
    high = data.draw(st.floats(min_value=low, max_value=1, allow_nan=False))
    table = dict(config.specialism_demand)

    before, _ = stage1_score(facts, config.model_copy(update={"specialism_demand": {**table, chosen: low}}))
    after, _ = stage1_score(facts, config.model_copy(update={"specialism_demand": {**table, chosen: high}}))

    assert after >= before


@given(facts=ict_facts(), config=configs(), data=st.data())
def test_a_higher_level_in_any_claimed_skill_never_lowers_the_score(
    facts: ApplicationFacts, config: CohortConfig, data: st.DataObject
) -> None:
    assume(facts.skills)
    index = data.draw(st.integers(min_value=0, max_value=len(facts.skills) - 1))
    claim = facts.skills[index]
    higher = data.draw(st.sampled_from([level for level in SkillLevel if level >= claim.level]))
    raised = list(facts.skills)
    raised[index] = SkillClaim(skill=claim.skill, level=higher)

    before, _ = stage1_score(facts, config)
    after, _ = stage1_score(changed(facts, skills=tuple(raised)), config)

    assert after >= before


def test_reaching_a_roles_levels_raises_the_score_to_full_skills_marks() -> None:
    config = default_config(Programme.ICT)
    needed = role_targets("Data analyst")
    base = ApplicationFacts(
        programme=Programme.ICT,
        submitted_at=SUBMITTED,
        right_to_work=True,
        career_break=CareerBreak(start=date(2016, 1, 1), reason=CareerBreakReason.CARING),
        years_experience=5,
        professional_registration=None,
        specialisms=(IctSpecialism.DATA_ANALYST,),
        skills=(),
    )
    full = changed(base, skills=tuple(SkillClaim(skill=s, level=SkillLevel(v)) for s, v in needed.items()))

    _, none_claimed = stage1_score(base, config)
    _, all_claimed = stage1_score(full, config)

    skills_before = next(f for f in none_claimed if f.name == "skills")
    skills_after = next(f for f in all_claimed if f.name == "skills")
    assert skills_before.points == 0
    assert skills_before.would_rise_if is not None
    assert skills_after.points == skills_after.max_points == 30
    assert skills_after.would_rise_if is None


@given(facts=ict_facts(), config=configs(), one=career_breaks(), other=career_breaks())
def test_the_career_break_never_changes_the_score(
    facts: ApplicationFacts, config: CohortConfig, one: CareerBreak, other: CareerBreak
) -> None:
    assert stage1_score(changed(facts, career_break=one), config) == stage1_score(
        changed(facts, career_break=other), config
    )


long_breaks = st.builds(
    CareerBreak,
    start=st.dates(min_value=date(1995, 1, 1), max_value=date(2018, 6, 1)),
    end=st.none() | st.dates(min_value=date(2019, 10, 1), max_value=TODAY),
    reason=st.sampled_from(list(CareerBreakReason)),
)


@given(facts=ict_facts(), config=configs(), one=long_breaks | career_breaks(), other=long_breaks)
@example(
    facts=ApplicationFacts(
        programme=Programme.ICT,
        submitted_at=SUBMITTED,
        right_to_work=True,
        career_break=CareerBreak(start=date(2019, 1, 1), reason=CareerBreakReason.CARING),
        years_experience=8.5,
        professional_registration=None,
        specialisms=(IctSpecialism.DATA_ANALYST,),
        skills=(SkillClaim(skill="Data visualisation", level=SkillLevel.PRACTITIONER),),
    ),
    config=default_config(Programme.ICT),
    one=CareerBreak(start=date(2019, 1, 1), end=date(2019, 12, 1), reason=CareerBreakReason.CARING),
    other=CareerBreak(start=date(2001, 4, 1), reason=CareerBreakReason.LONG_TERM_UNEMPLOYED),
)
def test_screening_scores_two_eligible_candidates_alike_whatever_their_breaks(
    facts: ApplicationFacts, config: CohortConfig, one: CareerBreak, other: CareerBreak
) -> None:
    facts = changed(facts, years_experience=max(facts.years_experience, 2))
    first = screen(changed(facts, career_break=one), config, TODAY)
    second = screen(changed(facts, career_break=other), config, TODAY)

    assert second.outcome is not AssessmentOutcome.INELIGIBLE
    if first.outcome is not AssessmentOutcome.INELIGIBLE:
        assert first.score == second.score
        assert first.breakdown == second.breakdown
        assert first.outcome == second.outcome


@given(facts=ict_facts(), config=configs())
def test_the_score_is_0_to_100_and_the_sum_of_its_factors(
    facts: ApplicationFacts, config: CohortConfig
) -> None:
    score, breakdown = stage1_score(facts, config)

    assert 0 <= score <= 100
    assert score == pytest.approx(sum(f.points for f in breakdown), abs=1e-6)
    assert sum(f.max_points for f in breakdown) == pytest.approx(100)
    for factor in breakdown:
        assert 0 <= factor.points <= factor.max_points


@given(facts=ict_facts(), config=configs())
def test_every_factor_has_a_share_and_the_shares_make_the_whole(
    facts: ApplicationFacts, config: CohortConfig
) -> None:
    score, breakdown = stage1_score(facts, config)

    names = [f.name for f in breakdown]
    assert names[0] == "experience"
    assert len(names) == len(set(names))
    for factor in breakdown:
        assert 0 <= factor.share <= 1
        assert factor.explanation
        if score:
            assert factor.share == pytest.approx(factor.points / score, abs=1e-4)
    if score:
        assert sum(f.share for f in breakdown) == pytest.approx(1, abs=1e-3)
    else:
        assert all(f.share == 0 for f in breakdown)


@given(facts=ict_facts(), config=configs())
def test_a_factor_gives_no_hint_only_at_its_maximum(facts: ApplicationFacts, config: CohortConfig) -> None:
    _, breakdown = stage1_score(facts, config)

    for factor in breakdown:
        if factor.would_rise_if is None:
            assert factor.points == pytest.approx(factor.max_points), factor.name
        else:
            assert factor.would_rise_if.strip()


def test_the_ict_default_scores_every_factor() -> None:
    facts = ApplicationFacts(
        programme=Programme.ICT,
        submitted_at=SUBMITTED,
        right_to_work=True,
        career_break=CareerBreak(start=date(2017, 3, 1), reason=CareerBreakReason.CARING),
        years_experience=15,
        professional_registration=None,
        specialisms=(IctSpecialism.SECURITY_ARCHITECT,),
        skills=(),
    )

    score, breakdown = stage1_score(facts, default_config(Programme.ICT))

    assert [(f.name, f.points, f.max_points) for f in breakdown] == [
        ("experience", 40, 40),
        ("specialism_demand", 30, 30),
        ("skills", 0, 30),
    ]
    assert score == 70
    assert [f.would_rise_if is None for f in breakdown] == [True, True, False]
    assert "Security architect" in breakdown[1].explanation


# --------------------------------------------------------------------------- scorecards

RUBRIC = default_config(Programme.ICT).rubric
criteria_scores = st.fixed_dictionaries(
    {c.id: st.integers(min_value=1, max_value=4) for c in RUBRIC.criteria}
)


@given(scores=criteria_scores, data=st.data())
def test_a_higher_score_on_any_criterion_never_lowers_the_scorecard(
    scores: dict[str, int], data: st.DataObject
) -> None:
    criterion = data.draw(st.sampled_from([c.id for c in RUBRIC.criteria]))
    higher = data.draw(st.integers(min_value=scores[criterion], max_value=4))

    before = scorecard_points(RUBRIC, scores)
    after = scorecard_points(RUBRIC, {**scores, criterion: higher})

    assert after >= before
    if higher > scores[criterion]:
        assert after > before
    assert 0 <= before <= 100


@given(
    weights_=st.lists(st.floats(min_value=0.1, max_value=10, allow_nan=False), min_size=1, max_size=6),
    data=st.data(),
)
def test_scorecards_are_monotone_under_any_rubric(weights_: list[float], data: st.DataObject) -> None:
    rubric = Rubric(
        version="r",
        criteria=tuple(Criterion(id=f"c{i}", title=f"C{i}", weight=w) for i, w in enumerate(weights_)),
    )
    scores = {c.id: data.draw(st.integers(min_value=1, max_value=4)) for c in rubric.criteria}
    criterion = data.draw(st.sampled_from(list(scores)))
    higher = data.draw(st.integers(min_value=scores[criterion], max_value=4))

    assert scorecard_points(rubric, {**scores, criterion: higher}) >= scorecard_points(rubric, scores)
    assert scorecard_points(rubric, dict.fromkeys(scores, 1)) == 0
    assert scorecard_points(rubric, dict.fromkeys(scores, 4)) == 100


# --------------------------------------------------------------------------- selection

START = datetime(2020, 10, 1, tzinfo=UTC)
candidates = st.lists(
    st.builds(
        Ranked,
        application_id=st.uuids().map(str),
        score=st.sampled_from([40.0, 55.5, 70.0, 70.0, 90.0]) | st.floats(min_value=0, max_value=100),
        submitted_at=st.integers(min_value=0, max_value=50).map(lambda m: START + timedelta(minutes=m)),
    ),
    max_size=30,
    unique_by=lambda r: r.application_id,
)


@given(pool=candidates, capacity=st.integers(min_value=0, max_value=10), waitlist=st.integers(0, 10))
@settings(max_examples=200)
def test_selection_respects_capacity_and_waitlist_and_partitions_the_pool(
    pool: list[Ranked], capacity: int, waitlist: int
) -> None:
    chosen = select(pool, capacity, waitlist)

    assert len(chosen.selected) <= capacity
    assert len(chosen.waitlisted) <= waitlist
    everyone = chosen.selected + chosen.waitlisted + chosen.rejected
    assert sorted(everyone, key=lambda r: r.application_id) == sorted(pool, key=lambda r: r.application_id)
    assert len({r.application_id for r in everyone}) == len(pool)
    assert len(chosen.selected) == min(capacity, len(pool))
    assert len(chosen.waitlisted) == min(waitlist, max(len(pool) - capacity, 0))


@given(pool=candidates, capacity=st.integers(min_value=0, max_value=10), waitlist=st.integers(0, 10))
def test_nobody_is_passed_over_for_a_lower_score_or_a_later_submission(
    pool: list[Ranked], capacity: int, waitlist: int
) -> None:
    chosen = select(pool, capacity, waitlist)
    order = chosen.selected + chosen.waitlisted + chosen.rejected

    for ahead, behind in pairwise(order):
        assert ahead.score >= behind.score
        if ahead.score == behind.score:
            assert ahead.submitted_at <= behind.submitted_at


def test_a_tie_goes_to_the_earlier_submission() -> None:
    late = Ranked("a-late", 70.0, START + timedelta(hours=1))
    early = Ranked("z-early", 70.0, START)
    weaker = Ranked("b-weaker", 69.99, START - timedelta(days=1))

    chosen = select([late, weaker, early], capacity=1, waitlist_size=1)

    assert chosen.selected == [early]
    assert chosen.waitlisted == [late]
    assert chosen.rejected == [weaker]


# --------------------------------------------------------------------------- the break's length


#: Decision dates biased towards the edges of months (first, last, leap days).
def _edge_days(year: int, month: int) -> list[date]:
    following = date(year + month // 12, month % 12 + 1, 1)
    last = following - timedelta(days=1)
    return [date(year, month, 1), date(year, month, 2), last - timedelta(days=1), last]


decision_days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)) | st.builds(
    lambda y, m, i: _edge_days(y, m)[i],
    st.integers(2000, 2040),
    st.integers(1, 12),
    st.integers(0, 3),
)


@given(
    start=st.dates(min_value=date(1999, 1, 1), max_value=date(2040, 12, 31)),
    today=decision_days,
    reason=st.sampled_from([CareerBreakReason.CARING, CareerBreakReason.LONG_TERM_UNEMPLOYED]),
)
@example(start=date(2026, 1, 1), today=date(2026, 12, 4), reason=CareerBreakReason.CARING)
@example(start=date(2023, 3, 1), today=date(2024, 2, 29), reason=CareerBreakReason.CARING)
@example(start=date(2023, 3, 1), today=date(2024, 3, 1), reason=CareerBreakReason.CARING)
@settings(max_examples=400, deadline=None)
def test_an_ongoing_break_is_long_enough_from_the_first_day_of_its_thirteenth_month(
    start: date, today: date, reason: CareerBreakReason
) -> None:
    ongoing = CareerBreak(start=start, reason=reason)
    first = ongoing.start  # the month the break began (its first day)
    assume(first <= today)
    thirteenth_month = date(first.year + 1, first.month, 1)
    config = default_config(Programme.ICT)
    facts = ApplicationFacts(
        programme=Programme.ICT,
        submitted_at=datetime(2020, 10, 2, tzinfo=UTC),
        right_to_work=True,
        career_break=ongoing,
        years_experience=10,
        professional_registration=None,
        specialisms=(IctSpecialism.DATA_ANALYST,),
        skills=(),
    )

    result = screen(facts, config, today)
    too_short = any(r.code.value == "career_break_too_short" for r in result.reasons)

    assert too_short == (today < thirteenth_month)
