"""The key that signs the unsubscribe links in e-mails: notifications refuses to start when it is
public (the default token secret, or a placeholder/short `RTW_UNSUBSCRIBE_SECRET`) outside
development mode; with its own secret, links survive a rotation of the token secret."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from rtw_notifications.app import SERVICE
from rtw_notifications.links import person_of_unsubscribe_token, unsubscribe_token
from rtw_notifications.settings import NotificationsSettings
from rtw_platform.service import ServiceRuntime
from rtw_platform.settings import ServiceSettings
from typer.testing import CliRunner

pytestmark = pytest.mark.unit

TOKEN_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978"
UNSUBSCRIBE_SECRET = "9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f3021"
PUBLIC_TOKEN_SECRET = ServiceSettings.model_fields["token_secret"].default.get_secret_value()


@pytest.fixture(autouse=True)
def deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RTW_DEVELOPMENT_MODE", "RTW_TOKEN_SECRET", "RTW_UNSUBSCRIBE_SECRET"):
        monkeypatch.delenv(name, raising=False)


def settings(tmp_path: Path, **values: object) -> NotificationsSettings:
    values = {"relay_enabled": False, "dispatch_enabled": False, **values}
    return NotificationsSettings(_secrets_dir=str(tmp_path), **values)  # type: ignore[arg-type]


async def start(settings: NotificationsSettings) -> None:
    runtime = ServiceRuntime(SERVICE, settings, in_memory_broker=True)
    try:
        await runtime.start()
    finally:
        await runtime.stop()


async def test_unsubscribe_links_signed_with_the_public_default_are_refused_at_start(tmp_path: Path) -> None:
    public = settings(tmp_path)
    # What anyone could do with the default: make a working link for any person.
    forged = unsubscribe_token(settings(tmp_path, development_mode=True), uuid.uuid4())
    assert person_of_unsubscribe_token(public, forged) is not None
    with pytest.raises(Exception, match="RTW_TOKEN_SECRET is the public default"):
        await start(public)


@pytest.mark.parametrize(
    ("value", "problem"),
    [("change-me", "is a placeholder"), ("u" * 31, "is shorter than 32 characters")],
)
async def test_a_placeholder_or_short_unsubscribe_secret_is_refused(
    tmp_path: Path, value: str, problem: str
) -> None:
    with pytest.raises(Exception, match=f"RTW_UNSUBSCRIBE_SECRET {problem}"):
        await start(settings(tmp_path, token_secret=TOKEN_SECRET, unsubscribe_secret=value))


async def test_notifications_starts_with_strong_secrets(tmp_path: Path) -> None:
    await start(settings(tmp_path, token_secret=TOKEN_SECRET))
    await start(settings(tmp_path, token_secret=TOKEN_SECRET, unsubscribe_secret=UNSUBSCRIBE_SECRET))


async def test_development_mode_starts_on_the_defaults(tmp_path: Path) -> None:
    await start(settings(tmp_path, development_mode=True))


def test_without_its_own_secret_links_are_signed_as_before(tmp_path: Path) -> None:
    """Links in e-mails already sent keep working after the upgrade."""
    person = uuid.uuid4()
    import hashlib
    import hmac

    before = hmac.new(TOKEN_SECRET.encode(), f"unsubscribe:{person}".encode(), hashlib.sha256).hexdigest()
    assert (
        unsubscribe_token(settings(tmp_path, token_secret=TOKEN_SECRET), person) == f"{person}.{before[:32]}"
    )
    empty = settings(tmp_path, token_secret=TOKEN_SECRET, unsubscribe_secret="")
    assert empty.unsubscribe_secret is None  # an empty value (Compose's `${…:-}`) is unset


def test_with_its_own_secret_links_survive_a_rotation_of_the_token_secret(tmp_path: Path) -> None:
    person = uuid.uuid4()
    old = settings(tmp_path, token_secret=TOKEN_SECRET, unsubscribe_secret=UNSUBSCRIBE_SECRET)
    rotated = settings(tmp_path, token_secret="r" * 48, unsubscribe_secret=UNSUBSCRIBE_SECRET)
    token = unsubscribe_token(old, person)
    assert person_of_unsubscribe_token(rotated, token) == person
    # ... and one made with the token secret alone does not pass for it.
    other = unsubscribe_token(settings(tmp_path, token_secret=TOKEN_SECRET), person)
    assert person_of_unsubscribe_token(old, other) is None


def test_the_operators_sign_in_command_refuses_the_public_token_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rtw_notifications.cli import app

    monkeypatch.setenv("RTW_SMTP_PORT", "9")  # were it to send anyway, nobody would receive it

    result = CliRunner().invoke(
        app,
        ["send-sign-in", "--role", "admin", "--subject", "ad-1", "--email", "a@example.org", "--name", "A"],
    )
    assert result.exit_code == 1, result.output
    assert "RTW_TOKEN_SECRET is the public default" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
