"""Erasure (docs/privacy.md): training forgets a candidate and keeps only anonymous counts."""

from __future__ import annotations

from rtw_contracts import CandidateErased

from ..models import Learner
from ..store import TrainingWork


async def erase_candidate(work: TrainingWork, event: CandidateErased) -> None:
    """Delete the person's enrolments with their progress (and its corrections), CPD, certificates,
    LMS links and recommendations, and their name; each enrolment is counted in its cohort's
    erased enrolments (by the status it had), so the cohort's counts stay as they were. The learner stays as a
    tombstone (ids and when erased, nothing else): events about the person that arrive later
    neither bring the name back nor enrol them."""
    store = work.store
    application_ids = sorted({*event.application_ids}, key=str)
    for application_id in application_ids:
        # The lock the other handlers take before reading a learner (see enrolment._learner_of).
        await work.lock(f"training.learner:{application_id}")
    learners = {
        learner.application_id: learner
        for learner in await store.learners_of(event.candidate_id, application_ids)
    }
    for application_id in application_ids:
        if application_id not in learners:
            # Nothing heard of this application yet: the tombstone refuses what arrives later.
            learners[application_id] = Learner(
                application_id=application_id, candidate_id=event.candidate_id, cohort_id="", programme=""
            )
    for learner in learners.values():
        learner.given_name = None
        learner.family_name = None
        learner.last_practised = None
        learner.erased_at = learner.erased_at or event.erased_at
        await store.save_learner(learner)
    enrolments = await store.enrolments_to_erase(event.candidate_id, application_ids)
    for enrolment in enrolments:
        await store.count_erased(enrolment.cohort_id, enrolment.status)
    await store.delete_records(event.candidate_id, [e.id for e in enrolments])
