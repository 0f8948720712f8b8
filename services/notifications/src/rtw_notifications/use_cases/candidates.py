"""Messages to candidates about their applications and training, one function per event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rtw_contracts import (
    AdjustmentDecided,
    AppealDecided,
    ApplicationContactGiven,
    ApplicationSubmitted,
    ApplicationWithdrawn,
    AssessmentOutcome,
    AssessmentScored,
    CandidateSignInRequestedV2,
    SecondStageSubmitted,
    SelectionReopened,
    TrainingCompleted,
    TrainingEnrolled,
)
from rtw_platform.consumer_failures import NotYetKnown
from rtw_platform.logging import get_logger
from rtw_platform.web.reasons import reason_texts

from ..domain import NO_DEADLINE_GIVEN, NO_REASON_GIVEN, appeal_template, language_of, outcome_template
from ..links import Links, link_expiry
from ..models import ApplicationNote
from ..rendering import long_date, programme_title, translated
from .owing import NotificationsWork, keep_contact, owe

log = get_logger(__name__)


async def known_note(work: NotificationsWork, application_id: Any) -> ApplicationNote:
    note = await work.store.note(application_id)
    if note is None:
        raise NotYetKnown(f"application {application_id} is not known yet")
    return note


async def application_submitted_v1(
    work: NotificationsWork, event: ApplicationSubmitted, links: Links
) -> None:
    """A version-1 submission still queued (or replayed) until v1 retires: handled as the
    contact details it carries."""
    _facts, contact = event.split()
    await contact_given(work, contact, links)


async def contact_given(work: NotificationsWork, event: ApplicationContactGiven, links: Links) -> None:
    """Keep the candidate's contact details; confirm the application."""
    person = await keep_contact(
        work,
        event.candidate_id,
        kind="candidate",
        email=str(event.email),
        name=event.given_name,
        language=event.preferred_language.value,
    )
    await work.store.add_note_if_absent(
        ApplicationNote(
            id=event.application_id,
            candidate_id=event.candidate_id,
            reference=event.reference,
            programme=event.programme.value,
        )
    )
    await owe(
        work,
        links,
        event.event_id,
        person,
        "application_received",
        {
            "reference": event.reference,
            "application_id": str(event.application_id),
            "programme_title": programme_title(event.programme.value, person.language),
        },
    )


async def sign_in_requested(work: NotificationsWork, event: CandidateSignInRequestedV2, links: Links) -> None:
    """Make the candidate's single-use sign-in link and e-mail it (none once it would have
    expired)."""
    now = datetime.now(UTC)
    expires = link_expiry(event.expires_at, now)
    if expires is None:
        log.info("sign_in_link_expired_unsent", candidate_id=str(event.candidate_id))
        return
    person = await keep_contact(
        work,
        event.candidate_id,
        kind="candidate",
        email=str(event.email),
        name=event.given_name,
        language=event.preferred_language.value,
    )
    link = links.candidate_sign_in(event.candidate_id, expires, now, event.next_page)
    await owe(
        work,
        links,
        event.event_id,
        person,
        "sign_in_link",
        {"link": link, "expires": f"{expires:%H:%M} UTC, {long_date(expires, person.language)}"},
    )


async def assessment_scored(work: NotificationsWork, event: AssessmentScored, links: Links) -> None:
    """Tell the candidate a decision."""
    template = outcome_template(event.outcome, event.decision_kind)
    if template is None:
        return
    note = await known_note(work, event.application_id)
    person = await work.store.person(event.candidate_id)
    language = language_of(person)
    values: dict[str, Any] = {
        "reference": note.reference,
        "application_id": str(event.application_id),
        "programme_title": programme_title(event.programme.value, language),
    }
    if event.outcome is AssessmentOutcome.INELIGIBLE:
        values["reasons"] = reason_texts(event.reasons, language) or [translated(NO_REASON_GIVEN, language)]
        last_day = event.next_step_deadline
        values["appeal_by"] = long_date(last_day, language) if last_day else None
    if event.outcome is AssessmentOutcome.SHORTLISTED:
        deadline = event.next_step_deadline
        note.second_stage_deadline = deadline
        await work.store.save_note(note)
        values["deadline"] = (
            long_date(deadline, language) if deadline else translated(NO_DEADLINE_GIVEN, language)
        )
    await owe(work, links, event.event_id, person, template, values)


