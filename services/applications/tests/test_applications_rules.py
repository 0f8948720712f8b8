"""The pure rules of applying: windows, stages, videos, second stage, retention, completeness and
the validation of answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from rtw_applications.api_models import ApplicationAnswers, NewApplication
from rtw_applications.domain import (
    CANDIDATE_LABELS,
    FINAL_STAGES,
    PROGRAMMES,
    SECOND_STAGE_QUESTIONS,
    JourneyStep,
    SecondStageQuestion,
    Stage,
    Window,
    appeal_offer,
    current_stage,
    reference_for,
    retention_due,
    second_stage_deadline,
    second_stage_problems,
    sniff_video,
    window_refusal,
)
from rtw_applications.intake import missing_answers
from rtw_applications.testing import application_form
from rtw_contracts import Programme
from rtw_platform import reference

pytestmark = pytest.mark.unit


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


# --------------------------------------------------------------------------- windows

WINDOW = Window(opens_on=date(2026, 9, 29), closes_on=date(2026, 12, 18))


@pytest.mark.parametrize("today", [date(2026, 9, 29), date(2026, 11, 1), date(2026, 12, 18)])
def test_a_window_accepts_applications_from_its_opening_day_to_its_closing_day(today: date) -> None:
    assert WINDOW.is_open(today)
    assert window_refusal(WINDOW, today) is None


def test_the_day_before_the_window_opens_is_refused_naming_the_opening_date_and_window() -> None:
    refusal = window_refusal(WINDOW, date(2026, 9, 28))
    assert not WINDOW.is_open(date(2026, 9, 28))
    assert refusal == (
        "Applications for this cohort open on 29 September 2026"
        " (window 29 September 2026 to 18 December 2026)."
    )


def test_the_day_after_the_window_closes_is_refused_naming_the_closing_date_and_window() -> None:
    refusal = window_refusal(WINDOW, date(2026, 12, 19))
    assert not WINDOW.is_open(date(2026, 12, 19))
    assert refusal == (
        "Applications for this cohort closed on 18 December 2026"
        " (window 29 September 2026 to 18 December 2026)."
    )


def test_a_one_day_window_is_open_on_that_day_only() -> None:
    window = Window(date(2027, 1, 5), date(2027, 1, 5))
    assert window_refusal(window, date(2027, 1, 5)) is None
    assert "open on 5 January 2027" in (window_refusal(window, date(2027, 1, 4)) or "")
    assert "closed on 5 January 2027" in (window_refusal(window, date(2027, 1, 6)) or "")


def test_window_dates_are_written_as_people_write_them() -> None:
    assert Window(date(2026, 3, 1), date(2026, 4, 9)).describe() == "1 March 2026 to 9 April 2026"


# --------------------------------------------------------------------------- current stage


def test_an_application_without_steps_is_a_draft() -> None:
    assert current_stage([]) is Stage.DRAFT


def test_steps_arriving_out_of_order_never_move_an_application_backwards() -> None:
    steps = [
        JourneyStep(Stage.SCORED, at("2026-10-20")),
        JourneyStep(Stage.SUBMITTED, at("2026-10-01")),
        JourneyStep(Stage.SHORTLISTED, at("2026-10-10")),
    ]
    assert current_stage(steps) is Stage.SCORED
    assert current_stage(list(reversed(steps))) is Stage.SCORED


def test_a_repeated_step_changes_nothing() -> None:
    steps = [
        JourneyStep(Stage.SUBMITTED, at("2026-10-01")),
        JourneyStep(Stage.SHORTLISTED, at("2026-10-10")),
        JourneyStep(Stage.SUBMITTED, at("2026-10-30")),  # the submission event delivered again
    ]
    assert current_stage(steps) is Stage.SHORTLISTED


def test_withdrawn_beats_every_other_stage_even_later_ones() -> None:
    steps = [
        JourneyStep(Stage.SUBMITTED, at("2026-10-01")),
        JourneyStep(Stage.WITHDRAWN, at("2026-10-02")),
        JourneyStep(Stage.HIRED, at("2027-06-01")),
    ]
    assert current_stage(steps) is Stage.WITHDRAWN


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        (Stage.WAITLISTED, Stage.SELECTED),
        (Stage.SELECTED, Stage.WAITLISTED),
        (Stage.SHORTLISTED, Stage.NOT_SHORTLISTED),
        (Stage.DECLINED, Stage.ACCEPTED),
    ],
)
def test_of_two_outcomes_of_the_same_step_the_later_decision_wins(earlier: Stage, later: Stage) -> None:
    steps = [
        JourneyStep(later, at("2026-11-02")),
        JourneyStep(earlier, at("2026-11-01")),
    ]
    assert current_stage(steps) is later


def test_every_stage_has_a_label_in_plain_words() -> None:
    assert set(CANDIDATE_LABELS) == set(Stage)
    assert CANDIDATE_LABELS[Stage.SUBMITTED] == "Application received"
    assert all("_" not in label for label in CANDIDATE_LABELS.values())


# --------------------------------------------------------------------------- videos


def ftyp(brand: bytes) -> bytes:
    return b"\x00\x00\x00\x18ftyp" + brand + b"\x00\x00\x02\x00isomiso2mp41"


def ebml(doctype: bytes) -> bytes:
    header = (
        b"\x42\x86\x81\x01"  # EBMLVersion 1
        b"\x42\xf7\x81\x01"  # EBMLReadVersion 1
        b"\x42\xf2\x81\x04"  # EBMLMaxIDLength 4
        b"\x42\xf3\x81\x08"  # EBMLMaxSizeLength 8
        + b"\x42\x82"
        + bytes([0x80 | len(doctype)])
        + doctype
        + b"\x42\x87\x81\x04"  # DocTypeVersion 4
        + b"\x42\x85\x81\x02"  # DocTypeReadVersion 2
    )
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(header)]) + header + b"\x18\x53\x80\x67\x01" + b"\x00" * 40


@pytest.mark.parametrize(
    ("head", "content_type"),
    [
        (ftyp(b"isom"), "video/mp4"),
        (ftyp(b"mp42"), "video/mp4"),
        (ftyp(b"qt  "), "video/quicktime"),
        (ebml(b"webm"), "video/webm"),
    ],
    ids=["mp4-isom", "mp4-mp42", "mov", "webm"],
)
def test_videos_are_recognised_from_their_first_bytes(head: bytes, content_type: str) -> None:
    assert sniff_video(head) == content_type


@pytest.mark.parametrize(
    "head",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06\x00\x00\x00",
        ebml(b"matroska"),
        b"",
        b"\x00\x00\x00\x18ftyp",  # cut short before the brand
    ],
    ids=["pdf", "png", "matroska-not-webm", "empty", "truncated-mp4"],
)
def test_files_that_are_not_accepted_videos_are_refused(head: bytes) -> None:
    assert sniff_video(head) is None


@pytest.mark.parametrize("brand", [b"heic", b"M4A "], ids=["heic-photo", "m4a-audio"])
def test_an_iso_media_file_that_is_not_a_video_is_refused(brand: bytes) -> None:
    assert sniff_video(ftyp(brand)) is None


def test_the_name_of_a_file_plays_no_part_only_its_bytes() -> None:
    assert sniff_video(b"video.mp4 is what this file says it is") is None


# --------------------------------------------------------------------------- second stage

QUESTIONS = (
    SecondStageQuestion("q-one", "What did you do?", 5),
    SecondStageQuestion("q-two", "Why?", 3),
)


def test_complete_answers_within_the_word_limits_have_no_problems() -> None:
    answers = {"q-one": "one two three four five", "q-two": "  because  I can  "}
    assert second_stage_problems(QUESTIONS, answers) == []


def test_a_missing_or_blank_answer_asks_the_question() -> None:
    problems = second_stage_problems(QUESTIONS, {"q-one": "   "})
    assert problems == [
        ("answers.q-one", "Answer the question: What did you do?"),
        ("answers.q-two", "Answer the question: Why?"),
    ]


def test_an_answer_to_a_question_the_programme_does_not_ask_is_refused() -> None:
    answers = {"q-one": "fine", "q-two": "fine", "q-three": "extra"}
    assert second_stage_problems(QUESTIONS, answers) == [
        ("answers.q-three", "is not a question of this programme")
    ]


def test_an_answer_one_word_over_the_limit_is_refused_with_the_count() -> None:
    problems = second_stage_problems(QUESTIONS, {"q-one": "a b c d e f", "q-two": "x y z"})
    assert problems == [("answers.q-one", "Use 5 words or fewer (you used 6).")]


def test_every_programme_asks_second_stage_questions_with_word_limits() -> None:
    assert set(SECOND_STAGE_QUESTIONS) == set(Programme)
    for questions in SECOND_STAGE_QUESTIONS.values():
        ids = [q.id for q in questions]
        assert len(ids) == len(set(ids))
        assert all(q.max_words > 0 for q in questions)


def test_the_second_stage_closes_at_the_end_of_the_fourteenth_day_after_shortlisting() -> None:
    deadline = second_stage_deadline(datetime(2026, 3, 1, 10, 30, tzinfo=UTC), None)
    assert deadline == datetime(2026, 3, 15, 23, 59, 59, tzinfo=UTC)


def test_a_deadline_set_by_assessment_is_used_to_the_end_of_that_day() -> None:
    deadline = second_stage_deadline(datetime(2026, 3, 1, 10, 30, tzinfo=UTC), date(2026, 3, 8))
    assert deadline == datetime(2026, 3, 8, 23, 59, 59, tzinfo=UTC)


# --------------------------------------------------------------------------- retention


def test_nothing_is_due_for_retention_without_a_final_outcome() -> None:
    assert not retention_due(None, 24, at("2040-01-01"))


def test_retention_is_due_at_exactly_the_number_of_months_and_not_a_moment_before() -> None:
    final = datetime(2026, 5, 17, 9, 0, tzinfo=UTC)
    due = datetime(2028, 5, 17, 9, 0, tzinfo=UTC)
    assert retention_due(final, 24, due)
    assert not retention_due(final, 24, due - timedelta(seconds=1))
    assert not retention_due(final, 24, due - timedelta(days=1))


@pytest.mark.parametrize(
    ("final", "months", "due"),
    [
        (datetime(2026, 1, 31, tzinfo=UTC), 1, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2028, 1, 31, tzinfo=UTC), 1, datetime(2028, 2, 29, tzinfo=UTC)),  # leap year
        (datetime(2026, 3, 31, tzinfo=UTC), 1, datetime(2026, 4, 30, tzinfo=UTC)),
        (datetime(2026, 8, 31, tzinfo=UTC), 6, datetime(2027, 2, 28, tzinfo=UTC)),
        (datetime(2028, 2, 29, tzinfo=UTC), 12, datetime(2029, 2, 28, tzinfo=UTC)),
        (datetime(2026, 11, 15, tzinfo=UTC), 2, datetime(2027, 1, 15, tzinfo=UTC)),  # over a year end
    ],
)
def test_month_end_outcomes_are_due_on_the_last_day_of_the_shorter_month(
    final: datetime, months: int, due: datetime
) -> None:
    assert retention_due(final, months, due)
    assert not retention_due(final, months, due - timedelta(days=1))


# --------------------------------------------------------------------------- references


@pytest.mark.parametrize(
    ("programme", "number", "expected"),
    [
        (Programme.ICT, 123, "RTW-ICT-000123"),
        (Programme.SOCIAL_WORK, 1, "RTW-SW-000001"),
        (Programme.PLANNING, 999_999, "RTW-PLN-999999"),
        (Programme.LEGAL, 42, "RTW-LGL-000042"),
    ],
)
def test_references_are_the_programme_code_and_a_six_digit_number(
    programme: Programme, number: int, expected: str
) -> None:
    assert reference_for(programme, number) == expected


def test_every_programme_has_its_own_reference_prefix() -> None:
    prefixes = {reference_for(p, 1).rsplit("-", 1)[0] for p in Programme}
    assert len(prefixes) == len(Programme) == len(PROGRAMMES)


# --------------------------------------------------------------------------- completeness


def answers(**overrides: Any) -> ApplicationAnswers:
    """A complete ICT application's answers, changed as given (None removes a field)."""
    form = application_form()
    form.pop("cohort_id")
    form.pop("email")
    form.update(overrides)
    return ApplicationAnswers.model_validate({k: v for k, v in form.items() if v is not None})


