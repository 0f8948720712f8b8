"""Councils sign up, invite recruiters and post vacancies."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator
from rtw_contracts import (
    CouncilRegistered,
    FlexibleWorking,
    IctSpecialism,
    Programme,
    RecruiterInvited,
    SalaryBand,
    SkillClaim,
    VacancyPosted,
    WorkMode,
)
from rtw_contracts.types import GssCode
from rtw_platform import reference
from rtw_platform.auth import InvalidToken, Principal, Purpose, Role, issue_token, redeem_once, verify_token
from rtw_platform.errors import Conflict, Forbidden, Invalid, NotFound
from rtw_platform.uow import UnitOfWork
from sqlmodel import select

from .matchmaking import Matched, match_vacancy
from .models import Council, Recruiter, UsedSignInToken, Vacancy


class CouncilSignUp(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gss_code: GssCode
    contact_name: str = Field(min_length=1, max_length=200)
    contact_email: EmailStr
    specialisms_needed: list[IctSpecialism] = Field(default_factory=list)
    flexible_working_offered: list[FlexibleWorking] = Field(default_factory=list)


class RecruiterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    email: EmailStr


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
    flexible_working: list[FlexibleWorking] = Field(default_factory=list)
    salary_band: SalaryBand
    hours_per_week: float = Field(gt=0, le=48)
    closing_date: date
    interview_required: bool = Field(default=False, description="Hire only after an interview.")

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


def ensure_council_access(principal: Principal, council_id: UUID) -> None:
    """Recruiters act only for their own council; admins for any."""
    if principal.role is Role.ADMIN:
        return
    if principal.role is Role.RECRUITER and principal.council_id == str(council_id):
        return
    raise Forbidden("You can only act for your own council.")


async def sign_up(
    uow: UnitOfWork, form: CouncilSignUp, *, secret: str, public_url: str, link_ttl: timedelta
) -> Council:
    """A council joins: its contact becomes its first recruiter and gets a sign-in link."""
    known = reference.councils().get(form.gss_code)
    if known is None:
        raise Invalid([("gss_code", "is not a current UK council's code (e.g. E08000030 for Walsall)")])
    existing = (await uow.session.exec(select(Council).where(Council.gss_code == form.gss_code))).first()
    if existing is not None:
        raise Conflict(f"{known.name} has already signed up; ask its recruiters to invite you.")
    now = datetime.now(UTC)
    council = Council(
        gss_code=known.gss_code,
        name=known.name,
        region=known.region.value,
        nation=known.nation,
        contact_name=form.contact_name,
        contact_email=str(form.contact_email),
        specialisms_needed=[s.value for s in form.specialisms_needed],
        flexible_working_offered=[f.value for f in form.flexible_working_offered],
        registered_at=now,
    )
    uow.session.add(council)
    uow.publish(
        CouncilRegistered(
            correlation_id=council.id,
            council_id=council.id,
            gss_code=council.gss_code,
            name=council.name,
            region=known.region,
            contact_name=form.contact_name,
            contact_email=form.contact_email,
            specialisms_needed=form.specialisms_needed,
            flexible_working_offered=form.flexible_working_offered,
            registered_at=now,
        )
    )
    _invite(
        uow,
        council,
        RecruiterIn(name=form.contact_name, email=form.contact_email),
        secret,
        public_url,
        link_ttl,
    )
    await uow.commit()
    return council


def _invite(
    uow: UnitOfWork, council: Council, who: RecruiterIn, secret: str, public_url: str, ttl: timedelta
) -> Recruiter:
    now = datetime.now(UTC)
    recruiter = Recruiter(
        id=uuid4(), council_id=council.id, name=who.name, email=str(who.email), invited_at=now
    )
    uow.session.add(recruiter)
    token = recruiter_token(secret, recruiter, purpose=Purpose.SIGN_IN, ttl=ttl)
    uow.publish(
        RecruiterInvited(
            correlation_id=council.id,
            council_id=council.id,
            recruiter_id=recruiter.id,
            name=who.name,
            email=who.email,
            invited_at=now,
            link=f"{public_url.rstrip('/')}/recruiters/sign-in/{token}",
        )
    )
    return recruiter


async def invite_recruiter(
    uow: UnitOfWork,
    council_id: UUID,
    who: RecruiterIn,
    principal: Principal,
    *,
    secret: str,
    public_url: str,
    link_ttl: timedelta,
) -> Recruiter:
    """A council's recruiter (or an admin) invites a colleague by e-mail link."""
    ensure_council_access(principal, council_id)
    council = await uow.session.get(Council, council_id)
    if council is None:
        raise NotFound("There is no council with that id.")
    recruiter = _invite(uow, council, who, secret, public_url, link_ttl)
    await uow.commit()
    return recruiter


async def recruiter_sign_in(uow: UnitOfWork, token: str, *, secret: str) -> str:
    """An invitation link's token, traded for an access token."""
    try:
        principal = verify_token(secret, token, purpose=Purpose.SIGN_IN)
    except InvalidToken as exc:
        raise Forbidden(f"This link cannot be used: {exc}. Ask a colleague to invite you again.") from None
    recruiter = await uow.session.get(Recruiter, UUID(principal.subject))
    if recruiter is None or principal.role is not Role.RECRUITER:
        raise Forbidden("This link is not a recruiter's invitation.")
    if not await redeem_once(uow, UsedSignInToken, token):
        raise Forbidden("This link was already used. Ask a colleague to invite you again.")
    return recruiter_token(secret, recruiter, purpose=Purpose.ACCESS, ttl=timedelta(hours=12))


async def post_vacancy(
    uow: UnitOfWork, council_id: UUID, form: VacancyIn, principal: Principal
) -> tuple[Vacancy, Matched]:
    """Post a vacancy (VacancyPosted) and match the pool against it at once."""
    ensure_council_access(principal, council_id)
    council = await uow.session.get(Council, council_id)
    if council is None:
        raise NotFound("There is no council with that id.")
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
        raise NotFound("There is no vacancy with that id.")
    ensure_council_access(principal, vacancy.council_id)
    if vacancy.status != "open":
        raise Conflict(f"This vacancy is already {vacancy.status}.")
    vacancy.status = status
    uow.session.add(vacancy)
    await uow.commit()
    return vacancy
