"""The command line refuses to start or sign anything on the public default secrets, in one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

#: The columns `rtw applications import` reads (no rows: an import that would sign nothing).
IMPORT_HEADER = (
    "cohort_id,given_name,family_name,email,phone,preferred_language,postcode_district,right_to_work,"
    "career_break_start,career_break_end,career_break_reason,years_experience,professional_body,"
    "registration_number,last_practised,specialisms,skills,flexible_working,max_travel_km,"
    "visible_to_regions,visible_to_councils,earliest_start,privacy_notice_version,consent_to_processing\n"
)
STRONG = "5f0c1e9a7b3d4c2e8f6a1b0d9c7e5f3a2b4d6e8f0a1c3e5b"


def _rtw(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `rtw`; if it does not finish (it started something), stop it and all it started."""
    process = subprocess.Popen(
        [sys.executable, "-m", "rtw_platform.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"`rtw {' '.join(args)}` kept running: {stderr[-2000:]}")
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _production_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RTW_")}
    env["RTW_SECRETS_DIR"] = str(tmp_path)  # empty: no secret files
    # Nothing to reach: whatever starts by mistake touches no shared database or broker.
    env["RTW_DATABASE_URL"] = "postgresql+asyncpg://nobody@127.0.0.1:9/nothing"
    env["RTW_AMQP_URL"] = "amqp://nobody:nothing@127.0.0.1:9/"
    env["RTW_MAILDIR"] = str(tmp_path / "mail")
    env["RTW_ENTRY_PORT"] = "18932"
    env["COLUMNS"] = "80"  # a narrow terminal must not wrap the message
    return env


@pytest.mark.parametrize(
    "command",
    [
        ("serve", "applications", "--port", "18931"),
        ("up", "assessment"),
        ("token", "issue", "--role", "admin", "--subject", "someone"),
        ("applications", "import", "people.csv"),
    ],
    ids=["serve", "up", "token-issue", "applications-import"],
)
def test_the_command_line_refuses_the_defaults_in_one_line_without_a_traceback(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    (tmp_path / "people.csv").write_text(IMPORT_HEADER)
    result = _rtw(
        *[str(tmp_path / a) if a == "people.csv" else a for a in command], env=_production_env(tmp_path)
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "RTW_TOKEN_SECRET is the public default" in lines[0]
    assert "RTW_DEVELOPMENT_MODE=true" in lines[0]
    assert result.stdout == ""  # no token printed, nothing started


def test_commands_that_only_describe_the_services_need_no_secrets(tmp_path: Path) -> None:
    result = _rtw("asyncapi", "applications", env=_production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert '"asyncapi"' in result.stdout
    assert _rtw("--help", env=_production_env(tmp_path)).returncode == 0


def test_a_token_is_issued_with_a_strong_secret(tmp_path: Path) -> None:
    env = _production_env(tmp_path) | {"RTW_TOKEN_SECRET": STRONG}
    result = _rtw("token", "issue", "--role", "admin", "--subject", "someone", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(".") >= 1


def test_a_setting_that_does_not_validate_is_named_in_one_line(tmp_path: Path) -> None:
    env = _production_env(tmp_path) | {
        "RTW_DEVELOPMENT_MODE": "true",
        "RTW_CERTIFICATE_KEY": "-----BEGIN PRIVATE KEY-----\\nnot-a-key\\n-----END PRIVATE KEY-----",
    }
    result = _rtw("serve", "training", "--port", "18933", env=env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        "error: invalid settings: RTW_CERTIFICATE_KEY: not a readable Ed25519 private key in PEM "
        "(make one with `openssl genpkey -algorithm ed25519`)"
    ]
    assert "not-a-key" not in result.stderr
