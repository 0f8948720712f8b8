"""Who is told what, through a real SMTP server: one message per event and person, in their
language, alerts and reminders only for those who want them, retries and failures recorded,
erasure honoured, and the admin's delivery log. Real PostgreSQL, in-memory broker."""

from __future__ import annotations

import contextlib
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import jwt
import pytest
from rtw_contracts import (
    AppealDecided,
    ApplicationContactGiven,
    ApplicationSubmitted,
    ApplicationWithdrawn,
    AssessmentOutcome,
    AssessmentScored,
    AssessmentStage,
    CandidateErased,
    CandidateHired,
    CandidateSignInRequestedV2,
    CouncilClaimRejected,
    CouncilRegistered,
    InterviewInvited,
    MatchProposed,
    MatchResponded,
    MatchResponse,
    ReachOutSent,
    RecruiterInvitedV2,
    SecondStageSubmitted,
    TrainingCompleted,
    TrainingEnrolled,
    VacancyPosted,
)
from rtw_contracts.examples import example
from rtw_notifications.channels import SmtpChannel
from rtw_notifications.dispatch import dispatch_once
from rtw_notifications.links import Links, unsubscribe_token
from rtw_notifications.models import ApplicationNote, Person
from rtw_notifications.settings import notifications_settings
from rtw_notifications.store import work_of
from rtw_notifications.use_cases.reminders import send_due_reminders
from rtw_platform.auth import Principal, Purpose, Role, issue_token, verify_token
from rtw_platform.testing.erasure import (
    PersonTraces,
    assert_answers_without,
    outbox_rows_with,
    stored_rows_with,
)
from rtw_platform.testing.waiting import eventually
from sqlalchemy import text
from sqlmodel import col, select

pytestmark = pytest.mark.component

PORTAL = "http://127.0.0.1:8080"


# ---------------------------------------------------------------------------- people and events


@dataclass
class Candidate:
    id: UUID = field(default_factory=uuid4)
    application_id: UUID = field(default_factory=uuid4)
    name: str = "Priya"
    language: str = "en"
    email: str = ""
    reference: str = ""

    def __post_init__(self) -> None:
        tag = uuid4().hex[:8]
        self.email = self.email or f"{self.name.lower()}.{tag}@example.org"
        self.reference = self.reference or f"RTW-ICT-{int(tag, 16) % 1_000_000:06d}"


@dataclass
class Council:
    id: UUID = field(default_factory=uuid4)
    name: str = "Walsall"
    contact_email: str = ""
    vacancy_id: UUID = field(default_factory=uuid4)
    vacancy_title: str = "Data analyst (returner)"

    def __post_init__(self) -> None:
        self.contact_email = self.contact_email or f"recruitment.{uuid4().hex[:8]}@walsall.example.gov.uk"


def submitted(c: Candidate) -> ApplicationContactGiven:
    """What notifications hears of a submission: who applied and how to reach them."""
    return example(
        ApplicationContactGiven,
        event_id=uuid4(),
        application_id=c.application_id,
        candidate_id=c.id,
        reference=c.reference,
        given_name=c.name,
        email=c.email,
        preferred_language=c.language,
    )


def sign_in(c: Candidate, expires_at: datetime, next_page: str | None = None) -> CandidateSignInRequestedV2:
    return example(
        CandidateSignInRequestedV2,
        event_id=uuid4(),
        candidate_id=c.id,
        email=c.email,
        given_name=c.name,
        preferred_language=c.language,
        next_page=next_page,
        expires_at=expires_at,
    )


def scored(c: Candidate, outcome: AssessmentOutcome, **changes: Any) -> AssessmentScored:
    stage = (
        AssessmentStage.SCREENING
        if outcome
        in {AssessmentOutcome.INELIGIBLE, AssessmentOutcome.SHORTLISTED, AssessmentOutcome.NOT_SHORTLISTED}
        else AssessmentStage.FINAL
    )
    values: dict[str, Any] = {
        "event_id": uuid4(),
        "application_id": c.application_id,
        "candidate_id": c.id,
        "stage": stage,
        "outcome": outcome,
        "reasons": [],
        "next_step_deadline": None,
        **changes,
    }
    return example(AssessmentScored, **values)


def second_stage(c: Candidate) -> SecondStageSubmitted:
    return example(SecondStageSubmitted, event_id=uuid4(), application_id=c.application_id, candidate_id=c.id)


def withdrawn(c: Candidate) -> ApplicationWithdrawn:
    return example(ApplicationWithdrawn, event_id=uuid4(), application_id=c.application_id, candidate_id=c.id)


def enrolled(c: Candidate, expected_end: date | None) -> TrainingEnrolled:
    return example(
        TrainingEnrolled,
        event_id=uuid4(),
        enrolment_id=uuid4(),
        application_id=c.application_id,
        candidate_id=c.id,
        expected_end=expected_end,
    )


def completed(c: Candidate, certificate_id: UUID) -> TrainingCompleted:
    return example(
        TrainingCompleted,
        event_id=uuid4(),
        application_id=c.application_id,
        candidate_id=c.id,
        certificate_id=certificate_id,
    )


def erased(c: Candidate) -> CandidateErased:
    return example(
        CandidateErased,
        event_id=uuid4(),
        candidate_id=c.id,
        application_ids=[c.application_id],
        erased_at=datetime.now(UTC),
    )


def council_registered(k: Council) -> CouncilRegistered:
    return example(
        CouncilRegistered,
        event_id=uuid4(),
        council_id=k.id,
        name=k.name,
        contact_name="Sam Taylor",
        contact_email=k.contact_email,
    )


def recruiter_invited(
    k: Council, recruiter_id: UUID, email: str, expires_at: datetime | None = None
) -> RecruiterInvitedV2:
    return example(
        RecruiterInvitedV2,
        event_id=uuid4(),
        council_id=k.id,
        recruiter_id=recruiter_id,
        name="Alex Jones",
        email=email,
        expires_at=expires_at or datetime.now(UTC) + timedelta(hours=24),
    )


LINK = re.compile(r"(http\S+/sign-in/)([A-Za-z0-9._-]+)(\?next=\S+)?")


def link_in(text: str) -> tuple[str, str, str]:
    """The sign-in link in an e-mail: where it opens, its token and where it leads after."""
    found = LINK.search(text)
    assert found is not None, text
    return found.group(1), found.group(2), found.group(3) or ""


def vacancy_posted(k: Council) -> VacancyPosted:
    return example(
        VacancyPosted, event_id=uuid4(), vacancy_id=k.vacancy_id, council_id=k.id, title=k.vacancy_title
    )


def match_proposed(k: Council, c: Candidate, score: float = 78.0) -> MatchProposed:
    return example(
        MatchProposed,
        event_id=uuid4(),
        match_id=uuid4(),
        vacancy_id=k.vacancy_id,
        council_id=k.id,
        candidate_id=c.id,
        application_id=c.application_id,
        score=score,
    )


def reach_out(k: Council, c: Candidate) -> ReachOutSent:
    return example(
        ReachOutSent,
        event_id=uuid4(),
        vacancy_id=k.vacancy_id,
        council_id=k.id,
        candidate_id=c.id,
        application_id=c.application_id,
    )


def responded(k: Council, c: Candidate, response: MatchResponse) -> MatchResponded:
    return example(
        MatchResponded,
        event_id=uuid4(),
        vacancy_id=k.vacancy_id,
        council_id=k.id,
        candidate_id=c.id,
        application_id=c.application_id,
        response=response,
    )


def hired(k: Council, c: Candidate, start: date) -> CandidateHired:
    return example(
        CandidateHired,
        event_id=uuid4(),
        vacancy_id=k.vacancy_id,
        council_id=k.id,
        candidate_id=c.id,
        application_id=c.application_id,
        start_date=start,
    )


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def today() -> date:
    return datetime.now(UTC).date()


async def run_reminders(service: Any, now: datetime | None = None) -> int:
    async with service.runtime.uow_factory() as uow:
        owed: int = await send_due_reminders(
            work_of(uow), Links(notifications_settings(service.runtime.settings)), now
        )
    return owed


async def known_council(service: Any, k: Council) -> None:
    """A registered council with a posted vacancy (its welcome message is sent)."""
    await service.deliver(council_registered(k))
    await service.deliver(vacancy_posted(k))


# ---------------------------------------------------------------------------- candidates


