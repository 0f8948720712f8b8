"""Which messages each event calls for: the contact directory is kept up to date, and each message
owed is rendered and recorded once per (event, recipient, template). Sending is the dispatcher's."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from rtw_contracts import (
    AppealDecided,
    ApplicationContactGiven,
    ApplicationSubmitted,
    ApplicationWithdrawn,
    AssessmentOutcome,
    AssessmentScored,
    CandidateErased,
    CandidateHired,
    CandidateSignInRequestedV2,
    CouncilClaimRejected,
    CouncilRegistered,
    DecisionKind,
    InterviewInvited,
    MatchProposed,
    MatchResponded,
    MatchResponse,
    ReachOutSent,
    RecruiterInvitedV2,
    SecondStageSubmitted,
    SelectionReopened,
    TrainingCompleted,
    TrainingEnrolled,
    VacancyPosted,
)
from rtw_platform.logging import get_logger
from rtw_platform.tracing import current_traceparent
from rtw_platform.uow import UnitOfWork
from rtw_platform.web.reasons import reason_texts
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select

from .domain import one_per_address
from .erasure import forget_candidate
from .links import candidate_sign_in_link, link_expiry, recruiter_sign_in_link
from .models import ApplicationNote, Council, Delivery, Person, Vacancy
from .rendering import long_date, programme_title, render
from .settings import NotificationsSettings

log = get_logger(__name__)

UK_TIME = ZoneInfo("Europe/London")

#: Templates people can opt out of; every other message is essential (decisions, links).
NON_ESSENTIAL = frozenset({"vacancy_alert", "match_proposed", "second_stage_reminder", "training_overdue"})

OUTCOME_TEMPLATES = {
    AssessmentOutcome.INELIGIBLE: "not_eligible",
    AssessmentOutcome.SHORTLISTED: "shortlisted",
    AssessmentOutcome.NOT_SHORTLISTED: "not_shortlisted",
    AssessmentOutcome.SELECTED: "selected",
    AssessmentOutcome.WAITLISTED: "waitlisted",
    AssessmentOutcome.REJECTED: "not_selected",
}


class Notices:
    """Event handlers, bound to the settings that word the links."""

    def __init__(self, settings: NotificationsSettings) -> None:
        self.settings = settings

    # ------------------------------------------------------------------ helpers

    def unsubscribe_url(self, person_id: UUID) -> str:
        """A link that turns off non-essential messages for this person."""
        token = unsubscribe_token(self.settings, person_id)
        return f"{self.settings.portal_url.rstrip('/')}/notifications/unsubscribe/{token}"

    async def owe(
        self, uow: UnitOfWork, event_id: UUID, person: Person | None, template: str, values: dict[str, Any]
    ) -> None:
        """Render and record a message (once); suppressed if the person opted out of its kind."""
        if person is None or person.email is None or person.erased_at is not None:
            return
        essential = template not in NON_ESSENTIAL
        rendered = render(
            template,
            person.language,
            {
                "name": person.name or "",
                "portal_url": self.settings.portal_url.rstrip("/"),
                "unsubscribe_url": self.unsubscribe_url(person.id),
                **values,
            },
        )
        suppressed = not essential and person.non_essential_opt_out
        now = datetime.now(UTC)
        await uow.session.execute(
            insert(Delivery)
            .values(
                event_id=event_id,
                recipient_id=person.id,
                template=template,
                essential=essential,
                language=person.language,
                to_address=person.email,
                subject=rendered.subject,
                body_text=rendered.text,
                body_html=rendered.html,
                status="suppressed" if suppressed else "pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                traceparent=current_traceparent(),
            )
            .on_conflict_do_nothing(index_elements=["event_id", "recipient_id", "template"])
        )

    async def _person(self, uow: UnitOfWork, person_id: UUID) -> Person | None:
        return await uow.session.get(Person, person_id)

    async def _upsert_person(self, uow: UnitOfWork, person_id: UUID, **values: Any) -> Person:
        person = await uow.session.get(Person, person_id)
        if person is None:
            person = Person(id=person_id, updated_at=datetime.now(UTC), **values)
        elif person.erased_at is None:
            for key, value in values.items():
                setattr(person, key, value)
            person.updated_at = datetime.now(UTC)
        uow.session.add(person)
        await uow.session.flush()
        return person

    async def _note(self, uow: UnitOfWork, application_id: UUID) -> ApplicationNote | None:
        return await uow.session.get(ApplicationNote, application_id)

    async def _known_note(self, uow: UnitOfWork, application_id: UUID) -> ApplicationNote:
        note = await self._note(uow, application_id)
        if note is None:
            # The application's own event has not been handled yet (another queue): retry shortly.
            raise LookupError(f"application {application_id} is not known yet")
        return note

    async def _council_people(self, uow: UnitOfWork, council_id: UUID) -> list[Person]:
        """The council's contact and recruiters, one per address (the contact is also its first
        recruiter: one person, one message)."""
        rows = await uow.session.exec(
            select(Person).where(Person.council_id == council_id).order_by(col(Person.id))
        )
        return one_per_address(rows.all())

    async def _vacancy(self, uow: UnitOfWork, vacancy_id: UUID) -> tuple[Vacancy, Council]:
        vacancy = await uow.session.get(Vacancy, vacancy_id)
        council = await uow.session.get(Council, vacancy.council_id) if vacancy else None
        if vacancy is None or council is None:
            # The vacancy's own event has not been handled yet: retry shortly.
            raise LookupError(f"vacancy {vacancy_id} is not known yet")
        return vacancy, council

    # ------------------------------------------------------------------ candidates

    async def application_submitted_v1(self, event: ApplicationSubmitted, uow: UnitOfWork) -> None:
        """A version-1 submission still queued (or replayed) until v1 retires: handled as the
        contact details it carries."""
        _facts, contact = event.split()
        await self.contact_given(contact, uow)

    async def contact_given(self, event: ApplicationContactGiven, uow: UnitOfWork) -> None:
        """Keep the candidate's contact details; confirm the application."""
        person = await self._upsert_person(
            uow,
            event.candidate_id,
            kind="candidate",
            email=str(event.email),
            name=event.given_name,
            language=event.preferred_language.value,
        )
        await uow.session.execute(
            insert(ApplicationNote)
            .values(
                id=event.application_id,
                candidate_id=event.candidate_id,
                reference=event.reference,
                programme=event.programme.value,
            )
            .on_conflict_do_nothing(index_elements=["id"])
        )
        await self.owe(
            uow,
            event.event_id,
            person,
            "application_received",
            {
                "reference": event.reference,
                "application_id": str(event.application_id),
                "programme_title": programme_title(event.programme.value, person.language),
            },
        )

    async def sign_in_requested(self, event: CandidateSignInRequestedV2, uow: UnitOfWork) -> None:
        """Make the candidate's single-use sign-in link and e-mail it (none once it would have
        expired)."""
        now = datetime.now(UTC)
        expires = link_expiry(event.expires_at, now)
        if expires is None:
            log.info("sign_in_link_expired_unsent", candidate_id=str(event.candidate_id))
            return
        person = await self._upsert_person(
            uow,
            event.candidate_id,
            kind="candidate",
            email=str(event.email),
            name=event.given_name,
            language=event.preferred_language.value,
        )
        link = candidate_sign_in_link(self.settings, event.candidate_id, expires, now, event.next_page)
        await self.owe(
            uow,
            event.event_id,
            person,
            "sign_in_link",
            {"link": link, "expires": f"{expires:%H:%M} UTC, {long_date(expires, person.language)}"},
        )

    async def assessment_scored(self, event: AssessmentScored, uow: UnitOfWork) -> None:
        """Tell the candidate a decision."""
        template = OUTCOME_TEMPLATES.get(event.outcome)
        if template is None:
            return
        if event.outcome is AssessmentOutcome.INELIGIBLE and event.decision_kind is DecisionKind.APPEAL:
            return  # a dismissed appeal: its own message says so (appeal_decided), with the reason
        note = await self._known_note(uow, event.application_id)
        person = await self._person(uow, event.candidate_id)
        language = person.language if person else "en"
        values: dict[str, Any] = {
            "reference": note.reference,
            "application_id": str(event.application_id),
            "programme_title": programme_title(event.programme.value, language),
        }
        if event.outcome is AssessmentOutcome.INELIGIBLE:
            values["reasons"] = reason_texts(event.reasons, language) or [
                "The application does not meet the criteria."
            ]
            last_day = event.next_step_deadline
            values["appeal_by"] = long_date(last_day, language) if last_day else None
        if event.outcome is AssessmentOutcome.SHORTLISTED:
            deadline = event.next_step_deadline
            note.second_stage_deadline = deadline
            uow.session.add(note)
            values["deadline"] = (
                long_date(deadline, language) if deadline else "the date on your application page"
            )
        await self.owe(uow, event.event_id, person, template, values)

    async def selection_reopened(self, event: SelectionReopened, uow: UnitOfWork) -> None:
        """Tell the candidate their selection decision is being looked at again (one e-mail per
        reopening: the new decision follows as an AssessmentScored of its own)."""
        note = await self._known_note(uow, event.application_id)
        person = await self._person(uow, event.candidate_id)
        language = person.language if person else "en"
        await self.owe(
            uow,
            event.event_id,
            person,
            "selection_reopened",
            {
                "reference": note.reference,
                "application_id": str(event.application_id),
                "programme_title": programme_title(event.programme.value, language),
            },
        )

    async def appeal_decided(self, event: AppealDecided, uow: UnitOfWork) -> None:
        """Tell the candidate whether their appeal was upheld, and why."""
        note = await self._known_note(uow, event.application_id)
        person = await self._person(uow, event.candidate_id)
        language = person.language if person else "en"
        await self.owe(
            uow,
            event.event_id,
            person,
            "appeal_upheld" if event.upheld else "appeal_dismissed",
            {
                "reference": note.reference,
                "application_id": str(event.application_id),
                "programme_title": programme_title(event.programme.value, language),
                "reason": event.reason,
            },
        )

    async def second_stage_submitted(self, event: SecondStageSubmitted, uow: UnitOfWork) -> None:
        """Confirm the second stage (and stop its reminder)."""
        note = await self._note(uow, event.application_id)
        if note is not None:
            note.second_stage_submitted = True
            uow.session.add(note)
            person = await self._person(uow, event.candidate_id)
            await self.owe(
                uow, event.event_id, person, "second_stage_received", {"reference": note.reference}
            )

    async def application_withdrawn(self, event: ApplicationWithdrawn, uow: UnitOfWork) -> None:
        """Confirm a withdrawal."""
        note = await self._note(uow, event.application_id)
        if note is not None:
            note.withdrawn = True
            uow.session.add(note)
            person = await self._person(uow, event.candidate_id)
            await self.owe(
                uow, event.event_id, person, "application_withdrawn", {"reference": note.reference}
            )

    async def candidate_erased(self, event: CandidateErased, uow: UnitOfWork) -> None:
        """Forget the person and every message written to them (see erasure.py)."""
        await forget_candidate(event, uow)

    async def training_enrolled(self, event: TrainingEnrolled, uow: UnitOfWork) -> None:
        """Training starts."""
        note = await self._known_note(uow, event.application_id)
        note.training_expected_end = event.expected_end
        uow.session.add(note)
        person = await self._person(uow, event.candidate_id)
        language = person.language if person else "en"
        await self.owe(
            uow,
            event.event_id,
            person,
            "training_enrolled",
            {
                "curriculum": programme_title(event.programme.value, language),
                "modules": [m.title for m in event.modules],
            },
        )

    async def training_completed(self, event: TrainingCompleted, uow: UnitOfWork) -> None:
        """The certificate is ready."""
        note = await self._known_note(uow, event.application_id)
        note.training_completed = True
        uow.session.add(note)
        person = await self._person(uow, event.candidate_id)
        url = f"{self.settings.portal_url.rstrip('/')}/training/certificates/{event.certificate_id}"
        await self.owe(uow, event.event_id, person, "certificate_issued", {"certificate_url": url})

    # ------------------------------------------------------------------ councils

    async def council_registered(self, event: CouncilRegistered, uow: UnitOfWork) -> None:
        """Welcome a council."""
        await uow.session.execute(
            insert(Council)
            .values(id=event.council_id, name=event.name)
            .on_conflict_do_nothing(index_elements=["id"])
        )
        person = await self._upsert_person(
            uow,
            event.council_id,
            kind="council",
            email=str(event.contact_email),
            name=event.contact_name,
            council_id=event.council_id,
        )
        await self.owe(uow, event.event_id, person, "council_registered", {"council": event.name})

    async def council_claim_rejected(self, event: CouncilClaimRejected, uow: UnitOfWork) -> None:
        """Tell someone who signed a council up that the programme team did not approve it. They
        are nobody of the council's (no council_id): council messages never reach them."""
        person = await self._upsert_person(
            uow, event.claim_id, kind="claimant", email=str(event.contact_email), name=event.contact_name
        )
        await self.owe(
            uow,
            event.event_id,
            person,
            "council_claim_rejected",
            {"council": event.name, "reason": event.reason},
        )

    async def recruiter_invited(self, event: RecruiterInvitedV2, uow: UnitOfWork) -> None:
        """Make a recruiter's single-use sign-in link for their council and e-mail it (none once
        it would have expired)."""
        council = await uow.session.get(Council, event.council_id)
        if council is None:
            raise LookupError(f"council {event.council_id} is not known yet")
        now = datetime.now(UTC)
        expires = link_expiry(event.expires_at, now)
        if expires is None:
            log.info("sign_in_link_expired_unsent", recruiter_id=str(event.recruiter_id))
            return
        person = await self._upsert_person(
            uow,
            event.recruiter_id,
            kind="recruiter",
            email=str(event.email),
            name=event.name,
            council_id=event.council_id,
        )
        link = recruiter_sign_in_link(self.settings, event.recruiter_id, event.council_id, expires, now)
        await self.owe(
            uow, event.event_id, person, "recruiter_invited", {"council": council.name, "link": link}
        )

    async def vacancy_posted(self, event: VacancyPosted, uow: UnitOfWork) -> None:
        """Remember the vacancy's title."""
        await uow.session.execute(
            insert(Vacancy)
            .values(id=event.vacancy_id, council_id=event.council_id, title=event.title)
            .on_conflict_do_nothing(index_elements=["id"])
        )

    async def match_proposed(self, event: MatchProposed, uow: UnitOfWork) -> None:
        """Alert the candidate and tell the council (both can opt out)."""
        await self._known_note(uow, event.application_id)
        vacancy, council = await self._vacancy(uow, event.vacancy_id)
        values = {
            "vacancy": vacancy.title,
            "council": council.name,
            "score": f"{event.score:.0f}",
            "vacancy_id": str(vacancy.id),
        }
        await self.owe(
            uow, event.event_id, await self._person(uow, event.candidate_id), "vacancy_alert", values
        )
        for person in await self._council_people(uow, event.council_id):
            await self.owe(uow, event.event_id, person, "match_proposed", values)

    async def reach_out_sent(self, event: ReachOutSent, uow: UnitOfWork) -> None:
        """Tell the candidate a council is interested."""
        vacancy, council = await self._vacancy(uow, event.vacancy_id)
        person = await self._person(uow, event.candidate_id)
        await self.owe(
            uow,
            event.event_id,
            person,
            "council_interest",
            {"vacancy": vacancy.title, "council": council.name},
        )

    async def match_responded(self, event: MatchResponded, uow: UnitOfWork) -> None:
        """Tell the council the candidate's answer."""
        vacancy, _council = await self._vacancy(uow, event.vacancy_id)
        accepted = event.response is MatchResponse.ACCEPTED
        for person in await self._council_people(uow, event.council_id):
            answer = (
                ("accepted" if accepted else "declined")
                if person.language != "cy"
                else ("derbyn" if accepted else "gwrthod")
            )
            await self.owe(
                uow,
                event.event_id,
                person,
                "candidate_answer",
                {
                    "vacancy": vacancy.title,
                    "vacancy_id": str(vacancy.id),
                    "answer": answer,
                    "accepted": accepted,
                },
            )

    async def interview_invited(self, event: InterviewInvited, uow: UnitOfWork) -> None:
        """Tell the candidate when and where the council will interview them (UK time)."""
        vacancy, council = await self._vacancy(uow, event.vacancy_id)
        person = await self._person(uow, event.candidate_id)
        language = person.language if person else "en"
        starts = event.starts_at.astimezone(UK_TIME)
        await self.owe(
            uow,
            event.event_id,
            person,
            "interview_invited",
            {
                "vacancy": vacancy.title,
                "council": council.name,
                "day": long_date(starts, language),
                "time": f"{starts:%H:%M}",
                "place": event.place,
            },
        )

    async def candidate_hired(self, event: CandidateHired, uow: UnitOfWork) -> None:
        """Congratulate the candidate and confirm to the council."""
        vacancy, council = await self._vacancy(uow, event.vacancy_id)
        candidate = await self._person(uow, event.candidate_id)
        people = one_per_address(
            [*([candidate] if candidate else []), *await self._council_people(uow, event.council_id)]
        )
        for person in people:
            language = person.language if person else "en"
            values = {
                "vacancy": vacancy.title,
                "council": council.name,
                "start_date": long_date(event.start_date, language),
            }
            await self.owe(uow, event.event_id, person, "hired", values)


def unsubscribe_token(settings: NotificationsSettings, person_id: UUID) -> str:
    """`<person id>.<signature>`: stops non-essential messages, for this person only."""
    signature = hmac.new(
        settings.unsubscribe_key(), f"unsubscribe:{person_id}".encode(), hashlib.sha256
    ).hexdigest()[:32]
    return f"{person_id}.{signature}"


def person_of_unsubscribe_token(settings: NotificationsSettings, token: str) -> UUID | None:
    """The person an unsubscribe link is for, or None if it was not made here."""
    person, _, _signature = token.partition(".")
    try:
        person_id = UUID(person)
    except ValueError:
        return None
    return person_id if hmac.compare_digest(unsubscribe_token(settings, person_id), token) else None
