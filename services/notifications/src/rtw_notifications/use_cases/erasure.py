"""Erasure (docs/privacy.md): notifications forgets a candidate, and every message written to them."""

from __future__ import annotations

from rtw_contracts import CandidateErased

from ..models import ApplicationNote, Person
from .owing import NotificationsWork


async def forget_candidate(work: NotificationsWork, event: CandidateErased) -> None:
    """Delete every message rendered for the person, sent or not (an unsent one is never sent),
    the reminders noted for their applications and the interviews noted for their reminders;
    keep the person and their applications only as tombstones (ids, no address, name, language,
    preference, reference or dates), so that an event about them that arrives later writes them
    nothing and brings nothing back. Nothing here is counted by any report."""
    store = work.store
    person = await store.person(event.candidate_id)
    if person is None:
        person = Person(id=event.candidate_id, kind="candidate", updated_at=event.erased_at)
    person.email = None
    person.name = None
    person.language = "en"
    person.non_essential_opt_out = False
    person.erased_at = person.erased_at or event.erased_at
    person.updated_at = event.erased_at
    await store.save_person(person)
    await store.delete_deliveries_to(event.candidate_id)
    notes = await store.notes_of(event.candidate_id, event.application_ids)
    known = {note.id for note in notes}
    for application_id in event.application_ids:
        if application_id not in known:
            # Not heard of yet (another queue is behind): the tombstone keeps it from being noted.
            await store.add_note_if_absent(
                ApplicationNote(
                    id=application_id, candidate_id=event.candidate_id, reference="", programme=""
                )
            )
    for note in notes:
        note.reference = ""
        note.second_stage_deadline = None
        note.training_expected_end = None
        note.withdrawn = True  # no reminder is ever due for an erased application
        await store.save_note(note)
    await store.delete_reminders_about([*known, *event.application_ids])
    await store.delete_interview_notes_of(event.candidate_id)
