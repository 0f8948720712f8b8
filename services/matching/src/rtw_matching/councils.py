"""Councils are claimed by signing up and approved by a programme admin; approved councils invite
recruiters and post vacancies. Whoever does not act for a council finds none of its things."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID, uuid4

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)
from rtw_contracts import (
    CouncilClaimRejected,
    CouncilRegistered,
    FlexibleWorking,
    IctSpecialism,
    Programme,
    RecruiterInvitedV2,
    SalaryBand,
    SkillClaim,
    VacancyPosted,
    WorkMode,
)
from rtw_contracts.types import GssCode
from rtw_platform import reference
from rtw_platform.auth import (
    InvalidToken,
    Principal,
    Purpose,
    Role,
    issue_token,
    redeem_sign_in_link,
    verify_token,
)
from rtw_platform.errors import Conflict, Forbidden, Invalid, NotFound
from rtw_platform.uow import UnitOfWork
from sqlalchemy import func
from sqlmodel import col, select

from . import domain
from .models import CandidateMatch, Council, CouncilClaim, Recruiter, UsedSignInToken, Vacancy
from .pool_ranking import match_vacancy
from .proposals import Matched

#: A person's name as kept: a letter at least, NFC, no invisible or control characters.
PersonName = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(domain.person_name)]

NO_COUNCIL = "There is no council with that id."
NO_VACANCY = "There is no vacancy with that id."
NO_MATCH = "There is no such match (the candidate may have withdrawn)."
NO_CLAIM = "There is no claim with that id."
#: Claims a council may have waiting at once (each a different contact).
PENDING_CLAIMS_PER_COUNCIL = 5
#: Councils one address is sent sign-in links for, at most, when it asks.
LINKS_PER_REQUEST = 5


class CouncilSignUp(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gss_code: GssCode
    contact_name: PersonName
    contact_email: EmailStr
    specialisms_needed: list[IctSpecialism] = Field(default_factory=list, max_length=len(IctSpecialism))
    flexible_working_offered: list[FlexibleWorking] = Field(
        default_factory=list, max_length=len(FlexibleWorking)
    )


class RecruiterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PersonName
    email: EmailStr


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        min_length=1, max_length=500, description="Why, as the claimant will read it in the e-mail."
    )


class VacancyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=3, max_length=200)
    programme: Programme
    specialism: IctSpecialism | None = None
    role: str = Field(min_length=2, max_length=100)
    role_level: str = Field(min_length=2, max_length=100)
    required_skills: list[SkillClaim] = Field(default_factory=list, max_length=30)
    base_postcode_districts: list[str] = Field(default_factory=list, max_length=10)
    work_mode: WorkMode
    flexible_working: list[FlexibleWorking] = Field(default_factory=list, max_length=len(FlexibleWorking))
    salary_band: SalaryBand
    hours_per_week: float = Field(gt=0, le=48)
    closing_date: date
    interview_required: bool = Field(default=False, description="Hire only after an interview.")
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)] | None = Field(
        default=None, description="What the job is, in the council's words (plain text)."
    )

    @model_validator(mode="after")
    def _known(self) -> VacancyIn:
        skills = reference.framework_skills()
        for claim in self.required_skills:
            if claim.skill not in skills:
                raise ValueError(f"{claim.skill!r} is not a skill of the digital and data framework")
        for district in self.base_postcode_districts:
            if reference.postcode_district(district) is None:
                raise ValueError(f"{district!r} is not a UK postcode district (e.g. WS1)")
        if self.programme is not Programme.ICT and self.specialism is not None:
            raise ValueError("specialisms are for ICT vacancies")
        return self


def recruiter_token(secret: str, recruiter: Recruiter, *, purpose: Purpose, ttl: timedelta) -> str:
    """A token for a recruiter, naming their council."""
    return issue_token(
        secret,
        Principal(subject=str(recruiter.id), role=Role.RECRUITER, council_id=str(recruiter.council_id)),
        ttl=ttl,
        purpose=purpose,
    )


def acts_for(principal: Principal, council_id: UUID) -> bool:
    """Recruiters act only for their own council; admins for any."""
    if principal.role is Role.ADMIN:
        return True
    return principal.role is Role.RECRUITER and principal.council_id == str(council_id)


def ensure_council_access(principal: Principal, council_id: UUID, missing: str = NO_COUNCIL) -> None:
    """Refuse a council's things to whoever does not act for it, exactly as if they did not exist
    (`missing`: what an unknown id of that kind answers), so ids of other councils' things reveal
    nothing."""
    if not acts_for(principal, council_id):
        raise NotFound(missing)


def refuse_unless_approved(council: Council, principal: Principal) -> None:
    """A council whose claim is not approved sees no returners and changes nothing (403)."""
    refusal = domain.council_refusal(council.status, own=principal.role is Role.RECRUITER)
    if refusal is not None:
        raise Forbidden(refusal)


async def council_for(
    uow: UnitOfWork,
    principal: Principal,
    council_id: UUID,
    *,
    missing: str = NO_COUNCIL,
    approved: bool = True,
) -> Council:
    """The council, if the principal acts for it (404 as for an unknown id otherwise) and, unless
    `approved` is False, once its claim is approved (403 saying so otherwise)."""
    ensure_council_access(principal, council_id, missing)
    council = await uow.session.get(Council, council_id)
    if council is None:
        raise NotFound(missing)
    if approved:
        refuse_unless_approved(council, principal)
    return council


async def _council_by_code(uow: UnitOfWork, gss_code: str) -> Council | None:
    return (await uow.session.exec(select(Council).where(Council.gss_code == gss_code))).first()


async def _pending_claims(uow: UnitOfWork, council_id: UUID) -> Sequence[CouncilClaim]:
    statement = select(CouncilClaim).where(
        CouncilClaim.council_id == council_id, CouncilClaim.status == domain.ClaimStatus.PENDING
    )
    return (await uow.session.exec(statement.order_by(col(CouncilClaim.claimed_at)))).all()


async def sign_up(uow: UnitOfWork, form: CouncilSignUp) -> tuple[Council, CouncilClaim]:
    """Someone claims a council: the claim waits for a programme admin, who sees the contact's
    e-mail domain. Nobody acts for the council, and nothing is e-mailed, until it is approved. A
    council already approved cannot be claimed again (its recruiters invite colleagues); the same
    address claiming again gets its waiting claim back."""
    known = reference.councils().get(form.gss_code)
    if known is None:
        raise Invalid([("gss_code", "is not a current UK council's code (e.g. E08000030 for Walsall)")])
    await uow.lock(f"matching.council:{known.gss_code}")
    council = await _council_by_code(uow, known.gss_code)
    email = str(form.contact_email)
    now = datetime.now(UTC)
    if council is None:
        council = Council(
            gss_code=known.gss_code,
            name=known.name,
            region=known.region.value,
            nation=known.nation,
            contact_name=form.contact_name,
            contact_email=email,
            specialisms_needed=[s.value for s in form.specialisms_needed],
            flexible_working_offered=[f.value for f in form.flexible_working_offered],
            registered_at=now,
            status=domain.ClaimStatus.PENDING.value,
        )
        uow.session.add(council)
    else:
        if council.status == domain.ClaimStatus.APPROVED:
            raise Conflict(
                f"{known.name} is already on the programme: ask one of its recruiters to invite you."
            )
        waiting = await _pending_claims(uow, council.id)
        for claim in waiting:
            if claim.contact_email.lower() == email.lower():
                return council, claim
        if len(waiting) >= PENDING_CLAIMS_PER_COUNCIL:
            raise Conflict(
                f"{known.name} already has {len(waiting)} claims waiting for the programme team: "
                "try again once they have been decided."
            )
        council.status = domain.ClaimStatus.PENDING.value
        uow.session.add(council)
    claim = CouncilClaim(
        council_id=council.id,
        contact_name=form.contact_name,
        contact_email=email,
        contact_domain=domain.email_domain(email),
        specialisms_needed=[s.value for s in form.specialisms_needed],
        flexible_working_offered=[f.value for f in form.flexible_working_offered],
        status=domain.ClaimStatus.PENDING.value,
        claimed_at=now,
    )
    uow.session.add(claim)
    await uow.commit()
    return council, claim


async def claims(uow: UnitOfWork, status: domain.ClaimStatus, *, limit: int = 200) -> list[ClaimView]:
    """Claims in one state with their councils: waiting ones oldest first, decided ones latest
    first."""
    order = (
        col(CouncilClaim.claimed_at)
        if status is domain.ClaimStatus.PENDING
        else col(CouncilClaim.decided_at).desc()
    )
    statement = (
        select(CouncilClaim, Council)
        .join(Council, Council.id == CouncilClaim.council_id)  # type: ignore[arg-type]
        .where(CouncilClaim.status == status.value)
        .order_by(order)
        .limit(limit)
    )
    return [ClaimView.of(claim, council) for claim, council in (await uow.session.exec(statement)).all()]


@dataclass(frozen=True)
class ClaimView:
    """A claim as the programme admin judges it: whose address, at which domain, and whether the
    domain looks like the council's own."""

    claim: CouncilClaim
    council: Council
    government_domain: bool
    names_council: bool

    @classmethod
    def of(cls, claim: CouncilClaim, council: Council) -> ClaimView:
        return cls(
            claim=claim,
            council=council,
            government_domain=domain.is_government_domain(claim.contact_domain),
            names_council=domain.domain_names_council(claim.contact_domain, council.name),
        )

    def as_json(self) -> dict[str, Any]:
        """The claim as the API shows it."""
        claim = self.claim
        return {
            "claim_id": str(claim.id),
            "council_id": str(self.council.id),
            "gss_code": self.council.gss_code,
            "council": self.council.name,
            "council_status": self.council.status,
            "contact_name": claim.contact_name,
            "contact_email": claim.contact_email,
            "contact_domain": claim.contact_domain,
            "government_domain": self.government_domain,
            "domain_names_council": self.names_council,
            "status": claim.status,
            "claimed_at": claim.claimed_at.isoformat(),
            "decided_at": claim.decided_at.isoformat() if claim.decided_at else None,
            "reason": claim.reason,
        }


