"""Reminders owed when due: the second-stage deadline in 48 hours, training past its expected end,
an interview tomorrow (to the candidate and the council's people).
Each is recorded before it is owed, so it is never sent twice."""

from __future__ import annotations

from datetime import UTC, datetime

from ..domain import in_uk_time, interview_reminder_window, language_of, reminder_id, second_stage_window
from ..links import Links
from ..rendering import long_date
from .councils import known_vacancy
from .owing import NotificationsWork, council_people, owe


async def send_due_reminders(work: NotificationsWork, links: Links, now: datetime | None = None) -> int:
    """Owe every reminder that is due now; commits. Returns how many."""
    now = now or datetime.now(UTC)
    owed = 0
    first_day, last_day = second_stage_window(now)
    for note in await work.store.second_stage_due(first_day, last_day):
        if await work.store.record_reminder("second_stage_deadline", note.id, datetime.now(UTC)):
            person = await work.store.person(note.candidate_id)
            assert note.second_stage_deadline is not None
            await owe(
                work,
                links,
                reminder_id("second_stage_deadline", note.id),
                person,
                "second_stage_reminder",
                {
                    "reference": note.reference,
                    "application_id": str(note.id),
                    "deadline": long_date(note.second_stage_deadline, language_of(person)),
                },
            )
            owed += 1
    for note in await work.store.training_overdue(now.date()):
        if await work.store.record_reminder("training_overdue", note.id, datetime.now(UTC)):
            person = await work.store.person(note.candidate_id)
            assert note.training_expected_end is not None
            await owe(
                work,
                links,
                reminder_id("training_overdue", note.id),
                person,
                "training_overdue",
                {"expected_end": long_date(note.training_expected_end, language_of(person))},
            )
            owed += 1
    start, end = interview_reminder_window(now)
    for interview in await work.store.interviews_starting(start, end):
        if await work.store.record_reminder("interview_tomorrow", interview.interview_id, datetime.now(UTC)):
            vacancy, council = await known_vacancy(work, interview.vacancy_id)
            starts = in_uk_time(interview.starts_at)
            reminder = reminder_id("interview_tomorrow", interview.interview_id)
            values = {
                "vacancy": vacancy.title,
                "council": council.name,
                "time": f"{starts:%H:%M}",
                "place": interview.place,
            }
            candidate = await work.store.person(interview.candidate_id)
            await owe(work, links, reminder, candidate, "interview_reminder", values)
            for person in await council_people(work, interview.council_id):
                await owe(work, links, reminder, person, "interview_reminder_council", values)
            owed += 1
    await work.commit()
    return owed