def fields(problems: list[tuple[str, str]]) -> list[str]:
    return [field for field, _ in problems]


SOCIAL_WORK_REGISTRATION = {"body": "Social Work England", "registration_number": "SW12345"}
LEGAL_REGISTRATION = {"body": "Solicitors Regulation Authority", "last_practised": "2021-06"}


def test_a_complete_ict_application_misses_nothing() -> None:
    assert missing_answers(Programme.ICT, answers()) == []


def test_an_empty_application_lists_every_common_question() -> None:
    problems = missing_answers(Programme.PLANNING, ApplicationAnswers())
    assert fields(problems) == [
        "given_name",
        "family_name",
        "postcode_district",
        "right_to_work",
        "career_break",
        "years_experience",
        "work_preferences",
        "privacy_notice_version",
        "consent_to_processing",
    ]


@pytest.mark.parametrize("consent", [False, None])
def test_an_application_is_not_complete_without_consent(consent: bool | None) -> None:
    problems = missing_answers(Programme.ICT, answers(consent_to_processing=consent))
    assert fields(problems) == ["consent_to_processing"]
    assert "privacy notice" in problems[0][1]


def test_ict_needs_at_least_one_specialism() -> None:
    problems = missing_answers(Programme.ICT, answers(specialisms=[]))
    assert problems == [("specialisms", "Choose at least one specialism you would like to work in.")]