async def _claim_to_decide(uow: UnitOfWork, claim_id: UUID) -> tuple[CouncilClaim, Council]:
    """A waiting claim and its council, read again under the council's lock."""
    claim = await uow.session.get(CouncilClaim, claim_id)
    council = await uow.session.get(Council, claim.council_id) if claim else None
    if claim is None or council is None:
        raise NotFound(NO_CLAIM)
    await uow.lock(f"matching.council:{council.gss_code}")
    await uow.session.refresh(claim)
    await uow.session.refresh(council)
    if claim.status != domain.ClaimStatus.PENDING:
        raise Conflict(f"This claim was already {claim.status}.")
    return claim, council


def _decide(claim: CouncilClaim, status: domain.ClaimStatus, admin: Principal, reason: str | None) -> None:
    claim.status = status.value
    claim.decided_at = datetime.now(UTC)
    claim.decided_by = admin.subject
    claim.reason = reason


def _tell_rejected(uow: UnitOfWork, claim: CouncilClaim, council: Council) -> None:
    """The claimant is e-mailed why (CouncilClaimRejected)."""
    assert claim.reason is not None
    assert claim.decided_at is not None
    uow.publish(
        CouncilClaimRejected(
            correlation_id=council.id,
            claim_id=claim.id,
            council_id=council.id,
            gss_code=council.gss_code,
            name=council.name,
            contact_name=claim.contact_name,
            contact_email=claim.contact_email,
            reason=claim.reason,
            rejected_at=claim.decided_at,
        )
    )


