"""HTTP API of the training service: providers (progress, CPD, LMS links and webhooks),
candidates (their progress, certificate, recommendations), admins (providers, cohort progress),
and anyone (verifying a certificate)."""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from rtw_contracts.types import CohortId
from rtw_platform.auth import AdminOnly, CurrentPrincipal
from rtw_platform.errors import Invalid, NotFound
from rtw_platform.http import UnitOfWorkDep

from . import documents
from .certificates import signer_of
from .models import Certificate
from .store import work_of
from .use_cases import lms, progress, providers, views
from .use_cases.progress import CpdIn, ModuleCompletion

router = APIRouter()


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
        work_of(uow), provider_id, body.name, body.cohorts, lms_secret=body.lms_secret, active=body.active
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
    return await progress.cohort_progress(work_of(uow), cohort_id, principal)


@router.get("/cohorts/{cohort_id}/counts", tags=["providers"])
async def cohort_counts(cohort_id: str, uow: UnitOfWorkDep, principal: CurrentPrincipal) -> dict[str, int]:
    """How many of the cohort's learners are enrolled, completed or withdrew (the cohort's
    provider, admins); erased learners stay counted, without their records."""
    return await progress.cohort_counts(work_of(uow), cohort_id, principal)


# --------------------------------------------------------------------------- providers


@router.post("/enrolments/{enrolment_id}/modules/{module_id}/start", tags=["providers"])
async def start_module(
    enrolment_id: UUID, module_id: str, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> dict[str, str]:
    """A learner started a module."""
    record = await progress.start_module(work_of(uow), enrolment_id, module_id, principal)
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
    enrolment = await progress.complete_module_for(
        work_of(uow), enrolment_id, module_id, body, principal, signer_of(request)
    )
    return {"module_id": module_id, "status": "completed", "enrolment_status": enrolment.status}


@router.post("/enrolments/{enrolment_id}/cpd", status_code=status.HTTP_201_CREATED, tags=["providers"])
async def record_cpd(
    enrolment_id: UUID, body: CpdIn, request: Request, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Add CPD days to the ledger."""
    standing = await progress.record_cpd(work_of(uow), enrolment_id, body, principal, signer_of(request))
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
    enrolment_id = await lms.link_learner(
        work_of(uow), provider_id, lms_user_id, body.enrolment_id, principal
    )
    return {"lms_user_id": lms_user_id, "enrolment_id": str(enrolment_id)}


@router.put("/providers/{provider_id}/lms/modules/{lms_module_id}", tags=["providers"])
async def link_module(
    provider_id: str, lms_module_id: str, body: LmsModuleIn, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> dict[str, str]:
    """Say which curriculum module an LMS course module is."""
    await lms.link_module(work_of(uow), provider_id, lms_module_id, body.module_id, principal)
    return {"lms_module_id": lms_module_id, "module_id": body.module_id}


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
    return await lms.receive_lms_event(work_of(uow), provider_id, body, x_rtw_signature, signer_of(request))


# --------------------------------------------------------------------------- candidates


@router.get("/enrolments/{enrolment_id}", tags=["candidates"])
async def enrolment(enrolment_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """An enrolment's progress (the learner, their provider, admins)."""
    return await views.enrolment_progress(work_of(uow), enrolment_id, principal)


@router.get("/candidates/{candidate_id}/training", tags=["candidates"])
async def my_training(candidate_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """A candidate's training, certificate and recommendations (the candidate, admins)."""
    return await views.candidate_training(work_of(uow), candidate_id, principal)


@router.get("/candidates/{candidate_id}/recommendations", tags=["candidates"])
async def my_recommendations(
    candidate_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> list[dict[str, Any]]:
    """Modules that would close the skill gaps councils' vacancies showed."""
    return await views.candidate_recommendations(work_of(uow), candidate_id, principal)


@router.get("/enrolments/{enrolment_id}/cpd-evidence", tags=["candidates"])
async def cpd_evidence(
    enrolment_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal, format: str = "json"
) -> Response:
    """The CPD evidence for the regulator's restoration process, as JSON or CSV."""
    evidence = await views.cpd_evidence(work_of(uow), enrolment_id, principal)
    found, cpd, entries = evidence.enrolment, evidence.cpd, evidence.entries
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
    return Response(signer_of(request).public_key_pem(), media_type="application/x-pem-file")


@router.post("/certificates/verify", tags=["certificates"])
async def verify(body: CertificateCheck, request: Request) -> dict[str, bool]:
    """Check a certificate's facts against its signature."""
    return {"valid": signer_of(request).verify(body.facts, body.signature)}


async def _certificate(uow: UnitOfWorkDep, certificate_id: str) -> Certificate:
    found = await views.certificate(work_of(uow), certificate_id)
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
        "valid": not revoked and signer_of(request).verify(found.facts, found.signature),
    }
