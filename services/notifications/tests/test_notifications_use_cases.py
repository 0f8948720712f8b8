"""The notifications use cases on the testing kit's FakeUnitOfWork and the in-memory store: which
message each event owes, to whom, in which language; once per address; and nothing committed
when a use case fails. No database (the store's SQL is tested with the service: the other
test_notifications_* modules)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from rtw_contracts import (
    AppealDecided,
    ApplicationContactGiven,
    AssessmentOutcome,
    AssessmentScored,
    AssessorChanged,
    CandidateErased,
    CandidateHired,
    CouncilRegistered,
    DecisionKind,
    MatchProposed,
    MatchResponded,
    MatchResponse,
    RecruiterInvitedV2,
    VacancyPosted,
)
from rtw_contracts.examples import example
from rtw_notifications.domain import Receipt
from rtw_notifications.handlers import Handlers, Unbound
from rtw_notifications.links import Links
from rtw_notifications.memory_store import InMemoryNotificationsStore
from rtw_notifications.models import ApplicationNote, Council, Delivery, Person, Vacancy
from rtw_notifications.settings import NotificationsSettings
from rtw_notifications.store import ResendFilter
from rtw_notifications.use_cases import (
    candidates,
    councils,
    delivery_repair,
    erasure,
    people,
    reminders,
    staff,
)
from rtw_platform.auth import Principal, Role
from rtw_platform.consumer_failures import NotYetKnown
from rtw_platform.errors import Conflict, NotFound
from rtw_platform.testing.fake_uow import FakeUnitOfWork

pytestmark = pytest.mark.unit

PORTAL = "https://rtw.example.gov.uk"
LINKS = Links(
    NotificationsSettings(
        portal_url=PORTAL,
        token_secret="0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978",
        relay_enabled=False,
        dispatch_enabled=False,
    )
)
Uow = FakeUnitOfWork[InMemoryNotificationsStore]


def fake(store: InMemoryNotificationsStore | None = None) -> Uow:
    return FakeUnitOfWork(store or InMemoryNotificationsStore())


def deliveries(uow: Uow) -> list[Delivery]:
    return uow.store.deliveries.rows()


def contact_given(candidate_id: UUID, application_id: UUID, **values: Any) -> ApplicationContactGiven:
    return example(
        ApplicationContactGiven,
        event_id=uuid4(),
        candidate_id=candidate_id,
        application_id=application_id,
        **values,
    )


def person(kind: str, email: str | None, council_id: UUID | None = None, **values: Any) -> Person:
    return Person(
        id=values.pop("id", uuid4()),
        kind=kind,
        email=email,
        name=values.pop("name", "Sam"),
        council_id=council_id,
        updated_at=datetime.now(UTC),
        **values,
    )


def council_with_vacancy(store: InMemoryNotificationsStore, *people_: Person) -> tuple[UUID, UUID]:
    """A council with a vacancy and these people, already known (committed before the fake)."""
    council_id, vacancy_id = uuid4(), uuid4()
    registered = example(CouncilRegistered, council_id=council_id, name="Walsall")
    store.councils.put(council_id, Council(id=council_id, name=registered.name))
    store.vacancies.put(vacancy_id, Vacancy(id=vacancy_id, council_id=council_id, title="Data analyst"))
    for p in people_:
        p.council_id = council_id
        store.people.put(p.id, p)
    return council_id, vacancy_id


# ---------------------------------------------------------------------- candidates


async def test_a_contact_is_kept_and_the_application_confirmed_in_the_candidates_language() -> None:
    uow = fake()
    candidate_id, application_id = uuid4(), uuid4()
    event = contact_given(candidate_id, application_id, preferred_language="cy", given_name="Nia")

    async def handler(e: ApplicationContactGiven, work: Uow) -> None:
        await candidates.contact_given(work, e, LINKS)

    assert await uow.handle(handler, event)

    kept = uow.store.people.get(candidate_id)
    assert kept is not None
    assert (kept.kind, kept.name, kept.language) == ("candidate", "Nia", "cy")
    note = uow.store.notes.get(application_id)
    assert note is not None
    assert note.reference == event.reference
    [message] = deliveries(uow)
    assert (message.template, message.language, message.status, message.essential) == (
        "application_received",
        "cy",
        "pending",
        True,
    )
    assert message.to_address == str(event.email)
    assert f"{PORTAL}/applications/my/applications/{application_id}" in (message.body_text or "")
    assert uow.commits == 1
    assert uow.published == ()  # notifications tells people, not services


async def test_the_same_event_twice_owes_one_message() -> None:
    uow = fake()
    event = contact_given(uuid4(), uuid4())
    for _ in range(2):
        async with uow:
            await candidates.contact_given(uow, event, LINKS)
            await uow.commit()

    assert len(deliveries(uow)) == 1


async def test_each_decision_owes_its_own_message_and_a_dismissed_appeal_only_its_own() -> None:
    store = InMemoryNotificationsStore()
    candidate = person("candidate", "priya@example.org")
    application_id = uuid4()
    store.people.put(candidate.id, candidate)
    store.notes.put(
        application_id,
        ApplicationNote(
            id=application_id, candidate_id=candidate.id, reference="RTW-ICT-000001", programme="ict"
        ),
    )
    uow = fake(store)

    def scored(outcome: AssessmentOutcome, kind: DecisionKind = DecisionKind.AUTOMATIC) -> AssessmentScored:
        return example(
            AssessmentScored,
            event_id=uuid4(),
            application_id=application_id,
            candidate_id=candidate.id,
            outcome=outcome,
            decision_kind=kind,
        )

    async with uow:
        await candidates.assessment_scored(
            uow, scored(AssessmentOutcome.INELIGIBLE, DecisionKind.APPEAL), LINKS
        )
        assert deliveries(uow) == []
        await candidates.assessment_scored(uow, scored(AssessmentOutcome.SELECTED), LINKS)
        await candidates.appeal_decided(
            uow,
            example(
                AppealDecided,
                event_id=uuid4(),
                application_id=application_id,
                candidate_id=candidate.id,
                upheld=False,
            ),
            LINKS,
        )
        await uow.commit()

    assert [d.template for d in deliveries(uow)] == ["selected", "appeal_dismissed"]


async def test_a_decision_about_an_application_not_yet_heard_of_is_retried_and_commits_nothing() -> None:
    uow = fake()
    event = example(AssessmentScored, event_id=uuid4(), outcome=AssessmentOutcome.SELECTED)

    async def handler(e: AssessmentScored, work: Uow) -> None:
        await candidates.assessment_scored(work, e, LINKS)

    with pytest.raises(NotYetKnown):
        await uow.handle(handler, event)
    assert uow.inbox == set()  # the redelivery will run it again
    assert (uow.commits, uow.rollbacks) == (0, 1)


# ---------------------------------------------------------------------- one message per address


async def test_a_council_contact_who_is_also_its_recruiter_is_told_once() -> None:
    store = InMemoryNotificationsStore()
    contact = person("council", " Hiring@Walsall.gov.uk ", name="Contact")
    recruiter = person("recruiter", "hiring@walsall.gov.uk", name="Recruiter")
    colleague = person("recruiter", "alex@walsall.gov.uk", name="Alex")
    council_id, vacancy_id = council_with_vacancy(store, contact, recruiter, colleague)
    uow = fake(store)
    event = example(
        MatchResponded,
        event_id=uuid4(),
        council_id=council_id,
        vacancy_id=vacancy_id,
        response=MatchResponse.ACCEPTED,
    )

    async with uow:
        await councils.match_responded(uow, event, LINKS)
        await uow.commit()

    told = sorted(d.recipient_id for d in deliveries(uow))
    assert told == sorted([recruiter.id, colleague.id])  # the recruiter stands for the shared address


async def test_the_record_that_turned_off_alerts_stands_for_its_address_and_is_not_alerted() -> None:
    store = InMemoryNotificationsStore()
    contact = person("council", "hiring@walsall.gov.uk", non_essential_opt_out=True)
    recruiter = person("recruiter", "HIRING@walsall.gov.uk")
    council_id, vacancy_id = council_with_vacancy(store, contact, recruiter)
    application_id, candidate = uuid4(), person("candidate", "priya@example.org")
    store.people.put(candidate.id, candidate)
    store.notes.put(
        application_id,
        ApplicationNote(id=application_id, candidate_id=candidate.id, reference="R", programme="ict"),
    )
    uow = fake(store)
    event = example(
        MatchProposed,
        event_id=uuid4(),
        council_id=council_id,
        vacancy_id=vacancy_id,
        application_id=application_id,
        candidate_id=candidate.id,
    )

    async with uow:
        await councils.match_proposed(uow, event, LINKS)
        await uow.commit()

    statuses = {(d.recipient_id, d.template): d.status for d in deliveries(uow)}
    assert statuses == {
        (candidate.id, "vacancy_alert"): "pending",
        (contact.id, "match_proposed"): "suppressed",
    }


async def test_a_hire_tells_a_candidate_who_is_also_the_councils_recruiter_once() -> None:
    store = InMemoryNotificationsStore()
    recruiter = person("recruiter", "sam@walsall.gov.uk")
    council_id, vacancy_id = council_with_vacancy(store, recruiter)
    candidate = person("candidate", "Sam@Walsall.gov.uk", language="cy")
    store.people.put(candidate.id, candidate)
    uow = fake(store)
    event = example(
        CandidateHired,
        event_id=uuid4(),
        council_id=council_id,
        vacancy_id=vacancy_id,
        candidate_id=candidate.id,
    )

    async with uow:
        await councils.candidate_hired(uow, event, LINKS)
        await uow.commit()

    [message] = deliveries(uow)
    assert message.template == "hired"


async def test_a_councils_answer_is_worded_in_each_persons_language() -> None:
    store = InMemoryNotificationsStore()
    english = person("recruiter", "en@walsall.gov.uk", language="en")
    welsh = person("recruiter", "cy@walsall.gov.uk", language="cy")
    council_id, vacancy_id = council_with_vacancy(store, english, welsh)
    uow = fake(store)
    event = example(
        MatchResponded,
        event_id=uuid4(),
        council_id=council_id,
        vacancy_id=vacancy_id,
        response=MatchResponse.DECLINED,
    )

    async with uow:
        await councils.match_responded(uow, event, LINKS)
        await uow.commit()

    by_person = {d.recipient_id: d for d in deliveries(uow)}
    assert by_person[english.id].language == "en"
    assert "declined" in (by_person[english.id].body_text or "")
    assert by_person[welsh.id].language == "cy"
    assert "gwrthod" in (by_person[welsh.id].body_text or "")


# ---------------------------------------------------------------------- nothing committed on failure


class FailingSecondDelivery(InMemoryNotificationsStore):
    """A store whose second delivery of a transaction fails (the database went away)."""

    async def add_delivery_if_absent(self, delivery: Delivery) -> None:
        if len(self.deliveries) >= 1:
            raise ConnectionError("the database went away")
        await super().add_delivery_if_absent(delivery)


async def test_a_use_case_that_fails_half_way_leaves_nothing_behind() -> None:
    store = FailingSecondDelivery()
    first = person("recruiter", "one@walsall.gov.uk")
    second = person("recruiter", "two@walsall.gov.uk")
    council_id, vacancy_id = council_with_vacancy(store, first, second)
    uow = FakeUnitOfWork(store)
    event = example(
        MatchResponded,
        event_id=uuid4(),
        council_id=council_id,
        vacancy_id=vacancy_id,
        response=MatchResponse.ACCEPTED,
    )

    async def handler(e: MatchResponded, work: FakeUnitOfWork[FailingSecondDelivery]) -> None:
        await councils.match_responded(work, e, LINKS)

    with pytest.raises(ConnectionError):
        await uow.handle(handler, event)

    assert len(store.deliveries) == 0  # the first message, owed before the failure, is gone too
    assert uow.inbox == set()
    assert (uow.commits, uow.rollbacks) == (0, 1)


async def test_a_recruiter_invited_before_the_council_is_known_is_retried_with_nothing_kept() -> None:
    uow = fake()
    event = example(RecruiterInvitedV2, event_id=uuid4(), expires_at=datetime.now(UTC) + timedelta(hours=1))

    async def handler(e: RecruiterInvitedV2, work: Uow) -> None:
        await councils.recruiter_invited(work, e, LINKS)

    with pytest.raises(NotYetKnown):
        await uow.handle(handler, event)
    assert len(uow.store.people) == 0
    assert deliveries(uow) == []


# ---------------------------------------------------------------------- erasure, reminders, people


async def test_an_erased_candidate_is_forgotten_and_written_nothing_afterwards() -> None:
    uow = fake()
    candidate_id, application_id = uuid4(), uuid4()
    async with uow:
        await candidates.contact_given(uow, contact_given(candidate_id, application_id), LINKS)
        await uow.commit()
    assert len(deliveries(uow)) == 1

    erased_at = datetime.now(UTC)
    async with uow:
        await erasure.forget_candidate(
            uow,
            example(
                CandidateErased,
                event_id=uuid4(),
                candidate_id=candidate_id,
                application_ids=[application_id],
                erased_at=erased_at,
            ),
        )
        await candidates.contact_given(uow, contact_given(candidate_id, application_id), LINKS)
        await uow.commit()

    tombstone = uow.store.people.get(candidate_id)
    assert tombstone is not None
    assert (tombstone.email, tombstone.name, tombstone.erased_at) == (None, None, erased_at)
    assert deliveries(uow) == []
    note = uow.store.notes.get(application_id)
    assert note is not None
    assert (note.reference, note.withdrawn) == ("", True)


async def test_a_reminder_is_owed_once() -> None:
    store = InMemoryNotificationsStore()
    candidate = person("candidate", "priya@example.org")
    store.people.put(candidate.id, candidate)
    now = datetime(2026, 5, 1, 9, tzinfo=UTC)
    application_id = uuid4()
    store.notes.put(
        application_id,
        ApplicationNote(
            id=application_id,
            candidate_id=candidate.id,
            reference="R",
            programme="ict",
            second_stage_deadline=date(2026, 5, 3),
        ),
    )
    uow = fake(store)

    assert await reminders.send_due_reminders(uow, LINKS, now) == 1
    assert await reminders.send_due_reminders(uow, LINKS, now) == 0
    [message] = deliveries(uow)
    assert (message.template, message.essential) == ("second_stage_reminder", False)
    assert f"{PORTAL}/notifications/unsubscribe/{candidate.id}." in (message.body_text or "")


async def test_someone_elses_preferences_are_not_found_and_nothing_is_committed() -> None:
    store = InMemoryNotificationsStore()
    priya = person("candidate", "priya@example.org")
    store.people.put(priya.id, priya)
    uow = fake(store)
    stranger = Principal(subject=str(uuid4()), role=Role.CANDIDATE)

    with pytest.raises(NotFound):
        await people.set_preferences(uow, stranger, priya.id, non_essential=False)
    assert uow.commits == 0
    assert priya.non_essential_opt_out is False

    await people.set_preferences(
        uow, Principal(subject=str(priya.id), role=Role.CANDIDATE), priya.id, non_essential=False
    )
    assert uow.commits == 1
    kept = store.people.get(priya.id)
    assert kept is not None
    assert kept.non_essential_opt_out is True


async def test_a_bounce_receipt_marks_the_delivery_and_only_failed_ones_are_resent() -> None:
    store = InMemoryNotificationsStore()
    now = datetime.now(UTC)

    def delivery(status: str) -> Delivery:
        return Delivery(
            event_id=uuid4(),
            recipient_id=uuid4(),
            template="shortlisted",
            to_address="priya@example.org",
            status=status,
            created_at=now,
            provider_reference=f"notify-{status}",
        )

    sent, failed = delivery("sent"), delivery("failed")
    for d in (sent, failed):
        store.deliveries.put((d.event_id, d.recipient_id, d.template), d)
    uow = fake(store)

    assert await delivery_repair.record_receipt(uow, Receipt("notify-sent", None, "permanent-failure"))
    assert not await delivery_repair.record_receipt(uow, Receipt("someone-elses", None, "delivered"))
    assert await delivery_repair.resend(uow, ResendFilter(), dry_run=True) == 1
    assert await delivery_repair.resend(uow, ResendFilter()) == 1

    assert (sent.status, sent.last_error) == ("bounced", "GOV.UK Notify: permanent-failure")
    assert (failed.status, failed.attempts) == ("pending", 0)


async def test_a_vacancy_is_remembered_once_and_listed_handlers_do_not_run() -> None:
    uow = fake()
    event = example(VacancyPosted, event_id=uuid4())
    async with uow:
        await councils.vacancy_posted(uow, event)
        await councils.vacancy_posted(uow, example(VacancyPosted, event_id=uuid4(), title="Another title"))
        await uow.commit()
    vacancy = uow.store.vacancies.get(event.vacancy_id)
    assert vacancy is not None
    assert vacancy.title == event.title

    with pytest.raises(Unbound):
        _ = Handlers().links


def test_the_composition_root_binds_handlers_under_the_names_they_always_had() -> None:
    """A handler's name is the inbox key of the messages it handled: moving the code behind the
    handlers must not rename one (a redelivered message would be handled twice)."""
    from rtw_notifications.app import SERVICE

    names = [
        "contact_given",
        "application_submitted_v1",
        "sign_in_requested",
        "assessment_scored",
        "selection_reopened",
        "appeal_decided",
        "second_stage_submitted",
        "application_withdrawn",
        "candidate_erased",
        "training_enrolled",
        "training_completed",
        "council_registered",
        "council_claim_rejected",
        "recruiter_invited",
        "vacancy_posted",
        "match_proposed",
        "reach_out_sent",
        "match_responded",
        "interview_invited",
        "candidate_hired",
        "assessor_changed",
        "provider_changed",
        "interview_slots_proposed",
        "offer_made",
        "offer_answered",
    ]
    listed = [s.name for s in SERVICE.subscriptions]
    assert listed[: len(names)] == names
    bound = SERVICE.subscriptions_for(LINKS.settings)
    assert [s.name for s in bound] == listed
    handlers = getattr(bound[0].handler, "__self__", None)
    assert isinstance(handlers, Handlers)
    assert handlers.links.settings is LINKS.settings


# ---------------------------------------------------------------------- the staff directory


def assessor(active: bool, changed_at: datetime, name: str = "Ada Assessor") -> AssessorChanged:
    return example(
        AssessorChanged,
        event_id=uuid4(),
        assessor_id="ada",
        display_name=name,
        active=active,
        changed_at=changed_at,
    )


async def test_an_older_assessor_change_arriving_late_changes_nothing() -> None:
    uow = fake()
    now = datetime.now(UTC)
    async with uow:
        await staff.assessor_changed(uow, assessor(True, now, "Ada"))
        await staff.assessor_changed(uow, assessor(False, now - timedelta(minutes=1), "Old Ada"))
        await uow.commit()

    record = uow.store.staff_records.get(("assessor", "ada"))
    assert record is not None
    assert (record.name, record.active) == ("Ada", True)


async def test_a_retired_assessor_is_given_no_address_and_nothing_is_committed() -> None:
    store = InMemoryNotificationsStore()
    uow = fake(store)
    async with uow:
        await staff.assessor_changed(uow, assessor(False, datetime.now(UTC)))
        await uow.commit()
    admin = Principal(subject="sam.admin", role=Role.ADMIN)

    with pytest.raises(Conflict, match="retired"):
        await staff.give_address(
            uow,
            Role.ASSESSOR,
            email="ada@example.gov.uk",
            name="Ada",
            staff_id="ada",
            provider_id=None,
            admin=admin,
        )
    assert uow.locks == ["notifications.staff-directory"]  # changes to the directory run one at a time
    assert len(store.staff) == 0
    assert not await staff.request_link(uow, LINKS.settings, "ada@example.gov.uk")
    assert deliveries(uow) == []


async def test_an_active_assessor_asking_for_a_link_is_sent_one_at_the_address_given() -> None:
    store = InMemoryNotificationsStore()
    uow = fake(store)
    async with uow:
        await staff.assessor_changed(uow, assessor(True, datetime.now(UTC)))
        await uow.commit()
    admin = Principal(subject="sam.admin", role=Role.ADMIN)
    async with uow:
        await staff.give_address(
            uow,
            Role.ASSESSOR,
            email=" Ada@Example.gov.uk ",
            name="Ada",
            staff_id="ada",
            provider_id=None,
            admin=admin,
        )
        await uow.commit()

    assert await staff.request_link(uow, LINKS.settings, "ADA@example.gov.uk")
    [message] = deliveries(uow)
    assert (message.template, message.to_address, message.status) == (
        "staff_sign_in_link",
        "ada@example.gov.uk",
        "pending",
    )
    assert f"{PORTAL}/" in (message.body_text or "")