async def approve_claim(
    uow: UnitOfWork, claim_id: UUID, admin: Principal, *, link_ttl: timedelta
) -> CouncilClaim:
    """A programme admin approves a claim: the council joins the programme (CouncilRegistered,
    which notifications welcomes), its claimant becomes its first recruiter (RecruiterInvited, for
    which notifications e-mails a sign-in link), and the council's other waiting claims are
    rejected (their claimants told)."""
    claim, council = await _claim_to_decide(uow, claim_id)
    if council.status == domain.ClaimStatus.APPROVED:
        raise Conflict(f"{council.name} is already on the programme, on another claim.")
    _decide(claim, domain.ClaimStatus.APPROVED, admin, None)
    now = datetime.now(UTC)
    council.status = domain.ClaimStatus.APPROVED.value
    council.approved_at = now
    council.registered_at = now
    council.contact_name = claim.contact_name
    council.contact_email = claim.contact_email
    council.specialisms_needed = list(claim.specialisms_needed)
    council.flexible_working_offered = list(claim.flexible_working_offered)
    uow.session.add_all([claim, council])
    for other in await _pending_claims(uow, council.id):
        if other.id != claim.id:
            why = f"Another claim for {council.name} was approved."
            _decide(other, domain.ClaimStatus.REJECTED, admin, why)
            uow.session.add(other)
            _tell_rejected(uow, other, council)
    known = reference.councils()[council.gss_code]
    uow.publish(
        CouncilRegistered(
            correlation_id=council.id,
            council_id=council.id,
            gss_code=council.gss_code,
            name=council.name,
            region=known.region,
            contact_name=claim.contact_name,
            contact_email=claim.contact_email,
            specialisms_needed=[IctSpecialism(s) for s in claim.specialisms_needed],
            flexible_working_offered=[FlexibleWorking(f) for f in claim.flexible_working_offered],
            registered_at=now,
        )
    )
    await _invite(uow, council, RecruiterIn(name=claim.contact_name, email=claim.contact_email), link_ttl)
    await uow.commit()
    return claim


