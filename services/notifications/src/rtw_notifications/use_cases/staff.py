"""The staff directory and staff sign-in links, made here where the e-mail is written.

Programme admins give a member of staff's address (the staff pages); assessment and training
announce, without any address, which assessors and providers exist and whether they are active
(AssessorChanged, TrainingProviderChanged). A link is e-mailed only to an address in the
directory whose staff member is active: an assessor assessment has not retired, a trainer of a
provider training has not retired, or a programme admin (whose address an admin gave here).
No address and no link ever travels on the bus."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from uuid import UUID, uuid4

from rtw_contracts import AssessorChanged, TrainingProviderChanged
from rtw_platform.auth import Principal, Role
from rtw_platform.errors import Conflict, NotFound
from rtw_platform.logging import get_logger
from rtw_platform.tracing import current_traceparent

from ..links import staff_sign_in_link
from ..models import Delivery, StaffAddress, StaffRecord
from ..rendering import long_date, render
from ..settings import NotificationsSettings
from .owing import NotificationsWork

log = get_logger(__name__)

LINK_LIFETIME = timedelta(hours=1)
"""How long a staff sign-in link works."""


class Kind(StrEnum):
    """What assessment and training announce."""

    ASSESSOR = "assessor"
    PROVIDER = "provider"


ROLE_NAMES = {Role.ASSESSOR: "Assessor", Role.TRAINER: "Trainer", Role.ADMIN: "Programme admin"}


@dataclass(frozen=True)
class Listed:
    """An address in the directory, and whether a link may be sent to it now."""

    address: StaffAddress
    record: StaffRecord | None
    active: bool


# ---------------------------------------------------------------------- what the services announce


async def assessor_changed(work: NotificationsWork, event: AssessorChanged) -> None:
    """Keep the assessor as assessment last announced them."""
    await _record(work, Kind.ASSESSOR, event.assessor_id, event.display_name, event.active, event.changed_at)


async def provider_changed(work: NotificationsWork, event: TrainingProviderChanged) -> None:
    """Keep the provider as training last announced it."""
    await _record(work, Kind.PROVIDER, event.provider_id, event.name, event.active, event.changed_at)


async def _record(
    work: NotificationsWork, kind: Kind, id_: str, name: str, active: bool, changed_at: datetime
) -> None:
    record = await work.store.staff_record(kind.value, id_)
    if record is not None and record.changed_at >= changed_at:
        return  # an older change arriving late
    record = record or StaffRecord(kind=kind.value, id=id_, name=name, active=active, changed_at=changed_at)
    record.name, record.active, record.changed_at = name, active, changed_at
    await work.store.save_staff_record(record)


# ---------------------------------------------------------------------- the directory


async def record_of(
    work: NotificationsWork, role: Role, staff_id: str | None, provider_id: str | None
) -> StaffRecord | None:
    """What assessment or training announced about this member of staff (None: nothing yet, or
    an admin, whom no other service knows)."""
    if role is Role.ASSESSOR and staff_id:
        return await work.store.staff_record(Kind.ASSESSOR.value, staff_id)
    if role is Role.TRAINER and provider_id:
        return await work.store.staff_record(Kind.PROVIDER.value, provider_id)
    return None


async def may_sign_in(work: NotificationsWork, address: StaffAddress) -> bool:
    """Whether the member of staff at this address is active."""
    role = Role(address.role)
    if role is Role.ADMIN:
        return True
    record = await record_of(work, role, address.staff_id, address.provider_id)
    return record is not None and record.active


async def directory(work: NotificationsWork) -> list[Listed]:
    """Every address, by role then name, with whether a link may be sent to it."""
    listed = []
    for row in await work.store.staff_addresses():
        record = await record_of(work, Role(row.role), row.staff_id, row.provider_id)
        listed.append(Listed(row, record, Role(row.role) is Role.ADMIN or bool(record and record.active)))
    return listed


async def address_of(work: NotificationsWork, email: str) -> StaffAddress | None:
    """The directory's entry for an address (compared without case)."""
    return await work.store.staff_address_of(email.strip().lower())


