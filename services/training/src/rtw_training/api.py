"""HTTP API of the training service: providers (progress, CPD, LMS links and webhooks),
candidates (their progress, certificate, recommendations), admins (providers, cohort progress),
and anyone (verifying a certificate)."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from rtw_contracts.types import CohortId
from rtw_platform.auth import AdminOnly, CurrentPrincipal, Role
from rtw_platform.errors import Forbidden, Invalid, NotFound
from rtw_platform.http import UnitOfWorkDep
from sqlmodel import col, select

from . import documents, progress, providers, recommendations
from .certificates import CertificateSigner
from .models import Certificate, CpdRecord, Enrolment, LmsLearner, LmsModule, ModuleProgress, Provider
from .progress import CpdIn, ModuleCompletion, curriculum_of

router = APIRouter()


def _signer(request: Request) -> CertificateSigner:
    signer: CertificateSigner = request.app.state.runtime.state["certificate_signer"]
    return signer


class ProviderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,99}$")
    name: str = Field(min_length=1, max_length=200)
    cohorts: list[CohortId] = Field(max_length=200)
    lms_secret: str | None = Field(default=None, min_length=16, max_length=200)
    active: bool | None = Field(
        default=None, description="False retires the provider; unset keeps it as it is."
    )


class LmsLearnerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enrolment_id: UUID


class LmsModuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    module_id: str


class CertificateCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    facts: dict[str, Any]
    signature: str


# --------------------------------------------------------------------------- admins


@router.put("/providers/{provider_id}", tags=["admin"])
async def put_provider(
    provider_id: str, body: ProviderIn, uow: UnitOfWorkDep, _: AdminOnly
) -> dict[str, Any]:
    """Register a training provider and the cohorts it trains."""
    if body.id != provider_id:
        raise Invalid([("id", f"must match the address ({provider_id})")])
    provider = await providers.save_provider(
        uow, provider_id, body.name, body.cohorts, lms_secret=body.lms_secret, active=body.active
    )
    return {
        "id": provider.id,
        "name": provider.name,
        "cohorts": provider.cohorts,
        "lms": bool(provider.lms_secret),
        "active": provider.active,
    }


@router.get("/cohorts/{cohort_id}/progress", tags=["providers"])
async def cohort_progress(
    cohort_id: str, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> list[dict[str, Any]]:
    """Every learner of a cohort (the cohort's provider, admins)."""
    return await progress.cohort_progress(uow, cohort_id, principal)


@router.get("/cohorts/{cohort_id}/counts", tags=["providers"])
async def cohort_counts(cohort_id: str, uow: UnitOfWorkDep, principal: CurrentPrincipal) -> dict[str, int]:
    """How many of the cohort's learners are enrolled, completed or withdrew (the cohort's
    provider, admins); erased learners stay counted, without their records."""
    return await progress.cohort_counts(uow, cohort_id, principal)


# --------------------------------------------------------------------------- providers


@router.post("/enrolments/{enrolment_id}/modules/{module_id}/start", tags=["providers"])
async def start_module(
    enrolment_id: UUID, module_id: str, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> dict[str, str]:
    """A learner started a module."""
    record = await progress.start_module(uow, enrolment_id, module_id, principal)
    return {"module_id": record.module_id, "status": record.status}


@router.post("/enrolments/{enrolment_id}/modules/{module_id}/complete", tags=["providers"])
async def complete_module(
    enrolment_id: UUID,
    module_id: str,
    body: ModuleCompletion,
    request: Request,
    uow: UnitOfWorkDep,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    """A learner completed a module (once)."""
    if principal.role not in (Role.TRAINER, Role.ADMIN):
        raise Forbidden("Only the training provider (or an admin) records progress.")
    enrolment = await progress.enrolment_for(uow, enrolment_id, principal)
    if enrolment.status != "enrolled":
        raise Invalid([("enrolment", f"this enrolment is {enrolment.status}")])
    await progress.complete_module(
        uow, enrolment, module_id, body, source="provider", signer=_signer(request)
    )
    return {"module_id": module_id, "status": "completed", "enrolment_status": enrolment.status}


@router.post("/enrolments/{enrolment_id}/cpd", status_code=status.HTTP_201_CREATED, tags=["providers"])
async def record_cpd(
    enrolment_id: UUID, body: CpdIn, request: Request, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Add CPD days to the ledger."""
    standing = await progress.record_cpd(uow, enrolment_id, body, principal, _signer(request))
    return {
        "required_days": standing.required_days,
        "counted_days": standing.counted_days,
        "private_study_days": standing.private_study_days,
        "met": standing.met,
    }


@router.put("/providers/{provider_id}/lms/learners/{lms_user_id}", tags=["providers"])
async def link_learner(
    provider_id: str, lms_user_id: str, body: LmsLearnerIn, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> dict[str, str]:
    """Say which learner an LMS user is."""
    await _own_provider(uow, provider_id, principal)
    enrolment = await progress.enrolment_for(uow, body.enrolment_id, principal)
    link = await uow.session.get(LmsLearner, (provider_id, lms_user_id)) or LmsLearner(
        provider_id=provider_id, lms_user_id=lms_user_id, enrolment_id=enrolment.id
    )
    link.enrolment_id = enrolment.id
    uow.session.add(link)
    await uow.commit()
    return {"lms_user_id": lms_user_id, "enrolment_id": str(enrolment.id)}


@router.put("/providers/{provider_id}/lms/modules/{lms_module_id}", tags=["providers"])
async def link_module(
    provider_id: str, lms_module_id: str, body: LmsModuleIn, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> dict[str, str]:
    """Say which curriculum module an LMS course module is."""
    await _own_provider(uow, provider_id, principal)
    link = await uow.session.get(LmsModule, (provider_id, lms_module_id)) or LmsModule(
        provider_id=provider_id, lms_module_id=lms_module_id, module_id=body.module_id
    )
    link.module_id = body.module_id
    uow.session.add(link)
    await uow.commit()
    return {"lms_module_id": lms_module_id, "module_id": body.module_id}


async def _own_provider(uow: Any, provider_id: str, principal: Any) -> None:
    if principal.role is Role.ADMIN:
        return
    if principal.role is not Role.TRAINER or (principal.provider_id or principal.subject) != provider_id:
        raise Forbidden("You can only change your own provider's links.")
    if await uow.session.get(Provider, provider_id) is None:
        raise NotFound(f"There is no provider {provider_id!r}.")


@router.post("/lms/moodle/{provider_id}", tags=["providers"])
async def moodle_webhook(
    provider_id: str,
    request: Request,
    uow: UnitOfWorkDep,
    x_rtw_signature: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Moodle completion events (course module or course), signed with HMAC-SHA256 of the body
    in `X-RTW-Signature: sha256=<hex>`."""
    body = await request.body()
    return await progress.receive_lms_event(uow, provider_id, body, x_rtw_signature, _signer(request))


# --------------------------------------------------------------------------- candidates


@router.get("/enrolments/{enrolment_id}", tags=["candidates"])
async def enrolment(enrolment_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """An enrolment's progress (the learner, their provider, admins)."""
    found = await progress.enrolment_for(uow, enrolment_id, principal)
    return await _progress_view(uow, found)


@router.get("/candidates/{candidate_id}/training", tags=["candidates"])
async def my_training(candidate_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """A candidate's training, certificate and recommendations (the candidate, admins)."""
    _self_or_admin(principal, candidate_id)
    enrolments = (
        await uow.session.exec(select(Enrolment).where(Enrolment.candidate_id == candidate_id))
    ).all()
    return {
        "enrolments": [await _progress_view(uow, e) for e in enrolments],
        "recommendations": await recommendations.recommendations_for(uow, candidate_id),
    }


@router.get("/candidates/{candidate_id}/recommendations", tags=["candidates"])
async def my_recommendations(
    candidate_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> list[dict[str, Any]]:
    """Modules that would close the skill gaps councils' vacancies showed."""
    _self_or_admin(principal, candidate_id)
    return await recommendations.recommendations_for(uow, candidate_id)


def _self_or_admin(principal: Any, candidate_id: UUID) -> None:
    if principal.role is Role.ADMIN:
        return
    if principal.role is not Role.CANDIDATE:
        raise Forbidden("Only the candidate and admins see a candidate's training.")
    if principal.subject != str(candidate_id):
        # Another candidate's training answers as an unknown candidate's would.
        raise NotFound("There is no candidate with that id.")


async def _progress_view(uow: Any, enrolment: Enrolment) -> dict[str, Any]:
    curriculum_ = curriculum_of(enrolment)
    rows = {
        p.module_id: p
        for p in (
            await uow.session.exec(select(ModuleProgress).where(ModuleProgress.enrolment_id == enrolment.id))
        ).all()
    }
    cpd = await progress.cpd_of(uow, enrolment)
    certificate = (
        await uow.session.exec(select(Certificate).where(Certificate.enrolment_id == enrolment.id))
    ).first()
    return {
        "enrolment_id": str(enrolment.id),
        "application_id": str(enrolment.application_id),
        "status": enrolment.status,
        "curriculum": {"id": curriculum_.id, "version": curriculum_.version, "title": curriculum_.title},
        "modules": [
            {
                "module_id": m.id,
                "title": m.title,
                "required": m.required,
                "status": rows[m.id].status if m.id in rows else "not_started",
                "skills": [s.model_dump(mode="json") for s in m.skills],
            }
            for m in curriculum_.modules
        ],
        "cpd": None
        if cpd is None
        else {"required_days": cpd.required_days, "counted_days": cpd.counted_days, "met": cpd.met},
        "certificate": None
        if certificate is None or certificate.revoked_at is not None
        else {"certificate_id": str(certificate.id), "url": f"/training/certificates/{certificate.id}"},
    }


@router.get("/enrolments/{enrolment_id}/cpd-evidence", tags=["candidates"])
async def cpd_evidence(
    enrolment_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal, format: str = "json"
) -> Response:
    """The CPD evidence for the regulator's restoration process, as JSON or CSV."""
    found = await progress.enrolment_for(uow, enrolment_id, principal)
    cpd = await progress.cpd_of(uow, found)
    if cpd is None:
        raise NotFound("This programme's training keeps no CPD ledger.")
    entries = (
        await uow.session.exec(
            select(CpdRecord).where(CpdRecord.enrolment_id == found.id).order_by(col(CpdRecord.day))
        )
    ).all()
    if format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["date", "days", "kind", "description", "recorded_by"])
        for e in entries:
            writer.writerow([e.day.isoformat(), e.days, e.kind, e.description, e.recorded_by])
        writer.writerow([])
        writer.writerow(["required days", cpd.required_days])
        writer.writerow(["structured days", cpd.structured_days])
        writer.writerow(["private study days", cpd.private_study_days])
        writer.writerow(["counted days (private study counts for at most half)", cpd.counted_days])
        writer.writerow(["met", "yes" if cpd.met else "no"])
        return Response(
            buffer.getvalue(),
            media_type="text/csv",
            headers={"Content-Disposition": "attachment; filename=cpd-evidence.csv"},
        )
    import json

    body = {
        "enrolment_id": str(found.id),
        "years_out_of_practice": found.years_out_of_practice,
        "required_days": cpd.required_days,
        "structured_days": cpd.structured_days,
        "private_study_days": cpd.private_study_days,
        "counted_days": cpd.counted_days,
        "met": cpd.met,
        "entries": [
            {"date": e.day.isoformat(), "days": e.days, "kind": e.kind, "description": e.description}
            for e in entries
        ],
    }
    return Response(json.dumps(body), media_type="application/json")


# --------------------------------------------------------------------------- anyone: certificates


@router.get("/certificates/public-key", tags=["certificates"])
async def public_key(request: Request) -> Response:
    """The Ed25519 public key certificates are signed with (PEM)."""
    return Response(_signer(request).public_key_pem(), media_type="application/x-pem-file")


@router.post("/certificates/verify", tags=["certificates"])
async def verify(body: CertificateCheck, request: Request) -> dict[str, bool]:
    """Check a certificate's facts against its signature."""
    return {"valid": _signer(request).verify(body.facts, body.signature)}


async def _certificate(uow: Any, certificate_id: str) -> Certificate:
    try:
        key = UUID(certificate_id)
    except ValueError:
        raise NotFound("There is no certificate with that id.") from None
    found: Certificate | None = await uow.session.get(Certificate, key)
    if found is None:
        raise NotFound("There is no certificate with that id.")
    return found


@router.get("/certificates/{certificate_id}.pdf", tags=["certificates"])
async def certificate_pdf(certificate_id: str, request: Request, uow: UnitOfWorkDep) -> Response:
    """The certificate as a PDF."""
    found = await _certificate(uow, certificate_id)
    if found.revoked_at is not None:
        raise NotFound("This certificate was withdrawn.")
    settings = request.app.state.settings
    check_at = (
        f"{(settings.public_url or 'http://127.0.0.1:8080').rstrip('/')}/training/certificates/{found.id}"
    )
    pdf = documents.certificate_pdf(found.facts, found.signature, check_at=check_at)
    return Response(pdf, media_type="application/pdf")


@router.get("/certificates/{certificate_id}.json", tags=["certificates"])
async def certificate_json(certificate_id: str, request: Request, uow: UnitOfWorkDep) -> dict[str, Any]:
    """The certificate's facts and signature, to check independently."""
    found = await _certificate(uow, certificate_id)
    revoked = found.revoked_at is not None
    return {
        "facts": found.facts,
        "signature": found.signature,
        "revoked": revoked,
        "valid": not revoked and _signer(request).verify(found.facts, found.signature),
    }
