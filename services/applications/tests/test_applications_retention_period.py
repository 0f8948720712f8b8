"""The retention period has a legal floor (and a sane ceiling): `rtw applications retention` and
its setting refuse a period outside it with one line saying why, before anything is read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from rtw_applications.cli import app
from rtw_applications.domain import MAX_RETENTION_MONTHS, MIN_RETENTION_MONTHS, retention_refusal
from rtw_applications.privacy import apply_retention
from rtw_platform.errors import Invalid
from typer.testing import CliRunner

pytestmark = pytest.mark.unit

# Nothing may be read or changed when the period is refused: a database that is not there makes
# any attempt fail loudly (exit 1 with a traceback) instead of passing by accident.
NOWHERE = "postgresql+asyncpg://nobody@127.0.0.1:9/none"


@pytest.fixture(autouse=True)
def no_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RTW_DATABASE_URL", NOWHERE)
    monkeypatch.delenv("RTW_RETENTION_MONTHS", raising=False)


def rtw(*arguments: str) -> Any:
    return CliRunner().invoke(app, ["retention", *arguments])


def test_the_floor_is_six_months_and_the_ceiling_ten_years() -> None:
    assert (MIN_RETENTION_MONTHS, MAX_RETENTION_MONTHS) == (6, 120)
    assert retention_refusal(6) is None
    assert retention_refusal(24) is None
    assert retention_refusal(120) is None


@pytest.mark.parametrize(
    ("months", "problem"),
    [
        ("0", "0 months is shorter than the legal minimum of 6 months"),
        ("5", "5 months is shorter than the legal minimum of 6 months"),
        ("-3", "-3 months is shorter than the legal minimum of 6 months"),
        ("121", "121 months is longer than the longest period allowed, 120 months"),
        ("100000", "100000 months is longer than the longest period allowed, 120 months"),
    ],
)
def test_a_period_outside_the_limits_is_refused_in_one_line(months: str, problem: str) -> None:
    for dry_run in ((), ("--dry-run",)):
        result = rtw(*dry_run, "--months", months)

        assert result.exit_code == 2, result.output
        assert problem in result.output
        assert "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output


def test_a_setting_outside_the_limits_is_refused_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RTW_RETENTION_MONTHS", "0")

    result = rtw("--dry-run")

    assert result.exit_code == 2, result.output
    assert "RTW_RETENTION_MONTHS" in result.output
    assert "shorter than the legal minimum of 6 months" in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


def test_the_option_overrides_the_setting_even_when_it_is_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    # `--months 0` was read as "not given" and the setting used: it must be refused, not replaced.
    monkeypatch.setenv("RTW_RETENTION_MONTHS", "24")

    result = rtw("--dry-run", "--months", "0")

    assert result.exit_code == 2, result.output
    assert "0 months is shorter than the legal minimum" in result.output


class Untouchable:
    """A unit of work that fails the test if the use case reads anything through it."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the refused retention read uow.{name}")


@pytest.mark.parametrize("months", [0, 5, 121])
async def test_the_use_case_refuses_a_period_outside_the_limits_too(months: int) -> None:
    with pytest.raises(Invalid) as refused:
        await apply_retention(
            Untouchable(),  # type: ignore[arg-type]
            Untouchable(),
            months=months,
            now=datetime.now(UTC),
            dry_run=True,
        )
    assert refused.value.problems == [("months", retention_refusal(months))]