async def give_address(
    work: NotificationsWork,
    role: Role,
    *,
    email: str,
    name: str,
    staff_id: str | None,
    provider_id: str | None,
    admin: Principal,
) -> StaffAddress:
    """Record (or change) the address of a member of staff, who must be active: an assessor by
    their staff id, an admin by theirs, a trainer of a provider (a new trainer each new address).
    Changes to the directory run one after the other (a form sent twice at once: one address)."""
    await work.lock("notifications.staff-directory")
    email = email.strip().lower()
    if role is not Role.ADMIN:
        record = await record_of(work, role, staff_id, provider_id)
        if record is None:
            what = f"assessor {staff_id}" if role is Role.ASSESSOR else f"training provider {provider_id}"
            raise NotFound(
                f"There is no {what} yet. If you registered them a moment ago, wait a few seconds "
                "and try again."
            )
        if not record.active:
            raise Conflict(f"{record.name} is retired: make them active again before sending a sign-in link.")
    holder = await address_of(work, email)
    now = datetime.now(UTC)
    if role is Role.TRAINER:
        entry = (
            holder
            if holder is not None and holder.role == role.value and holder.provider_id == provider_id
            else None
        )
        staff_id = entry.staff_id if entry else f"trainer-{uuid4().hex[:12]}"
    else:
        entry = await work.store.staff_address_for(role.value, staff_id)
    if holder is not None and holder is not entry:
        raise Conflict(
            f"{email} is already the address of {ROLE_NAMES[Role(holder.role)].lower()} {holder.name} "
            f"({holder.staff_id}). Each member of staff needs their own address."
        )
    assert staff_id is not None
    entry = entry or StaffAddress(
        email=email,
        role=role.value,
        staff_id=staff_id,
        name=name,
        added_by=admin.subject,
        created_at=now,
        updated_at=now,
    )
    entry.email, entry.name, entry.provider_id = email, name, provider_id if role is Role.TRAINER else None
    entry.added_by, entry.updated_at = admin.subject, now
    await work.store.save_staff_address(entry)
    return entry


async def remove_address(work: NotificationsWork, address_id: UUID) -> StaffAddress:
    """Take an address out of the directory: it is sent no more links (a link already sent still
    works until it expires)."""
    entry = await work.store.staff_address(address_id)
    if entry is None:
        raise NotFound("That address is not in the staff directory.")
    await work.store.delete_staff_address(entry)
    await work.commit()
    return entry


# ---------------------------------------------------------------------- links


async def send_link(work: NotificationsWork, settings: NotificationsSettings, entry: StaffAddress) -> None:
    """Make the member of staff a single-use sign-in link (an hour) and record its e-mail, which
    the dispatcher sends; committed here."""
    now = datetime.now(UTC)
    expires = now + LINK_LIFETIME
    principal = Principal(subject=entry.staff_id, role=Role(entry.role), provider_id=entry.provider_id)
    link = staff_sign_in_link(settings, principal, expires, now)
    rendered = render(
        "sign_in_link",
        "en",
        {
            "name": entry.name,
            "link": link,
            "portal_url": settings.portal_url.rstrip("/"),
            "expires": f"{expires:%H:%M} UTC, {long_date(expires, 'en')}",
        },
    )
    await work.store.add_delivery(
        Delivery(
            event_id=uuid4(),
            recipient_id=entry.id,
            template="staff_sign_in_link",
            essential=True,
            language="en",
            to_address=entry.email,
            subject=rendered.subject,
            body_text=rendered.text,
            body_html=rendered.html,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            traceparent=current_traceparent(),
        )
    )
    await work.commit()
    log.info("staff_sign_in_link_owed", role=entry.role, staff_id=entry.staff_id)


async def request_link(work: NotificationsWork, settings: NotificationsSettings, email: str) -> bool:
    """A member of staff asks for a new link: sent only when the address is in the directory and
    its member of staff is active. The caller answers the same either way; True when sent."""
    entry = await address_of(work, email)
    if entry is None or not await may_sign_in(work, entry):
        log.info("staff_sign_in_link_not_sent", known=entry is not None)
        return False
    await send_link(work, settings, entry)
    return True
