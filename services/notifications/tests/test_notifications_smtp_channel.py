"""The SMTP channel against a real SMTP server (aiosmtpd): connections kept and reused, a dead
one never carries a message, and what the message says survives the trip in any language."""

from __future__ import annotations

import asyncio
from typing import Any

import aiosmtplib
import pytest
from rtw_notifications.channels import OutgoingEmail, PermanentFailure, SmtpChannel, TransientFailure
from rtw_notifications.settings import NotificationsSettings

pytestmark = pytest.mark.component


def channel_to(server: Any, **overrides: Any) -> SmtpChannel:
    settings = NotificationsSettings(smtp_host="127.0.0.1", smtp_port=server.port, **overrides)
    return SmtpChannel(settings)


def email(number: int, **overrides: str) -> OutgoingEmail:
    values = {
        "to": f"person{number}@example.org",
        "subject": f"Message {number}",
        "text": f"Text of message {number}",
        "html": f"<p>HTML of message {number}</p>",
        "reference": f"ref-{number}",
    }
    values.update(overrides)
    return OutgoingEmail(**values)


async def test_messages_one_after_another_share_one_connection(smtp_server: Any) -> None:
    channel = channel_to(smtp_server)
    references = [await channel.send(email(n)) for n in range(5)]
    await channel.close()

    assert len(smtp_server.received) == 5
    assert len(smtp_server.peers) == 1
    # A long Message-ID is folded onto its own line; unfolded, it is the reference returned.
    assert [str(mail.message["Message-ID"]).strip() for mail in smtp_server.received] == references
    assert all(ref.endswith("@returners.example.org>") for ref in references)


async def test_concurrent_sends_use_at_most_the_configured_connections(smtp_server: Any) -> None:
    smtp_server.pause_s = 0.05
    channel = channel_to(smtp_server, dispatch_concurrency=3)
    slots = asyncio.Semaphore(3)

    async def send(number: int) -> None:
        async with slots:
            await channel.send(email(number))

    await asyncio.gather(*(send(n) for n in range(12)))
    await channel.close()

    assert sorted(mail.to for mail in smtp_server.received) == sorted(
        f"person{n}@example.org" for n in range(12)
    )
    assert 1 < len(smtp_server.peers) <= 3


async def test_a_connection_lost_while_idle_never_carries_a_message(smtp_server: Any) -> None:
    channel = channel_to(smtp_server)
    await channel.send(email(1))
    [(kept, _)] = channel._idle
    kept.close()  # the server (or the network) dropped it while it waited

    await channel.send(email(2))
    await channel.close()

    assert [mail.to for mail in smtp_server.received] == ["person1@example.org", "person2@example.org"]
    assert len(smtp_server.peers) == 2


