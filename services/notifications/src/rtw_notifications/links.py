"""The links in e-mails: sign-in links and unsubscribe links, bound to this process's settings
(`Links`, made by the composition root, app.py).

Sign-in links are made here where the e-mail is written: the events that ask for one say whom it
is for, where to send it and until when it works, and never carry it (docs/events.md). The token
is signed with the platform's token secret, single-use and scoped to the person (and a
recruiter's council, a trainer's provider); applications and matching redeem it once. Staff links
are made from the staff directory held here (use_cases/staff.py), asked for on this service's pages."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from email.utils import parseaddr
from uuid import UUID

from rtw_platform.auth import Principal, Role, sign_in_link

from .settings import NotificationsSettings

LONGEST_LINK = timedelta(days=7)
"""No link made here works longer than this, whatever an event asks for."""


def link_expiry(asked: datetime, now: datetime) -> datetime | None:
    """When a link asked to work until `asked` will stop working: `asked`, at most a week from
    `now`; None when it would already have stopped (no dead link is sent)."""
    expires = min(asked, now + LONGEST_LINK)
    return expires if expires > now else None


def candidate_sign_in_link(
    settings: NotificationsSettings,
    candidate_id: UUID,
    expires: datetime,
    now: datetime,
    next_page: str | None = None,
) -> str:
    """A single-use link that signs this candidate in (then leads to `next_page`) until `expires`."""
    return _link(settings, Principal(subject=str(candidate_id), role=Role.CANDIDATE), expires, now, next_page)


def recruiter_sign_in_link(
    settings: NotificationsSettings, recruiter_id: UUID, council_id: UUID, expires: datetime, now: datetime
) -> str:
    """A single-use link that signs this recruiter in for this council until `expires`."""
    principal = Principal(subject=str(recruiter_id), role=Role.RECRUITER, council_id=str(council_id))
    return _link(settings, principal, expires, now)


def staff_sign_in_link(
    settings: NotificationsSettings, principal: Principal, expires: datetime, now: datetime
) -> str:
    """A single-use link that signs this member of staff (assessor, trainer of a provider, admin)
    in until `expires`; the staff directory decides whom it is made for (use_cases/staff.py)."""
    if principal.role not in (Role.ASSESSOR, Role.TRAINER, Role.ADMIN):
        raise ValueError(f"{principal.role.value} is not a staff role")
    return _link(settings, principal, expires, now)


def _link(
    settings: NotificationsSettings,
    principal: Principal,
    expires: datetime,
    now: datetime,
    next_page: str | None = None,
) -> str:
    return sign_in_link(
        settings.token_secret.get_secret_value(),
        principal,
        settings.portal_url,
        ttl=expires - now,
        next_page=next_page,
        now=now,
    )


def unsubscribe_token(settings: NotificationsSettings, person_id: UUID) -> str:
    """`<person id>.<signature>`: stops non-essential messages, for this person only."""
    signature = hmac.new(
        settings.unsubscribe_key(), f"unsubscribe:{person_id}".encode(), hashlib.sha256
    ).hexdigest()[:32]
    return f"{person_id}.{signature}"


def person_of_unsubscribe_token(settings: NotificationsSettings, token: str) -> UUID | None:
    """The person an unsubscribe link is for, or None if it was not made here."""
    person, _, _signature = token.partition(".")
    try:
        person_id = UUID(person)
    except ValueError:
        return None
    return person_id if hmac.compare_digest(unsubscribe_token(settings, person_id), token) else None


class Links:
    """The links e-mails carry, made with one process's settings (portal address, secrets)."""

    def __init__(self, settings: NotificationsSettings) -> None:
        self.settings = settings

    @property
    def portal_url(self) -> str:
        """Where people reach the platform's pages (no trailing slash)."""
        return self.settings.portal_url.rstrip("/")

    def unsubscribe_url(self, person_id: UUID) -> str:
        """A link that turns off non-essential messages for this person."""
        return f"{self.portal_url}/notifications/unsubscribe/{unsubscribe_token(self.settings, person_id)}"

    @property
    def sender_address(self) -> str:
        """The address messages are sent from (the calendar invitations' organiser)."""
        return parseaddr(self.settings.mail_from)[1]

    def certificate_url(self, certificate_id: UUID) -> str:
        return f"{self.portal_url}/training/certificates/{certificate_id}"

    def candidate_sign_in(
        self, candidate_id: UUID, expires: datetime, now: datetime, next_page: str | None = None
    ) -> str:
        return candidate_sign_in_link(self.settings, candidate_id, expires, now, next_page)

    def recruiter_sign_in(
        self, recruiter_id: UUID, council_id: UUID, expires: datetime, now: datetime
    ) -> str:
        return recruiter_sign_in_link(self.settings, recruiter_id, council_id, expires, now)
