"""Configuration from `RTW_*` environment variables, with secrets readable from files."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from .publishers import PublisherUsers, publisher_users

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/rtw"
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


def _secrets_dir() -> str | None:
    """Docker and Kubernetes mount secrets as files; read them when the folder exists."""
    folder = os.environ.get("RTW_SECRETS_DIR", "/run/secrets")
    return folder if Path(folder).is_dir() else None


class ServiceSettings(BaseSettings):
    """Settings every service shares. A file named like a field in the secrets folder
    (e.g. `/run/secrets/rtw_database_url`) supplies that field's value."""

    model_config = SettingsConfigDict(
        env_prefix="RTW_",
        secrets_dir=_secrets_dir(),
        extra="ignore",
        case_sensitive=False,
    )

    database_url: SecretStr = Field(
        default=SecretStr(DEFAULT_DATABASE_URL),
        description="SQLAlchemy URL of the PostgreSQL database (asyncpg driver).",
    )
    amqp_url: SecretStr = Field(default=SecretStr(DEFAULT_AMQP_URL), description="RabbitMQ URL (AMQP 0.9.1).")
    dlq_amqp_url: SecretStr | None = Field(
        default=None,
        description="RabbitMQ URL of the dead-letter tools (the admin page and `rtw dlq`): a user "
        "that may act on every service's dead-letter queue (`rtw-dead-letters`). Unset: RTW_AMQP_URL, "
        "which can reach only the service's own queues unless it is an administrator's.",
    )
    publisher_user: str = Field(
        default="",
        description="The broker user each service publishes as, `{service}` replaced by its name "
        "(e.g. `rtw-{service}`, as `rtw broker setup` names them): a consumed event whose AMQP "
        "user_id is not its producer's is dead-lettered. Empty: every service publishes as this "
        "service's own broker user (one shared user: local runs and tests).",
    )
    publisher_users: dict[str, str] = Field(
        default_factory=dict,
        description="Exceptions to publisher_user, as JSON: service (or `dead-letters`, the user "
        'that replays dead letters) → broker user, e.g. {"matching": "matching-prod"}.',
    )
    topology_prefix: str = Field(
        default="",
        description="Prefix for every exchange and queue name (tests use a random one).",
    )
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    public_url: str = Field(
        default="",
        description="URL people use to reach the platform (the entry proxy); each service is under "
        "its own path there, e.g. <public_url>/applications.",
    )
    secure_cookies: bool = Field(
        default=False,
        description="Send the pages' cookies over HTTPS only; always so when public_url is https://.",
    )
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest request body a route takes (routes taking files say their own); "
        "a larger one is answered 413 unread.",
    )
    log_level: str = "INFO"
    log_json: bool | None = Field(
        default=None, description="JSON logs; by default JSON unless writing to a terminal."
    )
    otlp_endpoint: str = Field(
        default="",
        description="OpenTelemetry collector (OTLP over HTTP, e.g. http://otel-collector:4318) to send "
        "traces to; empty: the standard OTEL_EXPORTER_OTLP_ENDPOINT if set, else no tracing at all.",
    )
    prefetch: int = Field(default=128, ge=1, le=1000)
    delivery_limit: int = Field(default=5, ge=1, le=100)
    relay_batch_size: int = Field(default=500, ge=1, le=10_000)
    relay_poll_interval_s: float = Field(default=1.0, gt=0)
    relay_enabled: bool = True
    outbox_keep_published_days: float = Field(
        default=7,
        gt=0,
        le=90,
        description="Days a published event stays in the outbox (for operators) before the relay "
        "deletes it; an erased person's rows go at once.",
    )
    db_pool_size: int = Field(default=10, ge=1)
    token_secret: SecretStr = Field(
        default=SecretStr("dev-only-insecure-token-secret-change-me-in-deployment"),
        description="Key that signs access tokens and sign-in links: a random value of at least 32 "
        "characters (the default is public: accepted only in development mode).",
    )
    contact_team: str = Field(
        default="The Return to Work programme team",
        description="Who people reach from the help, accessibility and privacy pages.",
    )
    contact_email: str = Field(
        default="returntowork@example.org",
        description="The programme team's e-mail address on the help, accessibility and privacy pages.",
    )
    contact_phone: str = Field(
        default="", description="The programme team's telephone number on the help page (empty: none shown)."
    )
    contact_hours: str = Field(
        default="Monday to Friday, 9am to 5pm, except bank holidays",
        description="When the programme team answers the telephone and e-mail.",
    )
    contact_reply_days: int = Field(
        default=5, ge=1, le=30, description="Working days within which the programme team answers e-mail."
    )
    privacy_email: str = Field(
        default="",
        description="The data protection officer's e-mail address on the privacy notice (empty: "
        "RTW_CONTACT_EMAIL).",
    )
    accessibility_prepared: date | None = Field(
        default=None,
        description="The day the operator prepared the accessibility statement (YYYY-MM-DD; empty: "
        "the statement says it is not yet dated).",
    )
    accessibility_reviewed: date | None = Field(
        default=None,
        description="The day the operator last reviewed the accessibility statement (empty: never).",
    )
    accessibility_tested: date | None = Field(
        default=None,
        description="The day the release deployed passed its accessibility tests (set by the build or "
        "the deployment, e.g. the CI run's date; empty: not stated).",
    )
    development_mode: bool = Field(
        default=False,
        description="Local development and tests only: accept the public default secrets (and short "
        "ones) instead of refusing to start. Never set it in deployment.",
    )

    def signing_secrets(self) -> dict[str, SecretStr | None]:
        """The secrets this service signs with, by field name (checked before it starts, see
        `rtw_platform.secret_checks`); a service's settings add their own."""
        return {"token_secret": self.token_secret}

    def service_url(self, service: str) -> str:
        """Where people reach `service`: under the entry proxy when `public_url` is set, else the
        service's own host and port."""
        if self.public_url:
            return f"{self.public_url.rstrip('/')}/{service}"
        return f"http://{self.http_host}:{self.http_port}"

    def cookies_are_secure(self) -> bool:
        """Cookies go over HTTPS only when people reach the platform over HTTPS (or when told)."""
        return self.secure_cookies or self.public_url.lower().startswith("https://")

    def dead_letter_amqp_url(self) -> str:
        """The broker URL the dead-letter tools use (RTW_DLQ_AMQP_URL, else RTW_AMQP_URL)."""
        return (self.dlq_amqp_url or self.amqp_url).get_secret_value()

    def publishers(self) -> PublisherUsers:
        """The broker user each service publishes as (publisher_user, publisher_users)."""
        return publisher_users(self.publisher_user, self.publisher_users, self.amqp_url.get_secret_value())

    def sqlalchemy_url(self) -> str:
        """The database URL as a plain string."""
        return self.database_url.get_secret_value()
