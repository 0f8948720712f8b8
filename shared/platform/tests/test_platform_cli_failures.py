"""`rtw` ends every failure with one line and a documented exit code: the database or broker
unreachable, an unexpected error; `--version`, `rtw migrate status`, reports as JSON and CSV."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from rtw_platform.cli_failures import EXIT_CODES, UNEXPECTED, UNREACHABLE, describe_failure
from rtw_platform.db import asyncpg_dsn
from rtw_platform.registry import installed_services

NOWHERE_DATABASE = "postgresql+asyncpg://nobody@127.0.0.1:9/nothing"
NOWHERE_BROKER = "amqp://nobody:nothing@127.0.0.1:9/"


def _rtw(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rtw_platform.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _env(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RTW_")}
    env |= {
        "RTW_DEVELOPMENT_MODE": "true",
        "RTW_DATABASE_URL": NOWHERE_DATABASE,
        "RTW_AMQP_URL": NOWHERE_BROKER,
        "RTW_MAILDIR": str(tmp_path / "mail"),
        "COLUMNS": "80",  # a narrow terminal must not wrap the line
    }
    return env | settings


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert "╭" not in result.stderr, result.stderr  # no rich traceback box either
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


@pytest.mark.unit
@pytest.mark.parametrize(
    ("command", "setting"),
    [
        (("dlq", "list"), "RTW_AMQP_URL"),
        (("dlq", "show", "applications.candidate-erased"), "RTW_AMQP_URL"),
        (("dlq", "replay", "applications.candidate-erased"), "RTW_AMQP_URL"),
        (("dlq", "purge", "applications.candidate-erased", "--yes"), "RTW_AMQP_URL"),
        (("report", "funnel"), "RTW_DATABASE_URL"),
        (("report", "reach", "--json"), "RTW_DATABASE_URL"),
        (("applications", "retention", "--dry-run"), "RTW_DATABASE_URL"),
        (("migrate", "applications"), "RTW_DATABASE_URL"),
        (("migrate", "status"), "RTW_DATABASE_URL"),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, tuple) else None,
)
def test_an_unreachable_database_or_broker_ends_in_one_line_with_exit_3(
    tmp_path: Path, command: tuple[str, ...], setting: str
) -> None:
    result = _rtw(*command, env=_env(tmp_path))

    line = _one_error_line(result)
    assert result.returncode == UNREACHABLE == 3, result.stderr
    assert "127.0.0.1" in line or "Connect call failed" in line or "cannot reach" in line, line
    if command[0] != "migrate" or command[1] == "status":
        assert setting in line, line


@pytest.mark.unit
def test_the_exit_codes_are_in_the_help(tmp_path: Path) -> None:
    result = _rtw("--help", env=_env(tmp_path))

    assert result.returncode == 0
    text = " ".join(result.stdout.replace("│", " ").split())
    assert "Exit codes:" in text
    for code in EXIT_CODES:
        assert f"{code} " in text


@pytest.mark.unit
def test_version_names_the_platform_and_every_service(tmp_path: Path) -> None:
    result = _rtw("--version", env=_env(tmp_path))

    assert result.returncode == 0, result.stderr
    first, *services = result.stdout.splitlines()
    assert first.startswith("rtw ")
    assert "contracts" in first
    assert {line.split()[0] for line in services} == set(installed_services())


@pytest.mark.unit
def test_an_unexpected_failure_is_one_line_with_exit_4() -> None:
    def fails() -> None:
        raise ValueError("the bulk file's third column is\nnot a date")

    try:
        fails()
    except ValueError as exc:
        message, code = describe_failure(exc)
    assert code == UNEXPECTED == 4
    assert "\n" not in message
    assert message.startswith("unexpected failure: ValueError: the bulk file's third column is not a date")
    assert "RTW_DEBUG=1" in message
    assert describe_failure(KeyboardInterrupt()) == ("interrupted", 130)


@pytest.mark.unit
def test_a_broken_connection_inside_the_database_client_names_the_database() -> None:
    async def connect() -> None:
        await asyncpg.connect("postgresql://nobody@127.0.0.1:9/none", timeout=5)

    try:
        asyncio.run(connect())
    except OSError as exc:
        message, code = describe_failure(exc)
    assert code == UNREACHABLE
    assert message.startswith("cannot use the database (check RTW_DATABASE_URL)"), message


@pytest.fixture
def empty_database(database_server_url: str) -> Iterator[str]:
    """A database of its own, with nothing migrated."""
    name = f"rtw_cli_{uuid.uuid4().hex[:10]}"
    admin = asyncpg_dsn(database_server_url)

    async def execute(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    base, _, _ = database_server_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.mark.component
def test_migrate_status_tells_pending_from_up_to_date_and_reports_print_json_and_csv(
    tmp_path: Path, empty_database: str
) -> None:
    env = _env(tmp_path, RTW_DATABASE_URL=empty_database)

    before = _rtw("migrate", "status", "applications", "--json", env=env)
    assert before.returncode == 1, before.stderr  # pending: an operator's script can tell
    [row] = json.loads(before.stdout)
    assert row["service"] == "applications"
    assert row["current"] is None
    assert row["up_to_date"] is False

    assert _rtw("migrate", "applications", env=env).returncode == 0

    after = _rtw("migrate", "status", "applications", env=env)
    assert after.returncode == 0, after.stderr
    assert "up to date" in after.stdout

    funnel = _rtw("report", "funnel", "--json", env=env)
    assert funnel.returncode == 0, funnel.stderr
    assert isinstance(json.loads(funnel.stdout), dict)

    reach = _rtw("report", "reach", "--csv", env=env)
    assert reach.returncode == 0, reach.stderr
    header = next(csv.reader(io.StringIO(reach.stdout)))
    assert "region" in " ".join(header).lower(), header

    both = _rtw("report", "reach", "--csv", "--json", env=env)
    assert both.returncode == 2
    assert "choose one of --json and --csv" in _one_error_line(both)


@pytest.mark.unit
@pytest.mark.parametrize("queue", ["[/]", "a b", "x" * 300, "q;rm"])
@pytest.mark.parametrize("verb", ["show", "replay", "purge"])
def test_a_queue_name_amqp_cannot_carry_is_wrong_input_not_an_unreachable_broker(
    tmp_path: Path, verb: str, queue: str
) -> None:
    """Refused before the broker is asked (which is nowhere here): exit 2, naming the argument."""
    args = ("dlq", verb, queue, *(("--yes",) if verb == "purge" else ()))
    result = _rtw(*args, env=_env(tmp_path))
    line = _one_error_line(result)
    assert result.returncode == 2, line
    assert "not a queue name" in line
