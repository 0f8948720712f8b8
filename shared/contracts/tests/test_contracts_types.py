"""Enums, constrained types and value models."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError
from rtw_contracts.types import (
    CareerBreak,
    CareerBreakReason,
    CohortId,
    GssCode,
    IctSpecialism,
    Nation,
    Pence,
    PostcodeDistrict,
    Programme,
    Region,
    SalaryBand,
    ScoreFactor,
    SkillClaim,
    SkillGap,
    SkillLevel,
    VideoFile,
    WorkPreferences,
    YearMonth,
)

pytestmark = pytest.mark.unit

POSTCODE = TypeAdapter(PostcodeDistrict)
GSS = TypeAdapter(GssCode)
COHORT = TypeAdapter(CohortId)
PENCE = TypeAdapter(Pence)
MONTH = TypeAdapter(YearMonth)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("WS1", "WS1"), ("ws1", "WS1"), (" sw1a ", "SW1A"), ("b33", "B33"), ("EC1A", "EC1A")],
)
def test_postcode_district_is_normalised(raw: str, expected: str) -> None:
    assert POSTCODE.validate_python(raw) == expected


@pytest.mark.parametrize("raw", ["", "WS1 1AA", "1WS", "WSX1", "W", "ABC1"])
def test_postcode_district_rejects_non_districts(raw: str) -> None:
    with pytest.raises(ValidationError):
        POSTCODE.validate_python(raw)


def test_gss_code() -> None:
    assert GSS.validate_python("E08000030") == "E08000030"
    for bad in ("E0800003", "X08000030", "e08000030"):
        with pytest.raises(ValidationError):
            GSS.validate_python(bad)


def test_cohort_id() -> None:
    assert COHORT.validate_python("ict-2020") == "ict-2020"
    for bad in ("ab", "-ict", "ICT-2020", "ict_2020"):
        with pytest.raises(ValidationError):
            COHORT.validate_python(bad)


def test_pence_is_non_negative() -> None:
    assert PENCE.validate_python(0) == 0
    with pytest.raises(ValidationError):
        PENCE.validate_python(-1)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2019-03", date(2019, 3, 1)),
        ("2019-03-14", date(2019, 3, 1)),
        (date(2019, 3, 14), date(2019, 3, 1)),
        (date(2019, 3, 1), date(2019, 3, 1)),
    ],
)
def test_year_month_is_first_of_month(raw: object, expected: date) -> None:
    assert MONTH.validate_python(raw) == expected
    assert MONTH.dump_python(MONTH.validate_python(raw), mode="json") == expected.isoformat()


@pytest.mark.parametrize("raw", ["2019-13", "March 2019", "", 2019])
def test_year_month_rejects_non_months(raw: object) -> None:
    with pytest.raises(ValidationError):
        MONTH.validate_python(raw)


def test_salary_band_min_must_not_exceed_max() -> None:
    assert SalaryBand(min_pence=3_000_000, max_pence=3_000_000).max_pence == 3_000_000
    with pytest.raises(ValidationError, match="must not exceed max_pence"):
        SalaryBand(min_pence=3_600_000, max_pence=3_000_000)
    with pytest.raises(ValidationError):
        SalaryBand(min_pence=-1, max_pence=3_000_000)


def test_career_break_end_not_before_start() -> None:
    ongoing = CareerBreak.model_validate({"start": "2017-03", "reason": "caring"})
    assert ongoing.end is None
    assert ongoing.start == date(2017, 3, 1)
    same = CareerBreak.model_validate({"start": "2017-03", "end": "2017-03", "reason": "caring"})
    assert same.end == same.start
    with pytest.raises(ValidationError, match="must not be before start"):
        CareerBreak.model_validate({"start": "2019-03", "end": "2018-01", "reason": CareerBreakReason.CARING})


def test_skill_gap_must_be_a_gap() -> None:
    SkillGap(skill="Data management", required_level=SkillLevel.WORKING, current_level=None)
    with pytest.raises(ValidationError, match="below required_level"):
        SkillGap(
            skill="Data management",
            required_level=SkillLevel.WORKING,
            current_level=SkillLevel.PRACTITIONER,
        )


def test_score_factor_bounds() -> None:
    factor = ScoreFactor(name="distance", points=15, max_points=15, share=0.2, explanation="ok")
    assert factor.would_rise_if is None
    with pytest.raises(ValidationError, match="exceed max_points"):
        ScoreFactor(name="distance", points=16, max_points=15, share=0.2, explanation="x")
    with pytest.raises(ValidationError):
        ScoreFactor(name="distance", points=1, max_points=15, share=1.5, explanation="x")


def test_video_file() -> None:
    good = {
        "storage_key": "k",
        "content_type": "video/mp4",
        "size_bytes": 10,
        "sha256": "a" * 64,
    }
    assert VideoFile.model_validate(good).content_type == "video/mp4"
    with pytest.raises(ValidationError, match="content_type"):
        VideoFile.model_validate({**good, "content_type": "application/pdf"})
    with pytest.raises(ValidationError, match="sha256"):
        VideoFile.model_validate({**good, "sha256": "XYZ"})


def test_work_preferences_travel_bounds() -> None:
    base = {"flexible_working": ["part_time"], "visible_to_regions": [], "visible_to_councils": []}
    assert WorkPreferences.model_validate({**base, "max_travel_km": 1000}).max_travel_km == 1000
    with pytest.raises(ValidationError, match="max_travel_km"):
        WorkPreferences.model_validate({**base, "max_travel_km": 1001})
    with pytest.raises(ValidationError, match="visible_to_councils"):
        WorkPreferences.model_validate({**base, "max_travel_km": 5, "visible_to_councils": ["nope"]})


def test_value_models_are_frozen() -> None:
    claim = SkillClaim(skill="Data management", level=SkillLevel.WORKING)
    with pytest.raises(ValidationError, match="frozen"):
        claim.level = SkillLevel.EXPERT  # type: ignore[misc]


def test_regions() -> None:
    assert len(Region) == 12
    assert Region.YORKSHIRE_AND_THE_HUMBER.value == "yorkshire_and_the_humber"
    assert Region.YORKSHIRE_AND_THE_HUMBER.label == "Yorkshire and The Humber"
    assert Region.EAST_OF_ENGLAND.label == "East of England"
    assert Region.from_label("Yorkshire and The Humber") is Region.YORKSHIRE_AND_THE_HUMBER
    assert Region.from_label("  north   east ") is Region.NORTH_EAST
    assert {region.label for region in Region} == {
        "East Midlands", "East of England", "London", "North East", "North West",
        "Northern Ireland", "Scotland", "South East", "South West", "Wales",
        "West Midlands", "Yorkshire and The Humber",
    }  # fmt: skip
    assert all(Region.from_label(region.label) is region for region in Region)
    with pytest.raises(ValueError, match="unknown region"):
        Region.from_label("Atlantis")


def test_region_nations() -> None:
    assert Region.WALES.nation is Nation.WALES
    assert Region.LONDON.nation is Nation.ENGLAND
    assert Region.NORTHERN_IRELAND.nation.label == "Northern Ireland"
    assert sum(region.nation is Nation.ENGLAND for region in Region) == 9


def test_ict_specialisms_match_reference_data() -> None:
    assert {s.value: (s.label, s.ddat_roles) for s in IctSpecialism} == {
        "it_technical_support": (
            "IT technical support", ("End user computing engineer", "Service desk manager")
        ),
        "software_developer": ("Software developer", ("Software developer", "Frontend developer")),
        "data_analyst": ("Data analyst", ("Data analyst", "Performance analyst")),
        "it_administrator": (
            "IT administrator",
            ("Infrastructure operations engineer", "Application operations engineer"),
        ),
        "project_manager": ("Project manager", ("Delivery manager", "Programme delivery manager")),
        "enterprise_architect": ("Enterprise architect", ("Enterprise architect",)),
        "technical_architect": ("Technical architect", ("Technical architect",)),
        "solution_architect": ("Solution architect", ("Solution architect",)),
        "security_specialist": (
            "Security specialist", ("Security architect", "Infrastructure engineer")
        ),
        "security_architect": ("Security architect", ("Security architect",)),
        "information_management_specialist": (
            "Information management specialist", ("Data governance manager",)
        ),
    }  # fmt: skip


def test_skill_levels() -> None:
    assert [(level.value, level.label) for level in SkillLevel] == [
        (1, "Awareness"),
        (2, "Working"),
        (3, "Practitioner"),
        (4, "Expert"),
    ]
    assert SkillLevel.EXPERT > SkillLevel.WORKING


def test_enums_serialise_as_values() -> None:
    class Holder(BaseModel):
        programme: Programme
        level: SkillLevel

    held = Holder(programme=Programme.SOCIAL_WORK, level=SkillLevel.PRACTITIONER)
    assert held.model_dump(mode="json") == {"programme": "social_work", "level": 3}
