"""Messages to councils, their recruiters and candidates about vacancies, matches and hires."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from rtw_contracts import (
    CandidateHired,
    CouncilClaimRejected,
    CouncilRegistered,
    InterviewInvited,
    InterviewSlotsProposed,
    MatchProposed,
    MatchResponded,
    MatchResponse,
    OfferAnswered,
    OfferMade,
    ReachOutSent,
    RecruiterInvitedV2,
    VacancyPosted,
)
from rtw_platform.consumer_failures import NotYetKnown
from rtw_platform.logging import get_logger

from ..calendar_invite import Invitation, ics
from ..domain import answer_word, in_uk_time, interview_end, language_of, message_recipients
from ..links import Links, link_expiry
from ..models import Council, InterviewNote, Person, Vacancy
from ..rendering import defang, long_date
from .candidates import known_note
from .owing import NotificationsWork, council_people, keep_contact, owe

log = get_logger(__name__)


async def known_vacancy(work: NotificationsWork, vacancy_id: UUID) -> tuple[Vacancy, Council]:
    vacancy = await work.store.vacancy(vacancy_id)
    council = await work.store.council(vacancy.council_id) if vacancy else None
    if vacancy is None or council is None:
        raise NotYetKnown(f"vacancy {vacancy_id} is not known yet")
    return vacancy, council


async def council_registered(work: NotificationsWork, event: CouncilRegistered, links: Links) -> None:
    """Welcome a council."""
    await work.store.add_council_if_absent(Council(id=event.council_id, name=event.name))
    person = await keep_contact(
        work,
        event.council_id,
        kind="council",
        email=str(event.contact_email),
        name=event.contact_name,
        council_id=event.council_id,
    )
    await owe(work, links, event.event_id, person, "council_registered", {"council": event.name})


async def council_claim_rejected(work: NotificationsWork, event: CouncilClaimRejected, links: Links) -> None:
    """Tell someone who signed a council up that the programme team did not approve it. They
    are nobody of the council's (no council_id): council messages never reach them."""
    person = await keep_contact(
        work, event.claim_id, kind="claimant", email=str(event.contact_email), name=event.contact_name
    )
    await owe(
        work,
        links,
        event.event_id,
        person,
        "council_claim_rejected",
        {"council": event.name, "reason": event.reason},
    )


async def recruiter_invited(work: NotificationsWork, event: RecruiterInvitedV2, links: Links) -> None:
    """Make a recruiter's single-use sign-in link for their council and e-mail it (none once
    it would have expired)."""
    council = await work.store.council(event.council_id)
    if council is None:
        raise NotYetKnown(f"council {event.council_id} is not known yet")
    now = datetime.now(UTC)
    expires = link_expiry(event.expires_at, now)
    if expires is None:
        log.info("sign_in_link_expired_unsent", recruiter_id=str(event.recruiter_id))
        return
    person = await keep_contact(
        work,
        event.recruiter_id,
        kind="recruiter",
        email=str(event.email),
        name=event.name,
        council_id=event.council_id,
    )
    link = links.recruiter_sign_in(event.recruiter_id, event.council_id, expires, now)
    await owe(
        work, links, event.event_id, person, "recruiter_invited", {"council": council.name, "link": link}
    )


async def vacancy_posted(work: NotificationsWork, event: VacancyPosted) -> None:
    """Remember the vacancy's title."""
    await work.store.add_vacancy_if_absent(
        Vacancy(id=event.vacancy_id, council_id=event.council_id, title=event.title)
    )


async def match_proposed(work: NotificationsWork, event: MatchProposed, links: Links) -> None:
    """Alert the candidate and tell the council (both can opt out)."""
    await known_note(work, event.application_id)
    vacancy, council = await known_vacancy(work, event.vacancy_id)
    values = {
        "vacancy": vacancy.title,
        "council": council.name,
        "score": f"{event.score:.0f}",
        "vacancy_id": str(vacancy.id),
    }
    candidate = await work.store.person(event.candidate_id)
    await owe(work, links, event.event_id, candidate, "vacancy_alert", values)
    for person in await council_people(work, event.council_id):
        await owe(work, links, event.event_id, person, "match_proposed", values)


async def reach_out_sent(work: NotificationsWork, event: ReachOutSent, links: Links) -> None:
    """Tell the candidate a council is interested."""
    vacancy, council = await known_vacancy(work, event.vacancy_id)
    person = await work.store.person(event.candidate_id)
    await owe(
        work,
        links,
        event.event_id,
        person,
        "council_interest",
        {"vacancy": vacancy.title, "council": council.name},
    )


