"""A person's choice about non-essential messages (alerts, reminders): decisions are always sent."""

from __future__ import annotations

from uuid import UUID

from rtw_platform.auth import Principal, Role
from rtw_platform.errors import NotFound

from .owing import NotificationsWork


async def set_preferences(
    work: NotificationsWork, principal: Principal, person_id: UUID, *, non_essential: bool
) -> None:
    """Turn non-essential messages on or off, for oneself (or anyone, for an admin); commits.
    Someone else's preferences answer as an unknown person's would (an id reveals nothing)."""
    person = await work.store.person(person_id)
    mine = principal.role is Role.ADMIN or principal.subject == str(person_id)
    if person is None or person.erased_at is not None or not mine:
        raise NotFound("We hold no contact details for that person.")
    person.non_essential_opt_out = not non_essential
    await work.store.save_person(person)
    await work.commit()


async def unsubscribe(work: NotificationsWork, person_id: UUID | None) -> bool:
    """The link in non-essential messages: no more alerts or reminders for this person; commits.
    False when the link names nobody held here (or someone erased: their link was never made)."""
    person = await work.store.person(person_id) if person_id else None
    if person is None or person.erased_at is not None:
        return False
    person.non_essential_opt_out = True
    await work.store.save_person(person)
    await work.commit()
    return True
