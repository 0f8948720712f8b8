"""The training use cases on the testing kit's FakeUnitOfWork and the in-memory store: who is
enrolled and when an enrolment ends, what erasure forgets and keeps, who may see and record
what, when the certificate is issued, what is recommended; and nothing committed when a use case
refuses. No database (the store's SQL is tested with the service: the other test_training_*
modules)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest
from rtw_contracts import (
    ApplicationContactGiven,
    ApplicationWithdrawn,
    AssessmentScored,
    CandidateErased,
    Event,
    SelectionReopened,
    SkillGapIdentified,
    TrainingCompleted,
    TrainingEnrolled,
    TrainingModuleCompleted,
    TrainingProviderChanged,
)
from rtw_contracts.examples import example
from rtw_platform.auth import Principal, Role
from rtw_platform.errors import Conflict, Forbidden, Invalid, NotFound
from rtw_platform.testing.fake_uow import FakeUnitOfWork, NoSession
from rtw_training import domain
from rtw_training.certificates import CertificateSigner
from rtw_training.curricula import ICT, SOCIAL_WORK
from rtw_training.memory_store import InMemoryTrainingStore
from rtw_training.models import Enrolment, ModuleProgress, Provider
from rtw_training.store import work_of
from rtw_training.use_cases import (
    access,
    enrolment,
    erasure,
    lms,
    outcomes,
    progress,
    providers,
    recommendations,
    views,
)
from rtw_training.use_cases.progress import CpdIn, ModuleCompletion

pytestmark = pytest.mark.unit

Uow = FakeUnitOfWork[InMemoryTrainingStore]
E = TypeVar("E", bound=Event)
SIGNER = CertificateSigner.from_secret("unit tests of training's use cases")
ADMIN = Principal(subject="admin", role=Role.ADMIN)
COHORT = "ict-2026"


@dataclass(frozen=True)
class Someone:
    application_id: UUID
    candidate_id: UUID
    cohort_id: str = COHORT
    programme: str = "ict"


def fake(store: InMemoryTrainingStore | None = None) -> Uow:
    return FakeUnitOfWork(store or InMemoryTrainingStore())


def someone(programme: str = "ict", cohort_id: str = COHORT) -> Someone:
    return Someone(uuid4(), uuid4(), cohort_id, programme)


def about(person: Someone, kind: type[E], **values: Any) -> E:
    return example(
        kind,
        event_id=uuid4(),
        correlation_id=person.application_id,
        application_id=person.application_id,
        candidate_id=person.candidate_id,
        cohort_id=person.cohort_id,
        programme=person.programme,
        **values,
    )


def scored(
    person: Someone, outcome: str = "selected", sequence: int | None = 5, **values: Any
) -> AssessmentScored:
    return about(
        person,
        AssessmentScored,
        stage="final",
        outcome=outcome,
        sequence=sequence,
        **({"decided_at": datetime.now(UTC)} | values),
    )


async def handle(uow: Uow, use_case: Callable[[Uow, E], Awaitable[None]], event: E) -> None:
    """As the consumer runs a handler: the use case, then a commit."""
    async with uow:
        await use_case(uow, event)
        await uow.commit()


async def enrolled(uow: Uow, person: Someone | None = None) -> tuple[Someone, Enrolment]:
    person = person or someone()
    await handle(uow, enrolment.record_assessment, scored(person))
    found = await uow.store.enrolment_of_application(person.application_id)
    assert found is not None
    return person, found


def trainer_of(*cohorts: str, provider_id: str = "college") -> tuple[Provider, Principal]:
    provider = Provider(
        id=provider_id, name="A college", cohorts=list(cohorts), active=True, created_at=datetime.now(UTC)
    )
    return provider, Principal(subject="trainer@college", role=Role.TRAINER, provider_id=provider_id)


def published(uow: Uow, kind: type[E]) -> list[E]:
    return [e for e in uow.published if isinstance(e, kind)]


# --------------------------------------------------------------------------- enrolment


async def test_a_final_selection_enrols_once_and_announces_it() -> None:
    uow = fake()
    person, found = await enrolled(uow)
    await handle(uow, enrolment.record_assessment, scored(person))  # redelivered or repeated

    assert found.status == "enrolled"
    assert (found.curriculum_id, found.curriculum_version) == (ICT.id, ICT.version)
    [announced] = published(uow, TrainingEnrolled)
    assert announced.enrolment_id == found.id
    assert announced.sequence == 1
    assert announced.expected_end == domain.expected_end(found.enrolled_at, ICT)
    assert [m.module_id for m in announced.modules] == [m.id for m in ICT.modules]


async def test_an_outcome_other_than_selected_enrols_nobody() -> None:
    uow = fake()
    person = someone()
    await handle(uow, enrolment.record_assessment, scored(person, "waitlisted"))
    assert await uow.store.enrolment_of_application(person.application_id) is None
    assert not published(uow, TrainingEnrolled)


async def test_a_later_decision_withdraws_the_enrolment_and_an_older_one_changes_nothing() -> None:
    uow = fake()
    person, found = await enrolled(uow)
    await handle(uow, enrolment.record_assessment, scored(person, "waitlisted", sequence=4))  # stale
    assert found.status == "enrolled"

    await handle(uow, enrolment.record_assessment, scored(person, "waitlisted", sequence=6))
    assert found.status == "withdrawn"
    assert found.withdrawn_at is not None


async def test_selected_again_the_enrolment_restarts_and_is_announced_with_the_next_number() -> None:
    uow = fake()
    person, found = await enrolled(uow)
    await handle(uow, enrolment.record_assessment, scored(person, "waitlisted", sequence=6))
    await handle(uow, enrolment.record_assessment, scored(person, sequence=7))

    assert found.status == "enrolled"
    assert found.withdrawn_at is None
    assert [e.sequence for e in published(uow, TrainingEnrolled)] == [1, 2]


async def test_a_candidate_who_withdrew_is_not_enrolled_by_a_selection_that_arrives_later() -> None:
    uow = fake()
    person = someone()
    await handle(uow, enrolment.record_withdrawal, about(person, ApplicationWithdrawn))
    await handle(uow, enrolment.record_assessment, scored(person))

    assert await uow.store.enrolment_of_application(person.application_id) is None
    assert not published(uow, TrainingEnrolled)


async def test_a_reopened_selection_withdraws_an_enrolment_not_begun_and_keeps_one_under_way() -> None:
    uow = fake()
    (idle, idle_enrolment), (busy, busy_enrolment) = await enrolled(uow), await enrolled(uow)
    await uow.store.save_progress(
        ModuleProgress(
            enrolment_id=busy_enrolment.id, module_id=ICT.modules[0].id, status="started", source="provider"
        )
    )
    await uow.commit()
    now = datetime.now(UTC)
    for person in (idle, busy):
        reopened = about(
            person,
            SelectionReopened,
            sequence=6,
            selection_closed_at=now - timedelta(hours=1),
            reopened_at=now,
        )
        await handle(uow, enrolment.record_selection_reopened, reopened)

    assert idle_enrolment.status == "withdrawn"
    assert busy_enrolment.status == "enrolled"


# --------------------------------------------------------------------------- erasure


async def test_an_erasure_that_overtakes_the_application_keeps_the_candidate_out() -> None:
    uow = fake()
    person = someone()
    erased = example(
        CandidateErased,
        event_id=uuid4(),
        candidate_id=person.candidate_id,
        application_ids=[person.application_id],
        erased_at=datetime.now(UTC),
    )
    await handle(uow, erasure.erase_candidate, erased)
    await handle(uow, enrolment.remember_name, about(person, ApplicationContactGiven, given_name="Ada"))
    await handle(uow, enrolment.record_assessment, scored(person))

    learner = await uow.store.learner(person.application_id)
    assert learner is not None
    assert learner.given_name is None
    assert await uow.store.enrolment_of_application(person.application_id) is None


async def test_erasure_forgets_the_person_and_keeps_the_cohorts_counts() -> None:
    uow = fake()
    person, found = await enrolled(uow)
    await handle(uow, enrolment.remember_name, about(person, ApplicationContactGiven, given_name="Ada"))
    principal = Principal(subject=str(person.candidate_id), role=Role.CANDIDATE)
    entry = CpdIn(day=date(2026, 1, 5), days=1, kind=domain.CpdKind.STRUCTURED, description="A course")
    social_worker, sw_enrolment = await enrolled(uow, someone("social_work", "sw-2026"))
    before = await progress.cohort_counts(uow, COHORT, ADMIN)

    erased = example(
        CandidateErased,
        event_id=uuid4(),
        candidate_id=person.candidate_id,
        application_ids=[person.application_id],
        erased_at=datetime.now(UTC),
    )
    locks_before = len(uow.locks)
    await handle(uow, erasure.erase_candidate, erased)

    # Under the lock the other handlers take before reading the learner (none writes over it).
    assert uow.locks[locks_before:] == [f"training.learner:{person.application_id}"]
    assert await uow.store.enrolment(found.id) is None
    learner = await uow.store.learner(person.application_id)
    assert learner is not None
    assert learner.erased_at is not None
    assert learner.given_name is None
    assert await progress.cohort_counts(uow, COHORT, ADMIN) == before
    # What arrives later brings nothing back.
    await handle(uow, enrolment.remember_name, about(person, ApplicationContactGiven, given_name="Ada"))
    await handle(uow, enrolment.record_assessment, scored(person, sequence=9))
    assert learner.given_name is None
    assert await uow.store.enrolment_of_application(person.application_id) is None
    with pytest.raises(NotFound):
        await access.enrolment_for(uow, found.id, principal)
    # Someone else's training is untouched.
    sw_principal = Principal(subject=str(social_worker.candidate_id), role=Role.CANDIDATE)
    await progress.record_cpd(uow, sw_enrolment.id, entry, sw_principal, SIGNER)
    assert len(await uow.store.cpd_entries(sw_enrolment.id)) == 1


# --------------------------------------------------------------------------- who may see what


async def test_an_enrolment_is_seen_by_its_learner_its_cohorts_provider_and_admins_only() -> None:
    uow = fake()
    person, found = await enrolled(uow)
    ours, trainer = trainer_of(COHORT)
    theirs, other_trainer = trainer_of("sw-2026", provider_id="other")
    await uow.store.save_provider(ours)
    await uow.store.save_provider(theirs)
    await uow.commit()

    for allowed in (ADMIN, trainer, Principal(subject=str(person.candidate_id), role=Role.CANDIDATE)):
        assert (await access.enrolment_for(uow, found.id, allowed)).id == found.id
    for refused in (other_trainer, Principal(subject=str(uuid4()), role=Role.CANDIDATE)):
        with pytest.raises(NotFound):
            await access.enrolment_for(uow, found.id, refused)
    with pytest.raises(Forbidden):
        await access.enrolment_for(uow, found.id, Principal(subject="x", role=Role.RECRUITER))


async def test_a_retired_providers_trainers_see_nothing() -> None:
    uow = fake()
    _, found = await enrolled(uow)
    provider, trainer = trainer_of(COHORT)
    await providers.save_provider(uow, provider.id, provider.name, provider.cohorts)
    await providers.set_active(uow, provider.id, False)

    with pytest.raises(Forbidden):
        await access.enrolment_for(uow, found.id, trainer)
    assert [e.active for e in published(uow, TrainingProviderChanged)] == [True, False]


async def test_a_provider_id_is_registered_once() -> None:
    uow = fake()
    await providers.save_provider(uow, "college", "A college", [COHORT, COHORT, "sw-2026"], new=True)
    with pytest.raises(Conflict):
        await providers.save_provider(uow, "college", "Another", [], new=True)

    held = await providers.get_provider(uow, "college")
    assert (held.name, held.cohorts) == ("A college", [COHORT, "sw-2026"])
    assert len(published(uow, TrainingProviderChanged)) == 1


# --------------------------------------------------------------------------- progress and completion


async def complete_all(uow: Uow, found: Enrolment, principal: Principal = ADMIN) -> None:
    for module in ICT.required_modules:
        await progress.complete_module_for(
            uow, found.id, module.id, ModuleCompletion(hours=module.hours), principal, SIGNER
        )


async def test_the_last_required_module_completes_the_training_with_a_signed_certificate() -> None:
    uow = fake()
    person, found = await enrolled(uow)
    await handle(
        uow,
        enrolment.remember_name,
        about(person, ApplicationContactGiven, given_name="Ada", family_name="L"),
    )
    await complete_all(uow, found)

    assert found.status == "completed"
    [completed] = published(uow, TrainingCompleted)
    certificate = await uow.store.certificate(completed.certificate_id)
    assert certificate is not None
    assert certificate.facts["name"] == "Ada L"
    assert SIGNER.verify(certificate.facts, certificate.signature)
    done = [m.id for m in ICT.required_modules]
    assert completed.skills_gained == domain.skills_gained(ICT, done)
    numbers = [
        e.sequence for e in uow.published if isinstance(e, TrainingModuleCompleted | TrainingCompleted)
    ]
    assert numbers == list(range(2, 2 + len(done) + 1))  # after TrainingEnrolled's 1, one each


async def test_no_certificate_while_a_required_module_is_missing() -> None:
    uow = fake()
    _, found = await enrolled(uow)
    for module in ICT.required_modules[:-1]:
        await progress.complete_module_for(
            uow, found.id, module.id, ModuleCompletion(hours=module.hours), ADMIN, SIGNER
        )
    assert found.status == "enrolled"
    assert not published(uow, TrainingCompleted)


async def test_a_module_is_completed_once() -> None:
    uow = fake()
    _, found = await enrolled(uow)
    module = ICT.modules[0]
    await progress.complete_module_for(uow, found.id, module.id, ModuleCompletion(hours=3), ADMIN, SIGNER)
    with pytest.raises(Conflict):
        await progress.complete_module_for(uow, found.id, module.id, ModuleCompletion(hours=4), ADMIN, SIGNER)
    assert len(published(uow, TrainingModuleCompleted)) == 1
    held = await uow.store.progress(found.id, module.id)
    assert held is not None
    assert held.hours == 3


async def test_a_provider_of_another_cohort_records_nothing() -> None:
    uow = fake()
    _, found = await enrolled(uow)
    provider, trainer = trainer_of("sw-2026")
    await uow.store.save_provider(provider)
    await uow.commit()
    module = ICT.modules[0]
    with pytest.raises(NotFound):
        await progress.complete_module_for(
            uow, found.id, module.id, ModuleCompletion(hours=3), trainer, SIGNER
        )
    assert await uow.store.progress(found.id, module.id) is None


async def test_social_work_completes_only_with_its_cpd_met() -> None:
    uow = fake()
    person, found = await enrolled(uow, someone("social_work", "sw-2026"))
    for module in SOCIAL_WORK.required_modules:
        await progress.complete_module_for(
            uow, found.id, module.id, ModuleCompletion(hours=module.hours), ADMIN, SIGNER
        )
    assert found.status == "enrolled"  # modules done, CPD not yet

    principal = Principal(subject=str(person.candidate_id), role=Role.CANDIDATE)
    required = domain.required_cpd_days(SOCIAL_WORK.cpd, 0.0) if SOCIAL_WORK.cpd else 0
    day = date(2026, 1, 1)
    standing = None
    while standing is None or not standing.met:
        entry = CpdIn(day=day, days=5, kind=domain.CpdKind.STRUCTURED, description="Supervised practice")
        standing = await progress.record_cpd(uow, found.id, entry, principal, SIGNER)
        day += timedelta(days=7)
    assert standing.counted_days >= required
    assert found.status == "completed"
    assert len(published(uow, TrainingCompleted)) == 1


async def test_cpd_for_a_day_to_come_is_refused_and_nothing_is_kept() -> None:
    uow = fake()
    person, found = await enrolled(uow, someone("social_work", "sw-2026"))
    principal = Principal(subject=str(person.candidate_id), role=Role.CANDIDATE)
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    entry = CpdIn(day=tomorrow, days=1, kind=domain.CpdKind.STRUCTURED, description="A course")
    async with uow:
        with pytest.raises(Invalid):
            await progress.record_cpd(uow, found.id, entry, principal, SIGNER)
    assert await uow.store.cpd_entries(found.id) == []


async def test_a_completion_taken_back_and_recorded_again_is_announced_once() -> None:
    uow = fake()
    _, found = await enrolled(uow)
    module = ICT.modules[0]
    await progress.complete_module_for(uow, found.id, module.id, ModuleCompletion(hours=3), ADMIN, SIGNER)
    current = await outcomes.recorded_state(uow, found, module.id)
    corrected, problems = domain.correction_of(
        current, domain.NOT_COMPLETED, "", "Recorded for the wrong learner", enrolment_status=found.status
    )
    assert corrected is not None, problems
    await outcomes.correct(uow, found, module.id, corrected, "Recorded for the wrong learner", ADMIN)
    assert (await outcomes.recorded_state(uow, found, module.id)).status == domain.STARTED
    assert len(await outcomes.corrections_of(uow, found.id)) == 1

    await progress.complete_module_for(uow, found.id, module.id, ModuleCompletion(hours=5), ADMIN, SIGNER)
    assert len(published(uow, TrainingModuleCompleted)) == 1


async def test_the_grid_refuses_cells_of_a_learner_whose_training_ended_and_records_the_rest() -> None:
    uow = fake()
    (_, active), (gone, ended) = await enrolled(uow), await enrolled(uow)
    await handle(uow, enrolment.record_withdrawal, about(gone, ApplicationWithdrawn))
    provider, trainer = trainer_of(COHORT)
    await uow.store.save_provider(provider)
    await uow.commit()
    module = ICT.modules[0]
    rows = await outcomes.cohort_grid(uow, COHORT, trainer, to_record=True)
    fields = {
        outcomes.cell_name("outcome", active.id, module.id): "merit",
        outcomes.cell_name("outcome", ended.id, module.id): "passed",
    }
    changes, problems = outcomes.read_grid(rows, fields)
    assert list(problems) == [outcomes.cell_name("outcome", ended.id, module.id)]
    assert list(changes) == [active.id]

    done = await outcomes.record_grid(uow, rows, changes, SIGNER)
    assert done.recorded == 1
    held = await uow.store.progress(active.id, module.id)
    assert held is not None
    assert (held.result, held.hours) == ("merit", module.hours)


# --------------------------------------------------------------------------- LMS


async def test_an_lms_event_is_applied_only_when_signed_with_the_providers_secret() -> None:
    uow = fake()
    _, found = await enrolled(uow)
    provider, trainer = trainer_of(COHORT)
    provider.lms_secret = "a secret of sixteen or more"
    await uow.store.save_provider(provider)
    await uow.commit()
    await lms.link_learner(uow, provider.id, "42", found.id, trainer)
    await lms.link_module(uow, provider.id, "7", ICT.modules[0].id, trainer)
    body = (
        b'{"eventname": "\\\\core\\\\event\\\\course_module_completion_updated", "relateduserid": 42,'
        b' "contextinstanceid": 7, "other": {"completionstate": 1}}'
    )

    with pytest.raises(Forbidden):
        await lms.receive_lms_event(uow, provider.id, body, domain.lms_signature("wrong", body), SIGNER)
    assert await uow.store.progress(found.id, ICT.modules[0].id) is None

    signature = domain.lms_signature(provider.lms_secret, body)
    answer = await lms.receive_lms_event(uow, provider.id, body, signature, SIGNER)
    assert answer == {"status": "recorded", "modules_completed": [ICT.modules[0].id]}


# --------------------------------------------------------------------------- recommendations


async def test_recommendations_close_the_gaps_and_drop_modules_completed_since() -> None:
    uow = fake()
    person, found = await enrolled(uow)
    module = ICT.modules[0]
    skill = module.skills[0]
    gap = example(
        SkillGapIdentified,
        event_id=uuid4(),
        candidate_id=person.candidate_id,
        application_id=person.application_id,
        gaps=[{"skill": skill.skill, "required_level": int(skill.level)}],
    )
    await handle(uow, recommendations.recommend_for_gap, gap)
    [shown] = await recommendations.recommendations_for(uow, person.candidate_id)
    assert module.id in [m["module_id"] for m in shown["modules"]]

    await progress.complete_module_for(uow, found.id, module.id, ModuleCompletion(hours=3), ADMIN, SIGNER)
    [shown] = await recommendations.recommendations_for(uow, person.candidate_id)
    assert module.id not in [m["module_id"] for m in shown["modules"]]


async def test_a_candidates_training_is_theirs_and_admins_only() -> None:
    uow = fake()
    person, _ = await enrolled(uow)
    mine = Principal(subject=str(person.candidate_id), role=Role.CANDIDATE)
    shown = await views.candidate_training(uow, person.candidate_id, mine)
    assert len(shown["enrolments"]) == 1
    with pytest.raises(NotFound):
        await views.candidate_training(uow, person.candidate_id, Principal(str(uuid4()), Role.CANDIDATE))


def test_the_sql_store_is_not_reachable_under_the_fake() -> None:
    with pytest.raises(NoSession):
        work_of(fake())  # type: ignore[arg-type]


async def test_events_about_an_erased_learner_change_nothing_of_the_tombstone() -> None:
    uow = fake()
    person, _ = await enrolled(uow)
    erased = example(
        CandidateErased,
        event_id=uuid4(),
        candidate_id=person.candidate_id,
        application_ids=[person.application_id],
        erased_at=datetime.now(UTC),
    )
    await handle(uow, erasure.erase_candidate, erased)
    learner = await uow.store.learner(person.application_id)
    assert learner is not None
    tombstone = learner.model_dump()
    now = datetime.now(UTC)
    reopened = about(
        person, SelectionReopened, sequence=9, selection_closed_at=now - timedelta(hours=1), reopened_at=now
    )
    await handle(uow, enrolment.record_selection_reopened, reopened)
    await handle(uow, enrolment.record_assessment, scored(person, "waitlisted", sequence=10))

    assert learner.model_dump() == tombstone
    assert await uow.store.enrolment_of_application(person.application_id) is None


async def test_a_later_decision_leaves_a_withdrawal_as_it_was() -> None:
    uow = fake()
    person, found = await enrolled(uow)
    await handle(uow, enrolment.record_assessment, scored(person, "waitlisted", sequence=6))
    withdrawn_at = found.withdrawn_at
    assert withdrawn_at is not None
    later = scored(person, "rejected", sequence=7, decided_at=withdrawn_at + timedelta(days=3))
    await handle(uow, enrolment.record_assessment, later)

    assert found.status == "withdrawn"
    assert found.withdrawn_at == withdrawn_at


async def test_an_unsequenced_decision_is_applied_first_and_is_stale_after_a_numbered_one() -> None:
    uow = fake()
    person = someone()
    await handle(uow, enrolment.record_assessment, scored(person, sequence=None))
    found = await uow.store.enrolment_of_application(person.application_id)
    assert found is not None  # a decision without a number still counts (as number 0)

    await handle(uow, enrolment.record_assessment, scored(person, "selected", sequence=1))
    await handle(uow, enrolment.record_assessment, scored(person, "waitlisted", sequence=None))
    assert found.status == "enrolled"  # older than the numbered one


async def test_a_reopening_leaves_an_enrolment_made_before_that_selection_and_a_withdrawn_one_as_they_were() -> (
    None
):
    uow = fake()
    (earlier, kept), (gone, ended) = await enrolled(uow), await enrolled(uow)
    await handle(uow, enrolment.record_assessment, scored(gone, "waitlisted", sequence=6))
    withdrawn_at = ended.withdrawn_at
    now = datetime.now(UTC)
    # The reopened selection closed after the first enrolment was made: it did not make it.
    before = about(
        earlier,
        SelectionReopened,
        sequence=7,
        selection_closed_at=kept.enrolled_at + timedelta(hours=1),
        reopened_at=now + timedelta(hours=2),
    )
    await handle(uow, enrolment.record_selection_reopened, before)
    after = about(
        gone, SelectionReopened, sequence=7, selection_closed_at=now - timedelta(hours=1), reopened_at=now
    )
    await handle(uow, enrolment.record_selection_reopened, after)

    assert kept.status == "enrolled"
    assert (ended.status, ended.withdrawn_at) == ("withdrawn", withdrawn_at)
