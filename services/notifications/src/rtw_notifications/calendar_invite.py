"""A calendar invitation (iCalendar, RFC 5545, with iTIP's METHOD:REQUEST, RFC 5546) for an
interview, made by hand: one VEVENT, a few properties. Pure (no I/O).

The UID names the match's interview stage, so that an invitation sent again for the same stage
(the time moved) replaces the one in the calendar rather than adding another; SEQUENCE grows with
each invitation (the seconds from 1 January 2026 to when it was sent: RFC 5545's integer is 32 bits,
which seconds since 1970 would overflow in 2038; these last until 2094). Times are written in UTC
(`...Z`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

#: Lines are folded at 75 octets (RFC 5545 3.1).
_FOLD_AT = 75
PRODUCT = "-//Return to Work//Interviews//EN"
#: SEQUENCE counts seconds from here (see the module's docstring).
SEQUENCE_FROM = datetime(2026, 1, 1, tzinfo=UTC)


def sequence_of(invited_at: datetime) -> int:
    """The invitation's SEQUENCE: later invitations have larger ones, within 32 bits until 2094."""
    return max(0, int((invited_at - SEQUENCE_FROM).total_seconds()))


@dataclass(frozen=True)
class Invitation:
    match_id: UUID
    stage: int
    starts_at: datetime
    ends_at: datetime
    invited_at: datetime
    summary: str
    location: str
    description: str
    organizer: str
    attendee: str


def uid_of(match_id: UUID, stage: int) -> str:
    """The invitation's UID: the same for every invitation to one interview stage of a match."""
    return f"interview-{match_id}-{stage}@returntowork"


def escape_text(value: str) -> str:
    r"""A TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma escaped, newlines `\n`."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold(line: str) -> str:
    """A content line folded at 75 octets, never inside a UTF-8 character (continuations start
    with one space)."""
    parts: list[str] = []
    current, size = "", 0
    limit = _FOLD_AT
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size = "", 0
            limit = _FOLD_AT - 1  # the leading space counts
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def utc(moment: datetime) -> str:
    """A DATE-TIME in UTC: 20270301T100000Z."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ics(invitation: Invitation) -> str:
    """The iCalendar object, CRLF line ends."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT}",
        "CALSCALE:GREGORIAN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"UID:{uid_of(invitation.match_id, invitation.stage)}",
        f"SEQUENCE:{sequence_of(invitation.invited_at)}",
        f"DTSTAMP:{utc(invitation.invited_at)}",
        f"DTSTART:{utc(invitation.starts_at)}",
        f"DTEND:{utc(invitation.ends_at)}",
        f"SUMMARY:{escape_text(invitation.summary)}",
        f"LOCATION:{escape_text(invitation.location)}",
        f"DESCRIPTION:{escape_text(invitation.description)}",
        f"ORGANIZER:mailto:{invitation.organizer}",
        f"ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mailto:{invitation.attendee}",
        "STATUS:CONFIRMED",
        "TRANSP:OPAQUE",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        "DESCRIPTION:Interview",
        "TRIGGER:-PT1H",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + "\r\n" for line in lines)
