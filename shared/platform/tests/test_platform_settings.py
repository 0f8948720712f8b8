"""Settings come from RTW_* environment variables and from secret files."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from rtw_platform import settings as settings_module
from rtw_platform.settings import DEFAULT_AMQP_URL, DEFAULT_DATABASE_URL, ServiceSettings

pytestmark = pytest.mark.unit

ENV_NAMES = (
    "RTW_DATABASE_URL",
    "RTW_AMQP_URL",
    "RTW_TOPOLOGY_PREFIX",
    "RTW_HTTP_PORT",
    "RTW_PREFETCH",
    "RTW_LOG_JSON",
    "RTW_RELAY_ENABLED",
    "RTW_TOKEN_SECRET",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


def empty_secrets(tmp_path: Path) -> str:
    folder = tmp_path / "no-secrets"
    folder.mkdir()
    return str(folder)


def test_defaults_point_at_the_local_services(tmp_path: Path) -> None:
    settings = ServiceSettings(_secrets_dir=empty_secrets(tmp_path))
    assert settings.sqlalchemy_url() == DEFAULT_DATABASE_URL
    assert settings.amqp_url.get_secret_value() == DEFAULT_AMQP_URL
    assert settings.topology_prefix == ""
    assert settings.relay_enabled is True


def test_rtw_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RTW_DATABASE_URL", "postgresql+asyncpg://app@db:5432/rtw")
    monkeypatch.setenv("RTW_AMQP_URL", "amqp://app:pw@mq:5672/")
    monkeypatch.setenv("RTW_TOPOLOGY_PREFIX", "staging.")
    monkeypatch.setenv("rtw_http_port", "9100")
    monkeypatch.setenv("RTW_PREFETCH", "7")
    monkeypatch.setenv("RTW_LOG_JSON", "false")
    monkeypatch.setenv("RTW_RELAY_ENABLED", "0")

    settings = ServiceSettings(_secrets_dir=empty_secrets(tmp_path))

    assert settings.sqlalchemy_url() == "postgresql+asyncpg://app@db:5432/rtw"
    assert settings.amqp_url.get_secret_value() == "amqp://app:pw@mq:5672/"
    assert settings.topology_prefix == "staging."
    assert settings.http_port == 9100
    assert settings.prefetch == 7
    assert settings.log_json is False
    assert settings.relay_enabled is False


def test_unprefixed_variables_are_ignored(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://elsewhere/x")
    monkeypatch.setenv("PREFETCH", "3")
    settings = ServiceSettings(_secrets_dir=empty_secrets(tmp_path))
    assert settings.sqlalchemy_url() == DEFAULT_DATABASE_URL
    assert settings.prefetch == ServiceSettings.model_fields["prefetch"].default


def test_an_out_of_range_value_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("RTW_PREFETCH", "0")
    with pytest.raises(ValidationError, match="prefetch"):
        ServiceSettings(_secrets_dir=empty_secrets(tmp_path))


def test_secret_files_supply_their_fields_without_the_trailing_newline(tmp_path: Path) -> None:
    (tmp_path / "rtw_database_url").write_text("postgresql+asyncpg://app:s3cret@db/rtw\n")
    (tmp_path / "RTW_AMQP_URL").write_text("amqp://app:s3cret@mq/\n")
    (tmp_path / "rtw_token_secret").write_text("a-long-random-value\n")

    settings = ServiceSettings(_secrets_dir=str(tmp_path))

    assert settings.sqlalchemy_url() == "postgresql+asyncpg://app:s3cret@db/rtw"
    assert settings.amqp_url.get_secret_value() == "amqp://app:s3cret@mq/"
    assert settings.token_secret.get_secret_value() == "a-long-random-value"


def test_secrets_are_not_shown_in_the_settings_repr(tmp_path: Path) -> None:
    (tmp_path / "rtw_database_url").write_text("postgresql+asyncpg://app:s3cret@db/rtw")
    settings = ServiceSettings(_secrets_dir=str(tmp_path))
    assert "s3cret" not in repr(settings)
    assert "s3cret" not in str(settings.model_dump())


def test_an_environment_variable_wins_over_a_secret_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "rtw_database_url").write_text("postgresql+asyncpg://from-file/rtw")
    monkeypatch.setenv("RTW_DATABASE_URL", "postgresql+asyncpg://from-env/rtw")
    settings = ServiceSettings(_secrets_dir=str(tmp_path))
    assert settings.sqlalchemy_url() == "postgresql+asyncpg://from-env/rtw"


def test_the_secrets_folder_comes_from_rtw_secrets_dir_when_it_exists(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("RTW_SECRETS_DIR", str(tmp_path))
    assert settings_module._secrets_dir() == str(tmp_path)

    monkeypatch.setenv("RTW_SECRETS_DIR", str(tmp_path / "missing"))
    assert settings_module._secrets_dir() is None
