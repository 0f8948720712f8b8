"""The pure rules of notifications (domain.py), no I/O: receipts, who may be written to, which
message, in which language, when a reminder is due. Unit tests, so the module's mutants run
without the shared fixtures (mutation.toml, notifications_recipients)."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from rtw_contracts import AssessmentOutcome, DecisionKind
from rtw_notifications.domain import (
    BadReceipt,
    Receipt,
    answer_word,
    appeal_template,
    in_uk_time,
    initial_status,
    is_essential,
    language_of,
    may_be_written_to,
    message_recipients,
    outcome_template,
    read_receipt,
    receipt_status,
    reminder_id,
    second_stage_window,
)

pytestmark = pytest.mark.unit


@dataclass(frozen=True)
class Person:
    email: str | None
    kind: str = "candidate"
    non_essential_opt_out: bool = False
    erased_at: object | None = None
    language: str = "en"
    id: UUID = field(default_factory=uuid4)


def test_a_receipt_of_notify_is_read_with_or_without_a_reference() -> None:
    assert read_receipt({"id": "n-1", "status": "delivered", "reference": "r-1"}) == Receipt(
        "n-1", "r-1", "delivered"
    )
    assert read_receipt({"id": "n-2", "status": "technical-failure"}) == Receipt(
        "n-2", None, "technical-failure"
    )


def test_a_receipt_once_read_is_not_changed() -> None:
    receipt = read_receipt({"id": "n-1", "status": "delivered"})
    with pytest.raises(FrozenInstanceError):
        receipt.status = "failed"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (["delivered"], "A delivery receipt is a JSON object."),
        (None, "A delivery receipt is a JSON object."),
        ({"status": "delivered"}, "The receipt has no notification id ('id')."),
        ({"id": "", "status": "delivered"}, "The receipt has no notification id ('id')."),
        ({"id": 7, "status": "delivered"}, "The receipt has no notification id ('id')."),
        ({"id": "x", "status": "lost"}, "Unknown receipt status 'lost'; expected one of delivered, "),
        ({"id": "x", "status": ["delivered"]}, "Unknown receipt status 'list'; expected one of "),
        ({"id": "x"}, "Unknown receipt status 'NoneType'"),
        ({"id": "x", "status": "delivered", "reference": 12}, "The receipt's 'reference' must be a string."),
    ],
)
def test_a_body_that_is_not_a_receipt_is_refused_with_what_is_wrong(body: Any, says: str) -> None:
    with pytest.raises(BadReceipt) as refused:
        read_receipt(body)
    assert refused.value.message.startswith(says), refused.value.message
    assert refused.value.status == 422


def test_each_receipt_status_becomes_the_deliverys() -> None:
    assert [
        receipt_status(s)
        for s in ("delivered", "permanent-failure", "temporary-failure", "technical-failure")
    ] == [
        "delivered",
        "bounced",
        "bounced",
        "failed",
    ]
    with pytest.raises(KeyError):
        receipt_status("sent")


def test_only_someone_with_an_address_not_erased_may_be_written_to() -> None:
    assert may_be_written_to(Person("a@example.org"))
    assert not may_be_written_to(None)
    assert not may_be_written_to(Person(None))
    assert not may_be_written_to(Person("a@example.org", erased_at=datetime(2026, 1, 1, tzinfo=UTC)))


def test_only_a_non_essential_message_to_someone_who_turned_those_off_is_suppressed() -> None:
    assert not is_essential("vacancy_alert")
    assert is_essential("selected")
    assert initial_status("vacancy_alert", opted_out=True) == "suppressed"
    assert initial_status("match_proposed", opted_out=False) == "pending"
    assert initial_status("selected", opted_out=True) == "pending"
    assert initial_status("selected", opted_out=False) == "pending"


def test_someone_is_written_to_in_their_language_and_in_english_before_they_are_known() -> None:
    assert language_of(Person("a@example.org", language="cy")) == "cy"
    assert language_of(None) == "en"


def test_each_outcome_has_its_message_and_a_dismissed_appeal_none_here() -> None:
    assert outcome_template(AssessmentOutcome.INELIGIBLE, DecisionKind.APPEAL) is None
    assert outcome_template(AssessmentOutcome.INELIGIBLE, DecisionKind.AUTOMATIC) == "not_eligible"
    assert outcome_template(AssessmentOutcome.SELECTED, DecisionKind.APPEAL) == "selected"
    assert outcome_template(AssessmentOutcome.REJECTED, DecisionKind.OVERRIDE) == "not_selected"
    assert appeal_template(True) == "appeal_upheld"
    assert appeal_template(False) == "appeal_dismissed"


def test_an_answer_is_worded_in_english_or_welsh() -> None:
    assert [answer_word(a, "en") for a in (True, False)] == ["accepted", "declined"]
    assert [answer_word(a, "cy") for a in (True, False)] == ["derbyn", "gwrthod"]


def test_a_time_is_told_in_uk_time() -> None:
    summer = in_uk_time(datetime(2026, 7, 1, 9, 0, tzinfo=UTC))
    assert (summer.hour, summer.utcoffset()) == (
        10,
        datetime(2026, 7, 1, 10, tzinfo=UTC) - datetime(2026, 7, 1, 9, tzinfo=UTC),
    )


def test_a_reminder_keeps_its_id_for_its_kind_and_subject() -> None:
    subject = uuid4()
    assert reminder_id("second_stage", subject) == reminder_id("second_stage", subject)
    assert reminder_id("second_stage", subject) != reminder_id("training_overdue", subject)
    assert reminder_id("second_stage", subject) != reminder_id("second_stage", uuid4())


@pytest.mark.parametrize(
    ("now", "last_day"),
    [
        # 48 hours ahead, not 47: half past midnight reaches the day after tomorrow only with all 48.
        (datetime(2026, 3, 2, 0, 30, tzinfo=UTC), date(2026, 3, 4)),
        # Not 49: half past eleven at night plus 49 hours is a day further.
        (datetime(2026, 3, 2, 23, 30, tzinfo=UTC), date(2026, 3, 4)),
    ],
)
def test_a_second_stage_reminder_is_due_from_today_to_48_hours_ahead(now: datetime, last_day: date) -> None:
    assert second_stage_window(now) == (date(2026, 3, 2), last_day)


def test_a_candidate_is_written_to_first_and_once_with_the_councils_people() -> None:
    candidate = Person("priya@example.org")
    recruiter = Person("PRIYA@example.org", kind="recruiter")
    contact = Person("hiring@council.gov.uk", kind="council")

    assert message_recipients(candidate, [contact]) == [candidate, contact]
    assert message_recipients(None, [contact, recruiter]) == [contact, recruiter]
    assert message_recipients(candidate, [recruiter, contact]) == [recruiter, contact]