async def match_responded(work: NotificationsWork, event: MatchResponded, links: Links) -> None:
    """Tell the council the candidate's answer."""
    vacancy, _council = await known_vacancy(work, event.vacancy_id)
    accepted = event.response is MatchResponse.ACCEPTED
    for person in await council_people(work, event.council_id):
        await owe(
            work,
            links,
            event.event_id,
            person,
            "candidate_answer",
            {
                "vacancy": vacancy.title,
                "vacancy_id": str(vacancy.id),
                "answer": answer_word(accepted, person.language),
                "accepted": accepted,
            },
        )


async def interview_slots_proposed(
    work: NotificationsWork, event: InterviewSlotsProposed, links: Links
) -> None:
    """Ask the candidate to choose one of the council's interview times on their page."""
    vacancy, council = await known_vacancy(work, event.vacancy_id)
    person = await work.store.person(event.candidate_id)
    await owe(
        work,
        links,
        event.event_id,
        person,
        "interview_slots_proposed",
        {"vacancy": vacancy.title, "council": council.name, "slots": event.slots},
    )


#: The calendar entry's title, in the recipient's language.
INTERVIEW_WORD = {"en": "Interview", "cy": "Cyfweliad"}


def invitation_for(
    event: InterviewInvited, vacancy: Vacancy, council: Council, links: Links
) -> Callable[[Person], str]:
    """Each recipient's calendar invitation to the interview (the same UID for everyone)."""
    stage = event.stage or 1
    word = INTERVIEW_WORD

    def made(person: Person) -> str:
        assert person.email is not None
        return ics(
            Invitation(
                match_id=event.match_id,
                stage=stage,
                starts_at=event.starts_at,
                ends_at=interview_end(event.starts_at, event.ends_at),
                invited_at=event.invited_at,
                summary=f"{word.get(person.language, word['en'])}: {vacancy.title} ({council.name})",
                location=defang(event.place),
                description=f"{links.portal_url}/matching/my/interest",
                organizer=links.sender_address,
                attendee=person.email,
            )
        )

    return made


async def interview_invited(work: NotificationsWork, event: InterviewInvited, links: Links) -> None:
    """Tell the candidate, and the council's people, when and where the interview is (UK time),
    each with a calendar invitation; note it for the reminder the day before."""
    vacancy, council = await known_vacancy(work, event.vacancy_id)
    person = await work.store.person(event.candidate_id)
    invitation = invitation_for(event, vacancy, council, links)
    starts = in_uk_time(event.starts_at)

    def values(language: str) -> dict[str, Any]:
        return {
            "vacancy": vacancy.title,
            "council": council.name,
            "day": long_date(starts, language),
            "time": f"{starts:%H:%M}",
            "place": event.place,
        }

    await owe(
        work, links, event.event_id, person, "interview_invited", values(language_of(person)), invitation
    )
    for someone in await council_people(work, event.council_id):
        await owe(
            work, links, event.event_id, someone, "interview_booked", values(someone.language), invitation
        )
    if person is not None and person.erased_at is None:
        await work.store.save_interview_note(
            InterviewNote(
                match_id=event.match_id,
                interview_id=event.interview_id,
                candidate_id=event.candidate_id,
                council_id=event.council_id,
                vacancy_id=event.vacancy_id,
                stage=event.stage or 1,
                starts_at=event.starts_at,
                place=event.place,
            )
        )


async def offer_made(work: NotificationsWork, event: OfferMade, links: Links) -> None:
    """Tell the candidate an offer waits for their answer (its terms are on their page)."""
    vacancy, council = await known_vacancy(work, event.vacancy_id)
    person = await work.store.person(event.candidate_id)
    await owe(
        work, links, event.event_id, person, "offer_made", {"vacancy": vacancy.title, "council": council.name}
    )


async def offer_answered(work: NotificationsWork, event: OfferAnswered, links: Links) -> None:
    """Tell the council the candidate's answer to its offer."""
    vacancy, _council = await known_vacancy(work, event.vacancy_id)
    accepted = event.response is MatchResponse.ACCEPTED
    for person in await council_people(work, event.council_id):
        await owe(
            work,
            links,
            event.event_id,
            person,
            "offer_answered",
            {
                "vacancy": vacancy.title,
                "vacancy_id": str(vacancy.id),
                "answer": answer_word(accepted, person.language),
                "accepted": accepted,
            },
        )


async def candidate_hired(work: NotificationsWork, event: CandidateHired, links: Links) -> None:
    """Congratulate the candidate and confirm to the council (one message per address)."""
    vacancy, council = await known_vacancy(work, event.vacancy_id)
    candidate = await work.store.person(event.candidate_id)
    for person in message_recipients(candidate, await council_people(work, event.council_id)):
        values = {
            "vacancy": vacancy.title,
            "council": council.name,
            "start_date": long_date(event.start_date, language_of(person)),
        }
        await owe(work, links, event.event_id, person, "hired", values)