async def test_an_idle_connection_that_fails_its_check_is_replaced(
    smtp_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel = channel_to(smtp_server)
    channel.check_after_idle_s = 0.0
    await channel.send(email(1))
    [(kept, _)] = channel._idle

    async def gone(*_args: Any, **_kwargs: Any) -> Any:
        raise aiosmtplib.SMTPServerDisconnected("Connection lost")

    monkeypatch.setattr(kept, "noop", gone)
    await channel.send(email(2))
    await channel.close()

    assert [mail.to for mail in smtp_server.received] == ["person1@example.org", "person2@example.org"]
    assert len(smtp_server.peers) == 2
    assert not kept.is_connected


async def test_a_connection_idle_too_long_is_closed_not_reused(smtp_server: Any) -> None:
    channel = channel_to(smtp_server)
    channel.close_after_idle_s = 0.0
    await channel.send(email(1))
    [(kept, _)] = channel._idle
    await channel.send(email(2))
    await channel.close()

    assert not kept.is_connected
    assert len(smtp_server.received) == 2
    assert len(smtp_server.peers) == 2


async def test_a_refused_message_closes_its_connection_and_the_next_goes_on_a_new_one(
    failing_smtp_server: Any,
) -> None:
    refusing = failing_smtp_server("550 5.1.1 mailbox unavailable", "RCPT")
    channel = channel_to(refusing)
    for number in (1, 2):
        with pytest.raises(PermanentFailure, match="550"):
            await channel.send(email(number))
    assert channel._idle == []
    assert refusing.attempts() == 2


APOSTROPHE, DASH = "\u2019", "\u2013"
SENDER_NAME = f"Dychwelyd i{APOSTROPHE}r Gwaith {DASH} Siân"


async def test_welsh_and_other_non_ascii_text_arrives_as_written(smtp_server: Any) -> None:
    channel = channel_to(smtp_server, mail_from=f"{SENDER_NAME} <no-reply@returners.example.org>")
    subject = f"Rydym wedi derbyn eich cais {DASH} " * 4 + "ŵ ŷ â"
    await channel.send(email(1, subject=subject, text="Annwyl Siân,\n\nDiolch.", html="<p>Annwyl Siân,</p>"))
    await channel.close()

    [mail] = smtp_server.received
    assert mail.subject == subject
    assert mail.text.strip() == "Annwyl Siân,\n\nDiolch."
    assert mail.html.strip() == "<p>Annwyl Siân,</p>"
    sender = mail.message["From"]
    assert sender.addresses[0].display_name == SENDER_NAME
    assert sender.addresses[0].addr_spec == "no-reply@returners.example.org"
    assert mail.message["X-RTW-Reference"] == "ref-1"


async def test_a_kept_connection_that_refuses_the_sender_hands_the_message_to_a_new_one(
    smtp_server: Any,
) -> None:
    smtp_server.messages_per_connection = 1  # a relay's limit: 421 at MAIL FROM after one message
    channel = channel_to(smtp_server)
    for number in range(3):
        await channel.send(email(number))
    await channel.close()

    assert sorted(mail.to for mail in smtp_server.received) == [f"person{n}@example.org" for n in range(3)]
    assert len(smtp_server.peers) == 3


async def test_a_new_connection_that_refuses_the_sender_is_a_failure_of_the_message(
    failing_smtp_server: Any,
) -> None:
    busy = failing_smtp_server("451 4.3.0 try later", "RCPT")
    busy.messages_per_connection = 0  # refuses every sender
    channel = channel_to(busy)
    with pytest.raises(TransientFailure, match="421"):
        await channel.send(email(1))
    assert busy.received == []


async def test_an_international_address_is_sent_as_utf8(smtp_server: Any) -> None:
    channel = channel_to(smtp_server)
    await channel.send(email(1, to="siân.jones@enghraifft.cymru", subject="Croeso, Siân"))
    await channel.close()

    [mail] = smtp_server.received
    assert mail.envelope_to == ["siân.jones@enghraifft.cymru"]
    assert mail.message["To"].addresses[0].addr_spec == "siân.jones@enghraifft.cymru"
    assert mail.subject == "Croeso, Siân"


CALENDAR = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nLOCATION:Neuadd y Sir\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"


@pytest.mark.parametrize("to", ["priya@example.org", "siân@example.org"])
async def test_a_calendar_invitation_is_attached_as_a_request(smtp_server: Any, to: str) -> None:
    channel = channel_to(smtp_server)
    await channel.send(email(1, to=to, calendar=CALENDAR))
    await channel.close()

    [mail] = smtp_server.received
    assert mail.message.get_content_type() == "multipart/mixed"
    [invitation] = [part for part in mail.message.walk() if part.get_content_type() == "text/calendar"]
    assert invitation.get_param("method") == "REQUEST"
    assert invitation.get_filename() == "invite.ics"
    assert invitation.get_payload(decode=True).decode("utf-8") == CALENDAR
    assert mail.text.strip() == "Text of message 1"
    assert mail.html.strip() == "<p>HTML of message 1</p>"
    assert mail.message["X-RTW-Reference"] == "ref-1"