def test_ict_needs_at_least_one_skill() -> None:
    problems = missing_answers(Programme.ICT, answers(skills=None))
    assert fields(problems) == ["skills"]


def test_ict_refuses_skills_the_chosen_roles_do_not_need() -> None:
    support_skill = {"skill": "Incident management", "level": 2}
    assert "Incident management" in reference.framework_skills()
    chosen = answers(specialisms=["software_developer"], skills=[support_skill])
    problems = missing_answers(Programme.ICT, chosen)
    assert problems == [("skills.Incident management", "This skill is not one the roles you chose need.")]
    # The same skill is right for IT technical support.
    assert (
        missing_answers(Programme.ICT, answers(specialisms=["it_technical_support"], skills=[support_skill]))
        == []
    )


@pytest.mark.parametrize(
    ("programme", "body", "registration"),
    [
        (Programme.SOCIAL_WORK, "Social Work England", SOCIAL_WORK_REGISTRATION),
        (Programme.LEGAL, "Solicitors Regulation Authority", LEGAL_REGISTRATION),
    ],
)
def test_social_work_and_legal_need_a_registration_with_one_of_their_bodies(
    programme: Programme, body: str, registration: dict[str, str]
) -> None:
    without = missing_answers(programme, answers(specialisms=None, skills=None))
    assert fields(without) == ["professional_registration"]
    assert body in without[0][1]
    with_it = answers(specialisms=None, skills=None, professional_registration=registration)
    assert missing_answers(programme, with_it) == []


