"""Interviews in notifications: the calendar invitation (RFC 5545) and its rules, who is written
to when a council proposes times, when an interview is booked (both, each with an invitation),
the day before it, and about an offer; and that an erased candidate's interviews are forgotten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from rtw_contracts import (
    CandidateErased,
    InterviewInvited,
    InterviewSlotsProposed,
    MatchResponse,
    OfferAnswered,
    OfferMade,
)
from rtw_contracts.examples import example
from rtw_notifications.calendar_invite import Invitation, escape_text, fold, ics, sequence_of, uid_of
from rtw_notifications.domain import interview_end, interview_reminder_window
from rtw_notifications.memory_store import InMemoryNotificationsStore
from rtw_notifications.use_cases import councils, erasure, reminders

from .test_notifications_use_cases import LINKS, Uow, council_with_vacancy, deliveries, fake, person

pytestmark = pytest.mark.unit

STARTS = datetime(2031, 6, 3, 13, 30, tzinfo=UTC)  # 14:30 in London (summer time)


def unfolded(calendar: str) -> list[str]:
    """The content lines of an iCalendar object, continuations joined."""
    return calendar.replace("\r\n ", "").split("\r\n")


def prop(calendar: str, name: str) -> str:
    [line] = [line for line in unfolded(calendar) if line.split(":", 1)[0].split(";")[0] == name]
    return line.split(":", 1)[1]


# ---------------------------------------------------------------------- the invitation's rules


def invitation(**changes: object) -> Invitation:
    values: dict[str, object] = {
        "match_id": UUID("6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"),
        "stage": 1,
        "starts_at": STARTS,
        "ends_at": STARTS + timedelta(minutes=45),
        "invited_at": datetime(2031, 5, 20, 9, tzinfo=UTC),
        "summary": "Interview: Data analyst (Powys)",
        "location": "Neuadd y Sir, Llandrindod; room 2, floor 1",
        "description": "https://rtw.example/matching/my/interest",
        "organizer": "no-reply@rtw.example",
        "attendee": "priya@example.org",
    }
    values.update(changes)
    return Invitation(**values)  # type: ignore[arg-type]


def test_an_invitation_is_a_request_in_utc_with_crlf_lines() -> None:
    calendar = ics(invitation())

    assert calendar.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert calendar.endswith("END:VCALENDAR\r\n")
    assert "\n" not in calendar.replace("\r\n", "")
    assert prop(calendar, "METHOD") == "REQUEST"
    assert prop(calendar, "DTSTART") == "20310603T133000Z"
    assert prop(calendar, "DTEND") == "20310603T141500Z"
    assert prop(calendar, "DTSTAMP") == "20310520T090000Z"
    assert prop(calendar, "LOCATION") == "Neuadd y Sir\\, Llandrindod\\; room 2\\, floor 1"
    assert prop(calendar, "ORGANIZER") == "mailto:no-reply@rtw.example"
    assert prop(calendar, "ATTENDEE") == "mailto:priya@example.org"


def test_the_uid_names_the_stage_of_the_match_and_a_later_invitation_has_a_higher_sequence() -> None:
    first = ics(invitation())
    moved = ics(
        invitation(invited_at=datetime(2031, 5, 21, 9, tzinfo=UTC), starts_at=STARTS + timedelta(days=1))
    )
    second_stage = ics(invitation(stage=2))

    assert prop(first, "UID") == prop(moved, "UID") == uid_of(invitation().match_id, 1)
    assert prop(second_stage, "UID") != prop(first, "UID")
    assert int(prop(moved, "SEQUENCE")) > int(prop(first, "SEQUENCE"))


def test_text_is_escaped_and_long_lines_fold_within_75_octets_without_splitting_a_letter() -> None:
    assert escape_text("a\\b;c,d\ne") == "a\\\\b\\;c\\,d\\ne"
    line = "LOCATION:" + "Ŵ" * 100
    folded = fold(line)
    assert all(len(part.encode("utf-8")) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line


def test_an_interview_without_an_end_lasts_an_hour() -> None:
    assert interview_end(STARTS, None) == STARTS + timedelta(hours=1)
    assert interview_end(STARTS, STARTS - timedelta(minutes=5)) == STARTS + timedelta(hours=1)
    assert interview_end(STARTS, STARTS) == STARTS + timedelta(hours=1)  # no zero-length entry
    assert interview_end(STARTS, STARTS + timedelta(minutes=30)) == STARTS + timedelta(minutes=30)


@pytest.mark.parametrize(
    ("now", "first", "last"),
    [
        # Late in the UK evening in summer (already the next day in UTC+1).
        (
            datetime(2031, 6, 2, 23, 30, tzinfo=UTC),
            datetime(2031, 6, 3, 23, tzinfo=UTC),
            datetime(2031, 6, 4, 23, tzinfo=UTC),
        ),
        (
            datetime(2031, 1, 9, 8, tzinfo=UTC),
            datetime(2031, 1, 10, tzinfo=UTC),
            datetime(2031, 1, 11, tzinfo=UTC),
        ),
    ],
)
def test_an_interview_reminder_is_due_for_interviews_tomorrow_in_uk_time(
    now: datetime, first: datetime, last: datetime
) -> None:
    assert interview_reminder_window(now) == (first, last)


# ---------------------------------------------------------------------- the use cases


def booked(council_id: UUID, vacancy_id: UUID, candidate_id: UUID, **changes: object) -> InterviewInvited:
    values: dict[str, object] = {
        "event_id": uuid4(),
        "interview_id": uuid4(),
        "council_id": council_id,
        "vacancy_id": vacancy_id,
        "candidate_id": candidate_id,
        "starts_at": STARTS,
        "ends_at": STARTS + timedelta(minutes=45),
        "place": "Neuadd y Sir, room 2",
    }
    return example(InterviewInvited, **{**values, **changes})


def world() -> tuple[Uow, UUID, UUID, UUID, UUID]:
    store = InMemoryNotificationsStore()
    recruiter = person("recruiter", "sam@powys.gov.uk", language="cy")
    council_id, vacancy_id = council_with_vacancy(store, recruiter)
    candidate = person("candidate", "priya@example.org")
    store.people.put(candidate.id, candidate)
    return fake(store), council_id, vacancy_id, candidate.id, recruiter.id


async def test_a_booked_interview_sends_both_a_calendar_invitation_and_notes_it_for_the_reminder() -> None:
    uow, council_id, vacancy_id, candidate_id, recruiter_id = world()
    event = booked(council_id, vacancy_id, candidate_id)

    async with uow:
        await councils.interview_invited(uow, event, LINKS)
        await uow.commit()

    sent = {d.recipient_id: d for d in deliveries(uow)}
    assert (sent[candidate_id].template, sent[recruiter_id].template) == (
        "interview_invited",
        "interview_booked",
    )
    assert "Cyfweliad" in (sent[recruiter_id].subject or "")  # the recruiter reads Welsh
    for recipient, delivery in sent.items():
        calendar = delivery.calendar
        assert calendar is not None
        assert prop(calendar, "UID") == uid_of(event.match_id, 1)
        assert prop(calendar, "DTSTART") == "20310603T133000Z"
        assert prop(calendar, "DTEND") == "20310603T141500Z"
        assert prop(calendar, "ATTENDEE") == f"mailto:{delivery.to_address}"
        assert prop(calendar, "ORGANIZER") == f"mailto:{LINKS.sender_address}"
        assert recipient in (candidate_id, recruiter_id)
    [note] = uow.store.interviews.rows()
    assert (note.match_id, note.starts_at, note.place) == (event.match_id, STARTS, "Neuadd y Sir, room 2")


async def test_the_day_before_both_are_reminded_once() -> None:
    uow, council_id, vacancy_id, candidate_id, _ = world()
    async with uow:
        await councils.interview_invited(uow, booked(council_id, vacancy_id, candidate_id), LINKS)
        await uow.commit()

    two_days_before = STARTS - timedelta(days=2)
    assert await reminders.send_due_reminders(uow, LINKS, two_days_before) == 0
    day_before = datetime(2031, 6, 2, 9, tzinfo=UTC)
    assert await reminders.send_due_reminders(uow, LINKS, day_before) == 1
    assert await reminders.send_due_reminders(uow, LINKS, day_before) == 0

    templates = sorted((d.recipient_id == candidate_id, d.template, d.essential) for d in deliveries(uow))
    assert templates == [
        (False, "interview_booked", True),
        (False, "interview_reminder_council", True),
        (True, "interview_invited", True),
        (True, "interview_reminder", True),
    ]
    [reminder] = [d for d in deliveries(uow) if d.template == "interview_reminder"]
    assert "14:30" in (reminder.body_text or "")


async def test_a_new_invitation_for_the_match_replaces_the_one_noted() -> None:
    uow, council_id, vacancy_id, candidate_id, _ = world()
    first = booked(council_id, vacancy_id, candidate_id)
    moved = booked(council_id, vacancy_id, candidate_id, starts_at=STARTS + timedelta(days=7), ends_at=None)
    async with uow:
        await councils.interview_invited(uow, first, LINKS)
        await councils.interview_invited(uow, moved, LINKS)
        await uow.commit()

    [note] = uow.store.interviews.rows()
    assert note.starts_at == STARTS + timedelta(days=7)
    calendar = next(d for d in deliveries(uow) if d.event_id == moved.event_id).calendar
    assert calendar is not None
    assert prop(calendar, "DTEND") == "20310610T143000Z"  # an hour, when the invitation says no end


async def test_proposed_times_an_offer_and_its_answer_each_tell_the_right_people() -> None:
    uow, council_id, vacancy_id, candidate_id, _ = world()
    ids = {"council_id": council_id, "vacancy_id": vacancy_id, "candidate_id": candidate_id}
    async with uow:
        await councils.interview_slots_proposed(
            uow, example(InterviewSlotsProposed, event_id=uuid4(), **ids), LINKS
        )
        await councils.offer_made(uow, example(OfferMade, event_id=uuid4(), **ids), LINKS)
        answer = example(OfferAnswered, event_id=uuid4(), response=MatchResponse.DECLINED, **ids)
        await councils.offer_answered(uow, answer, LINKS)
        await uow.commit()

    told = sorted((d.recipient_id == candidate_id, d.template) for d in deliveries(uow))
    assert told == [(False, "offer_answered"), (True, "interview_slots_proposed"), (True, "offer_made")]
    [answered] = [d for d in deliveries(uow) if d.template == "offer_answered"]
    assert "gwrthod" in (answered.body_text or "")  # declined, in the recruiter's Welsh
    assert all(d.calendar is None for d in deliveries(uow))


async def test_an_erased_candidates_interviews_are_forgotten_and_no_reminder_is_sent() -> None:
    uow, council_id, vacancy_id, candidate_id, _ = world()
    async with uow:
        await councils.interview_invited(uow, booked(council_id, vacancy_id, candidate_id), LINKS)
        await uow.commit()
    erased = example(CandidateErased, event_id=uuid4(), candidate_id=candidate_id, application_ids=[uuid4()])

    async with uow:
        await erasure.forget_candidate(uow, erased)
        await uow.commit()

    assert uow.store.interviews.rows() == []
    left = [d.recipient_id for d in deliveries(uow)]
    assert left  # the council's message stays
    assert candidate_id not in left
    before = len(deliveries(uow))
    assert await reminders.send_due_reminders(uow, LINKS, datetime(2031, 6, 2, 9, tzinfo=UTC)) == 0
    assert len(deliveries(uow)) == before


def test_the_calendar_sequence_stays_a_32_bit_integer_long_after_2038() -> None:
    assert sequence_of(datetime(2038, 1, 20, tzinfo=UTC)) < 2**31 - 1  # seconds since 1970 are not
    assert sequence_of(datetime(2090, 1, 1, tzinfo=UTC)) < 2**31 - 1
    assert sequence_of(datetime(2026, 12, 5, 10, 0, 1, tzinfo=UTC)) > sequence_of(
        datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    )