async def test_a_candidate_is_told_their_application_was_received(service: Any, smtp_server: Any) -> None:
    priya = Candidate()
    await service.deliver(submitted(priya))

    [mail] = await smtp_server.wait_for(priya.email)
    assert mail.to == priya.email
    assert mail.message["From"] == "Return to Work <no-reply@returners.example.org>"
    assert mail.subject == f"We have received your application {priya.reference}"
    assert mail.text.startswith("Dear Priya,")
    assert "Thank you for applying to Return to Work - ICT." in mail.text
    assert f"Your reference is {priya.reference}." in mail.text
    link = f"{PORTAL}/applications/my/applications/{priya.application_id}"
    assert link in mail.text
    assert f'<a href="{link}">{link}</a>' in mail.html
    [delivery] = await service.wait_for_status("sent", recipient_id=priya.id)
    assert delivery.template == "application_received"
    assert delivery.attempts == 1
    assert delivery.sent_at is not None
    assert mail.message["X-RTW-Reference"] == str(delivery.id)


async def test_a_submission_still_published_as_version_1_is_acknowledged(
    service: Any, smtp_server: Any
) -> None:
    priya = Candidate()
    old = example(
        ApplicationSubmitted,
        event_id=uuid4(),
        application_id=priya.application_id,
        candidate_id=priya.id,
        reference=priya.reference,
        given_name=priya.name,
        email=priya.email,
    )
    await service.deliver(old)
    await service.deliver(old)  # redelivered: still one message

    [mail] = await smtp_server.wait_for(priya.email)
    assert mail.subject == f"We have received your application {priya.reference}"
    [delivery] = await service.wait_for_status("sent", recipient_id=priya.id)
    assert delivery.template == "application_received"


async def test_a_sign_in_link_is_made_here_for_the_candidate_alone_with_its_expiry(
    service: Any, smtp_server: Any
) -> None:
    amara = Candidate(name="Amara")
    expires = (datetime.now(UTC) + timedelta(minutes=30)).replace(microsecond=0)
    page = f"/applications/my/applications/{amara.application_id}"
    await service.deliver(sign_in(amara, expires, page))
    await service.deliver(sign_in(amara, expires))

    first, second = await smtp_server.wait_for(amara.email, count=2)
    assert first.subject == "Your sign-in link"
    assert first.text.startswith("Dear Amara,")
    opens, token, then = link_in(first.text)
    assert opens == f"{PORTAL}/applications/sign-in/"
    assert then == f"?next={page}"
    assert f'<a href="{opens}{token}{then}">' in first.html
    assert f"until {expires:%H:%M} UTC, " in first.text
    secret = service.runtime.settings.token_secret.get_secret_value()
    principal = verify_token(secret, token, purpose=Purpose.SIGN_IN)
    assert (principal.subject, principal.role, principal.council_id) == (str(amara.id), Role.CANDIDATE, None)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] == int(expires.timestamp())
    _, other_token, no_page = link_in(second.text)
    assert other_token != token  # each link is single-use on its own
    assert no_page == ""


async def test_a_link_asked_for_too_late_is_not_sent(service: Any, smtp_server: Any) -> None:
    late = Candidate(name="Late")
    walsall = Council()
    await service.deliver(council_registered(walsall))
    too_late = datetime.now(UTC) - timedelta(seconds=1)
    events = [sign_in(late, too_late), recruiter_invited(walsall, uuid4(), late.email, too_late)]
    for event in events:
        await service.deliver(event)

    async def handled() -> int:
        async with service.runtime.engine.connect() as conn:
            found = await conn.execute(
                text("SELECT count(*) FROM notifications.inbox WHERE event_id = ANY(:ids)"),
                {"ids": [e.event_id for e in events]},
            )
            return int(found.scalar_one())

    async def both_handled() -> bool:
        return await handled() == 2

    await eventually(both_handled, what="both requests handled")
    assert await service.deliveries(to_address=late.email) == []
    # (The council's own welcome may be sent meanwhile: only the late person's mail is checked.)
    assert smtp_server.to(late.email) == []


async def test_no_link_made_here_lasts_longer_than_a_week(service: Any, smtp_server: Any) -> None:
    greedy = Candidate(name="Greedy")
    await service.deliver(sign_in(greedy, datetime.now(UTC) + timedelta(days=365)))

    [mail] = await smtp_server.wait_for(greedy.email)
    _, token, _ = link_in(mail.text)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] <= (datetime.now(UTC) + timedelta(days=7)).timestamp()


DECISIONS = [
    pytest.param(
        AssessmentOutcome.INELIGIBLE,
        {
            "reasons": [
                {"code": "career_break_too_short", "message": "Your career break is shorter than 2 years."},
                {"code": "no_right_to_work", "message": "You need the right to work in the UK."},
            ],
            "next_step_deadline": date(2031, 11, 6),
        },
        "Your application {ref}: not eligible",
        [
            "* Your career break is shorter than 2 years.\n* You need the right to work in the UK.\n",
            "you can appeal until 06 November 2031",
            "{portal}/assessment/my/applications/{app}/appeal",
        ],
        id="ineligible-with-reasons",
    ),
    pytest.param(
        AssessmentOutcome.INELIGIBLE,
        {"reasons": []},
        "Your application {ref}: not eligible",
        ["* The application does not meet the criteria.\n", "you can appeal within 28 days"],
        id="ineligible-without-reasons",
    ),
    pytest.param(
        AssessmentOutcome.SHORTLISTED,
        {"next_step_deadline": date(2031, 11, 6)},
        "You are invited to the second stage ({ref})",
        ["by 06 November 2031", "{portal}/applications/my/applications/{app}/second-stage"],
        id="shortlisted-with-deadline",
    ),
    pytest.param(
        AssessmentOutcome.SHORTLISTED,
        {"next_step_deadline": None},
        "You are invited to the second stage ({ref})",
        ["by the date on your application page"],
        id="shortlisted-without-deadline",
    ),
    pytest.param(
        AssessmentOutcome.NOT_SHORTLISTED,
        {},
        "Your application {ref}",
        ["cannot invite you to the second stage"],
        id="not-shortlisted",
    ),
    pytest.param(
        AssessmentOutcome.SELECTED,
        {},
        "You have a place on Return to Work - ICT",
        ["Congratulations: you have been offered a place on Return to Work - ICT."],
        id="selected",
    ),
    pytest.param(
        AssessmentOutcome.WAITLISTED,
        {},
        "You are on the waiting list for Return to Work - ICT",
        ["If a place becomes free, we will offer it to you straight away."],
        id="waitlisted",
    ),
    pytest.param(
        AssessmentOutcome.REJECTED,
        {},
        "Your application {ref}",
        ["we cannot offer you a place this time"],
        id="rejected",
    ),
]


@pytest.mark.parametrize(("outcome", "changes", "subject", "fragments"), DECISIONS)
async def test_each_decision_is_told_to_the_candidate(
    service: Any,
    smtp_server: Any,
    outcome: AssessmentOutcome,
    changes: dict[str, Any],
    subject: str,
    fragments: list[str],
) -> None:
    priya = Candidate()
    await service.deliver(submitted(priya))
    await service.deliver(scored(priya, outcome, **changes))

    mails = await smtp_server.wait_for(priya.email, count=2)
    decision = mails[-1]
    assert decision.subject == subject.format(ref=priya.reference)
    for fragment in fragments:
        assert fragment.format(portal=PORTAL, app=priya.application_id) in decision.text
    assert len(await service.deliveries(recipient_id=priya.id)) == 2


async def test_a_welsh_not_eligible_mail_words_the_reasons_in_welsh(service: Any, smtp_server: Any) -> None:
    """The reasons were the rules' English sentences, put as they were into the Welsh mail."""
    rhys = Candidate(name="Rhys", language="cy")
    reasons = [
        {
            "code": "career_break_too_short",
            "message": "Your career break is 3 months; the programme is for 12 months or more.",
            "params": {"months": 3, "minimum_months": 12, "kind": "break"},
        },
        {
            "code": "no_right_to_work",
            "message": "The programme is open to people with the right to work in the UK.",
        },
    ]
    await service.deliver(submitted(rhys))
    await service.deliver(scored(rhys, AssessmentOutcome.INELIGIBLE, reasons=reasons))

    [_, decision] = await smtp_server.wait_for(rhys.email, count=2)
    assert "* Mae eich seibiant gyrfa yn 3 mis; mae'r rhaglen ar gyfer 12 mis neu fwy.\n" in decision.text
    assert "* Mae'r rhaglen ar agor i bobl sydd â'r hawl i weithio yn y DU.\n" in decision.text
    assert "programme" not in decision.text


