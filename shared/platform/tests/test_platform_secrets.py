"""No service starts on a public, placeholder, short or missing secret outside development mode."""

from __future__ import annotations

from pathlib import Path

import pytest
import structlog
from pydantic import SecretStr
from rtw_platform import secret_checks
from rtw_platform.secret_checks import UnsafeSecrets, refuse_unsafe_secrets, warn_if_development_mode
from rtw_platform.service import ServiceRuntime
from rtw_platform.settings import ServiceSettings
from rtw_platform.testing.probe import probe_definition

pytestmark = pytest.mark.unit

STRONG = "5f0c1e9a7b3d4c2e8f6a1b0d9c7e5f3a2b4d6e8f0a1c3e5b"
PUBLIC_DEFAULT = ServiceSettings.model_fields["token_secret"].default.get_secret_value()


@pytest.fixture(autouse=True)
def production_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests' plugin turns development mode on for every test: these judge deployments."""
    for name in ("RTW_DEVELOPMENT_MODE", "RTW_TOKEN_SECRET", "RTW_PUBLIC_URL", "RTW_SECURE_COOKIES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(secret_checks, "_warned", False)


def settings(tmp_path: Path, **values: object) -> ServiceSettings:
    return ServiceSettings(_secrets_dir=str(tmp_path), **values)  # type: ignore[arg-type]


def test_the_public_default_token_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsafeSecrets) as refused:
        refuse_unsafe_secrets(settings(tmp_path))
    message = str(refused.value)
    assert "RTW_TOKEN_SECRET is the public default" in message
    assert "RTW_DEVELOPMENT_MODE=true" in message
    assert "openssl rand -hex 32" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("x" * 31, "is shorter than 32 characters"),
        ("", "is not set"),
        ("   ", "is not set"),
        ("replace-with-64-random-characters-replace-with-64-random-characters", "is a placeholder"),
        ("please-change-me-before-going-live-0123456789", "is a placeholder"),
    ],
)
def test_a_short_missing_or_placeholder_token_secret_is_refused(
    tmp_path: Path, value: str, problem: str
) -> None:
    with pytest.raises(UnsafeSecrets, match=f"RTW_TOKEN_SECRET {problem}"):
        refuse_unsafe_secrets(settings(tmp_path, token_secret=value))


def test_a_long_random_token_secret_is_accepted(tmp_path: Path) -> None:
    refuse_unsafe_secrets(settings(tmp_path, token_secret=STRONG))
    refuse_unsafe_secrets(settings(tmp_path, token_secret="y" * 32))


def test_the_secret_read_from_the_environment_is_the_one_judged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RTW_TOKEN_SECRET", "short")
    with pytest.raises(UnsafeSecrets, match="RTW_TOKEN_SECRET is shorter"):
        refuse_unsafe_secrets(settings(tmp_path))
    monkeypatch.setenv("RTW_TOKEN_SECRET", STRONG)
    refuse_unsafe_secrets(settings(tmp_path))


def test_an_https_deployment_with_secure_cookies_is_refused_on_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RTW_SECURE_COOKIES", "true")
    monkeypatch.setenv("RTW_PUBLIC_URL", "https://returners.example.org")
    with pytest.raises(UnsafeSecrets, match="RTW_TOKEN_SECRET is the public default"):
        refuse_unsafe_secrets(settings(tmp_path))


def test_development_mode_keeps_the_defaults_and_warns_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RTW_DEVELOPMENT_MODE", "true")
    local = settings(tmp_path)
    assert local.development_mode is True
    assert local.token_secret.get_secret_value() == PUBLIC_DEFAULT
    refuse_unsafe_secrets(local)  # accepted
    with structlog.testing.capture_logs() as logs:
        warn_if_development_mode(local)
        warn_if_development_mode(local)
    warnings = [entry for entry in logs if entry["log_level"] == "warning"]
    assert len(warnings) == 1
    assert warnings[0]["event"] == "development_mode"
    assert warnings[0]["public_secrets"] == ["RTW_TOKEN_SECRET is the public default"]
    assert "never" in warnings[0]["detail"]


def test_no_warning_outside_development_mode(tmp_path: Path) -> None:
    with structlog.testing.capture_logs() as logs:
        warn_if_development_mode(settings(tmp_path, token_secret=STRONG))
    assert logs == []


def test_the_secrets_themselves_are_never_in_the_message(tmp_path: Path) -> None:
    with pytest.raises(UnsafeSecrets) as refused:
        refuse_unsafe_secrets(settings(tmp_path, token_secret=SecretStr("tiny-secret-42")))
    assert "tiny-secret-42" not in str(refused.value)


async def test_a_service_runtime_refuses_to_start_on_the_default_secret(tmp_path: Path) -> None:
    runtime = ServiceRuntime(probe_definition(), settings(tmp_path), in_memory_broker=True)
    try:
        with pytest.raises(UnsafeSecrets, match="RTW_TOKEN_SECRET is the public default"):
            await runtime.start()
        assert not runtime.broker_connected.is_set()
    finally:
        await runtime.engine.dispose()