async def reject_claim(
    uow: UnitOfWork, claim_id: UUID, rejection: Rejection, admin: Principal
) -> CouncilClaim:
    """A programme admin rejects a claim, saying why (the claimant is e-mailed it); a council with
    no claim left waiting (and none approved) is rejected too."""
    claim, council = await _claim_to_decide(uow, claim_id)
    _decide(claim, domain.ClaimStatus.REJECTED, admin, rejection.reason.strip())
    uow.session.add(claim)
    _tell_rejected(uow, claim, council)
    if council.status != domain.ClaimStatus.APPROVED and not [
        c for c in await _pending_claims(uow, council.id) if c.id != claim.id
    ]:
        council.status = domain.ClaimStatus.REJECTED.value
        uow.session.add(council)
    await uow.commit()
    return claim


async def _invite(uow: UnitOfWork, council: Council, who: RecruiterIn, ttl: timedelta) -> Recruiter:
    """E-mail a sign-in link to the council's recruiter with this address (added if new)."""
    recruiter = (
        await uow.session.exec(
            select(Recruiter).where(
                Recruiter.council_id == council.id,
                func.lower(Recruiter.email) == str(who.email).lower(),
            )
        )
    ).first()
    if recruiter is None:
        recruiter = Recruiter(
            id=uuid4(),
            council_id=council.id,
            name=who.name,
            email=str(who.email),
            invited_at=datetime.now(UTC),
        )
        uow.session.add(recruiter)
    _send_link(uow, recruiter, ttl)
    return recruiter


def _send_link(uow: UnitOfWork, recruiter: Recruiter, ttl: timedelta) -> None:
    """Have notifications make and e-mail the recruiter a sign-in link for their council, working
    for `ttl`: the event says who it is for and until when, never the link."""
    now = datetime.now(UTC)
    uow.publish(
        RecruiterInvitedV2(
            correlation_id=recruiter.council_id,
            council_id=recruiter.council_id,
            recruiter_id=recruiter.id,
            name=recruiter.name,
            email=recruiter.email,
            invited_at=now,
            expires_at=now + ttl,
        )
    )


async def invite_recruiter(
    uow: UnitOfWork,
    council_id: UUID,
    who: RecruiterIn,
    principal: Principal,
    *,
    link_ttl: timedelta,
) -> Recruiter:
    """An approved council's recruiter (or an admin) invites a colleague by e-mail link."""
    council = await council_for(uow, principal, council_id)
    recruiter = await _invite(uow, council, who, link_ttl)
    await uow.commit()
    return recruiter


async def recruiters_of(uow: UnitOfWork, council: Council) -> Sequence[Recruiter]:
    """The council's recruiters, by name."""
    statement = select(Recruiter).where(Recruiter.council_id == council.id).order_by(col(Recruiter.name))
    return (await uow.session.exec(statement)).all()


async def send_sign_in_link(uow: UnitOfWork, email: str, *, link_ttl: timedelta) -> None:
    """A recruiter asks for a new sign-in link: one is e-mailed for each approved council the
    address recruits for; an unknown address gets nothing. The caller answers the same either
    way, so the answer never tells whether an address is known."""
    statement = (
        select(Recruiter)
        .join(Council, Council.id == Recruiter.council_id)  # type: ignore[arg-type]
        .where(
            func.lower(Recruiter.email) == email.lower(),
            Council.status == domain.ClaimStatus.APPROVED.value,
        )
        .order_by(col(Recruiter.invited_at))
        .limit(LINKS_PER_REQUEST)
    )
    for recruiter in (await uow.session.exec(statement)).all():
        _send_link(uow, recruiter, link_ttl)
    await uow.commit()


async def council_of_link(uow: UnitOfWork, token: str, *, secret: str) -> Council | None:
    """The council an unused sign-in link signs in for (None if the link cannot be read), named on
    the page the link opens: a person who recruits for several councils is e-mailed one link per
    council and chooses, by the link, which one they sign in for (never one picked for them)."""
    try:
        principal = verify_token(secret, token, purpose=Purpose.SIGN_IN)
    except InvalidToken:
        return None
    if principal.role is not Role.RECRUITER or not principal.council_id:
        return None
    return await uow.session.get(Council, UUID(principal.council_id))


