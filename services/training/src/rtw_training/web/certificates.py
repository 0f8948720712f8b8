"""Certificates for anyone: look one up by its number, and see whether it is genuine (the page a
candidate shares with an employer)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.web import FormErrors, redirect
from rtw_platform.web.i18n import N_, long_date

from ..documents import in_words
from ..store import work_of
from ..use_cases import views
from .common import PAGES, signer_of

router = APIRouter(include_in_schema=False)


@router.get("/certificates")
async def look_up(request: Request, uow: UnitOfWorkDep, number: str | None = None) -> Response:
    """Ask for a certificate's number; a known one opens its page."""
    errors = FormErrors()
    status = 200
    if number is not None:
        given = number.strip()
        if not given:
            status = 400
            errors.add("number", N_("Enter the certificate number"))
        else:
            try:
                key = UUID(given)
            except ValueError:
                status = 400
                errors.add(
                    "number",
                    N_(
                        "Enter the certificate number as it is printed. The certificate number is the "
                        "long code under 'Certificate number' on the certificate."
                    ),
                )
            else:
                if await views.certificate(work_of(uow), key) is not None:
                    return redirect(request, f"/certificates/{key}")
                status = 404
                errors.add("number", N_("No certificate has that number. Check it against the certificate."))
    context: dict[str, Any] = {"number": number or ""}
    return PAGES.render(request, "certificate_lookup.html", context, errors=errors, status_code=status)


@router.get("/certificates/{certificate_id}")
async def certificate_page(certificate_id: str, request: Request, uow: UnitOfWorkDep) -> Response:
    """The certificate, and whether its signature matches the platform's published key."""
    found = await views.certificate(work_of(uow), certificate_id)
    if found is None:
        errors = FormErrors()
        errors.add("number", N_("No certificate has that number. Check it against the certificate."))
        shown: dict[str, Any] = {"number": ""}  # not echoed: an erased person's certificate is gone
        return PAGES.render(request, "certificate_lookup.html", shown, errors=errors, status_code=404)
    revoked = found.revoked_at is not None
    valid = not revoked and signer_of(request).verify(found.facts, found.signature)
    context: dict[str, Any] = {
        "facts": found.facts,
        "signature": found.signature,
        "valid": valid,
        "revoked": revoked,
        "issued_on": in_words(found.facts.get("issued_on"), long_date),
        "revoked_on": in_words(found.revoked_at.date(), long_date) if found.revoked_at else "",
    }
    return PAGES.render(request, "certificate.html", context)
