"""`rtw notifications send-sign-in`: an operator e-mails a member of staff their sign-in link."""

from __future__ import annotations

import re
from typing import Any

import pytest
from rtw_notifications.cli import app
from rtw_platform.auth import Purpose, Role, verify_token
from typer.testing import CliRunner

pytestmark = pytest.mark.component

SECRET = "t" * 40


def rtw(*arguments: str) -> Any:
    """Run `rtw notifications …` (the command group `rtw` adds by entry point)."""
    return CliRunner().invoke(app, list(arguments))


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, smtp_server: Any) -> Any:
    monkeypatch.setenv("RTW_TOKEN_SECRET", SECRET)
    monkeypatch.setenv("RTW_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("RTW_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("RTW_PORTAL_URL", "https://returners.example.org")
    return smtp_server


def test_an_assessor_is_e_mailed_a_single_use_sign_in_link(configured: Any) -> None:
    result = CliRunner().invoke(
        app,
        [
            "send-sign-in",
            "--role",
            "assessor",
            "--subject",
            "as-7",
            "--email",
            "Sam@Example.org",
            "--name",
            "Sam",
        ],
    )
    assert result.exit_code == 0, result.output
    [mail] = configured.to("Sam@example.org")
    assert mail.subject == "Your sign-in link"
    assert mail.text.startswith("Dear Sam,")
    token = re.search(r"https://returners\.example\.org/applications/sign-in/(\S+)", mail.text)
    assert token is not None, mail.text
    principal = verify_token(SECRET, token.group(1), purpose=Purpose.SIGN_IN)
    assert (principal.role, principal.subject) == (Role.ASSESSOR, "as-7")


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        (["--role", "recruiter", "--subject", "r", "--email", "a@example.org"], "--role must be one of"),
        (["--role", "trainer", "--subject", "t", "--email", "a@example.org"], "needs --provider"),
        (["--role", "admin", "--subject", "a", "--email", "not-an-address"], "not an e-mail address"),
    ],
)
def test_a_wrong_request_says_what_is_wrong_and_sends_nothing(
    configured: Any, arguments: list[str], problem: str
) -> None:
    result = rtw("send-sign-in", *arguments, "--name", "Sam")
    assert result.exit_code == 2
    assert problem in result.output
    assert configured.received == []


def test_a_mail_server_that_is_away_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from rtw_platform.testing.mail import free_port

    monkeypatch.setenv("RTW_SMTP_PORT", str(free_port()))
    monkeypatch.setenv("RTW_SMTP_TIMEOUT_S", "2")
    result = CliRunner().invoke(
        app,
        ["send-sign-in", "--role", "admin", "--subject", "a", "--email", "a@example.org", "--name", "Sam"],
    )
    assert result.exit_code == 1
    assert "was not sent" in result.output
