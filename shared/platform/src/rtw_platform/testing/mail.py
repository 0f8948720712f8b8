"""A real SMTP server (aiosmtpd) on a free local port that keeps what it receives, for tests."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from email import message_from_bytes, message_from_string, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Mail:
    """One message as the SMTP server received it."""

    envelope_to: list[str]
    message: EmailMessage
    peer: Any = None
    """The client end (address, port) of the connection that delivered it."""

    @property
    def to(self) -> str:
        return str(self.message["To"])

    @property
    def subject(self) -> str:
        # A long subject is folded right after "Subject:"; Python's parser keeps the fold's space.
        return str(self.message["Subject"]).strip()

    @property
    def text(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None, "the message has no plain-text part"
        return str(part.get_content()).replace("\r\n", "\n")

    @property
    def html(self) -> str:
        part = self.message.get_body(("html",))
        assert part is not None, "the message has no HTML part"
        return str(part.get_content()).replace("\r\n", "\n")


@dataclass
class Mailbox:
    """What an aiosmtpd server accepted (or refused), kept across its thread and the test's."""

    port: int
    answer: str | None = None
    answer_at: str = "DATA"
    received: list[Mail] = field(default_factory=list)
    refused: list[list[str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    pause_s: float = 0.0
    """How long the server takes over each message (to see senders overlap)."""
    in_flight: int = 0
    most_at_once: int = 0
    messages_per_connection: int | None = None
    """Refuse the sender (421) on a connection that already delivered this many, as some relays
    do; None: no limit."""

    # aiosmtpd handler hooks (run in the server's thread)
    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        limit = self.messages_per_connection
        if limit is not None:
            with self.lock:
                delivered = sum(1 for mail in self.received if mail.peer == session.peer)
            if delivered >= limit:
                return "421 4.7.0 too many messages on this connection"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.answer is not None and self.answer_at == "RCPT":
            with self.lock:
                self.refused.append([address])
            return self.answer.replace("{address}", address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.answer is not None and self.answer_at == "DATA":
            with self.lock:
                self.refused.append(list(envelope.rcpt_tos))
            return self.answer
        content: bytes = envelope.content
        message = (
            # Sent with SMTPUTF8: its headers are UTF-8 (internationalised addresses).
            message_from_string(content.decode("utf-8"), policy=policy.default)
            if envelope.smtp_utf8
            else message_from_bytes(content, policy=policy.default)
        )
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.in_flight += 1
            self.most_at_once = max(self.most_at_once, self.in_flight)
        try:
            if self.pause_s:
                await asyncio.sleep(self.pause_s)
            with self.lock:
                self.received.append(Mail(list(envelope.rcpt_tos), message, session.peer))
        finally:
            with self.lock:
                self.in_flight -= 1
        return "250 Message accepted for delivery"

    # for the tests
    def to(self, address: str) -> list[Mail]:
        with self.lock:
            return [mail for mail in self.received if address in mail.envelope_to]

    @property
    def peers(self) -> set[Any]:
        """The client ends (address, port) that delivered messages: one per connection used."""
        with self.lock:
            return {mail.peer for mail in self.received}

    def attempts(self) -> int:
        with self.lock:
            return len(self.refused)

    async def wait_for(self, address: str, count: int = 1, timeout: float = 15.0) -> list[Mail]:
        """The messages to `address` once there are at least `count` of them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out waiting for {count} message(s) to {address}: {self.to(address)}")


def serve_mailbox(answer: str | None = None, answer_at: str = "DATA") -> Generator[Mailbox, None, None]:
    """An SMTP server answering every message with `answer` (None: accept it), until closed."""
    mailbox = Mailbox(port=free_port(), answer=answer, answer_at=answer_at)
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port, enable_SMTPUTF8=True)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
