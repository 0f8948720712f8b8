"""Ways to send an e-mail: SMTP (default) or GOV.UK Notify. Each says whether a failure is worth
retrying."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, make_msgid, parseaddr
from typing import Any, Protocol

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

    async def close(self) -> None:
        """Let go of any connection kept open."""
        ...


class SmtpChannel:
    """Plain SMTP, with STARTTLS and login when configured.

    Connections are kept open and reused, one message after another on each (as mail relays
    expect), up to `dispatch_concurrency` of them: connecting, greeting and logging in for every
    message cost more than sending it. A connection is closed after any failure. One that has
    been idle for a while is checked with NOOP before it is used, and one idle for longer than
    servers usually keep them is closed unused; so a message is only ever sent once on a
    connection known to be alive."""

    check_after_idle_s = 5.0
    """A connection idle for longer is checked with NOOP before it carries a message."""
    close_after_idle_s = 60.0
    """A connection idle for longer is closed rather than reused."""

    def __init__(self, settings: NotificationsSettings) -> None:
        self.settings = settings
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []
        self._keep = settings.dispatch_concurrency
        _, sender = parseaddr(settings.mail_from)
        self._msgid_domain = sender.rpartition("@")[2] or None

    async def send(self, email: OutgoingEmail) -> str:
        message = self._message(email)
        try:
            client = await self._connection()
            try:
                await client.send_message(message)
            except BaseException:
                client.close()
                raise
            self._release(client)
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

    def _message(self, email: OutgoingEmail) -> MIMEMultipart:
        """The message: plain text and HTML alternatives, UTF-8, headers encoded where needed.
        (Built with the `email` package's compat32 classes: the modern `EmailMessage` parses
        every header it is given and cost three times as much per message.)"""
        message = MIMEMultipart("alternative")
        message["From"] = _header(self.settings.mail_from)
        message["To"] = _header(email.to)
        message["Subject"] = _header(email.subject)
        message["Message-ID"] = make_msgid(idstring=email.reference, domain=self._msgid_domain)
        message["X-RTW-Reference"] = email.reference
        message.attach(MIMEText(email.text, "plain", "utf-8"))
        message.attach(MIMEText(email.html, "html", "utf-8"))
        return message

    async def _connection(self) -> aiosmtplib.SMTP:
        """An idle connection that is alive, or a new one."""
        now = time.monotonic()
        while self._idle:
            client, idle_since = self._idle.pop()
            idle_for = now - idle_since
            if not client.is_connected or idle_for > self.close_after_idle_s:
                await _quit(client)
                continue
            if idle_for > self.check_after_idle_s:
                try:
                    await client.noop()
                except (aiosmtplib.SMTPException, OSError, TimeoutError):
                    client.close()
                    continue
            return client
        settings = self.settings
        client = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            start_tls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_s,
        )
        await client.connect()
        return client

    def _release(self, client: aiosmtplib.SMTP) -> None:
        if len(self._idle) < self._keep:
            self._idle.append((client, time.monotonic()))
        else:
            client.close()

    async def close(self) -> None:
        """Say goodbye on every idle connection."""
        idle, self._idle = self._idle, []
        for client, _ in idle:
            await _quit(client)


async def _quit(client: aiosmtplib.SMTP) -> None:
    """QUIT politely if the connection is still there; close it either way."""
    with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
        if client.is_connected:
            await client.quit()
    client.close()


def _header(value: str) -> Any:
    """A header value as it can be sent (a str, or a `Header` the generator encodes): non-ASCII
    text encoded (RFC 2047), with an address's display name encoded and its address kept
    readable."""
    if value.isascii():
        return value
    name, address = parseaddr(value)
    if address and address.isascii() and name:
        return formataddr((name, address), charset="utf-8")
    return Header(value, "utf-8")


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

    async def close(self) -> None:
        """Nothing is kept open (each call is one HTTPS request)."""


def channel_for(settings: NotificationsSettings) -> EmailChannel:
    """The channel the settings choose."""
    return NotifyChannel(settings) if settings.email_backend == "notify" else SmtpChannel(settings)
