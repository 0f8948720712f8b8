"""One message per e-mail address: the de-duplication rule over the contact directory."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID, uuid4

import pytest
from rtw_notifications.domain import one_per_address

pytestmark = pytest.mark.unit


@dataclass(frozen=True)
class Person:
    email: str | None
    kind: str = "candidate"
    non_essential_opt_out: bool = False
    erased_at: object | None = None
    id: UUID = field(default_factory=uuid4)


def test_one_recipient_per_address_however_it_is_typed() -> None:
    contact = Person(" Hiring@Council.gov.uk ", kind="council")
    recruiter = Person("hiring@council.gov.uk", kind="recruiter")
    other = Person("someone@example.org")

    chosen = one_per_address([contact, other, recruiter])

    assert chosen == [recruiter, other]


def test_the_record_that_opted_out_stands_for_its_address() -> None:
    recruiter = Person("hiring@council.gov.uk", kind="recruiter")
    contact = Person("HIRING@council.gov.uk", kind="council", non_essential_opt_out=True)

    assert one_per_address([recruiter, contact]) == [contact]
    assert one_per_address([contact, recruiter]) == [contact]


def test_people_without_an_address_or_erased_are_left_out() -> None:
    kept = Person("kept@example.org")

    assert one_per_address([Person(None), Person("gone@example.org", erased_at=object()), kept]) == [kept]


def test_a_recruiter_stands_before_a_council_contact_before_anyone_else() -> None:
    # The ids would decide the other way (the lowest stands among equals): the kind must decide.
    someone = Person("hiring@council.gov.uk", kind="candidate", id=UUID(int=1))
    contact = Person("hiring@council.gov.uk", kind="council", id=UUID(int=2))
    recruiter = Person("hiring@council.gov.uk", kind="recruiter", id=UUID(int=3))

    assert one_per_address([someone, contact, recruiter]) == [recruiter]
    assert one_per_address([recruiter, contact, someone]) == [recruiter]
    assert one_per_address([someone, contact]) == [contact]
    assert one_per_address([contact, someone]) == [contact]
    assert one_per_address([someone, recruiter]) == [recruiter]


def test_among_equals_the_record_with_the_lowest_id_stands_whatever_the_order() -> None:
    first = Person("a@example.org", kind="council", id=UUID(int=1))
    second = Person("A@example.org", kind="council", id=UUID(int=2))

    assert one_per_address([first, second]) == [first]
    assert one_per_address([second, first]) == [first]
