"""Numbers typed with characters Python calls digits but cannot read as one (a superscript ², for
example) are a problem shown on the form or ignored, never a crash: the pages' number readers."""

from __future__ import annotations

from datetime import date

import pytest
from rtw_applications.web.form_fields import day_of, month_of
from rtw_assessment.web.config_form import _whole
from rtw_matching.web.talent import filters_from_query
from rtw_platform.web import FormErrors, whole_number
from rtw_training.web.grid import _count
from starlette.datastructures import FormData, QueryParams

pytestmark = pytest.mark.unit


def test_a_grid_count_in_superscript_is_ignored() -> None:
    assert _count("²") is None
    assert _count("2") == 2


def test_a_cohort_number_in_superscript_is_a_problem() -> None:
    errors = FormErrors()
    assert _whole({"capacity": "²"}, "capacity", errors) is None
    assert errors.problems == {"capacity": "Enter the number of places as a whole number from 1 to 10,000."}


def test_an_application_month_in_superscript_is_a_problem() -> None:
    errors = FormErrors()
    form = FormData({"left-month": "²", "left-year": "2020"})
    assert month_of(form, "left", "you left", errors, required=True, today=date(2026, 12, 4)) is None
    assert "left-month" in errors.problems


def test_an_application_day_with_huge_numbers_is_a_problem() -> None:
    errors = FormErrors()
    form = FormData({"on-day": "1", "on-month": "9" * 20, "on-year": "2027"})
    assert day_of(form, "on", "The date", errors) is None
    assert errors.problems == {"on-day": "The date must be a real date, like 4 1 2027"}


def test_a_talent_search_page_in_superscript_is_the_first_page() -> None:
    assert filters_from_query(QueryParams("page=²"), FormErrors())["page"] == 1


THOUSANDS_OF_DIGITS = "1" * 5000  # Python refuses to read more than 4,300 digits as a number


def test_a_number_of_thousands_of_digits_is_none_not_an_error() -> None:
    assert whole_number(THOUSANDS_OF_DIGITS, 0, 10) is None
    assert whole_number("0" * 5000, 0, 10) is None
    assert whole_number("7", 0, 10) == 7
    assert whole_number("11", 0, 10) is None


def test_a_cohort_number_of_thousands_of_digits_is_a_problem() -> None:
    errors = FormErrors()
    assert _whole({"capacity": THOUSANDS_OF_DIGITS}, "capacity", errors) is None
    assert errors.problems == {"capacity": "Enter the number of places as a whole number from 1 to 10,000."}


def test_an_application_month_of_thousands_of_digits_is_a_problem() -> None:
    errors = FormErrors()
    form = FormData({"left-month": THOUSANDS_OF_DIGITS, "left-year": "2020"})
    assert month_of(form, "left", "you left", errors, required=True, today=date(2026, 12, 4)) is None
    assert "left-month" in errors.problems


def test_a_talent_search_page_of_thousands_of_digits_is_the_first_page() -> None:
    assert filters_from_query(QueryParams(f"page={THOUSANDS_OF_DIGITS}"), FormErrors())["page"] == 1
