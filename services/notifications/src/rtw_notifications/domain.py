"""The rules of notifications, pure (no I/O): who is written to, which message an event calls for,
in which language, whether it may be turned off, when a reminder is due, and how a delivery is
retried. The use cases (use_cases/) apply them; the store (store.py) holds the rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol, TypeVar
from uuid import UUID

from rtw_contracts import AssessmentOutcome, DecisionKind
from rtw_platform.clock import UK_TIME
from rtw_platform.errors import Refusal
from rtw_platform.marking import N_

#: Which record stands for an address several people records share: a recruiter (the one who
#: signs in and acts) before a council's contact, before anyone else.
_KIND_ORDER = {"recruiter": 0, "council": 1}


class Recipient(Protocol):
    """A person of the contact directory, as the rules see them."""

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


def receipt_status(status: str) -> str:
    """A delivery's status after Notify's receipt says `status` (one of RECEIPT_STATUSES)."""
    return RECEIPT_STATUSES[status]


@dataclass(frozen=True)
class Receipt:
    """What GOV.UK Notify's callback says about one e-mail."""

    notify_id: str
    reference: str | None
    status: str


class BadReceipt(Refusal):
    """A receipt that is not one of Notify's."""

    status = 422


def read_receipt(body: Any) -> Receipt:
    """Notify's callback body, or a refusal naming what is wrong."""
    if not isinstance(body, dict):
        raise BadReceipt("A delivery receipt is a JSON object.")
    notify_id, status, reference = body.get("id"), body.get("status"), body.get("reference")
    if not isinstance(notify_id, str) or not notify_id:
        raise BadReceipt("The receipt has no notification id ('id').")
    if not isinstance(status, str) or status not in RECEIPT_STATUSES:
        shown = status if isinstance(status, str) else type(status).__name__
        raise BadReceipt(f"Unknown receipt status {shown!r}; expected one of {', '.join(RECEIPT_STATUSES)}.")
    if reference is not None and not isinstance(reference, str):
        raise BadReceipt("The receipt's 'reference' must be a string.")
    return Receipt(notify_id=notify_id, reference=reference, status=status)


def retry_delay_s(attempts: int, *, base_s: float, cap_s: float) -> float:
    """Seconds before trying again after `attempts` tries: doubling from `base_s`, never more
    than `cap_s`, so a mail server away for hours is still waited for."""
    if attempts < 1:
        return 0.0
    return float(min(cap_s, base_s * 2 ** min(attempts - 1, 62)))


def seconds_tried_for(max_attempts: int, *, base_s: float, cap_s: float) -> float:
    """How long a message is retried before it is given up on."""
    return sum(retry_delay_s(n, base_s=base_s, cap_s=cap_s) for n in range(1, max_attempts))


# ---------------------------------------------------------------------- which message, how


#: Templates people can opt out of; every other message is essential (decisions, links).
NON_ESSENTIAL = frozenset({"vacancy_alert", "match_proposed", "second_stage_reminder", "training_overdue"})

#: The message telling a candidate each assessment outcome.
OUTCOME_TEMPLATES = {
    AssessmentOutcome.INELIGIBLE: "not_eligible",
    AssessmentOutcome.SHORTLISTED: "shortlisted",
    AssessmentOutcome.NOT_SHORTLISTED: "not_shortlisted",
    AssessmentOutcome.SELECTED: "selected",
    AssessmentOutcome.WAITLISTED: "waitlisted",
    AssessmentOutcome.REJECTED: "not_selected",
}

#: What a not-eligible message says when the decision gave no reason.
NO_REASON_GIVEN = N_("The application does not meet the criteria.")

#: What a shortlisting message says when the decision gave no deadline for the second stage.
NO_DEADLINE_GIVEN = N_("the date on your application page")

#: Interview times are told in UK time.

#: Names the reminders' stable ids (one per reminder kind and application).
REMINDER_NAMESPACE = uuid.UUID("5b3f3c1e-8d0a-4c55-9a4e-2f7f1d2c9e10")

#: How long before the second stage's deadline its reminder is due.
SECOND_STAGE_NOTICE = timedelta(hours=48)


def may_be_written_to(person: Recipient | None) -> bool:
    """Someone with an address who has not been erased."""
    return person is not None and person.email is not None and person.erased_at is None


def is_essential(template: str) -> bool:
    """Whether a message is always sent (decisions, links), whatever the person turned off."""
    return template not in NON_ESSENTIAL


def initial_status(template: str, *, opted_out: bool) -> str:
    """A new delivery's status: suppressed when it is non-essential and the person turned those
    off, else pending (the dispatcher sends it)."""
    return "suppressed" if opted_out and not is_essential(template) else "pending"


def language_of(person: _HasLanguage | None) -> str:
    """The language a person is written to in: theirs, English when they are not known yet."""
    return person.language if person is not None else "en"


class _HasLanguage(Protocol):
    @property
    def language(self) -> str: ...


def outcome_template(outcome: AssessmentOutcome, kind: DecisionKind) -> str | None:
    """The message for an assessment decision; None when it calls for none here (a dismissed
    appeal has its own message, with the reason: AppealDecided)."""
    if outcome is AssessmentOutcome.INELIGIBLE and kind is DecisionKind.APPEAL:
        return None
    return OUTCOME_TEMPLATES.get(outcome)


def appeal_template(upheld: bool) -> str:
    return "appeal_upheld" if upheld else "appeal_dismissed"


def answer_word(accepted: bool, language: str) -> str:
    """The candidate's answer as a council's message words it (English or Welsh)."""
    if language == "cy":
        return "derbyn" if accepted else "gwrthod"
    return "accepted" if accepted else "declined"


def in_uk_time(moment: datetime) -> datetime:
    return moment.astimezone(UK_TIME)


#: How long an interview lasts when its invitation does not say.
INTERVIEW_LENGTH = timedelta(hours=1)


def interview_end(starts_at: datetime, ends_at: datetime | None) -> datetime:
    """When an interview ends: as invited, or INTERVIEW_LENGTH after it starts."""
    return ends_at if ends_at is not None and ends_at > starts_at else starts_at + INTERVIEW_LENGTH


def interview_reminder_window(now: datetime) -> tuple[datetime, datetime]:
    """Interviews whose reminder is due now: those starting tomorrow, UK time (from the start of
    tomorrow to the start of the day after, as instants)."""
    today = now.astimezone(UK_TIME).date()
    start = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=UK_TIME)
    end = datetime.combine(today + timedelta(days=2), datetime.min.time(), tzinfo=UK_TIME)
    return start, end


def reminder_id(kind: str, subject_id: UUID) -> UUID:
    """The stable id a reminder's message is owed under (the same each time it is looked for)."""
    return uuid.uuid5(REMINDER_NAMESPACE, f"{kind}:{subject_id}")


def second_stage_window(now: datetime) -> tuple[date, date]:
    """Deadlines whose reminder is due now: from today to 48 hours ahead (inclusive)."""
    return now.date(), (now + SECOND_STAGE_NOTICE).date()


def message_recipients(candidate: R | None, council_people: Iterable[R]) -> list[R]:
    """The candidate and the council's people, one per address (a candidate who is also a
    recruiter of the council gets one message)."""
    return one_per_address([*([candidate] if candidate is not None else []), *council_people])
