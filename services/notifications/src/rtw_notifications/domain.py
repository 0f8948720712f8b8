"""Who is written to: pure rules over the contact directory, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar
from uuid import UUID

#: Which record stands for an address several people records share: a recruiter (the one who
#: signs in and acts) before a council's contact, before anyone else.
_KIND_ORDER = {"recruiter": 0, "council": 1}


class Recipient(Protocol):
    @property
    def id(self) -> UUID: ...
    @property
    def kind(self) -> str: ...
    @property
    def email(self) -> str | None: ...
    @property
    def non_essential_opt_out(self) -> bool: ...
    @property
    def erased_at(self) -> object | None: ...


R = TypeVar("R", bound=Recipient)


def address_key(address: str) -> str:
    """An address as compared: trimmed and case-folded (mail servers treat addresses so)."""
    return address.strip().casefold()


def one_per_address(people: Iterable[R]) -> list[R]:
    """One recipient per e-mail address, in the order the addresses first appear: a council's
    contact is also its first recruiter (two records, one person), and must get one message per
    step. If any record of the address turned off non-essential messages, that record stands for
    it (the person said so, through whichever link). People with no address, or erased, are left
    out."""
    chosen: dict[str, R] = {}
    for person in people:
        if person.email is None or person.erased_at is not None:
            continue
        key = address_key(person.email)
        held = chosen.get(key)
        if held is None or _stands_before(person, held):
            chosen[key] = person
    return list(chosen.values())


def _stands_before(person: Recipient, other: Recipient) -> bool:
    def rank(p: Recipient) -> tuple[bool, int, str]:
        return (not p.non_essential_opt_out, _KIND_ORDER.get(p.kind, 2), str(p.id))

    return rank(person) < rank(other)


#: What GOV.UK Notify's delivery receipt says → the delivery's status here. A bounce (the address
#: does not exist or the inbox refused it) is final; a technical failure at Notify is a failure an
#: admin can resend; "delivered" confirms a sent message.
RECEIPT_STATUSES = {
    "delivered": "delivered",
    "permanent-failure": "bounced",
    "temporary-failure": "bounced",
    "technical-failure": "failed",
}

#: Deliveries an admin can send again: given up on, or failed at Notify. A bounce is not among them:
#: the same address would bounce again.
RESENDABLE = ("failed",)


def retry_delay_s(attempts: int, *, base_s: float, cap_s: float) -> float:
    """Seconds before trying again after `attempts` tries: doubling from `base_s`, never more
    than `cap_s`, so a mail server away for hours is still waited for."""
    if attempts < 1:
        return 0.0
    return float(min(cap_s, base_s * 2 ** min(attempts - 1, 62)))


def seconds_tried_for(max_attempts: int, *, base_s: float, cap_s: float) -> float:
    """How long a message is retried before it is given up on."""
    return sum(retry_delay_s(n, base_s=base_s, cap_s=cap_s) for n in range(1, max_attempts))
