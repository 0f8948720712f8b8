"""The explainable match score, factor by factor, and the rules that decide what is proposed and who
sees whom: pure functions over plain data."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import re
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from rtw_contracts import FlexibleWorking, IctSpecialism, SkillGap, SkillLevel, WorkMode
from rtw_contracts.units import miles_from_km
from rtw_matching import domain
from rtw_matching.domain import Candidate, Match, Place, Vacancy, Weights
from rtw_matching.proposals import gaps_key
from rtw_platform import reference

pytestmark = pytest.mark.unit

WEIGHTS = Weights()
STARTS = date(2027, 3, 1)


def place(district: str) -> Place:
    found = reference.postcode_district(district)
    assert found is not None
    return Place(found.latitude, found.longitude)


WS1, B15, M1, NE1 = place("WS1"), place("B15"), place("M1"), place("NE1")
WS1_TO_B15 = domain.distance_km(WS1, B15)  # about 13 km


def candidate(**changes: Any) -> Candidate:
    values: dict[str, Any] = {
        "candidate_id": "c-1",
        "programme": "ict",
        "home": WS1,
        "region": "west_midlands",
        "specialisms": frozenset({"data_analyst"}),
        "skills": {"Data visualisation": 3, "Data management": 2},
        "years_experience": 10,
        "flexible_working": frozenset(),
        "max_travel_km": 30,
        "visible_to_regions": frozenset({"west_midlands"}),
        "visible_to_councils": frozenset(),
        "earliest_start": None,
        "training_status": "completed",
        "modules_completed": 4,
        "modules_total": 4,
    }
    values.update(changes)
    return Candidate(**values)


def vacancy(**changes: Any) -> Vacancy:
    values: dict[str, Any] = {
        "vacancy_id": "v-1",
        "council_gss": "E08000030",
        "council_region": "west_midlands",
        "programme": "ict",
        "specialism": "data_analyst",
        "role": "Data analyst",
        "required_skills": {"Data visualisation": 3, "Data management": 2},
        "bases": (B15,),
        "work_mode": "on_site",
        "flexible_working": frozenset(),
        "starts_on": STARTS,
    }
    values.update(changes)
    return Vacancy(**values)


def factor(match: Match, name: str) -> Any:
    found = [f for f in match.factors if f.name == name]
    assert len(found) == 1, f"no single factor {name!r} in {[f.name for f in match.factors]}"
    return found[0]


def points(name: str, c: Candidate | None = None, v: Vacancy | None = None, w: Weights = WEIGHTS) -> float:
    return float(factor(domain.score(c or candidate(), v or vacancy(), w), name).points)


# --------------------------------------------------------------------------- distance


def test_within_the_travel_distance_scores_full_marks() -> None:
    match = domain.score(candidate(max_travel_km=30), vacancy(), WEIGHTS)
    distance = factor(match, "distance")
    assert distance.points == distance.max_points == 15
    assert distance.would_rise_if is None
    assert "13 km (8 miles) away, within the 30 km (19 miles)" in distance.explanation
    assert match.distance_km == pytest.approx(WS1_TO_B15)


def test_beyond_the_travel_distance_scores_less_the_further_it_is() -> None:
    near = points("distance", candidate(max_travel_km=10))
    far = points("distance", candidate(max_travel_km=10), vacancy(bases=(M1,)))
    # 3 km beyond a 10 km limit loses about 30% of the 15 points.
    assert near == pytest.approx(15 * (1 - (WS1_TO_B15 - 10) / 10), abs=0.01)
    assert 0 < near < 15
    assert far == 0
    explained = factor(domain.score(candidate(max_travel_km=10), vacancy(), WEIGHTS), "distance")
    assert "beyond the 10 km (6 miles)" in explained.explanation
    assert explained.would_rise_if == "a hybrid or remote arrangement would add to it"


def test_the_nearest_of_several_bases_counts() -> None:
    assert points("distance", candidate(max_travel_km=5), vacancy(bases=(M1, WS1, NE1))) == 15


@pytest.mark.parametrize("base", [M1, NE1])
def test_a_remote_vacancy_scores_full_distance_whatever_the_distance(base: Place) -> None:
    match = domain.score(candidate(max_travel_km=1), vacancy(work_mode="remote", bases=(base,)), WEIGHTS)
    assert factor(match, "distance").points == 15
    assert "remote" in factor(match, "distance").explanation


def test_a_hybrid_vacancy_allows_twice_the_travel_distance() -> None:
    traveller = candidate(max_travel_km=8)  # B15 is about 13 km away: beyond 8, within 16
    assert points("distance", traveller, vacancy(work_mode="on_site")) < 15
    assert points("distance", traveller, vacancy(work_mode="hybrid")) == 15
    hybrid_too_far = points("distance", candidate(max_travel_km=5), vacancy(work_mode="hybrid"))
    assert hybrid_too_far == pytest.approx(15 * (1 - (WS1_TO_B15 - 10) / 10), abs=0.01)


def test_a_hybrid_role_says_the_candidates_own_distance_and_how_far_it_is_extended() -> None:
    # Seen: "within the 100 km the candidate would travel" when the candidate had said 50.
    gloucester = place("GL1")
    stated = 50.0
    km = domain.distance_km(WS1, gloucester)  # about 82 km: beyond 50, within the doubled 100
    within = domain.score(
        candidate(max_travel_km=stated), vacancy(work_mode="hybrid", bases=(gloucester,)), WEIGHTS
    )
    assert factor(within, "distance").points == 15
    explained = factor(within, "distance").explanation
    assert "the candidate would travel 50 km" in explained
    assert "hybrid role" in explained
    assert "extended to 100 km" in explained
    assert "100 km the candidate would travel" not in explained
    assert f"{km:.0f} km ({miles_from_km(km)} miles) away" in explained
    beyond = factor(
        domain.score(candidate(max_travel_km=stated), vacancy(work_mode="hybrid", bases=(NE1,)), WEIGHTS),
        "distance",
    ).explanation
    assert "beyond 100 km" in beyond
    assert "the candidate would travel 50 km" in beyond


def test_an_on_site_role_says_only_the_candidates_own_distance() -> None:
    explained = factor(
        domain.score(candidate(max_travel_km=50), vacancy(bases=(place("GL1"),)), WEIGHTS), "distance"
    ).explanation
    assert "beyond the 50 km (31 miles) the candidate would travel" in explained
    assert "hybrid" not in explained


# --------------------------------------------------------------------------- flexible working


def test_no_flexible_working_needs_scores_full_marks() -> None:
    found = factor(
        domain.score(candidate(flexible_working=frozenset()), vacancy(), WEIGHTS), "flexible_working"
    )
    assert found.points == 10
    assert found.explanation == "no flexible-working needs"


def test_needs_partly_met_score_in_proportion_and_name_what_is_missing() -> None:
    wants = candidate(flexible_working=frozenset({"part_time", "compressed_hours"}))
    found = factor(
        domain.score(wants, vacancy(flexible_working=frozenset({"part_time"})), WEIGHTS), "flexible_working"
    )
    assert found.points == 5
    assert found.explanation == "meets 1 of 2 flexible-working needs"
    assert found.would_rise_if == "offering compressed hours would add to it"
    assert points("flexible_working", wants, vacancy(flexible_working=frozenset())) == 0


@pytest.mark.parametrize(
    ("wanted", "work_mode", "expected"),
    [
        ({"hybrid"}, "hybrid", 10),
        ({"hybrid"}, "remote", 10),
        ({"remote"}, "remote", 10),
        ({"remote"}, "hybrid", 0),
        ({"remote", "hybrid"}, "hybrid", 5),
        ({"hybrid"}, "on_site", 0),
    ],
)
def test_remote_and_hybrid_work_modes_meet_those_needs(
    wanted: set[str], work_mode: str, expected: float
) -> None:
    assert (
        points(
            "flexible_working", candidate(flexible_working=frozenset(wanted)), vacancy(work_mode=work_mode)
        )
        == expected
    )


# --------------------------------------------------------------------------- skills


def test_skills_score_in_proportion_to_the_levels_held() -> None:
    v = vacancy(required_skills={"Data visualisation": 4, "Data management": 2})
    # 2 of 4 on one skill, 2 of 2 on the other: three quarters of 30.
    c = candidate(skills={"Data visualisation": 2, "Data management": 2})
    match = domain.score(c, v, WEIGHTS)
    assert factor(match, "skills").points == 22.5
    assert "covers 75%" in factor(match, "skills").explanation
    assert match.gaps == [
        SkillGap(
            skill="Data visualisation", required_level=SkillLevel.EXPERT, current_level=SkillLevel.WORKING
        )
    ]


def test_a_skill_not_held_is_a_gap_with_no_current_level() -> None:
    match = domain.score(candidate(skills={"Data management": 3}), vacancy(), WEIGHTS)
    assert match.gaps == [
        SkillGap(skill="Data visualisation", required_level=SkillLevel.PRACTITIONER, current_level=None)
    ]
    assert factor(match, "skills").points == 15


def test_levels_above_the_required_do_not_make_up_for_a_gap() -> None:
    c = candidate(skills={"Data visualisation": 4, "Data management": 1})
    v = vacancy(required_skills={"Data visualisation": 2, "Data management": 2})
    assert points("skills", c, v) == 22.5


def test_a_vacancy_needing_no_skills_gives_full_skill_marks() -> None:
    match = domain.score(candidate(skills={}), vacancy(required_skills={}), WEIGHTS)
    assert factor(match, "skills").points == 30
    assert match.gaps == []


def test_the_skills_hint_names_the_skill_and_the_points_training_would_add() -> None:
    v = vacancy(required_skills={"Data visualisation": 4, "Data management": 2})
    c = candidate(skills={"Data visualisation": 1, "Data management": 2})
    hint = factor(domain.score(c, v, WEIGHTS), "skills").would_rise_if
    assert hint is not None
    assert "Expert in Data visualisation" in hint
    added = re.search(r"would add (\d+)", hint)
    assert added is not None, hint
    # The promised points are what reaching the level really adds.
    trained = replace(c, skills={"Data visualisation": 4, "Data management": 2})
    gained = points("skills", trained, v) - points("skills", c, v)
    assert int(added.group(1)) == round(gained)
    assert round(gained) == 11


# --------------------------------------------------------------------------- training


def test_training_progress_counts_none_then_enrolled_then_completed() -> None:
    none = points("training", candidate(training_status="none", modules_completed=0, modules_total=0))
    started = points("training", candidate(training_status="enrolled", modules_completed=0, modules_total=4))
    halfway = points("training", candidate(training_status="enrolled", modules_completed=2, modules_total=4))
    completed = points("training", candidate(training_status="completed"))
    assert none == 0
    assert 0 < started < halfway < completed == 10
    assert (started, halfway) == (3, 6)


def test_the_training_hint_appears_until_training_is_completed() -> None:
    enrolled = candidate(training_status="enrolled", modules_completed=1, modules_total=4)
    assert factor(domain.score(enrolled, vacancy(), WEIGHTS), "training").would_rise_if is not None
    assert factor(domain.score(candidate(), vacancy(), WEIGHTS), "training").would_rise_if is None


# --------------------------------------------------------------------------- role fit, experience, availability


def test_the_vacancy_specialism_among_the_candidates_is_a_full_role_fit() -> None:
    assert points("role_fit", candidate(specialisms=frozenset({"data_analyst"}))) == 20


def test_a_framework_role_of_a_chosen_specialism_is_a_full_role_fit() -> None:
    v = vacancy(specialism=None, role="Performance analyst")
    found = factor(domain.score(candidate(specialisms=frozenset({"data_analyst"})), v, WEIGHTS), "role_fit")
    assert found.points == 20
    assert "Performance analyst" in found.explanation


def test_another_specialism_is_a_partial_role_fit_with_a_hint() -> None:
    found = factor(
        domain.score(candidate(specialisms=frozenset({"project_manager"})), vacancy(), WEIGHTS), "role_fit"
    )
    assert found.points == 8
    assert found.would_rise_if is not None


@pytest.mark.parametrize(("years", "expected"), [(0, 0), (5, 5), (10, 10), (25, 10)])
def test_experience_counts_up_to_the_full_years(years: float, expected: float) -> None:
    assert points("experience", candidate(years_experience=years)) == expected


@pytest.mark.parametrize(
    ("earliest", "expected"),
    [
        (None, 5),
        (STARTS - timedelta(days=10), 5),
        (STARTS, 5),
        (STARTS + timedelta(days=90), 2.5),
        (STARTS + timedelta(days=200), 0),
    ],
)
def test_availability_after_the_start_date_scores_less(earliest: date | None, expected: float) -> None:
    assert points("availability", candidate(earliest_start=earliest)) == expected


def test_a_vacancy_starts_four_weeks_after_it_closes() -> None:
    assert domain.vacancy_start(date(2027, 1, 31)) == date(2027, 2, 28)


# --------------------------------------------------------------------------- the total


def test_a_perfect_candidate_scores_100_with_nothing_to_raise() -> None:
    match = domain.score(candidate(), vacancy(), WEIGHTS)
    assert match.score == 100
    assert [f.name for f in match.factors] == [
        "role_fit",
        "skills",
        "experience",
        "distance",
        "flexible_working",
        "training",
        "availability",
    ]
    assert all(f.would_rise_if is None for f in match.factors)


def test_the_total_is_the_sum_of_the_factor_points_and_shares_add_up_to_one() -> None:
    c = candidate(
        specialisms=frozenset({"project_manager"}),
        skills={"Data visualisation": 1},
        years_experience=3.5,
        max_travel_km=5,
        flexible_working=frozenset({"part_time", "term_time", "hybrid"}),
        training_status="enrolled",
        modules_completed=1,
        modules_total=3,
        earliest_start=STARTS + timedelta(days=45),
    )
    match = domain.score(c, vacancy(flexible_working=frozenset({"part_time"})), WEIGHTS)
    assert 0 < match.score < 100
    assert match.score == pytest.approx(sum(f.points for f in match.factors), abs=0.01)
    assert sum(f.share for f in match.factors) == pytest.approx(1, abs=0.001)
    for f in match.factors:
        assert f.share == pytest.approx(f.points / match.score, abs=0.0001)
        assert f.points <= f.max_points
        if f.points < f.max_points:
            assert f.would_rise_if, f"{f.name} is below its maximum without a hint"


def test_the_factors_maximums_are_the_weights_in_force() -> None:
    weights = Weights(
        role_fit=10, skills=50, experience=5, distance=15, flexible_working=10, training=5, availability=5
    )
    match = domain.score(candidate(skills={}), vacancy(), weights)
    assert {f.name: f.max_points for f in match.factors} == {
        "role_fit": 10,
        "skills": 50,
        "experience": 5,
        "distance": 15,
        "flexible_working": 10,
        "training": 5,
        "availability": 5,
    }
    assert match.score == 50


@pytest.mark.parametrize("changes", [{"role_fit": 30}, {"skills": 0}, {"distance": 14.5}])
def test_weights_must_add_up_to_100(changes: dict[str, float]) -> None:
    with pytest.raises(ValidationError, match="add up to 100"):
        Weights(**changes)


# --------------------------------------------------------------------------- proposing


def test_a_score_below_the_threshold_is_not_proposed() -> None:
    assert not domain.should_propose(54.99, None, WEIGHTS, None, 0)
    assert domain.should_propose(55, None, WEIGHTS, None, 0)


def test_the_same_pair_is_proposed_again_only_when_its_score_moved_materially() -> None:
    assert not domain.should_propose(60, 60, WEIGHTS, 60, 1)
    assert not domain.should_propose(64.9, 60, WEIGHTS, 60, 1)
    assert domain.should_propose(65, 60, WEIGHTS, 60, 1)
    # Moving materially but to below the threshold proposes nothing.
    assert not domain.should_propose(50, 60, WEIGHTS, 60, 1)


def test_only_the_best_n_per_vacancy_are_proposed() -> None:
    two = Weights(proposals_per_vacancy=2)
    assert domain.should_propose(60, None, two, 80, 1)
    assert not domain.should_propose(60, None, two, 70, 2)
    assert not domain.should_propose(70, None, two, 70, 2)
    assert domain.should_propose(75, None, two, 70, 2)


def test_near_fits_held_back_by_skills_are_told_their_gaps() -> None:
    near = domain.score(candidate(skills={"Data management": 2}), vacancy(), WEIGHTS)
    assert WEIGHTS.near_fit_at <= near.score < 100
    assert [g.skill for g in domain.near_fit_gaps(near, WEIGHTS)] == ["Data visualisation"]
    perfect = domain.score(candidate(), vacancy(), WEIGHTS)
    assert domain.near_fit_gaps(perfect, WEIGHTS) == []
    far = domain.score(
        candidate(
            skills={}, specialisms=frozenset(), years_experience=0, max_travel_km=0, training_status="none"
        ),
        vacancy(),
        WEIGHTS,
    )
    assert far.score < WEIGHTS.near_fit_at
    assert domain.near_fit_gaps(far, WEIGHTS) == []


# --------------------------------------------------------------------------- who sees whom


def test_a_council_sees_a_candidate_who_allows_its_region() -> None:
    c = candidate(visible_to_regions=frozenset({"west_midlands"}), visible_to_councils=frozenset())
    assert domain.visible_to(c, "E08000030", "west_midlands")
    assert not domain.visible_to(c, "E08000003", "north_west")


def test_a_council_sees_a_candidate_who_allows_it_by_name_only() -> None:
    c = candidate(visible_to_regions=frozenset(), visible_to_councils=frozenset({"E08000025"}))
    assert domain.visible_to(c, "E08000025", "west_midlands")
    assert not domain.visible_to(c, "E08000030", "west_midlands")


# --------------------------------------------------------------------------- ranking a pool quickly


def random_pair(rng: random.Random, districts: list[Place], skills: list[str]) -> tuple[Candidate, Vacancy]:
    specialisms = [s.value for s in IctSpecialism]
    held = {s: rng.randint(0, 4) for s in rng.sample(skills, rng.randint(0, 8))}
    training = rng.choice(("none", "enrolled", "completed"))
    total = rng.choice((0, 3, 6))
    c = candidate(
        home=rng.choice(districts),
        specialisms=frozenset(rng.sample(specialisms, rng.randint(0, 2)) + rng.choice(([], ["unknown"]))),
        skills={k: v for k, v in held.items() if v},
        years_experience=round(rng.uniform(0, 25), 1),
        flexible_working=frozenset(rng.sample([f.value for f in FlexibleWorking], rng.randint(0, 3))),
        max_travel_km=float(rng.choice((0, 1, 10, 25, 50, 80))),
        earliest_start=rng.choice(
            (None, STARTS - timedelta(days=10), STARTS + timedelta(days=rng.randint(1, 400)))
        ),
        training_status=training,
        modules_total=total,
        modules_completed=rng.randint(0, total),
    )
    specialism = rng.choice([*IctSpecialism, None])
    role = (
        rng.choice(specialism.ddat_roles) if specialism else rng.choice(("Data analyst", "Delivery manager"))
    )
    v = vacancy(
        specialism=specialism.value if specialism else None,
        role=role,
        required_skills={s: rng.randint(1, 4) for s in rng.sample(skills, rng.randint(0, 8))},
        bases=tuple(rng.sample(districts, rng.randint(0, 3))),
        work_mode=rng.choice([m.value for m in WorkMode]),
        flexible_working=frozenset(rng.sample([f.value for f in FlexibleWorking], rng.randint(0, 4))),
    )
    return c, v


@pytest.mark.parametrize("seed", range(4))
def test_the_quick_score_is_exactly_the_explained_score(seed: int) -> None:
    rng = random.Random(seed)
    districts = [Place(d.latitude, d.longitude) for d in list(reference.postcode_districts().values())[::40]]
    skills = sorted(reference.framework_skills())[:30]
    weights = rng.choice((WEIGHTS, Weights(role_fit=15, skills=35, distance=12.5, availability=7.5)))
    for _ in range(2_500):
        c, v = random_pair(rng, districts, skills)
        explained = domain.score(c, v, weights)
        total, lacks = domain.quick_score(domain.scorer(v, weights), domain.facts_of(c))
        assert domain.quick_scores(domain.facts_of(c), [domain.scorer(v, weights)]) == [(total, lacks)]
        assert total == explained.score, (c, v)
        assert lacks == bool(explained.missing)
        assert domain.quick_near_fit(total, lacks, weights) == bool(domain.near_fit_gaps(explained, weights))
        assert domain.missing_skills(v.required_skills, c.skills) == explained.missing


def test_the_recorded_factors_and_gaps_key_are_what_the_models_dump_to() -> None:
    rng = random.Random(99)
    districts = [Place(d.latitude, d.longitude) for d in list(reference.postcode_districts().values())[::40]]
    skills = sorted(reference.framework_skills())[:30]
    for _ in range(300):
        c, v = random_pair(rng, districts, skills)
        explained = domain.score(c, v, WEIGHTS)
        assert explained.factor_rows == [f.model_dump(mode="json") for f in explained.factors]
        dumped = json.dumps([g.model_dump(mode="json") for g in explained.gaps], sort_keys=True)
        assert gaps_key(explained.missing) == hashlib.sha256(dumped.encode()).hexdigest()


def test_a_displaced_pair_is_proposed_again_only_if_it_moved_and_ranks_among_the_best() -> None:
    two = Weights(proposals_per_vacancy=2)
    assert not domain.should_propose(62, 60, two, 70, 2, standing=False)  # not moved materially
    assert not domain.should_propose(68, 60, two, 70, 2, standing=False)  # moved, still below the best
    assert domain.should_propose(75, 60, two, 70, 2, standing=False)
    assert domain.should_propose(68, 60, two, 70, 2, standing=True)  # a standing pair that moved


def test_one_candidate_scored_for_many_vacancies_at_once_gets_the_same_numbers() -> None:
    rng = random.Random(7)
    districts = [Place(d.latitude, d.longitude) for d in list(reference.postcode_districts().values())[::40]]
    skills = sorted(reference.framework_skills())[:30]
    other = Weights(role_fit=15, skills=35, distance=12.5, availability=7.5, full_experience_years=5)
    for _ in range(50):
        c, _ = random_pair(rng, districts, skills)
        scorers = [
            domain.scorer(random_pair(rng, districts, skills)[1], rng.choice((WEIGHTS, other)))
            for _ in range(40)
        ]
        facts = domain.facts_of(c)
        assert domain.quick_scores(facts, scorers) == [domain.quick_score(s, facts) for s in scorers]


def test_one_explainer_for_many_vacancies_explains_each_as_score_does() -> None:
    rng = random.Random(11)
    districts = [Place(d.latitude, d.longitude) for d in list(reference.postcode_districts().values())[::40]]
    skills = sorted(reference.framework_skills())[:30]
    other = Weights(role_fit=15, skills=35, distance=12.5, availability=7.5)
    for _ in range(40):
        c, _ = random_pair(rng, districts, skills)
        weights = rng.choice((WEIGHTS, other))
        explainer = domain.Explainer(domain.facts_of(c), weights)
        # Vacancies that share bases, flexible working, start dates and roles, as a council's do.
        vacancies = [random_pair(rng, districts, skills)[1] for _ in range(8)]
        vacancies += [dataclasses.replace(v, required_skills={}) for v in vacancies[:4]]
        for v in vacancies * 2:
            compiled = domain.scorer(v, weights) if rng.random() < 0.5 else None
            got, want = explainer.explain(v, compiled), domain.score(c, v, weights)
            assert (got.score, got.factor_rows, got.missing, got.distance_km) == (
                want.score,
                want.factor_rows,
                want.missing,
                want.distance_km,
            )


# --------------------------------------------------------------------------- hiring


@pytest.mark.parametrize(
    ("interview_required", "interviewed", "refused"),
    [(True, False, True), (True, True, False), (False, False, False), (False, True, False)],
)
def test_a_hire_waits_for_the_interview_only_where_the_vacancy_asks_for_one(
    interview_required: bool, interviewed: bool, refused: bool
) -> None:
    refusal = domain.hire_refusal(interview_required=interview_required, interviewed=interviewed)
    assert (refusal is not None) == refused
    if refusal:
        assert "record the interview before recording a hire" in refusal