async def test_the_fallback_words_of_a_welsh_decision_mail_are_welsh(service: Any, smtp_server: Any) -> None:
    """A decision with no reason (not eligible) or no deadline (shortlisted) was told, in the
    Welsh mail, with an English line: now worded in the reader's language from the catalogue."""
    rhys, sian, priya = (
        Candidate(name="Rhys", language="cy"),
        Candidate(name="Sian", language="cy"),
        Candidate(),
    )
    for person in (rhys, sian, priya):
        await service.deliver(submitted(person))
    await service.deliver(scored(rhys, AssessmentOutcome.INELIGIBLE, reasons=[]))
    await service.deliver(scored(priya, AssessmentOutcome.INELIGIBLE, reasons=[]))
    await service.deliver(scored(sian, AssessmentOutcome.SHORTLISTED, next_step_deadline=None))

    [_, not_eligible] = await smtp_server.wait_for(rhys.email, count=2)
    assert "Nid yw'r cais yn bodloni'r meini prawf." in not_eligible.text
    assert "criteria" not in not_eligible.text
    [_, english] = await smtp_server.wait_for(priya.email, count=2)
    assert "The application does not meet the criteria." in english.text
    [_, shortlisted] = await smtp_server.wait_for(sian.email, count=2)
    assert "y dyddiad ar dudalen eich cais" in shortlisted.text
    assert "application page" not in shortlisted.text


def appeal_decided(c: Candidate, upheld: bool, reason: str) -> AppealDecided:
    return example(
        AppealDecided,
        event_id=uuid4(),
        application_id=c.application_id,
        candidate_id=c.id,
        upheld=upheld,
        reason=reason,
    )


async def test_the_appeal_outcome_is_told_with_the_reason_in_the_candidates_language(
    service: Any, smtp_server: Any
) -> None:
    priya = Candidate()
    rhys = Candidate(name="Rhys", language="cy")
    for person in (priya, rhys):
        await service.deliver(submitted(person))
    await service.deliver(appeal_decided(priya, True, "Your share code shows the right to work."))
    await service.deliver(appeal_decided(rhys, False, "The share code you gave was not valid."))

    [_, upheld] = await smtp_server.wait_for(priya.email, count=2)
    [_, dismissed] = await smtp_server.wait_for(rhys.email, count=2)
    assert upheld.subject == f"Your appeal was upheld ({priya.reference})"
    assert "Your share code shows the right to work." in upheld.text
    assert f"{PORTAL}/applications/my/applications/{priya.application_id}" in upheld.text
    assert dismissed.subject == f"Ni chafodd eich apêl ei chadarnhau ({rhys.reference})"
    assert "The share code you gave was not valid." in dismissed.text


async def test_a_dismissed_appeal_is_not_told_again_as_a_new_not_eligible_decision(
    service: Any, smtp_server: Any
) -> None:
    priya = Candidate()
    await service.deliver(submitted(priya))
    standing = scored(priya, AssessmentOutcome.INELIGIBLE, decision_kind="appeal")
    await service.deliver(standing)
    await service.deliver(appeal_decided(priya, False, "The share code you gave was not valid."))

    mails = await smtp_server.wait_for(priya.email, count=2)
    assert [m.subject for m in mails] == [
        f"We have received your application {priya.reference}",
        f"Your appeal was not upheld ({priya.reference})",
    ]
    assert await service.deliveries(event_id=standing.event_id) == []


async def test_a_second_stage_score_alone_is_not_a_message(service: Any, smtp_server: Any) -> None:
    priya = Candidate()
    await service.deliver(submitted(priya))
    scoring = scored(priya, AssessmentOutcome.SCORED, stage=AssessmentStage.SECOND_STAGE, score=78.0)
    await service.deliver(scoring)
    await service.deliver(scored(priya, AssessmentOutcome.SELECTED))  # a later message, as a barrier

    mails = await smtp_server.wait_for(priya.email, count=2)
    assert [m.subject for m in mails] == [
        f"We have received your application {priya.reference}",
        "You have a place on Return to Work - ICT",
    ]
    assert await service.deliveries(event_id=scoring.event_id) == []


async def test_the_second_stage_and_a_withdrawal_are_confirmed(service: Any, smtp_server: Any) -> None:
    priya = Candidate()
    await service.deliver(submitted(priya))
    await service.deliver(second_stage(priya))
    await service.deliver(withdrawn(priya))

    mails = await smtp_server.wait_for(priya.email, count=3)
    assert [m.subject for m in mails[1:]] == [
        f"We have received your second stage ({priya.reference})",
        f"You have withdrawn application {priya.reference}",
    ]
    assert "we have received your answers and your video" in mails[1].text
    assert f"You have withdrawn your application {priya.reference}." in mails[2].text


async def test_training_enrolment_lists_the_modules_and_completion_links_the_certificate(
    service: Any, smtp_server: Any
) -> None:
    priya = Candidate()
    certificate_id = uuid4()
    await service.deliver(submitted(priya))
    await service.deliver(enrolled(priya, date(2031, 3, 31)))
    await service.deliver(completed(priya, certificate_id))

    mails = await smtp_server.wait_for(priya.email, count=3)
    enrolment, certificate = mails[1], mails[2]
    assert enrolment.subject == "Your training starts: Return to Work - ICT"
    assert "It has 4 modules:" in enrolment.text
    assert (
        "* Digital in local government\n* Cloud fundamentals\n* Data protection and UK GDPR\n* Agile delivery\n"
        in enrolment.text
    )
    assert "<ul><li>Digital in local government</li>" in enrolment.html
    assert certificate.subject == "Your certificate is ready"
    url = f"{PORTAL}/training/certificates/{certificate_id}"
    assert url in certificate.text
    assert f'<a href="{url}">' in certificate.html


# ---------------------------------------------------------------------------- councils


async def test_a_council_is_welcomed_and_its_recruiter_gets_a_sign_in_link_for_it(
    service: Any, smtp_server: Any
) -> None:
    walsall = Council(name="Walsall Metropolitan Borough Council")
    alex = uuid4()
    expires = (datetime.now(UTC) + timedelta(hours=24)).replace(microsecond=0)
    await service.deliver(council_registered(walsall))
    await service.deliver(recruiter_invited(walsall, alex, "alex.jones@walsall.example.gov.uk", expires))

    [welcome] = await smtp_server.wait_for(walsall.contact_email)
    assert welcome.subject == "Welcome to the Return to Work programme, Walsall Metropolitan Borough Council"
    assert welcome.text.startswith("Dear Sam Taylor,")
    assert f"{PORTAL}/matching/council" in welcome.text
    [invitation] = await smtp_server.wait_for("alex.jones@walsall.example.gov.uk")
    assert (
        invitation.subject
        == "Sign in to the Return to Work programme for Walsall Metropolitan Borough Council"
    )
    assert invitation.text.startswith("Dear Alex Jones,")
    opens, token, then = link_in(invitation.text)
    assert (opens, then) == (f"{PORTAL}/matching/recruiters/sign-in/", "")
    assert f"\n{opens}{token}\n" in invitation.text
    secret = service.runtime.settings.token_secret.get_secret_value()
    principal = verify_token(secret, token, purpose=Purpose.SIGN_IN)
    assert (principal.subject, principal.role, principal.council_id) == (
        str(alex),
        Role.RECRUITER,
        str(walsall.id),
    )
    assert jwt.decode(token, options={"verify_signature": False})["exp"] == int(expires.timestamp())


async def test_someone_whose_claim_to_a_council_is_rejected_is_told_why_and_nothing_more(
    service: Any, smtp_server: Any
) -> None:
    walsall, priya = Council(name="Walsall"), Candidate()
    await service.deliver(submitted(priya))
    await service.deliver(
        example(
            CouncilClaimRejected,
            event_id=uuid4(),
            claim_id=uuid4(),
            council_id=walsall.id,
            name="Walsall",
            contact_name="Someone Else",
            contact_email="someone.else@freemail.example",
            reason="The address is not a Walsall Council one.",
        )
    )
    [told] = await smtp_server.wait_for("someone.else@freemail.example")
    assert told.subject == "Your sign-up for Walsall was not approved"
    assert told.text.startswith("Dear Someone Else,")
    assert "\nThe address is not a Walsall Council one.\n" in told.text
    assert f"{PORTAL}/matching/councils/sign-up" in told.text
    # The claimant is nobody of the council's: its messages (a proposal) never reach them.
    await known_council(service, walsall)
    await service.deliver(match_proposed(walsall, priya))
    await smtp_server.wait_for(walsall.contact_email, count=2)
    assert len(await smtp_server.wait_for("someone.else@freemail.example")) == 1


