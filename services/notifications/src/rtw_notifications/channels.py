"""Ways to send an e-mail: SMTP (default) or GOV.UK Notify. Each says whether a failure is worth
retrying."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import make_msgid, parseaddr
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
    calendar: str | None = None
    """An iCalendar invitation (METHOD:REQUEST) to attach, if any (SMTP only: GOV.UK Notify's
    one template sends the text, which says the day, time and place)."""


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
    servers usually keep them is closed unused. If a kept connection refuses the sender (a
    server's limit of messages per connection), nothing of the message went: it is sent on a new
    connection at once."""

    check_after_idle_s = 5.0
    """A connection idle for longer is checked with NOOP before it carries a message."""
    close_after_idle_s = 60.0
    """A connection idle for longer is closed rather than reused."""

    def __init__(self, settings: NotificationsSettings) -> None:
        self.settings = settings
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []
        self._keep = settings.dispatch_concurrency
        self._closed = False
        _, sender = parseaddr(settings.mail_from)
        self._msgid_domain = sender.rpartition("@")[2] if "@" in sender else None
        self._sender_is_ascii = settings.mail_from.isascii()

    async def send(self, email: OutgoingEmail) -> str:
        message = self._message(email)
        try:
            await self._send(message)
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

    def _message(self, email: OutgoingEmail) -> Message:
        """The message: plain text and HTML alternatives, UTF-8, headers encoded where needed.

        Built with the `email` package's compat32 classes, which cost a third of what the modern
        `EmailMessage` does (it parses every header it is given); a subject in any language is
        encoded (RFC 2047). Addresses with anything but ASCII in them (a display name in Welsh, an
        internationalised address, sent with SMTPUTF8) go through `EmailMessage`, which writes
        them as the standards want."""
        msgid = make_msgid(idstring=email.reference, domain=self._msgid_domain)
        if not (self._sender_is_ascii and email.to.isascii()):
            modern = EmailMessage()
            modern["From"] = self.settings.mail_from
            modern["To"] = email.to
            modern["Subject"] = email.subject
            modern["Message-ID"] = msgid
            modern["X-RTW-Reference"] = email.reference
            modern.set_content(email.text)
            modern.add_alternative(email.html, subtype="html")
            if email.calendar is not None:
                modern.make_mixed()
                modern.add_attachment(
                    email.calendar.encode("utf-8"),
                    maintype="text",
                    subtype="calendar",
                    filename="invite.ics",
                    params={"method": "REQUEST", "charset": "utf-8"},
                )
            return modern
        message = MIMEMultipart("alternative")
        message["From"] = self.settings.mail_from
        message["To"] = email.to
        message["Subject"] = email.subject if email.subject.isascii() else Header(email.subject, "utf-8")  # type: ignore[assignment]
        message["Message-ID"] = msgid
        message["X-RTW-Reference"] = email.reference
        message.attach(MIMEText(email.text, "plain", "utf-8"))
        message.attach(MIMEText(email.html, "html", "utf-8"))
        if email.calendar is None:
            return message
        # The invitation goes with the message as an attachment a calendar opens (RFC 6047).
        mixed = MIMEMultipart("mixed")
        for header in ("From", "To", "Subject", "Message-ID", "X-RTW-Reference"):
            mixed[header] = message[header]
        alternative = MIMEMultipart("alternative")
        for part in message.get_payload():
            alternative.attach(part)
        mixed.attach(alternative)
        invitation = MIMEText(email.calendar, "calendar", "utf-8")
        invitation.set_param("method", "REQUEST")
        invitation.add_header("Content-Disposition", "attachment", filename="invite.ics")
        mixed.attach(invitation)
        return mixed

    async def _send(self, message: Message) -> None:
        client, kept = await self._connection()
        try:
            await self._send_on(client, message)
        except aiosmtplib.SMTPSenderRefused:
            if not kept:
                raise
            await self._send_on(await self._connect(), message)

    async def _send_on(self, client: aiosmtplib.SMTP, message: Message) -> None:
        try:
            await client.send_message(message)
        except BaseException:
            client.close()
            raise
        self._release(client)

    async def _connection(self) -> tuple[aiosmtplib.SMTP, bool]:
        """A kept connection that is alive (and True), or a new one (and False)."""
        now = time.monotonic()
        alive = []
        for client, idle_since in self._idle:
            if client.is_connected and now - idle_since <= self.close_after_idle_s:
                alive.append((client, idle_since))
            else:
                client.close()  # gone, or idle too long: not worth a QUIT on the way
        self._idle = alive
        while self._idle:
            client, idle_since = self._idle.pop()
            if now - idle_since > self.check_after_idle_s:
                try:
                    await client.noop()
                except BaseException as exc:
                    client.close()
                    if not isinstance(exc, aiosmtplib.SMTPException | OSError | TimeoutError):
                        raise
                    continue
            return client, True
        return await self._connect(), False

    async def _connect(self) -> aiosmtplib.SMTP:
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
        if not self._closed and len(self._idle) < self._keep:
            self._idle.append((client, time.monotonic()))
        else:
            client.close()

    async def close(self) -> None:
        """Say goodbye on every kept connection; a send still running closes its own after."""
        self._closed = True
        idle, self._idle = self._idle, []
        await asyncio.gather(*(_quit(client) for client, _ in idle))


async def _quit(client: aiosmtplib.SMTP) -> None:
    """QUIT politely if the connection is still there; close it either way."""
    try:
        with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
            if client.is_connected:
                await client.quit()
    finally:
        client.close()


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