@pytest.mark.parametrize(
    ("programme", "wrong_body"),
    [
        (Programme.SOCIAL_WORK, "Solicitors Regulation Authority"),
        (Programme.LEGAL, "Social Work England"),
        (Programme.PLANNING, "Bar Standards Board"),
    ],
)
def test_a_registration_with_another_programmes_body_is_refused(
    programme: Programme, wrong_body: str
) -> None:
    chosen = answers(specialisms=None, skills=None, professional_registration={"body": wrong_body})
    problems = missing_answers(programme, chosen)
    assert fields(problems) == ["professional_registration.body"]
    assert all(body in problems[0][1] for body in PROGRAMMES[programme].professional_bodies)


def test_planning_does_not_need_a_registration_but_accepts_the_rtpi() -> None:
    assert missing_answers(Programme.PLANNING, answers(specialisms=None, skills=None)) == []
    rtpi = {"body": "Royal Town Planning Institute"}
    assert (
        missing_answers(
            Programme.PLANNING, answers(specialisms=None, skills=None, professional_registration=rtpi)
        )
        == []
    )


@pytest.mark.parametrize(
    ("programme", "registration"),
    [
        (Programme.SOCIAL_WORK, SOCIAL_WORK_REGISTRATION),
        (Programme.PLANNING, None),
        (Programme.LEGAL, LEGAL_REGISTRATION),
    ],
)
def test_specialisms_are_refused_outside_ict(
    programme: Programme, registration: dict[str, str] | None
) -> None:
    chosen = answers(skills=None, professional_registration=registration)
    assert chosen.specialisms
    assert missing_answers(programme, chosen) == [
        ("specialisms", "Specialisms are asked only of ICT applicants.")
    ]


