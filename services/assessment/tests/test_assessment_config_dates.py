"""A window date typed into the cohort set-up form: huge numbers are a problem shown on the form,
not a crash."""

from __future__ import annotations

import pytest
from rtw_assessment.web.config_form import _date
from rtw_platform.web import FormErrors

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("day", "month"), [("1", "9" * 20), ("9" * 20, "1")])
def test_a_window_date_with_huge_numbers_is_not_a_real_date(day: str, month: str) -> None:
    errors = FormErrors()
    values = {"window_opens_on-day": day, "window_opens_on-month": month, "window_opens_on-year": "2027"}
    assert _date(values, "window_opens_on", errors) is None
    assert errors.problems == {"window_opens_on-day": "Enter a real date the window opens, like 27 3 2027."}
