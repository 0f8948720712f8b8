"""Use cases of applying: start a draft, save answers, sign in again, submit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID, uuid4

from rtw_contracts import (
    ApplicationContactGiven,
    ApplicationSubmittedV2,
    CandidateSignInRequestedV2,
    Event,
    IctSpecialism,
    Language,
    Programme,
)
from rtw_platform import auth, clock, reference
from rtw_platform.auth import InvalidToken, Principal, Purpose, Role, verify_token
from rtw_platform.errors import AlreadyApplied, Conflict, Forbidden, Invalid, NotFound, Refusal
from rtw_platform.uow import UnitOfWork
from sqlalchemy import String, any_, bindparam, func, insert, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from . import domain
from .access import TokenIssuer, caller_identity, reaches
from .api_models import ApplicationAnswers, EqualityMonitoring, NewApplication, NewDraft
from .cohorts import cohort_or_refuse, open_cohort_or_refuse
from .journey import add_first_steps
from .models import (
    Application,
    Candidate,
    Cohort,
    EqualityMonitoringAnswers,
    UsedSignInToken,
)

NEXT_NUMBER = "SELECT nextval('applications.application_numbers')"


NO_SUCH_APPLICATION = "There is no application with that id."
ERASED_ACCOUNT = "Your account is no longer here (it was erased). Apply again without signing in."


@dataclass(frozen=True)
class LinkSent:
    """All an anonymous caller learns: a link was e-mailed to the address they gave. Whether the
    address was known, and anything of its account, stays with the address's owner."""


async def candidate_by_email(uow: UnitOfWork, email: str) -> Candidate | None:
    """The candidate with this e-mail address (any case)."""
    statement = select(Candidate).where(Candidate.email == email.lower())
    return (await uow.session.exec(statement)).first()


async def _new_candidate(uow: UnitOfWork, email: str, answers: ApplicationAnswers) -> Candidate:
    candidate = Candidate(
        id=uuid4(),
        email=email.lower(),
        given_name=answers.given_name,
        family_name=answers.family_name,
        phone=answers.phone,
        preferred_language=(answers.preferred_language or Language.EN).value,
        created_at=clock.now(),
    )
    uow.session.add(candidate)
    return candidate


def _sign_in_requested(
    candidate: Candidate, issuer: TokenIssuer, next_page: str | None = None
) -> CandidateSignInRequestedV2:
    """The event that has notifications make and e-mail the candidate a sign-in link (then to
    `next_page`): who it is for, where to send it and until when it works, never the link."""
    return CandidateSignInRequestedV2(
        correlation_id=candidate.id,
        candidate_id=candidate.id,
        email=candidate.email or "",
        given_name=candidate.given_name or "there",
        preferred_language=Language(candidate.preferred_language),
        next_page=next_page,
        expires_at=issuer.link_expiry(),
    )


async def _send_sign_in(
    uow: UnitOfWork, candidate: Candidate, issuer: TokenIssuer, next_page: str | None = None
) -> None:
    uow.publish(_sign_in_requested(candidate, issuer, next_page))


