"""Sign-in links, made here where the e-mail is written: the events that ask for one say whom it
is for, where to send it and until when it works, and never carry it (docs/events.md). The token
is signed with the platform's token secret, single-use and scoped to the person (and a
recruiter's council, a trainer's provider); applications and matching redeem it once. Staff links
are made from the staff directory held here (staff.py), asked for on this service's pages."""

from __future__ import annotations

from datetime import datetime, timedelta
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
    in until `expires`; the staff directory decides whom it is made for (staff.py)."""
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