# --------------------------------------------------------------------------- validation of answers


def problems_of(**fields_: Any) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        ApplicationAnswers.model_validate(fields_)
    return [(error["loc"], error["msg"]) for error in caught.value.errors()]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("ws1", "WS1"), ("sw1a", "SW1A"), (" m 1 ", "M1"), ("WS1 1AA", "WS1"), ("b11aa", "B1")],
)
def test_a_postcode_district_in_any_case_is_stored_in_upper_case(typed: str, stored: str) -> None:
    assert stored in reference.postcode_districts()
    assert ApplicationAnswers(postcode_district=typed).postcode_district == stored


@pytest.mark.parametrize("typed", ["ZZ99", "ZZ99 1AA", "WS1 1A", "12345", "W"])
def test_a_postcode_district_not_in_the_uk_list_is_refused_with_an_example(typed: str) -> None:
    assert reference.district_of_postcode(typed) is None
    [(location, message)] = problems_of(postcode_district=typed)
    assert location == ("postcode_district",)
    assert "for example WS1" in message


@pytest.mark.parametrize("phone", ["01632 960 001", "+44 7700 900 982", "(01632) 960-001", " 01632960001 "])
def test_telephone_numbers_as_people_write_them_are_accepted(phone: str) -> None:
    assert ApplicationAnswers(phone=phone).phone == phone.strip()


@pytest.mark.parametrize(
    "phone",
    ["12345", "call me please", "+44 7700 900 982 ext 12", "0" * 21, "----------", "( ) ( ) ( )"],
)
def test_something_that_is_not_a_telephone_number_is_refused(phone: str) -> None:
    [(location, message)] = problems_of(phone=phone)
    assert location == ("phone",)
    assert "enter a telephone number" in message


def test_a_skill_not_in_the_framework_is_refused_by_name() -> None:
    [(location, message)] = problems_of(skills=[{"skill": "Juggling", "level": 2}])
    assert location == ("skills",)
    assert "'Juggling' is not a skill of the digital and data framework" in message


def test_a_skill_listed_twice_is_refused() -> None:
    twice = [{"skill": "Data visualisation", "level": 2}, {"skill": "Data visualisation", "level": 3}]
    [(location, message)] = problems_of(skills=twice)
    assert location == ("skills",)
    assert "list each skill once" in message


