"""`rtw applications import` refuses a missing or unreadable file in one line that names the file
as written: brackets in a path are not terminal markup (which ended in exit 4, or hid part of the
name), and a long list of columns is not wrapped over several lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from rtw_applications.cli import app
from typer.testing import CliRunner

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def narrow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("RTW_DEVELOPMENT_MODE", "true")


def test_a_missing_file_with_brackets_in_its_name_is_named_as_written(tmp_path: Path) -> None:
    missing = tmp_path / "[/]cohort.csv"
    result = CliRunner().invoke(app, ["import", str(missing)])
    assert result.exit_code == 2, (result.output, result.exception)
    assert f"no such file: {missing}" in result.output


def test_a_file_without_the_columns_is_refused_in_one_line_naming_it(tmp_path: Path) -> None:
    wrong = tmp_path / "cohort[x].csv"
    wrong.write_text("a,b\n[/],[bold]\n")
    result = CliRunner().invoke(app, ["import", str(wrong)])
    assert result.exit_code == 2, (result.output, result.exception)
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert str(wrong) in result.output
