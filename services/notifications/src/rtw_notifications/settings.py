"""Settings of the notifications service (beyond the platform's)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from rtw_platform.rate_limits import LinkLimitSettings
from rtw_platform.settings import ServiceSettings


class NotificationsSettings(ServiceSettings, LinkLimitSettings):
    """`RTW_*` settings the notifications service adds."""

    email_backend: Literal["smtp", "notify"] = "smtp"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_s: float = 10.0
    mail_from: str = "Return to Work <no-reply@returners.example.org>"
    notify_api_key: SecretStr | None = Field(default=None, description="GOV.UK Notify API key.")
    notify_template_id: str | None = Field(
        default=None, description="A Notify e-mail template with ((subject)) and ((body)) fields."
    )
    notify_base_url: str = "https://api.notifications.service.gov.uk"
    portal_url: str = Field(
        default="",
        description="The host people reach the platform's pages at (default: RTW_PUBLIC_URL, else "
        "the local entry proxy); links in e-mails point under it.",
    )

    unsubscribe_secret: SecretStr | None = Field(
        default=None,
        description="Key that signs the unsubscribe links in e-mails (a random value of at least 32 "
        "characters). Unset, RTW_TOKEN_SECRET signs them; with its own key, rotating the token "
        "secret leaves the links in e-mails already sent working.",
    )

    dispatch_interval_s: float = Field(default=1.0, gt=0)
    dispatch_batch_size: int = Field(default=50, ge=1)
    dispatch_concurrency: int = Field(default=8, ge=1, le=100, description="E-mails sent at once.")
    delivery_max_attempts: int = Field(
        default=30,
        ge=1,
        description="Tries before a message is given up on (with the backoff below, about a day).",
    )
    retry_base_s: float = Field(default=5.0, gt=0)
    retry_max_backoff_s: float = Field(default=3600.0, gt=0, description="The longest wait between tries.")
    notify_callback_token: SecretStr | None = Field(
        default=None,
        description="The bearer token GOV.UK Notify sends with its delivery receipts (set the same "
        "in Notify's callback settings); unset, receipts are refused.",
    )
    reminder_interval_s: float = Field(default=300.0, gt=0)
    dispatch_enabled: bool = True

    @field_validator("unsubscribe_secret")
    @classmethod
    def _empty_is_unset(cls, secret: SecretStr | None) -> SecretStr | None:
        return secret if secret is not None and secret.get_secret_value().strip() else None

    def signing_secrets(self) -> dict[str, SecretStr | None]:
        """The token secret, and the unsubscribe secret when it is set."""
        secrets = super().signing_secrets()
        if self.unsubscribe_secret is not None:
            secrets["unsubscribe_secret"] = self.unsubscribe_secret
        return secrets

    def unsubscribe_key(self) -> bytes:
        """The key unsubscribe links are signed with."""
        return (self.unsubscribe_secret or self.token_secret).get_secret_value().encode()

    @model_validator(mode="after")
    def _portal_defaults_to_the_public_url(self) -> NotificationsSettings:
        if not self.portal_url:
            self.portal_url = self.public_url or "http://127.0.0.1:8080"
        return self


def notifications_settings(settings: ServiceSettings) -> NotificationsSettings:
    """The process's settings as this service's (the platform hands them over as its base class;
    the service definition makes them with `settings_class=NotificationsSettings`)."""
    if not isinstance(settings, NotificationsSettings):
        raise TypeError(f"notifications runs with NotificationsSettings, not {type(settings).__name__}")
    return settings