async def recruiter_sign_in(uow: UnitOfWork, token: str, *, secret: str) -> str:
    """An invitation link's token, traded for an access token."""
    principal = await redeem_sign_in_link(
        uow,
        UsedSignInToken,
        secret,
        token,
        roles={Role.RECRUITER},
        wrong_role="This link is not a recruiter's invitation.",
        ask_again="Ask for a new link on the recruiters' sign-in page.",
    )
    recruiter = await uow.session.get(Recruiter, UUID(principal.subject))
    if recruiter is None:
        raise Forbidden("This link is not a recruiter's invitation.")
    return recruiter_token(secret, recruiter, purpose=Purpose.ACCESS, ttl=timedelta(hours=12))


async def post_vacancy(
    uow: UnitOfWork, council_id: UUID, form: VacancyIn, principal: Principal
) -> tuple[Vacancy, Matched]:
    """Post a vacancy (VacancyPosted) and match the pool against it at once."""
    council = await council_for(uow, principal, council_id)
    if form.closing_date < datetime.now(UTC).date():
        raise Invalid([("closing_date", "must be today or later")])
    bases = []
    for code in form.base_postcode_districts:
        district = reference.postcode_district(code)
        assert district is not None
        bases.append(
            {"district": district.code, "latitude": district.latitude, "longitude": district.longitude}
        )
    if not bases:
        centre = reference.councils()[council.gss_code]
        bases.append({"district": None, "latitude": centre.latitude, "longitude": centre.longitude})
    now = datetime.now(UTC)
    vacancy = Vacancy(
        council_id=council.id,
        gss_code=council.gss_code,
        region=council.region,
        title=form.title,
        programme=form.programme.value,
        specialism=form.specialism.value if form.specialism else None,
        role=form.role,
        role_level=form.role_level,
        required_skills={c.skill: int(c.level) for c in form.required_skills},
        bases=bases,
        work_mode=form.work_mode.value,
        flexible_working=[f.value for f in form.flexible_working],
        salary_min_pence=form.salary_band.min_pence,
        salary_max_pence=form.salary_band.max_pence,
        hours_per_week=form.hours_per_week,
        closing_date=form.closing_date,
        interview_required=form.interview_required,
        description=form.description or None,
        status="open",
        posted_at=now,
    )
    uow.session.add(vacancy)
    event = VacancyPosted(
        correlation_id=vacancy.id,
        vacancy_id=vacancy.id,
        council_id=council.id,
        gss_code=council.gss_code,
        title=form.title,
        programme=form.programme,
        specialism=form.specialism,
        role=form.role,
        role_level=form.role_level,
        required_skills=form.required_skills,
        work_mode=form.work_mode,
        flexible_working=form.flexible_working,
        base_postcode_districts=[b["district"] for b in bases if b["district"]],
        salary_band=form.salary_band,
        hours_per_week=form.hours_per_week,
        closing_date=form.closing_date,
        posted_at=now,
        description=form.description or None,
    )
    uow.publish(event)
    await uow.session.flush()
    matched = await match_vacancy(uow, vacancy, cause=event)
    await uow.commit()
    return vacancy, matched


async def set_vacancy_status(uow: UnitOfWork, vacancy_id: UUID, status: str, principal: Principal) -> Vacancy:
    """Close or fill a vacancy (no more matches are proposed for it)."""
    vacancy = await uow.session.get(Vacancy, vacancy_id)
    if vacancy is None:
        raise NotFound(NO_VACANCY)
    await council_for(uow, principal, vacancy.council_id, missing=NO_VACANCY)
    if vacancy.status != "open":
        raise Conflict(f"This vacancy is already {vacancy.status}.")
    vacancy.status = status
    uow.session.add(vacancy)
    await uow.commit()
    return vacancy


async def vacancy_for(uow: UnitOfWork, vacancy_id: UUID, principal: Principal) -> Vacancy:
    """A vacancy, if the recruiter's council posted it (as unknown otherwise) and is approved."""
    vacancy = await uow.session.get(Vacancy, vacancy_id)
    if vacancy is None:
        raise NotFound(NO_VACANCY)
    await council_for(uow, principal, vacancy.council_id, missing=NO_VACANCY)
    return vacancy


async def match_for(uow: UnitOfWork, match_id: UUID, principal: Principal) -> tuple[CandidateMatch, Vacancy]:
    """A match and its vacancy, if they are the recruiter's council's."""
    match = await uow.session.get(CandidateMatch, match_id)
    if match is None or match.status == "withdrawn":
        raise NotFound(NO_MATCH)
    await council_for(uow, principal, match.council_id, missing=NO_MATCH)
    vacancy = await uow.session.get(Vacancy, match.vacancy_id)
    if vacancy is None:
        raise NotFound(NO_VACANCY)
    return match, vacancy