async def selection_reopened(work: NotificationsWork, event: SelectionReopened, links: Links) -> None:
    """Tell the candidate their selection decision is being looked at again (one e-mail per
    reopening: the new decision follows as an AssessmentScored of its own)."""
    note = await known_note(work, event.application_id)
    person = await work.store.person(event.candidate_id)
    await owe(
        work,
        links,
        event.event_id,
        person,
        "selection_reopened",
        {
            "reference": note.reference,
            "application_id": str(event.application_id),
            "programme_title": programme_title(event.programme.value, language_of(person)),
        },
    )


async def appeal_decided(work: NotificationsWork, event: AppealDecided, links: Links) -> None:
    """Tell the candidate whether their appeal was upheld, and why."""
    note = await known_note(work, event.application_id)
    person = await work.store.person(event.candidate_id)
    await owe(
        work,
        links,
        event.event_id,
        person,
        appeal_template(event.upheld),
        {
            "reference": note.reference,
            "application_id": str(event.application_id),
            "programme_title": programme_title(event.programme.value, language_of(person)),
            "reason": event.reason,
        },
    )


async def _mark_and_confirm(
    work: NotificationsWork,
    links: Links,
    event: SecondStageSubmitted | ApplicationWithdrawn,
    flag: str,
    template: str,
) -> None:
    """Set `flag` on the application's note (what stops its reminders) and owe the candidate the
    confirming e-mail; nothing when the application is not known here."""
    note = await work.store.note(event.application_id)
    if note is not None:
        setattr(note, flag, True)
        await work.store.save_note(note)
        person = await work.store.person(event.candidate_id)
        await owe(work, links, event.event_id, person, template, {"reference": note.reference})


async def second_stage_submitted(work: NotificationsWork, event: SecondStageSubmitted, links: Links) -> None:
    """Confirm the second stage (and stop its reminder)."""
    await _mark_and_confirm(work, links, event, "second_stage_submitted", "second_stage_received")


async def adjustment_decided(work: NotificationsWork, event: AdjustmentDecided, links: Links) -> None:
    """Tell the candidate their request for adjustments was decided, agreed or not: the e-mail
    links to the decision on their page and never says what was asked (it may reveal a
    disability)."""
    note = await known_note(work, event.application_id)
    person = await work.store.person(event.candidate_id)
    values = {
        "reference": note.reference,
        "application_id": str(event.application_id),
        "agreed": event.agreed,
    }
    await owe(work, links, event.event_id, person, "adjustment_decided", values)


async def application_withdrawn(work: NotificationsWork, event: ApplicationWithdrawn, links: Links) -> None:
    """Confirm a withdrawal."""
    await _mark_and_confirm(work, links, event, "withdrawn", "application_withdrawn")


async def training_enrolled(work: NotificationsWork, event: TrainingEnrolled, links: Links) -> None:
    """Training starts."""
    note = await known_note(work, event.application_id)
    note.training_expected_end = event.expected_end
    await work.store.save_note(note)
    person = await work.store.person(event.candidate_id)
    await owe(
        work,
        links,
        event.event_id,
        person,
        "training_enrolled",
        {
            "curriculum": programme_title(event.programme.value, language_of(person)),
            "modules": [m.title for m in event.modules],
        },
    )


async def training_completed(work: NotificationsWork, event: TrainingCompleted, links: Links) -> None:
    """The certificate is ready."""
    note = await known_note(work, event.application_id)
    note.training_completed = True
    await work.store.save_note(note)
    person = await work.store.person(event.candidate_id)
    url = links.certificate_url(event.certificate_id)
    await owe(work, links, event.event_id, person, "certificate_issued", {"certificate_url": url})
