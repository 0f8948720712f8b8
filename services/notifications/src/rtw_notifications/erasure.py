"""Erasure (docs/privacy.md): notifications forgets a candidate, and every message written to them."""

from __future__ import annotations

from rtw_contracts import CandidateErased
from rtw_platform.uow import UnitOfWork
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, or_, select

from .models import ApplicationNote, Delivery, Person, ReminderLog


async def forget_candidate(event: CandidateErased, uow: UnitOfWork) -> None:
    """Delete every message rendered for the person, sent or not (an unsent one is never sent),
    and the reminders noted for their applications; keep the person and their applications only
    as tombstones (ids, no address, name, language, preference, reference or dates), so that an
    event about them that arrives later writes them nothing and brings nothing back. Nothing
    here is counted by any report."""
    person = await uow.session.get(Person, event.candidate_id)
    if person is None:
        person = Person(id=event.candidate_id, kind="candidate", updated_at=event.erased_at)
    person.email = None
    person.name = None
    person.language = "en"
    person.non_essential_opt_out = False
    person.erased_at = person.erased_at or event.erased_at
    person.updated_at = event.erased_at
    uow.session.add(person)
    await uow.session.execute(delete(Delivery).where(col(Delivery.recipient_id) == event.candidate_id))
    notes = (
        await uow.session.exec(
            select(ApplicationNote).where(
                or_(
                    col(ApplicationNote.candidate_id) == event.candidate_id,
                    col(ApplicationNote.id).in_(event.application_ids),
                )
            )
        )
    ).all()
    known = {note.id for note in notes}
    for application_id in event.application_ids:
        if application_id not in known:
            # Not heard of yet (another queue is behind): the tombstone keeps it from being noted.
            await uow.session.execute(
                insert(ApplicationNote)
                .values(id=application_id, candidate_id=event.candidate_id, reference="", programme="")
                .on_conflict_do_nothing(index_elements=["id"])
            )
    for note in notes:
        note.reference = ""
        note.second_stage_deadline = None
        note.training_expected_end = None
        note.withdrawn = True  # no reminder is ever due for an erased application
        uow.session.add(note)
    await uow.session.execute(
        delete(ReminderLog).where(col(ReminderLog.subject_id).in_([*known, *event.application_ids]))
    )
