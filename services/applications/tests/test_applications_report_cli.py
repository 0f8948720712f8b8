"""`rtw report` with an operator's typing mistakes: a programme that is not one of the four is
refused in one line (exit 2) instead of giving an empty report, and a cohort or programme with
square brackets is printed as written, never read as terminal markup (exit 4)."""

from __future__ import annotations

import pytest
from rtw_applications.cli import report_app
from typer.testing import CliRunner

pytestmark = pytest.mark.component

NOWHERE = "postgresql+asyncpg://nobody@127.0.0.1:9/none"


@pytest.mark.unit
@pytest.mark.parametrize("programme", ["bogus", "social-work", "[/]"])
def test_an_unknown_programme_is_refused_in_one_line_before_the_database(
    programme: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RTW_DATABASE_URL", NOWHERE)
    result = CliRunner().invoke(report_app, ["funnel", "--programme", programme])
    assert result.exit_code == 2, result.output
    assert "ict, social_work, planning or legal" in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


def test_a_cohort_with_square_brackets_is_printed_as_written(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RTW_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    for cohort in ("[/]", "[bold]x"):
        result = CliRunner().invoke(report_app, ["funnel", "--cohort", cohort])
        assert result.exit_code == 0, (result.output, result.exception)
        assert f"funnel of {cohort}" in result.output
