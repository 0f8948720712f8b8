"""A message owed: rendered once, recorded once per (event, recipient, template), suppressed when
the person turned off its kind. Sending is the dispatcher's (dispatch.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from rtw_platform.tracing import current_traceparent
from rtw_platform.work import Work

from ..domain import initial_status, is_essential, may_be_written_to, one_per_address
from ..links import Links
from ..models import Delivery, Person
from ..rendering import render
from ..store import NotificationsStore

NotificationsWork = Work[NotificationsStore]


async def owe(
    work: NotificationsWork,
    links: Links,
    event_id: UUID,
    person: Person | None,
    template: str,
    values: dict[str, Any],
    calendar: Callable[[Person], str] | None = None,
) -> None:
    """Render and record a message (once); suppressed if the person opted out of its kind; nothing
    for someone with no address or erased. `calendar` makes the person's calendar invitation to
    send with it (an iCalendar object), if any."""
    if person is None or not may_be_written_to(person):
        return
    rendered = render(
        template,
        person.language,
        {
            "name": person.name or "",
            "portal_url": links.portal_url,
            "unsubscribe_url": links.unsubscribe_url(person.id),
            **values,
        },
    )
    now = datetime.now(UTC)
    await work.store.add_delivery_if_absent(
        Delivery(
            event_id=event_id,
            recipient_id=person.id,
            template=template,
            essential=is_essential(template),
            language=person.language,
            to_address=person.email,
            subject=rendered.subject,
            body_text=rendered.text,
            body_html=rendered.html,
            status=initial_status(template, opted_out=person.non_essential_opt_out),
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            traceparent=current_traceparent(),
            calendar=calendar(person) if calendar is not None else None,
        )
    )


async def keep_contact(work: NotificationsWork, person_id: UUID, **values: Any) -> Person:
    """The person's contact details as an event gives them (an erased person is left as they
    are: nothing is brought back)."""
    person = await work.store.person(person_id)
    if person is None:
        person = Person(id=person_id, updated_at=datetime.now(UTC), **values)
    elif person.erased_at is None:
        for key, value in values.items():
            setattr(person, key, value)
        person.updated_at = datetime.now(UTC)
    await work.store.save_person(person)
    return person


async def council_people(work: NotificationsWork, council_id: UUID) -> list[Person]:
    """The council's contact and recruiters, one per address (the contact is also its first
    recruiter: one person, one message)."""
    return one_per_address(await work.store.people_of_council(council_id))
