"""A date typed into a matching form: huge numbers are a problem shown on the form, not a crash."""

from __future__ import annotations

import pytest
from rtw_matching.web.forms import read_date
from rtw_platform.web import FormErrors
from starlette.datastructures import FormData

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("day", "month", "year"), [("1", "1", "9" * 20), ("1", "9" * 20, "2027"), ("9" * 20, "1", "2027")]
)
def test_a_date_with_huge_numbers_is_not_a_real_date(day: str, month: str, year: str) -> None:
    errors = FormErrors()
    answers = FormData({"starts-day": day, "starts-month": month, "starts-year": year})
    assert read_date(answers, "starts", "the start date", errors, required=True) is None
    assert errors.problems == {"starts-day": "The start date must be a real date"}
