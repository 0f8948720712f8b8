"""Why someone is not eligible, in their language: every reason the rules give is worded again
from its code and values (rtw_platform.web.reasons), in English exactly as the rules wrote it and
in Welsh from the catalogue, never the English `message` shown as it is."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from rtw_assessment.domain import ApplicationFacts, EligibilityRules, default_config, eligibility_reasons
from rtw_contracts import CareerBreakReason, IneligibilityReason, Programme, ReasonCode
from rtw_contracts.types import CareerBreak, ProfessionalRegistration
from rtw_platform.web.reasons import reason_text

pytestmark = pytest.mark.unit

TODAY = date(2020, 10, 15)


def facts(**changes: Any) -> ApplicationFacts:
    values: dict[str, Any] = {
        "programme": Programme.SOCIAL_WORK,
        "submitted_at": datetime(2020, 10, 2, 9, 58, tzinfo=UTC),
        "right_to_work": True,
        "career_break": CareerBreak(
            start=date(2016, 1, 1), end=date(2019, 12, 1), reason=CareerBreakReason.CARING
        ),
        "years_experience": 8.5,
        "professional_registration": None,
        "specialisms": (),
        "skills": (),
    }
    values.update(changes)
    return ApplicationFacts(**values)


def every_reason() -> list[ReasonCode]:
    """Applications failing each gate, with each kind of break and each form of a range."""
    config = default_config(Programme.SOCIAL_WORK)
    config = config.model_copy(
        update={"window_opens_on": date(2020, 10, 5), "window_closes_on": date(2020, 11, 1)}
    )
    rules = EligibilityRules(
        version="words-1",
        min_break_months=12,
        min_years_experience=2,
        registration_required=True,
        registration_bodies=("Social Work England", "Social Care Wales", "SSSC"),
        min_years_out_of_practice=2,
        max_years_out_of_practice=10,
    )
    found: list[ReasonCode] = []
    for reason in (
        CareerBreakReason.CARING,
        CareerBreakReason.LONG_TERM_UNEMPLOYED,
        CareerBreakReason.OWN_HEALTH,
    ):
        for months_end in (date(2020, 8, 1), date(2020, 9, 1)):  # 1 month and 2 months
            short = CareerBreak(start=date(2020, 8, 1), end=months_end, reason=reason)
            found += eligibility_reasons(
                facts(right_to_work=False, career_break=short, years_experience=0.5), rules, config, TODAY
            )
    found += eligibility_reasons(
        facts(
            professional_registration=ProfessionalRegistration(body="HCPC", last_practised=date(2019, 1, 1))
        ),
        rules,
        config,
        TODAY,
    )
    found += eligibility_reasons(
        facts(
            professional_registration=ProfessionalRegistration(body="SSSC", last_practised=date(2001, 1, 1))
        ),
        rules,
        config,
        TODAY,
    )
    open_ended = rules.model_copy(update={"max_years_out_of_practice": None, "registration_bodies": ()})
    found += eligibility_reasons(facts(), open_ended, config, TODAY)
    return found


def test_every_gate_is_covered() -> None:
    unused = {IneligibilityReason.NO_QUALIFYING_BREAK}  # no rule gives it: shown by its label
    assert {r.code for r in every_reason()} == set(IneligibilityReason) - unused


@pytest.mark.parametrize("reason", every_reason(), ids=lambda r: f"{r.code.value}:{r.message[:40]}")
def test_each_reason_reads_in_english_as_the_rules_wrote_it_and_in_welsh_from_the_catalogue(
    reason: ReasonCode,
) -> None:
    assert reason.params is not None
    assert reason_text(reason, "en") == reason.message
    welsh = reason_text(reason, "cy")
    assert welsh != reason.message
    if reason.code is not IneligibilityReason.NO_RIGHT_TO_WORK:  # the others need their values
        assert welsh != reason_text(ReasonCode(code=reason.code, message=reason.message), "cy")


def test_a_reason_from_before_the_values_were_carried_keeps_its_words_in_english_and_its_label_in_welsh() -> (
    None
):
    old = ReasonCode(
        code=IneligibilityReason.CAREER_BREAK_TOO_SHORT, message="Your career break is too short."
    )
    assert reason_text(old, "en") == "Your career break is too short."
    assert reason_text(old, "cy") not in ("", old.message)
    right_to_work = ReasonCode(
        code=IneligibilityReason.NO_RIGHT_TO_WORK, message="You need the right to work."
    )
    assert reason_text(right_to_work, "en") == "You need the right to work."
    assert reason_text(right_to_work, "cy") == "Mae'r rhaglen ar agor i bobl sydd â'r hawl i weithio yn y DU."


def test_a_welsh_career_break_reason_has_its_numbers_and_the_date_in_welsh() -> None:
    short = ReasonCode(
        code=IneligibilityReason.CAREER_BREAK_TOO_SHORT,
        message="x",
        params={"months": 3, "minimum_months": 12, "kind": "caring"},
    )
    assert reason_text(short, "cy") == (
        "Mae eich seibiant gyrfa i ofalu am rywun yn 3 mis; mae'r rhaglen ar gyfer 12 mis neu fwy."
    )
    late = ReasonCode(
        code=IneligibilityReason.OUTSIDE_WINDOW, message="x", params={"submitted_on": "2026-12-04"}
    )
    assert reason_text(late, "cy") == "Cyrhaeddodd y cais ar 4 Rhagfyr 2026, y tu allan i gyfnod y garfan."
    assert (
        reason_text(late, "en") == "The application arrived on 4 December 2026, outside the cohort's window."
    )
