"""Ways to send an e-mail: SMTP (default) or GOV.UK Notify. Each says whether a failure is worth
retrying."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

import aiosmtplib

from .settings import NotificationsSettings


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str
    reference: str


class TransientFailure(Exception):
    """Worth trying again later (the server is busy or away)."""


class PermanentFailure(Exception):
    """Will never work (the address is refused, the request is wrong)."""


class EmailChannel(Protocol):
    async def send(self, email: OutgoingEmail) -> str:
        """Send; the provider's reference for the message."""
        ...


class SmtpChannel:
    """Plain SMTP, with STARTTLS and login when configured."""

    def __init__(self, settings: NotificationsSettings) -> None:
        self.settings = settings

    async def send(self, email: OutgoingEmail) -> str:
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = email.to
        message["Subject"] = email.subject
        message["Message-ID"] = make_msgid(idstring=email.reference)
        message["X-RTW-Reference"] = email.reference
        message.set_content(email.text)
        message.add_alternative(email.html, subtype="html")
        password = self.settings.smtp_password.get_secret_value() if self.settings.smtp_password else None
        try:
            await aiosmtplib.send(
                message,
                hostname=self.settings.smtp_host,
                port=self.settings.smtp_port,
                username=self.settings.smtp_username,
                password=password,
                start_tls=self.settings.smtp_starttls,
                timeout=self.settings.smtp_timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [refusal.code for refusal in exc.recipients]
            if all(500 <= code < 600 for code in codes):
                raise PermanentFailure(f"recipient refused: {exc}") from exc
            raise TransientFailure(str(exc)) from exc
        except aiosmtplib.SMTPResponseException as exc:
            if 500 <= exc.code < 600:
                raise PermanentFailure(f"{exc.code} {exc.message}") from exc
            raise TransientFailure(f"{exc.code} {exc.message}") from exc
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            raise TransientFailure(repr(exc)) from exc
        return str(message["Message-ID"])


class NotifyChannel:
    """GOV.UK Notify, through one e-mail template whose fields are ((subject)) and ((body))."""

    def __init__(self, settings: NotificationsSettings) -> None:
        from notifications_python_client.notifications import NotificationsAPIClient

        if settings.notify_api_key is None or settings.notify_template_id is None:
            raise ValueError("RTW_NOTIFY_API_KEY and RTW_NOTIFY_TEMPLATE_ID are needed for GOV.UK Notify")
        self.template_id = settings.notify_template_id
        self.client = NotificationsAPIClient(  # type: ignore[no-untyped-call]
            settings.notify_api_key.get_secret_value(), base_url=settings.notify_base_url
        )

    async def send(self, email: OutgoingEmail) -> str:
        from notifications_python_client.errors import HTTPError

        def call() -> dict[str, str]:
            response: dict[str, str] = self.client.send_email_notification(  # type: ignore[no-untyped-call]
                email_address=email.to,
                template_id=self.template_id,
                personalisation={"subject": email.subject, "body": email.text},
                reference=email.reference,
            )
            return response

        try:
            response = await asyncio.to_thread(call)
        except HTTPError as exc:
            status = getattr(exc, "status_code", 500)
            if status in (400, 403):
                raise PermanentFailure(f"Notify refused it ({status}): {exc.message}") from exc
            raise TransientFailure(f"Notify answered {status}") from exc
        except OSError as exc:
            raise TransientFailure(repr(exc)) from exc
        return str(response.get("id", ""))


def channel_for(settings: NotificationsSettings) -> EmailChannel:
    """The channel the settings choose."""
    return NotifyChannel(settings) if settings.email_backend == "notify" else SmtpChannel(settings)