async def test_a_match_alerts_the_candidate_and_tells_the_council(service: Any, smtp_server: Any) -> None:
    priya, walsall = Candidate(), Council()
    recruiter = uuid4()
    await service.deliver(submitted(priya))
    await known_council(service, walsall)
    await service.deliver(recruiter_invited(walsall, recruiter, "alex.jones@walsall.example.gov.uk"))
    await service.deliver(match_proposed(walsall, priya, score=81.6))

    alert = (await smtp_server.wait_for(priya.email, count=2))[1]
    assert alert.subject == "A council vacancy matches you: Data analyst (returner)"
    assert "Walsall has a vacancy that matches your skills and preferences" in alert.text
    assert "Data analyst (returner) (match 82 out of 100)" in alert.text
    assert f"{PORTAL}/notifications/unsubscribe/{priya.id}." in alert.text
    for address in (walsall.contact_email, "alex.jones@walsall.example.gov.uk"):
        proposal = (await smtp_server.wait_for(address, count=2))[1]
        assert proposal.subject == "A returner matches your vacancy Data analyst (returner)"
        assert f"{PORTAL}/matching/council/vacancies/{walsall.vacancy_id}" in proposal.text
        assert priya.name not in proposal.text  # the council sees no name until the candidate accepts


async def test_a_match_for_a_vacancy_not_known_yet_is_retried_not_lost(
    service: Any, smtp_server: Any
) -> None:
    priya, walsall = Candidate(), Council()
    await service.deliver(submitted(priya))
    await service.deliver(council_registered(walsall))
    proposal = match_proposed(walsall, priya)
    with contextlib.suppress(Exception):
        await service.deliver(proposal)  # the vacancy's own event has not arrived yet
    await service.deliver(vacancy_posted(walsall))
    await service.deliver(proposal)  # the broker's redelivery

    alert = (await smtp_server.wait_for(priya.email, count=2))[1]
    assert alert.subject == "A council vacancy matches you: Data analyst (returner)"


async def test_a_reach_out_tells_the_candidate_which_council_is_interested(
    service: Any, smtp_server: Any
) -> None:
    priya, powys = Candidate(), Council(name="Powys", vacancy_title="Service desk analyst")
    await service.deliver(submitted(priya))
    await known_council(service, powys)
    await service.deliver(reach_out(powys, priya))

    mail = (await smtp_server.wait_for(priya.email, count=2))[1]
    assert mail.subject == "Powys would like to talk to you"
    assert "Powys is interested in you for Service desk analyst." in mail.text
    assert f"{PORTAL}/matching/my/interest" in mail.text


def interview_invited(k: Council, c: Candidate, starts_at: datetime, place: str) -> InterviewInvited:
    return example(
        InterviewInvited,
        event_id=uuid4(),
        interview_id=uuid4(),
        vacancy_id=k.vacancy_id,
        council_id=k.id,
        candidate_id=c.id,
        application_id=c.application_id,
        starts_at=starts_at,
        place=place,
    )


@pytest.mark.parametrize(
    ("language", "subject", "when", "where"),
    [
        (
            "en",
            "Interview with Powys: Service desk analyst, 03 June 2031",
            "When: 03 June 2031 at 14:30",
            "Where: ",
        ),
        (
            "cy",
            "Cyfweliad gyda Powys: Service desk analyst, 03 Mehefin 2031",
            "Pryd: 03 Mehefin 2031 am 14:30",
            "Ble: ",
        ),
    ],
)
async def test_an_interview_invitation_tells_the_candidate_the_day_time_and_place(
    service: Any, smtp_server: Any, language: str, subject: str, when: str, where: str
) -> None:
    priya, powys = Candidate(language=language), Council(name="Powys", vacancy_title="Service desk analyst")
    await service.deliver(submitted(priya))
    await known_council(service, powys)
    # 13:30 UTC is 14:30 in the UK in June (summer time).
    place = "County Hall, Llandrindod Wells, room 4"
    await service.deliver(interview_invited(powys, priya, datetime(2031, 6, 3, 13, 30, tzinfo=UTC), place))

    mail = (await smtp_server.wait_for(priya.email, count=2))[1]
    assert mail.subject == subject
    assert when in mail.text
    assert f"{where}{place}" in mail.text
    assert f"{PORTAL}/matching/my/interest" in mail.text