async def start_draft(
    command: NewDraft, uow: UnitOfWork, issuer: TokenIssuer, today: date, *, _retried: bool = False
) -> LinkSent:
    """Start an application for an address nobody has proven yet: the address is e-mailed a link,
    and only following it signs anyone in. A new address gets its draft (the link leads to it); a
    known one gets a link to sign in, and nothing of its account is read back or changed."""
    cohort = await open_cohort_or_refuse(uow, command.cohort_id, today)
    existing = await candidate_by_email(uow, str(command.email))
    if existing is not None:
        await _send_sign_in(uow, existing, issuer)  # to their applications, this cohort among them
        await uow.commit()
        return LinkSent()
    names = ApplicationAnswers(given_name=command.given_name, family_name=command.family_name)
    candidate = await _new_candidate(uow, str(command.email), names)
    application = Application(
        id=uuid4(),
        candidate_id=candidate.id,
        cohort_id=cohort.id,
        programme=cohort.programme,
        status=domain.Stage.DRAFT.value,
        answers=names.model_dump(mode="json", exclude_none=True),
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    uow.session.add(application)
    try:
        await uow.session.flush()
    except IntegrityError:
        # A concurrent request created this person first: answer as for a known address.
        await uow.session.rollback()
        if _retried:
            raise Conflict("Another request for this address came at the same moment; try again.") from None
        return await start_draft(command, uow, issuer, today, _retried=True)
    await _send_sign_in(uow, candidate, issuer, f"/applications/application/{application.id}")
    await uow.commit()
    return LinkSent()


async def start_draft_as(principal: Principal, cohort_id: str, uow: UnitOfWork, today: date) -> Application:
    """A signed-in candidate starts (or resumes) an application to another cohort. A token that
    outlived its candidate's erasure starts nothing (it is answered as for someone unknown)."""
    await open_cohort_or_refuse(uow, cohort_id, today)
    candidate_id = UUID(principal.subject)
    candidate = await uow.session.get(Candidate, candidate_id)
    if candidate is None or candidate.erased_at is not None:
        raise NotFound(ERASED_ACCOUNT)
    existing = (
        await uow.session.exec(
            select(Application).where(
                Application.candidate_id == candidate_id, Application.cohort_id == cohort_id
            )
        )
    ).first()
    if existing is not None:
        if existing.reference is not None:
            raise AlreadyApplied(existing.reference)
        return existing
    cohort = await cohort_or_refuse(uow, cohort_id)
    application = Application(
        id=uuid4(),
        candidate_id=candidate_id,
        cohort_id=cohort.id,
        programme=cohort.programme,
        status=domain.Stage.DRAFT.value,
        answers={},
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    uow.session.add(application)
    await uow.commit()
    return application


async def request_sign_in(
    email: str, uow: UnitOfWork, issuer: TokenIssuer, next_page: str | None = None
) -> None:
    """E-mail a sign-in link if the address is known (leading to `next_page`, a path on the
    platform the caller checked); say nothing either way."""
    candidate = await candidate_by_email(uow, email)
    if candidate is not None and candidate.erased_at is None:
        await _send_sign_in(uow, candidate, issuer, next_page)
        await uow.commit()


async def redeem_sign_in_link(token: str, uow: UnitOfWork, secret: str) -> Principal:
    """Who a sign-in link is for, once: a candidate's e-mailed link or a staff member's link from
    `rtw token issue --link`. Recruiters sign in at matching, which knows them."""
    return await auth.redeem_sign_in_link(
        uow,
        UsedSignInToken,
        secret,
        token,
        roles=set(Role) - {Role.RECRUITER},
        wrong_role="Council recruiters sign in with the link in their invitation e-mail.",
        ask_again="Ask for a new one.",
    )


async def exchange_sign_in(token: str, uow: UnitOfWork, issuer: TokenIssuer) -> tuple[UUID, str]:
    """Trade a candidate's sign-in link's token (once) for an access token."""
    try:
        role = verify_token(issuer.secret, token, purpose=Purpose.SIGN_IN).role
    except InvalidToken:
        role = Role.CANDIDATE  # redeem_sign_in_link says what is wrong with it
    if role is not Role.CANDIDATE:
        raise Forbidden("This is not a candidate's sign-in link.")
    principal = await redeem_sign_in_link(token, uow, issuer.secret)
    candidate_id = UUID(principal.subject)
    return candidate_id, issuer.access_token(candidate_id)


async def application_or_refuse(uow: UnitOfWork, application_id: UUID, principal: Principal) -> Application:
    """The application, if it exists and the caller may reach it."""
    application = await uow.session.get(Application, application_id)
    if application is None or application.anonymised_at is not None:
        raise NotFound(NO_SUCH_APPLICATION)
    if not reaches(principal, application.candidate_id):
        raise NotFound(NO_SUCH_APPLICATION)  # someone else's: answered exactly as an unknown id
    return application


async def save_answers(
    application_id: UUID, changes: ApplicationAnswers, principal: Principal, uow: UnitOfWork
) -> Application:
    """Save part of a draft; what was already saved stays unless replaced."""
    application = await application_or_refuse(uow, application_id, principal)
    if application.status != domain.Stage.DRAFT.value:
        raise Conflict(f"Application {application.reference} was already submitted and cannot be changed.")
    merged = {**application.answers, **changes.model_dump(mode="json", exclude_unset=True)}
    application.answers = merged
    application.updated_at = clock.now()
    candidate = await uow.session.get(Candidate, application.candidate_id)
    if candidate is not None:
        for field in ("given_name", "family_name", "phone"):
            if field in changes.model_fields_set:
                setattr(candidate, field, getattr(changes, field))
        if changes.preferred_language is not None:
            candidate.preferred_language = changes.preferred_language.value
        uow.session.add(candidate)
    uow.session.add(application)
    await uow.commit()
    return application


_REQUIRED: dict[str, str] = {
    "given_name": "Enter your first name.",
    "family_name": "Enter your last name.",
    "postcode_district": "Enter your postcode, for example B1 1AA.",
    "right_to_work": "Say whether you have the right to work in the UK.",
    "career_break": "Tell us about your career break: when it started and why.",
    "years_experience": "Enter your years of experience in the profession.",
    "work_preferences": "Tell us how and where you want to work.",
    "privacy_notice_version": "Read the privacy notice and say which version you read.",
}


def missing_answers(programme: Programme, answers: ApplicationAnswers) -> list[tuple[str, str]]:
    """(field, what to do) for everything still needed before the application can be submitted."""
    problems = [(field, message) for field, message in _REQUIRED.items() if getattr(answers, field) is None]
    if answers.consent_to_processing is not True:
        problems.append(
            (
                "consent_to_processing",
                "Agree to the privacy notice: we cannot process an application without it.",
            )
        )
    profile = domain.PROGRAMMES[programme]
    registration = answers.professional_registration
    if profile.registration_required and registration is None:
        bodies = ", ".join(profile.professional_bodies)
        problems.append(("professional_registration", f"Tell us your registration with one of: {bodies}."))
    if (
        registration is not None
        and profile.professional_bodies
        and registration.body not in profile.professional_bodies
    ):
        bodies = ", ".join(profile.professional_bodies)
        problems.append(("professional_registration.body", f"Choose one of: {bodies}."))
    if profile.asks_for_specialisms:
        problems.extend(_ict_problems(answers))
    elif answers.specialisms:
        problems.append(("specialisms", "Specialisms are asked only of ICT applicants."))
    return problems


def _ict_problems(answers: ApplicationAnswers) -> list[tuple[str, str]]:
    if not answers.specialisms:
        return [("specialisms", "Choose at least one specialism you would like to work in.")]
    if not answers.skills:
        return [("skills", "Rate yourself on at least one skill of the roles you chose.")]
    roles = tuple(sorted({role for s in answers.specialisms for role in IctSpecialism(s).ddat_roles}))
    relevant = reference.skills_for_roles(roles)
    return [
        (f"skills.{claim.skill}", "This skill is not one the roles you chose need.")
        for claim in answers.skills
        if claim.skill not in relevant
    ]


async def submit(
    application_id: UUID,
    principal: Principal,
    uow: UnitOfWork,
    *,
    client_request_id: str | None = None,
    today: date,
) -> Application:
    """Submit a draft: everything needed must be there and the window open. Submits of one draft
    run one after the other (the application's journey lock, until the commit), so the draft is
    read as the last one left it: submitted at once, it is submitted once, with one number."""
    await uow.lock(f"applications.journey:{application_id}")
    application = await application_or_refuse(uow, application_id, principal)
    key = _scoped(principal, "", client_request_id)
    if application.reference is not None:
        if key is not None and application.client_request_id == key:
            return application  # the same request again
        raise AlreadyApplied(application.reference)
    if key is not None and await _by_request_key(uow, key) is not None:
        raise Conflict("This Idempotency-Key was already used for another request: send a new key.")
    await open_cohort_or_refuse(uow, application.cohort_id, today)
    answers = ApplicationAnswers.model_validate(application.answers)
    problems = missing_answers(Programme(application.programme), answers)
    if problems:
        raise Invalid(problems, "Your application is not finished yet.")
    candidate = await uow.session.get(Candidate, application.candidate_id)
    assert candidate is not None
    application.client_request_id = key
    await _submit(uow, application, candidate, answers)
    return application


def _scoped(caller: Principal | None, email: str, client_request_id: str | None) -> str | None:
    """The caller's `Idempotency-Key` as stored (bound to the caller), or None without one."""
    if client_request_id is None:
        return None
    return domain.request_key(caller_identity(caller, email), client_request_id)


async def _by_request_key(uow: UnitOfWork, key: str) -> Application | None:
    statement = select(Application).where(Application.client_request_id == key)
    return (await uow.session.exec(statement)).first()


async def submit_whole(
    command: NewApplication,
    uow: UnitOfWork,
    issuer: TokenIssuer,
    *,
    caller: Principal | None,
    client_request_id: str | None = None,
    today: date,
    _retried: bool = False,
) -> Application | LinkSent:
    """A whole application at once, answered according to who sends it.

    - Anonymous (`caller` None): the address is unproven, so the answer is only `LinkSent`. A new
      address has the application kept as a finished draft and is e-mailed a link to its
      check-answers page, where its owner sends it (nothing is submitted in the name of an
      address nobody has proven); a known address is e-mailed a link to sign in, and nothing of
      its account is read back, changed or deleted.
    - A signed-in candidate applies as themself only (the e-mail must be their own).
    - An admin (a partner's service, the bulk import) applies for anyone and gets the application.

    An `Idempotency-Key` is bound to its caller: the same key from anyone else is a new request.
    """
    if caller is not None and caller.role not in (Role.CANDIDATE, Role.ADMIN):
        raise Forbidden("Only candidates and programme admins send applications.")
    email = str(command.email)
    key = _scoped(caller, email, client_request_id)
    if key is not None:
        earlier = await _by_request_key(uow, key)
        if earlier is not None:
            return LinkSent() if caller is None else earlier  # the same request again
    cohort = await open_cohort_or_refuse(uow, command.cohort_id, today)
    answers = _answers_of(command)
    problems = missing_answers(Programme(cohort.programme), answers)
    if problems:
        raise Invalid(problems)
    if caller is None:
        known = await candidate_by_email(uow, email)
        if known is not None:
            await _send_sign_in(uow, known, issuer)
            await uow.commit()
            return LinkSent()
        candidate = await _new_candidate(uow, email, answers)
    elif caller.role is Role.CANDIDATE:
        candidate = await _signed_in_candidate(uow, caller, email)
        await _replace_draft(uow, candidate, cohort)
    else:
        found = await candidate_by_email(uow, email)
        if found is None:
            candidate = await _new_candidate(uow, email, answers)
        else:
            candidate = found
            await _replace_draft(uow, candidate, cohort)
    application = _new_application(uow, command, candidate, cohort, answers, key)
    try:
        if caller is None:
            # Kept as a finished draft: only the address's owner, by the link, sends it.
            await uow.session.flush()  # before the link is queued: a lost race queues nothing
            page = f"/applications/application/{application.id}/check-answers"
            uow.publish(_sign_in_requested(candidate, issuer, page))
            await uow.commit()
        else:
            await _submit(uow, application, candidate, answers)
    except IntegrityError:
        # Another request won a race: for the same key, answer as if it had come first.
        await uow.session.rollback()
        winner = await _the_winner(uow, command, key, caller)
        if winner is not None:
            return LinkSent() if caller is None else winner
        if _retried:
            raise Conflict(
                "This application was being changed by another request at the same moment; try again."
            ) from None
        # The race was over the candidate (one person's applications to several cohorts at once,
        # or the same new address twice): the candidate exists now, so try once more.
        return await submit_whole(
            command,
            uow,
            issuer,
            caller=caller,
            client_request_id=client_request_id,
            today=today,
            _retried=True,
        )
    return LinkSent() if caller is None else application


async def _signed_in_candidate(uow: UnitOfWork, caller: Principal, email: str) -> Candidate:
    """The signed-in candidate, applying with their own address."""
    candidate = await uow.session.get(Candidate, UUID(caller.subject))
    if candidate is None or candidate.erased_at is not None:
        raise NotFound(ERASED_ACCOUNT)
    if candidate.email != email.lower():
        raise Invalid([("email", "Apply with the e-mail address you signed in with.")])
    return candidate


async def _replace_draft(uow: UnitOfWork, candidate: Candidate, cohort: Cohort) -> None:
    """Refuse a second application to the cohort; an unfinished draft is replaced by the whole form
    (only ever for the candidate themself or an admin)."""
    earlier = (
        await uow.session.exec(
            select(Application).where(
                Application.candidate_id == candidate.id, Application.cohort_id == cohort.id
            )
        )
    ).first()
    if earlier is not None and earlier.reference is not None:
        raise AlreadyApplied(earlier.reference)
    if earlier is not None:
        await uow.session.delete(earlier)
        await uow.session.flush()


def _answers_of(command: NewApplication) -> ApplicationAnswers:
    return ApplicationAnswers.model_validate(
        command.model_dump(exclude={"cohort_id", "email", "equality_monitoring"}, exclude_unset=True)
    )


def _draft(
    candidate_id: UUID,
    cohort: Cohort,
    answers: ApplicationAnswers,
    client_request_id: str | None,
    now: datetime,
) -> dict[str, Any]:
    """A new application's values, as a draft (submitting then marks it submitted)."""
    return {
        "id": uuid4(),
        "candidate_id": candidate_id,
        "cohort_id": cohort.id,
        "programme": cohort.programme,
        "status": domain.Stage.DRAFT.value,
        "client_request_id": client_request_id,
        "answers": answers.model_dump(mode="json", exclude_unset=True),
        "created_at": now,
        "updated_at": now,
    }


def _new_application(
    uow: UnitOfWork,
    command: NewApplication,
    candidate: Candidate,
    cohort: Cohort,
    answers: ApplicationAnswers,
    client_request_id: str | None,
) -> Application:
    application = Application(**_draft(candidate.id, cohort, answers, client_request_id, clock.now()))
    uow.session.add(application)
    if command.equality_monitoring is not None:
        _store_equality(uow, application, command.equality_monitoring)
    return application


async def submit_newcomers(
    commands: list[tuple[NewApplication, str]], uow: UnitOfWork, *, caller: Principal, today: date
) -> list[int]:
    """Whole applications from people not yet known, all in this unit of work's one transaction.

    `commands` pairs each application with its idempotency key, bound to `caller` (an admin) as
    `submit_whole` binds it. Only the plain case is done here:
    a new person, a new key, an open cohort, nothing missing, no equality monitoring. Its rows
    are written in a few statements, without ORM objects. Returns the positions of the others
    (someone known, a key seen before, the same person twice in the list, a closed cohort, missing
    answers), for `submit_whole` to take one at a time and answer or refuse exactly as it does
    for an API client. The caller commits nothing else: this commits when there was anything to
    submit. A race with a concurrent request for the same person fails the commit; the caller then
    submits the batch one at a time.
    """
    scope = caller_identity(caller, "")
    commands = [(command, domain.request_key(scope, key)) for command, key in commands]
    keys = [key for _, key in commands]
    emails = [str(command.email).lower() for command, _ in commands]
    # `= ANY(array)`, not `IN (…)`: one parameter, and a generic plan that still uses the index
    # (with IN and no statistics yet, a cached plan can scan the whole table for every batch).
    seen_keys = set(
        (
            await uow.session.exec(
                select(Application.client_request_id).where(
                    Application.client_request_id == any_(bindparam("keys", keys, type_=ARRAY(String)))
                )
            )
        ).all()
    )
    known_emails = set(
        (
            await uow.session.exec(
                select(Candidate.email).where(
                    Candidate.email == any_(bindparam("emails", emails, type_=ARRAY(String)))
                )
            )
        ).all()
    )
    cohorts: dict[str, Cohort | None] = {}
    for cohort_id in {command.cohort_id for command, _ in commands}:
        try:
            cohorts[cohort_id] = await open_cohort_or_refuse(uow, cohort_id, today)
        except Refusal:
            cohorts[cohort_id] = None
    left: list[int] = []
    plain: list[tuple[NewApplication, str, Cohort, ApplicationAnswers]] = []
    for position, ((command, key), email) in enumerate(zip(commands, emails, strict=True)):
        cohort = cohorts[command.cohort_id]
        answers = _answers_of(command)
        if (
            key in seen_keys
            or email in known_emails
            or cohort is None
            or command.equality_monitoring is not None
            or missing_answers(Programme(cohort.programme), answers)
        ):
            left.append(position)
            continue
        seen_keys.add(key)
        known_emails.add(email)
        plain.append((command, key, cohort, answers))
    if not plain:
        return left
    numbers = (
        await uow.session.execute(
            text("SELECT nextval('applications.application_numbers') FROM generate_series(1, :n)"),
            {"n": len(plain)},
        )
    ).scalars()
    now = clock.now()
    candidates: list[_NewCandidateRow] = []
    applications: list[_NewApplicationRow] = []
    events: list[tuple[ApplicationSubmittedV2, ApplicationContactGiven]] = []
    for (command, key, cohort, answers), number in zip(plain, numbers, strict=True):
        candidate = _NewCandidateRow(id=uuid4(), email=str(command.email).lower(), created_at=now)
        application = _NewApplicationRow(**_draft(candidate.id, cohort, answers, key, now))
        events.append(_mark_submitted(application, candidate, answers, number, now))
        candidates.append(candidate)
        applications.append(application)
    await uow.session.execute(insert(Candidate), [vars(c) for c in candidates])
    await uow.session.execute(insert(Application), [vars(a) for a in applications])
    await add_first_steps(
        uow, [(e.application_id, e.event_id, domain.Stage.SUBMITTED, now) for e, _contact in events]
    )
    uow.publish(*(event for pair in events for event in pair))
    await uow.commit()
    return left


async def _the_winner(
    uow: UnitOfWork, command: NewApplication, key: str | None, caller: Principal | None
) -> Application | None:
    """After losing a race: the same request's application, or (to a signed-in caller only) the
    refusal of a duplicate. An anonymous caller is answered by trying again."""
    if key is not None:
        same = await _by_request_key(uow, key)
        if same is not None:
            return same
    if caller is None:
        return None
    candidate = await candidate_by_email(uow, str(command.email))
    if candidate is not None:
        earlier = (
            await uow.session.exec(
                select(Application).where(
                    Application.candidate_id == candidate.id,
                    Application.cohort_id == command.cohort_id,
                )
            )
        ).first()
        if earlier is not None and earlier.reference is not None:
            raise AlreadyApplied(earlier.reference)
    return None


async def _submit(
    uow: UnitOfWork,
    application: Application,
    candidate: Candidate,
    answers: ApplicationAnswers,
    *also: Event,
) -> None:
    """Mark the application submitted and commit it with its event (and `also`, published only
    once the rows are written, so a lost race leaves nothing queued)."""
    now = clock.now()
    number = (await uow.session.execute(text(NEXT_NUMBER))).scalar_one()
    event, contact = _mark_submitted(application, candidate, answers, number, now)
    uow.session.add(candidate)
    uow.session.add(application)
    await uow.session.flush()
    # Submitting is an application's first step (a draft has none: a withdrawn draft is deleted),
    # so the status set above is already its furthest stage: no need to read its steps back.
    await add_first_steps(uow, [(application.id, event.event_id, domain.Stage.SUBMITTED, now)])
    uow.publish(event, contact, *also)
    await uow.commit()


class _Submittable(Protocol):
    """What submitting reads and writes of an application: its ORM object or a new row's values."""

    id: UUID
    cohort_id: str
    programme: str
    number: int | None
    reference: str | None
    status: str
    region: str | None
    submitted_at: datetime | None
    updated_at: datetime
    consent_given_at: datetime | None
    privacy_notice_version: str | None
    event_sequence: int
    guaranteed_second_stage: bool


class _Applicant(Protocol):
    """What submitting reads and writes of the candidate."""

    id: UUID
    email: str | None
    given_name: str | None
    family_name: str | None
    phone: str | None
    preferred_language: str


@dataclass
class _NewCandidateRow:
    """A new candidate's columns, for a bulk insert without the cost of ORM objects."""

    id: UUID
    email: str | None
    created_at: datetime
    given_name: str | None = None
    family_name: str | None = None
    phone: str | None = None
    preferred_language: str = Language.EN.value


@dataclass
class _NewApplicationRow:
    """A new application's columns, for a bulk insert without the cost of ORM objects."""

    id: UUID
    candidate_id: UUID
    cohort_id: str
    programme: str
    status: str
    client_request_id: str | None
    answers: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    number: int | None = None
    reference: str | None = None
    region: str | None = None
    submitted_at: datetime | None = None
    consent_given_at: datetime | None = None
    privacy_notice_version: str | None = None
    event_sequence: int = 0
    guaranteed_second_stage: bool = False


def _mark_submitted(
    application: _Submittable,
    candidate: _Applicant,
    answers: ApplicationAnswers,
    number: int,
    now: datetime,
) -> tuple[ApplicationSubmittedV2, ApplicationContactGiven]:
    """Give the application its number and reference, mark it submitted; the events that say so:
    its facts (for screening, matching and training, nothing that names the candidate) and, apart,
    who applied and how to reach them (for the services that contact or show the person)."""
    programme = Programme(application.programme)
    district = reference.postcode_district(answers.postcode_district or "")
    assert district is not None  # validated with the answers
    application.number = number
    application.reference = domain.reference_for(programme, number)
    application.status = domain.Stage.SUBMITTED.value
    application.region = district.region.value
    application.submitted_at = now
    application.updated_at = now
    application.consent_given_at = now
    application.privacy_notice_version = answers.privacy_notice_version
    application.event_sequence += 1
    candidate.given_name = answers.given_name
    candidate.family_name = answers.family_name
    if answers.phone is not None:
        candidate.phone = answers.phone
    if answers.preferred_language is not None:
        candidate.preferred_language = answers.preferred_language.value
    # Completeness was checked before: these are for the type checker.
    assert answers.career_break is not None
    assert answers.work_preferences is not None
    assert answers.right_to_work is not None
    assert answers.years_experience is not None
    facts = ApplicationSubmittedV2(
        correlation_id=application.id,
        sequence=application.event_sequence,
        application_id=application.id,
        candidate_id=candidate.id,
        reference=application.reference,
        programme=programme,
        cohort_id=application.cohort_id,
        submitted_at=now,
        postcode_district=district.code,
        region=district.region,
        right_to_work=answers.right_to_work,
        career_break=answers.career_break,
        years_experience=answers.years_experience,
        professional_registration=answers.professional_registration,
        specialisms=list(answers.specialisms or []),
        skills=list(answers.skills or []),
        work_preferences=answers.work_preferences,
        privacy_notice_version=answers.privacy_notice_version or "",
        guaranteed_second_stage=application.guaranteed_second_stage,
    )
    contact = ApplicationContactGiven(
        correlation_id=application.id,
        causation_id=facts.event_id,
        sequence=facts.sequence,  # the same change as the facts: the same number
        application_id=application.id,
        candidate_id=candidate.id,
        reference=application.reference,
        programme=programme,
        cohort_id=application.cohort_id,
        given_name=answers.given_name or "",
        family_name=answers.family_name or "",
        email=candidate.email or "",
        phone=answers.phone,  # given (or not) for a council to call about a job
        preferred_language=Language(candidate.preferred_language),
        given_at=now,
    )
    return facts, contact


def _store_equality(uow: UnitOfWork, application: Application, answers: EqualityMonitoring) -> None:
    uow.session.add(
        EqualityMonitoringAnswers(
            application_id=application.id,
            cohort_id=application.cohort_id,
            programme=application.programme,
            answers=answers.model_dump(mode="json", exclude_none=True),
            recorded_at=clock.now(),
        )
    )


async def record_equality_monitoring(
    application_id: UUID, answers: EqualityMonitoring, principal: Principal, uow: UnitOfWork
) -> None:
    """Store (or replace) the candidate's optional equality-monitoring answers."""
    application = await application_or_refuse(uow, application_id, principal)
    if principal.role.value != "candidate":
        raise Forbidden("Only the candidate answers equality monitoring.")
    existing = await uow.session.get(EqualityMonitoringAnswers, application.id)
    if existing is not None:
        existing.answers = answers.model_dump(mode="json", exclude_none=True)
        existing.recorded_at = clock.now()
        uow.session.add(existing)
    else:
        _store_equality(uow, application, answers)
    await uow.commit()


async def list_applications(
    uow: UnitOfWork,
    *,
    cohort_id: str | None,
    status: str | None,
    page: int,
    page_size: int,
) -> tuple[list[Application], int]:
    """Applications for admins, newest first (drafts included when asked by status)."""
    statement: Any = select(Application).where(Application.anonymised_at.is_(None))  # type: ignore[union-attr]
    counting: Any = (
        select(func.count())
        .select_from(Application)
        .where(
            Application.anonymised_at.is_(None)  # type: ignore[union-attr]
        )
    )
    if cohort_id is not None:
        statement = statement.where(Application.cohort_id == cohort_id)
        counting = counting.where(Application.cohort_id == cohort_id)
    if status is not None:
        statement = statement.where(Application.status == status)
        counting = counting.where(Application.status == status)
    total = (await uow.session.exec(counting)).one()
    newest_first = Application.created_at.desc()  # type: ignore[attr-defined]
    rows = await uow.session.exec(
        statement.order_by(newest_first).offset((page - 1) * page_size).limit(page_size)
    )
    found: list[Application] = list(rows.all())
    return found, int(total)