def test_unknown_answers_are_refused_rather_than_dropped() -> None:
    [(location, _)] = problems_of(favourite_colour="green")
    assert location == ("favourite_colour",)


def test_a_whole_application_needs_a_valid_cohort_id_and_e_mail() -> None:
    form = application_form(cohort_id="Not A Cohort", email="not-an-email")
    with pytest.raises(ValidationError) as caught:
        NewApplication.model_validate(form)
    assert {error["loc"][0] for error in caught.value.errors()} == {"cohort_id", "email"}


# --------------------------------------------------------------------------- appeals


@pytest.mark.parametrize(
    ("appeal_step", "decision"),
    [(Stage.APPEAL_UPHELD, Stage.SHORTLISTED), (Stage.APPEAL_DISMISSED, Stage.INELIGIBLE)],
)
@pytest.mark.parametrize("appeal_first", [True, False])
def test_the_decision_an_appeal_leads_to_stands_before_the_appeal_made_at_the_same_moment(
    appeal_step: Stage, decision: Stage, appeal_first: bool
) -> None:
    same = at("2026-11-03")
    answered = [JourneyStep(appeal_step, same), JourneyStep(decision, same)]
    steps = [
        JourneyStep(Stage.SUBMITTED, at("2026-11-01")),
        JourneyStep(Stage.INELIGIBLE, at("2026-11-01", 13)),
        JourneyStep(Stage.APPEALED, at("2026-11-02")),
        *(answered if appeal_first else reversed(answered)),
    ]
    assert current_stage(steps) is decision


def test_an_open_appeal_and_an_upheld_one_waiting_for_screening_are_not_the_end() -> None:
    steps = [JourneyStep(Stage.INELIGIBLE, at("2026-11-01")), JourneyStep(Stage.APPEALED, at("2026-11-02"))]
    assert current_stage(steps) is Stage.APPEALED
    assert Stage.APPEALED not in FINAL_STAGES
    steps.append(JourneyStep(Stage.APPEAL_UPHELD, at("2026-11-03")))
    assert current_stage(steps) is Stage.APPEAL_UPHELD
    assert Stage.APPEAL_UPHELD not in FINAL_STAGES
    assert Stage.APPEAL_DISMISSED in FINAL_STAGES


def test_the_appeal_is_offered_to_the_last_day_and_only_for_a_first_ineligible_decision() -> None:
    last = date(2026, 11, 29)
    assert appeal_offer(Stage.INELIGIBLE, False, False, last, last) == "open"
    assert appeal_offer(Stage.INELIGIBLE, False, False, last, last + timedelta(days=1)) == "closed"
    assert appeal_offer(Stage.INELIGIBLE, False, False, None, last) == "open"  # decided before deadlines
    assert appeal_offer(Stage.INELIGIBLE, True, False, last, last + timedelta(days=9)) == "appealed"
    assert appeal_offer(Stage.INELIGIBLE, False, True, None, last) == ""  # an appeal's answer is final
    assert appeal_offer(Stage.SHORTLISTED, False, False, None, last) == ""


def test_only_an_application_still_in_progress_can_be_withdrawn() -> None:
    """One rule for the API and the pages: a final outcome (or erasure) leaves nothing to withdraw."""
    from rtw_applications.domain import Stage, may_withdraw, withdrawal_refusal

    for stage in (Stage.SUBMITTED, Stage.SHORTLISTED, Stage.SELECTED, Stage.MATCHED, Stage.APPEALED):
        assert may_withdraw(stage)
        assert withdrawal_refusal(stage) is None
    for stage in (Stage.INELIGIBLE, Stage.NOT_SHORTLISTED, Stage.REJECTED, Stage.HIRED, Stage.ERASED):
        assert not may_withdraw(stage)
        assert "already over" in (withdrawal_refusal(stage) or "")
    assert withdrawal_refusal(Stage.WITHDRAWN) == "This application was already withdrawn."