def calendar_of(mail: Any) -> str:
    """The calendar invitation attached to a received mail (exactly one)."""
    [part] = [p for p in mail.message.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    text: str = part.get_payload(decode=True).decode("utf-8")
    return text


async def test_a_booked_interview_invites_both_with_a_calendar_file_and_reminds_both_the_day_before(
    service: Any, smtp_server: Any
) -> None:
    priya, powys = Candidate(), Council(name="Powys", vacancy_title="Service desk analyst")
    await service.deliver(submitted(priya))
    await known_council(service, powys)
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    event = interview_invited(powys, priya, starts, "County Hall, room 4")
    await service.deliver(event)

    to_candidate = (await smtp_server.wait_for(priya.email, count=2))[1]
    to_council = (await smtp_server.wait_for(powys.contact_email, count=2))[1]
    assert to_council.subject.startswith("Interview booked: Service desk analyst")
    for mail, address in ((to_candidate, priya.email), (to_council, powys.contact_email)):
        calendar = calendar_of(mail).replace("\r\n ", "").replace("\n ", "")
        assert f"DTSTART:{starts:%Y%m%dT%H%M%SZ}" in calendar
        assert f"UID:interview-{event.match_id}-1@returntowork" in calendar
        assert f"mailto:{address}" in calendar
    # Nothing is due until the day before (UK time); then each is reminded once.
    assert await run_reminders(service, starts - timedelta(days=3)) == 0
    day_before = (starts - timedelta(days=1)).astimezone(ZoneInfo("Europe/London")).replace(hour=9, minute=0)
    assert await run_reminders(service, day_before) == 1
    assert await run_reminders(service, day_before) == 0
    reminded = (await smtp_server.wait_for(priya.email, count=3))[2]
    assert reminded.subject == "Reminder: your interview with Powys is tomorrow"
    council_reminder = (await smtp_server.wait_for(powys.contact_email, count=3))[2]
    assert council_reminder.subject == "Reminder: interview tomorrow for Service desk analyst"


async def test_an_erased_candidates_interview_is_forgotten(service: Any, smtp_server: Any) -> None:
    priya, powys = Candidate(), Council(name="Powys")
    await service.deliver(submitted(priya))
    await known_council(service, powys)
    await service.deliver(interview_invited(powys, priya, datetime.now(UTC) + timedelta(days=3), "Room 4"))
    async with service.runtime.engine.connect() as conn:
        held = await conn.execute(
            text("SELECT count(*) FROM notifications.interview_notes WHERE candidate_id = :c"),
            {"c": priya.id},
        )
        assert held.scalar_one() == 1

    await service.deliver(erased(priya))

    async with service.runtime.engine.connect() as conn:
        left = await conn.execute(
            text("SELECT count(*) FROM notifications.interview_notes WHERE candidate_id = :c"),
            {"c": priya.id},
        )
        assert left.scalar_one() == 0


EVIL_TITLE = "Analyst - apply at https://evil.example/jobs or www.evil.example"
EVIL_HOST = re.compile(r"evil\.example", re.IGNORECASE)
ANY_URL = re.compile(r"https?://[^\s\"'<>]+", re.IGNORECASE)


async def test_a_vacancy_title_with_a_url_is_not_a_link_in_the_candidates_mails(
    service: Any, smtp_server: Any
) -> None:
    priya, evil = Candidate(), Council(name="Walsall www.evil.example", vacancy_title=EVIL_TITLE)
    await service.deliver(submitted(priya))
    await known_council(service, evil)
    await service.deliver(match_proposed(evil, priya))
    await service.deliver(reach_out(evil, priya))
    await service.deliver(hired(evil, priya, date(2031, 4, 6)))

    mails = await smtp_server.wait_for(priya.email, count=4)
    for mail in mails:
        for part in (mail.subject, mail.text, mail.html):
            assert not EVIL_HOST.search(part), part
            assert all(url.startswith(PORTAL + "/") for url in ANY_URL.findall(part))
    about_the_vacancy = [m for m in mails if "evil[.]example/jobs" in m.subject + m.text]
    assert len(about_the_vacancy) == 3  # the title is still there to read, in each of the three


@pytest.mark.parametrize(
    ("response", "word", "linked"),
    [(MatchResponse.ACCEPTED, "accepted", True), (MatchResponse.DECLINED, "declined", False)],
)
async def test_the_council_is_told_the_candidates_answer(
    service: Any, smtp_server: Any, response: MatchResponse, word: str, linked: bool
) -> None:
    priya, walsall = Candidate(), Council()
    await service.deliver(submitted(priya))
    await known_council(service, walsall)
    await service.deliver(responded(walsall, priya, response))

    answer = (await smtp_server.wait_for(walsall.contact_email, count=2))[1]
    assert answer.subject == f"A returner has {word} your interest (Data analyst (returner))"
    assert f"has {word} your interest." in answer.text
    assert (f"{PORTAL}/matching/council/vacancies/{walsall.vacancy_id}" in answer.text) is linked
    assert len(smtp_server.to(priya.email)) == 1  # the candidate is not told their own answer


async def test_a_hire_is_told_to_the_candidate_and_the_council(service: Any, smtp_server: Any) -> None:
    priya, walsall = Candidate(), Council()
    await service.deliver(submitted(priya))
    await known_council(service, walsall)
    await service.deliver(hired(walsall, priya, date(2031, 4, 7)))

    for address in (priya.email, walsall.contact_email):
        mail = (await smtp_server.wait_for(address, count=2))[1]
        assert mail.subject == "Hired: Data analyst (returner) at Walsall"
        assert "starting on 07 April 2031" in mail.text


def received_by(smtp_server: Any, address: str) -> list[Any]:
    """Every message whose envelope names the address, whatever the case it was written in."""
    with smtp_server.lock:
        return [m for m in smtp_server.received if address.lower() in (a.lower() for a in m.envelope_to)]


async def test_a_contact_who_is_also_a_recruiter_gets_one_mail_per_step(
    service: Any, smtp_server: Any
) -> None:
    """On approval the council's contact is welcomed (CouncilRegistered, as the council) and invited
    as its first recruiter (RecruiterInvited, as a recruiter): two records, one address. Every later
    council message reaches that address once; a colleague with an address of their own gets theirs."""
    priya, walsall = Candidate(), Council()
    contact = walsall.contact_email
    colleague = f"jo.evans.{uuid4().hex[:6]}@walsall.example.gov.uk"
    await service.deliver(submitted(priya))
    await known_council(service, walsall)
    # The invitation names the same address, as the contact typed it on another day.
    await service.deliver(recruiter_invited(walsall, uuid4(), contact.upper(), None))
    await service.deliver(recruiter_invited(walsall, uuid4(), colleague, None))
    proposals = [match_proposed(walsall, priya) for _ in range(3)]
    answers = [responded(walsall, priya, MatchResponse.ACCEPTED) for _ in range(2)]
    for event in [*proposals, *answers, hired(walsall, priya, date(2031, 4, 7))]:
        await service.deliver(event)

    # welcome + invitation + 3 proposals + 2 answers + 1 hire
    await smtp_server.wait_for(colleague, count=7)
    await service.wait_for_status("sent", event_id=answers[-1].event_id)
    await service.wait_for_status("sent", template="hired")
    mails = received_by(smtp_server, contact)
    subjects = [m.subject for m in mails]
    assert len(mails) == 8, subjects
    assert sum("matches your vacancy" in s for s in subjects) == 3
    assert sum("accepted your interest" in s for s in subjects) == 2
    assert sum(s.startswith("Hired:") for s in subjects) == 1
    assert len(smtp_server.to(colleague)) == 7
    for event in [*proposals, *answers]:
        rows = await service.deliveries(event_id=event.event_id)
        addresses = [d.to_address.lower() for d in rows if d.template != "vacancy_alert"]
        assert sorted(addresses) == sorted({contact.lower(), colleague}), addresses


@pytest.mark.parametrize("through", ["recruiter", "contact"])
async def test_an_address_that_turned_alerts_off_through_either_record_gets_none(
    service: Any, smtp_server: Any, through: str
) -> None:
    priya, walsall = Candidate(), Council()
    recruiter = uuid4()
    await service.deliver(submitted(priya))
    await known_council(service, walsall)
    await service.deliver(recruiter_invited(walsall, recruiter, walsall.contact_email, None))
    await service.wait_for_status("sent", recipient_id=recruiter)
    record = recruiter if through == "recruiter" else walsall.id
    opted_out = await service.http.put(
        f"/people/{record}/preferences", json={"non_essential": False}, headers=service.admin()
    )
    assert opted_out.status_code == 200, opted_out.text

    proposal = match_proposed(walsall, priya)
    await service.deliver(proposal)
    await service.deliver(responded(walsall, priya, MatchResponse.DECLINED))  # essential: still sent

    await smtp_server.wait_for(walsall.contact_email, count=3)
    [delivery] = await service.deliveries(event_id=proposal.event_id, template="match_proposed")
    assert delivery.status == "suppressed"
    await service.wait_for_status("sent", template="candidate_answer")
    subjects = [m.subject for m in smtp_server.to(walsall.contact_email)]
    assert len(subjects) == 3, subjects
    assert subjects[2].startswith("A returner has declined")


# ---------------------------------------------------------------------------- once, and in Welsh


async def test_the_same_event_delivered_twice_sends_one_message(service: Any, smtp_server: Any) -> None:
    priya = Candidate()
    event = submitted(priya)
    await service.deliver(event)
    await service.deliver(event)
    decision = scored(priya, AssessmentOutcome.NOT_SHORTLISTED)
    await service.deliver(decision)
    await service.deliver(decision)
    await service.deliver(withdrawn(priya))  # a later message, as a barrier

    mails = await smtp_server.wait_for(priya.email, count=3)
    assert [m.subject for m in mails] == [
        f"We have received your application {priya.reference}",
        f"Your application {priya.reference}",
        f"You have withdrawn application {priya.reference}",
    ]
    await service.wait_for_status("sent", recipient_id=priya.id)
    assert len(smtp_server.to(priya.email)) == 3
    assert len(await service.deliveries(event_id=event.event_id)) == 1


async def test_welsh_speakers_are_written_to_in_welsh(service: Any, smtp_server: Any) -> None:
    eleri = Candidate(name="Eleri", language="cy")
    await service.deliver(submitted(eleri))
    await service.deliver(scored(eleri, AssessmentOutcome.SELECTED))

    received, selected = await smtp_server.wait_for(eleri.email, count=2)
    assert received.subject == f"Rydym wedi cael eich cais {eleri.reference}"
    assert received.text.startswith("Annwyl Eleri,")
    assert "Diolch am wneud cais i Dychwelyd i'r Gwaith - TGCh." in received.text
    assert "Tîm Dychwelyd i'r Gwaith" in received.text
    assert '<html lang="cy">' in received.html
    assert selected.subject == "Mae gennych le ar Dychwelyd i'r Gwaith - TGCh"
    rows = await service.deliveries(recipient_id=eleri.id)
    assert {row.language for row in rows} == {"cy"}


async def test_a_welsh_withdrawal_subject_with_accents_arrives_intact(service: Any, smtp_server: Any) -> None:
    eleri = Candidate(name="Siân", language="cy")
    await service.deliver(submitted(eleri))
    await service.deliver(withdrawn(eleri))

    mail = (await smtp_server.wait_for(eleri.email, count=2))[1]
    assert mail.subject == f"Rydych wedi tynnu cais {eleri.reference} yn ôl"
    assert mail.text.startswith("Annwyl Siân,")


async def test_a_welsh_deadline_is_written_in_welsh(service: Any, smtp_server: Any) -> None:
    eleri = Candidate(name="Eleri", language="cy")
    await service.deliver(submitted(eleri))
    await service.deliver(scored(eleri, AssessmentOutcome.SHORTLISTED, next_step_deadline=date(2031, 11, 6)))

    mail = (await smtp_server.wait_for(eleri.email, count=2))[1]
    assert mail.subject == f"Rydych wedi eich gwahodd i'r ail gam ({eleri.reference})"
    assert "erbyn 6 Tachwedd 2031" in mail.text or "erbyn 06 Tachwedd 2031" in mail.text


async def test_a_decision_that_overtakes_the_application_is_still_told(
    service: Any, smtp_server: Any
) -> None:
    priya = Candidate()
    decision = scored(priya, AssessmentOutcome.SHORTLISTED, next_step_deadline=date(2031, 11, 6))
    with contextlib.suppress(Exception):
        await service.deliver(decision)  # screening is quick: its event can overtake the application's
    await service.deliver(submitted(priya))
    await service.deliver(decision)  # the broker's redelivery, if the first attempt was not acknowledged

    mails = await smtp_server.wait_for(priya.email, count=2, timeout=5)
    assert mails[1].subject == f"You are invited to the second stage ({priya.reference})"


async def test_training_events_that_overtake_the_application_are_still_told(
    service: Any, smtp_server: Any
) -> None:
    priya = Candidate()
    certificate_id = uuid4()
    enrolment, completion = enrolled(priya, date(2031, 3, 31)), completed(priya, certificate_id)
    for event in (enrolment, completion):
        with contextlib.suppress(Exception):  # failed, to be retried by the broker, not dropped
            await service.deliver(event)
    await service.deliver(submitted(priya))
    await service.deliver(enrolment)  # the broker's redeliveries
    await service.deliver(completion)

    mails = await smtp_server.wait_for(priya.email, count=3, timeout=5)
    assert [m.subject for m in mails[1:]] == [
        "Your training starts: Return to Work - ICT",
        "Your certificate is ready",
    ]


async def test_a_match_that_overtakes_the_application_is_still_told(service: Any, smtp_server: Any) -> None:
    priya, walsall = Candidate(), Council()
    await service.deliver(council_registered(walsall))
    await service.deliver(vacancy_posted(walsall))
    proposal = match_proposed(walsall, priya)
    with contextlib.suppress(Exception):
        await service.deliver(proposal)
    await service.deliver(submitted(priya))
    await service.deliver(proposal)

    alert = (await smtp_server.wait_for(priya.email, count=2, timeout=5))[1]
    assert alert.subject == "A council vacancy matches you: Data analyst (returner)"


# ---------------------------------------------------------------------------- preferences


async def test_a_candidate_who_opts_out_gets_no_alerts_or_reminders_but_still_gets_decisions(
    service: Any, smtp_server: Any
) -> None:
    priya, walsall = Candidate(), Council()
    await service.deliver(submitted(priya))
    await known_council(service, walsall)
    response = await service.http.put(
        f"/people/{priya.id}/preferences",
        json={"non_essential": False},
        headers=service.token(priya.id, Role.CANDIDATE),
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"person_id": str(priya.id), "non_essential": False}

    alert = match_proposed(walsall, priya)
    await service.deliver(alert)
    await service.deliver(
        scored(priya, AssessmentOutcome.SHORTLISTED, next_step_deadline=today() + timedelta(days=1))
    )
    assert await run_reminders(service) == 1
    await service.deliver(second_stage(priya))  # a later message, as a barrier

    mails = await smtp_server.wait_for(priya.email, count=3)
    assert [m.subject for m in mails] == [
        f"We have received your application {priya.reference}",
        f"You are invited to the second stage ({priya.reference})",
        f"We have received your second stage ({priya.reference})",
    ]
    rows = {row.template: row for row in await service.deliveries(recipient_id=priya.id)}
    assert rows["vacancy_alert"].status == "suppressed"
    assert rows["vacancy_alert"].essential is False
    assert rows["second_stage_reminder"].status == "suppressed"
    assert rows["shortlisted"].status == "sent"
    # the council's own message about the match is not the candidate's choice
    council_rows = await service.deliveries(recipient_id=walsall.id, event_id=alert.event_id)
    assert [row.status for row in council_rows] in (["pending"], ["sent"])


async def test_a_candidate_can_opt_back_in(service: Any, smtp_server: Any) -> None:
    priya, walsall = Candidate(), Council()
    await service.deliver(submitted(priya))
    await known_council(service, walsall)
    headers = service.token(priya.id, Role.CANDIDATE)
    assert (
        await service.http.put(
            f"/people/{priya.id}/preferences", json={"non_essential": False}, headers=headers
        )
    ).status_code == 200
    assert (
        await service.http.put(
            f"/people/{priya.id}/preferences", json={"non_essential": True}, headers=headers
        )
    ).status_code == 200
    await service.deliver(match_proposed(walsall, priya))

    alert = (await smtp_server.wait_for(priya.email, count=2))[1]
    assert alert.subject == "A council vacancy matches you: Data analyst (returner)"


async def test_only_the_person_or_an_admin_can_change_preferences(service: Any) -> None:
    priya, other = Candidate(), Candidate(name="Amara")
    await service.deliver(submitted(priya))
    url = f"/people/{priya.id}/preferences"

    assert (await service.http.put(url, json={"non_essential": False})).status_code == 401
    someone_else = service.token(other.id, Role.CANDIDATE)
    not_theirs = await service.http.put(url, json={"non_essential": False}, headers=someone_else)
    unknown = await service.http.put(
        f"/people/{uuid4()}/preferences", json={"non_essential": False}, headers=someone_else
    )
    assert not_theirs.status_code == unknown.status_code == 404  # as if there were none
    assert not_theirs.json() == unknown.json() == {"detail": "We hold no contact details for that person."}
    assert (await service.person(priya.id)).non_essential_opt_out is False
    assert (
        await service.http.put(url, json={"non_essential": False}, headers=service.admin())
    ).status_code == 200
    assert (await service.person(priya.id)).non_essential_opt_out is True
    unknown = (
        await service.http.put(
            f"/people/{other.id}/preferences",
            json={"non_essential": False},
            headers=service.token(other.id, Role.CANDIDATE),
        )
    ).status_code
    assert unknown == 404
    assert (await service.http.put(url, json={"whatever": 1}, headers=service.admin())).status_code == 422


async def test_the_unsubscribe_link_in_an_alert_stops_alerts_but_not_decisions(
    service: Any, smtp_server: Any
) -> None:
    priya, walsall, powys = Candidate(), Council(), Council(name="Powys")
    await service.deliver(submitted(priya))
    await known_council(service, walsall)
    await known_council(service, powys)
    await service.deliver(match_proposed(walsall, priya))
    alert = (await smtp_server.wait_for(priya.email, count=2))[1]
    found = re.search(r"/notifications/unsubscribe/(\S+)", alert.text)
    assert found is not None, alert.text

    page = await service.http.get(f"/unsubscribe/{found.group(1)}")  # the proxy strips /notifications
    assert page.status_code == 200
    assert "You will get no more alerts or reminders" in page.text

    second = match_proposed(powys, priya)
    await service.deliver(second)
    await service.deliver(scored(priya, AssessmentOutcome.NOT_SHORTLISTED))
    mails = await smtp_server.wait_for(priya.email, count=3)
    assert mails[2].subject == f"Your application {priya.reference}"
    [suppressed] = await service.deliveries(recipient_id=priya.id, event_id=second.event_id)
    assert suppressed.status == "suppressed"
    assert len(smtp_server.to(priya.email)) == 3


async def test_an_unsubscribe_link_that_was_not_made_here_does_nothing(service: Any) -> None:
    priya = Candidate()
    await service.deliver(submitted(priya))

    for token in (f"{priya.id}.{'0' * 32}", f"{priya.id}", "not-a-token", f"{uuid4()}.abc"):
        response = await service.http.get(f"/unsubscribe/{token}")
        assert response.status_code == 404, token
        assert "not valid" in response.text
    assert (await service.person(priya.id)).non_essential_opt_out is False


# ---------------------------------------------------------------------------- failures


async def test_a_busy_mail_server_is_retried_then_given_up_on(
    start_notifications: Callable[..., Any], failing_smtp_server: Callable[..., Any]
) -> None:
    busy = failing_smtp_server("451 4.3.0 try later", "DATA")
    service = await start_notifications(smtp_host="127.0.0.1", smtp_port=busy.port, delivery_max_attempts=3)
    priya = Candidate()
    await service.deliver(submitted(priya))

    [failed] = await service.wait_for_status("failed", recipient_id=priya.id)
    assert failed.attempts == 3
    assert failed.last_error.startswith("gave up after 3 attempts")
    assert "451" in failed.last_error
    assert "try later" in failed.last_error
    assert failed.sent_at is None
    assert busy.attempts() == 3


async def test_a_batch_is_sent_several_at_a_time_and_each_is_recorded_once(
    start_notifications: Callable[..., Any], smtp_server: Any
) -> None:
    smtp_server.pause_s = 0.3  # a slow mail server: sending one by one would leave it idle
    service = await start_notifications(
        smtp_host="127.0.0.1", smtp_port=smtp_server.port, dispatch_enabled=False, dispatch_concurrency=4
    )
    people = [Candidate() for _ in range(8)]
    for person in people:
        await service.deliver(submitted(person))

    assert await dispatch_once(service.runtime, SmtpChannel(service.runtime.settings)) == 8
    assert 1 < smtp_server.most_at_once <= 4
    for person in people:
        [row] = await service.deliveries(recipient_id=person.id)
        assert (row.status, row.attempts) == ("sent", 1)
        [mail] = smtp_server.to(person.email)
        assert row.provider_reference == str(mail.message["Message-ID"]).strip()
    assert await dispatch_once(service.runtime, SmtpChannel(service.runtime.settings)) == 0


async def test_a_transient_failure_is_retried_later_with_growing_backoff(
    start_notifications: Callable[..., Any], failing_smtp_server: Callable[..., Any]
) -> None:
    busy = failing_smtp_server("421 4.7.0 too many connections, try later", "RCPT")
    service = await start_notifications(
        smtp_host="127.0.0.1", smtp_port=busy.port, dispatch_enabled=False, retry_base_s=60
    )
    channel = SmtpChannel(service.runtime.settings)
    priya = Candidate()
    await service.deliver(submitted(priya))

    assert await dispatch_once(service.runtime, channel) == 1
    [row] = await service.deliveries(recipient_id=priya.id)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "421" in row.last_error
    first_wait = row.next_attempt_at - datetime.now(UTC)
    assert timedelta(seconds=50) < first_wait <= timedelta(seconds=60)
    assert await dispatch_once(service.runtime, channel) == 0  # not due yet
    assert busy.attempts() == 1

    async with service.runtime.engine.begin() as conn:
        await conn.execute(text("UPDATE notifications.deliveries SET next_attempt_at = now()"))
    assert await dispatch_once(service.runtime, channel) == 1
    [row] = await service.deliveries(recipient_id=priya.id)
    assert (row.status, row.attempts) == ("pending", 2)
    assert timedelta(seconds=110) < row.next_attempt_at - datetime.now(UTC) <= timedelta(seconds=120)

    admin_view = (await service.http.get("/deliveries", headers=service.admin())).json()["items"]
    assert [(d["status"], d["attempts"]) for d in admin_view] == [("pending", 2)]
    assert "421" in admin_view[0]["last_error"]


@pytest.mark.parametrize(
    ("answer", "at"),
    [("550 5.1.1 mailbox unavailable", "RCPT"), ("554 5.6.0 message refused", "DATA")],
)
async def test_a_refused_message_fails_at_once_with_the_reason(
    start_notifications: Callable[..., Any], failing_smtp_server: Callable[..., Any], answer: str, at: str
) -> None:
    refusing = failing_smtp_server(answer, at)
    service = await start_notifications(
        smtp_host="127.0.0.1", smtp_port=refusing.port, delivery_max_attempts=5
    )
    priya = Candidate()
    await service.deliver(submitted(priya))

    [failed] = await service.wait_for_status("failed", recipient_id=priya.id)
    assert failed.attempts == 1
    assert answer.split(" ", 1)[0] in failed.last_error
    assert answer.split(" ", 2)[2] in failed.last_error
    assert refusing.attempts() == 1
    log = await service.http.get("/deliveries", params={"status": "failed"}, headers=service.admin())
    assert [item["recipient_id"] for item in log.json()["items"]] == [str(priya.id)]


async def test_an_unreachable_mail_server_is_retried(start_notifications: Callable[..., Any]) -> None:
    service = await start_notifications(
        smtp_host="127.0.0.1", smtp_port=unused_port(), dispatch_enabled=False, smtp_timeout_s=2
    )
    priya = Candidate()
    await service.deliver(submitted(priya))

    assert await dispatch_once(service.runtime, SmtpChannel(service.runtime.settings)) == 1
    [row] = await service.deliveries(recipient_id=priya.id)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at > datetime.now(UTC)
    assert row.last_error


# ---------------------------------------------------------------------------- erasure


async def test_erasure_leaves_nothing_of_the_person_and_writes_them_nothing_more(
    service: Any, smtp_server: Any
) -> None:
    priya, amara, walsall = Candidate(), Candidate(name="Amara"), Council()
    await known_council(service, walsall)
    await service.deliver(submitted(priya))
    await service.deliver(submitted(amara))
    await service.deliver(sign_in(priya, datetime.now(UTC) + timedelta(hours=1)))
    await service.deliver(
        scored(priya, AssessmentOutcome.SHORTLISTED, next_step_deadline=today() + timedelta(days=1))
    )
    await service.deliver(match_proposed(walsall, priya))
    mails = await smtp_server.wait_for(priya.email, count=4)
    await service.wait_for_status("sent", recipient_id=priya.id)
    unsubscribe = f"/unsubscribe/{unsubscribe_token(service.runtime.settings, priya.id)}"
    token = next(link_in(m.text)[1] for m in mails if "/sign-in/" in m.text)  # the link made here
    traces = PersonTraces.of(priya.id, priya.application_id, priya.email, priya.reference, token)
    admin = service.admin()

    await service.deliver(erased(priya))

    mine, everyone, link = await assert_answers_without(
        service.http,
        traces,
        [
            (f"/deliveries?recipient_id={priya.id}", admin),
            ("/deliveries?page_size=200", admin),
            (unsubscribe, {}),
        ],
    )
    assert mine.json() == {"total": 0, "items": []}
    assert {i["recipient_id"] for i in everyone.json()["items"]} == {str(amara.id), str(walsall.id)}
    assert link.status_code == 404  # as a link that was never made
    preferences = await service.http.put(
        f"/people/{priya.id}/preferences", json={"non_essential": False}, headers=admin
    )
    assert preferences.status_code == 404
    assert (
        await stored_rows_with(service.runtime, PersonTraces.of(priya.email, priya.reference, "Priya", token))
        == []
    )
    assert await outbox_rows_with(service.runtime, traces) == []

    # Events about her that arrive afterwards write her nothing and keep nothing of her.
    await service.deliver(submitted(priya))
    await service.deliver(scored(priya, AssessmentOutcome.SELECTED))
    await service.deliver(match_proposed(walsall, priya))
    await service.deliver(reach_out(walsall, priya))
    assert await run_reminders(service, datetime.now(UTC)) == 0
    assert await service.deliveries(recipient_id=priya.id) == []
    assert (
        await stored_rows_with(service.runtime, PersonTraces.of(priya.email, priya.reference, "Priya")) == []
    )
    assert len(smtp_server.to(priya.email)) == 4


async def test_erasing_one_candidate_leaves_the_other_candidates_applications_as_they_were(
    service: Any, smtp_server: Any
) -> None:
    # Ids on both sides of the erased one's: a query comparing them by order would reach both.
    base = uuid4().int >> 8 << 8
    before, gone, after = (Candidate(id=UUID(int=base + n), name=name) for n, name in enumerate("ABC", 1))
    for candidate in (before, gone, after):
        await service.deliver(submitted(candidate))

    await service.deliver(erased(gone))

    async with service.runtime.uow_factory() as uow:
        ids = [c.application_id for c in (before, gone, after)]
        rows = (await uow.session.exec(select(ApplicationNote).where(col(ApplicationNote.id).in_(ids)))).all()
        notes = {note.candidate_id: (note.reference, note.withdrawn) for note in rows}
        tombstone = await uow.session.get(Person, gone.id)
    assert notes == {
        before.id: (before.reference, False),
        gone.id: ("", True),  # a tombstone: no reminder is ever due for it
        after.id: (after.reference, False),
    }
    assert tombstone is not None
    # nothing of the person kept, not even their preference
    assert (tombstone.email, tombstone.name, tombstone.non_essential_opt_out) == (None, None, False)


async def test_erasure_before_the_application_is_known_keeps_it_from_being_written_to(
    service: Any, smtp_server: Any
) -> None:
    zoe, amara = Candidate(name="Zoe"), Candidate(name="Amara")
    await service.deliver(erased(zoe))
    await service.deliver(submitted(zoe))
    await service.deliver(submitted(amara))
    await smtp_server.wait_for(amara.email)

    assert await service.deliveries(recipient_id=zoe.id) == []
    assert await stored_rows_with(service.runtime, PersonTraces.of(zoe.email, zoe.reference, "Zoe")) == []
    assert smtp_server.to(zoe.email) == []


async def test_erasure_cancels_messages_not_sent_yet(
    start_notifications: Callable[..., Any], smtp_server: Any
) -> None:
    service = await start_notifications(
        smtp_host="127.0.0.1", smtp_port=smtp_server.port, dispatch_enabled=False
    )
    priya, amara = Candidate(), Candidate(name="Amara")
    await service.deliver(submitted(priya))
    await service.deliver(scored(priya, AssessmentOutcome.SHORTLISTED, next_step_deadline=date(2031, 11, 6)))
    await service.deliver(submitted(amara))
    await service.deliver(erased(priya))

    assert await service.deliveries(recipient_id=priya.id) == []
    assert await dispatch_once(service.runtime, SmtpChannel(service.runtime.settings)) == 1
    assert smtp_server.to(priya.email) == []
    assert len(smtp_server.to(amara.email)) == 1


async def test_erasure_leaves_no_address_of_a_failed_message(
    start_notifications: Callable[..., Any], failing_smtp_server: Callable[..., Any]
) -> None:
    refusing = failing_smtp_server("550 5.1.1 mailbox unavailable", "RCPT")
    service = await start_notifications(smtp_host="127.0.0.1", smtp_port=refusing.port)
    priya = Candidate()
    await service.deliver(submitted(priya))
    await service.wait_for_status("failed", recipient_id=priya.id)
    await service.deliver(erased(priya))

    log = (await service.http.get("/deliveries", params={"status": "failed"}, headers=service.admin())).json()
    assert log == {"total": 0, "items": []}
    assert await stored_rows_with(service.runtime, PersonTraces.of(priya.email)) == []


# ---------------------------------------------------------------------------- reminders


async def test_a_shortlisting_due_tomorrow_gets_one_reminder(service: Any, smtp_server: Any) -> None:
    priya = Candidate()
    deadline = today() + timedelta(days=1)
    await service.deliver(submitted(priya))
    await service.deliver(scored(priya, AssessmentOutcome.SHORTLISTED, next_step_deadline=deadline))

    assert await run_reminders(service) == 1
    assert await run_reminders(service) == 0
    assert await run_reminders(service, datetime.now(UTC) + timedelta(hours=12)) == 0

    reminder = (await smtp_server.wait_for(priya.email, count=3))[2]
    assert reminder.subject == f"Reminder: your second stage closes on {deadline:%d %B %Y}"
    assert f"your application {priya.reference} closes on {deadline:%d %B %Y}" in reminder.text
    assert f"{PORTAL}/applications/my/applications/{priya.application_id}/second-stage" in reminder.text
    assert f"{PORTAL}/notifications/unsubscribe/{priya.id}." in reminder.text
    await service.deliver(withdrawn(priya))  # a later message, as a barrier
    await smtp_server.wait_for(priya.email, count=4)
    assert len(await service.deliveries(recipient_id=priya.id, template="second_stage_reminder")) == 1
    assert len(smtp_server.to(priya.email)) == 4


async def test_a_reminder_is_due_only_within_48_hours_of_the_deadline(service: Any) -> None:
    priya = Candidate()
    deadline = today() + timedelta(days=5)
    await service.deliver(submitted(priya))
    await service.deliver(scored(priya, AssessmentOutcome.SHORTLISTED, next_step_deadline=deadline))

    assert await run_reminders(service) == 0
    assert await run_reminders(service, datetime.now(UTC) + timedelta(days=7)) == 0  # past the deadline
    assert (
        await run_reminders(service, datetime.combine(deadline - timedelta(days=1), datetime.min.time(), UTC))
        == 1
    )
    assert len(await service.deliveries(recipient_id=priya.id, template="second_stage_reminder")) == 1


@pytest.mark.parametrize("done", ["second_stage", "withdrawn"])
async def test_no_reminder_after_the_second_stage_or_a_withdrawal(service: Any, done: str) -> None:
    priya = Candidate()
    await service.deliver(submitted(priya))
    await service.deliver(
        scored(priya, AssessmentOutcome.SHORTLISTED, next_step_deadline=today() + timedelta(days=1))
    )
    await service.deliver(second_stage(priya) if done == "second_stage" else withdrawn(priya))

    assert await run_reminders(service) == 0
    assert await service.deliveries(recipient_id=priya.id, template="second_stage_reminder") == []


async def test_training_past_its_expected_end_gets_one_overdue_reminder(
    service: Any, smtp_server: Any
) -> None:
    priya, amara = Candidate(), Candidate(name="Amara")
    expected_end = today() - timedelta(days=1)
    for candidate in (priya, amara):
        await service.deliver(submitted(candidate))
        await service.deliver(enrolled(candidate, expected_end))
    await service.deliver(completed(amara, uuid4()))

    assert await run_reminders(service) == 1
    assert await run_reminders(service) == 0

    overdue = (await smtp_server.wait_for(priya.email, count=3))[2]
    assert overdue.subject == f"Your training was due to finish on {expected_end:%d %B %Y}"
    assert f"{PORTAL}/training" in overdue.text
    assert await service.deliveries(recipient_id=amara.id, template="training_overdue") == []


async def test_training_not_yet_over_gets_no_reminder(service: Any) -> None:
    priya = Candidate()
    await service.deliver(submitted(priya))
    await service.deliver(enrolled(priya, today()))

    assert await run_reminders(service) == 0


# ---------------------------------------------------------------------------- the delivery log


async def test_the_admin_delivery_log_shows_statuses_and_filters(
    start_notifications: Callable[..., Any], smtp_server: Any
) -> None:
    service = await start_notifications(
        smtp_host="127.0.0.1", smtp_port=smtp_server.port, dispatch_enabled=False
    )
    priya, amara, walsall = Candidate(), Candidate(name="Amara"), Council()
    first = submitted(priya)
    await service.deliver(first)
    await service.deliver(submitted(amara))
    await known_council(service, walsall)
    assert await dispatch_once(service.runtime, SmtpChannel(service.runtime.settings)) == 3
    await service.http.put(
        f"/people/{amara.id}/preferences",
        json={"non_essential": False},
        headers=service.token(amara.id, Role.CANDIDATE),
    )
    alert = match_proposed(walsall, amara)
    await service.deliver(alert)

    admin = service.admin()
    everything = (await service.http.get("/deliveries", headers=admin)).json()
    assert everything["total"] == 5
    assert sorted((i["template"], i["status"]) for i in everything["items"]) == [
        ("application_received", "sent"),
        ("application_received", "sent"),
        ("council_registered", "sent"),
        ("match_proposed", "pending"),
        ("vacancy_alert", "suppressed"),
    ]
    assert everything["items"][0]["created_at"] >= everything["items"][-1]["created_at"]  # newest first

    mine = (
        await service.http.get("/deliveries", params={"recipient_id": str(priya.id)}, headers=admin)
    ).json()
    assert mine["total"] == 1
    [item] = mine["items"]
    assert item["event_id"] == str(first.event_id)
    assert (item["template"], item["status"], item["attempts"], item["language"]) == (
        "application_received",
        "sent",
        1,
        "en",
    )
    assert item["sent_at"] is not None

    by_event = (
        await service.http.get("/deliveries", params={"event_id": str(alert.event_id)}, headers=admin)
    ).json()
    assert sorted((i["recipient_id"], i["status"]) for i in by_event["items"]) == sorted(
        [(str(amara.id), "suppressed"), (str(walsall.id), "pending")]
    )
    suppressed = (
        await service.http.get("/deliveries", params={"status": "suppressed"}, headers=admin)
    ).json()
    assert [i["recipient_id"] for i in suppressed["items"]] == [str(amara.id)]

    page = (await service.http.get("/deliveries", params={"page_size": 2, "page": 3}, headers=admin)).json()
    assert (page["total"], len(page["items"])) == (5, 1)


async def test_the_delivery_log_is_for_admins_only(service: Any) -> None:
    priya = Candidate()
    await service.deliver(submitted(priya))

    assert (await service.http.get("/deliveries")).status_code == 401
    for principal in (
        Principal(str(priya.id), Role.CANDIDATE),
        Principal("recruiter-1", Role.RECRUITER, council_id=str(uuid4())),
        Principal("assessor-1", Role.ASSESSOR),
        Principal("trainer-1", Role.TRAINER, provider_id="provider-1"),
    ):
        token = issue_token(service.runtime.settings.token_secret.get_secret_value(), principal)
        response = await service.http.get(
            "/deliveries",
            params={"recipient_id": str(priya.id)},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 403, principal
    assert (await service.http.get("/deliveries", headers=service.admin())).status_code == 200
