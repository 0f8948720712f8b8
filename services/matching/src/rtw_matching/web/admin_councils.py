"""Programme admins approve or reject councils' claims (as the `/council-claims` API): a council
sees returners only once a claim to act for it is approved."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from rtw_platform.auth import Role
from rtw_platform.errors import Conflict
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.uow import UnitOfWork
from rtw_platform.web import FormErrors, form_state, read_form, redirect, redirect_with_problems, signed_in

from .. import councils
from ..domain import ClaimStatus
from .common import PAGES, link_options
from .forms import text

router = APIRouter(include_in_schema=False)

NOTICES = {
    "approved": "The claim is approved: its contact has been e-mailed a link to sign in.",
    "rejected": "The claim is rejected: its contact will be told why.",
}
DECIDED_SHOWN = 50


async def _claims_page(
    request: Request,
    uow: UnitOfWork,
    *,
    notice: str | None = None,
) -> HTMLResponse:
    state = form_state(request)  # a refused rejection: its problem and the reason typed
    decided = await councils.claims(uow, ClaimStatus.APPROVED, limit=DECIDED_SHOWN)
    decided += await councils.claims(uow, ClaimStatus.REJECTED, limit=DECIDED_SHOWN)
    decided.sort(key=lambda view: view.claim.decided_at or view.claim.claimed_at, reverse=True)
    return PAGES.render(
        request,
        "admin_councils.html",
        {
            "pending": await councils.claims(uow, ClaimStatus.PENDING),
            "decided": decided[:DECIDED_SHOWN],
            "notice": notice,
            "reasons": {str(k): str(v) for k, v in state.values.items()} if state else {},
        },
        errors=state.errors if state else None,
    )


@router.get("/admin/councils")
async def claims_page(request: Request, uow: UnitOfWorkDep, done: str | None = None) -> HTMLResponse:
    """Claims waiting for a decision, each with the contact's e-mail domain and whether it looks
    like the council's own; and the latest decided."""
    signed_in(request, Role.ADMIN)
    return await _claims_page(request, uow, notice=NOTICES.get(done or ""))


@router.post("/admin/councils/claims/{claim_id}/approve")
async def approve(request: Request, claim_id: UUID, uow: UnitOfWorkDep) -> Response:
    """Approve the claim: the council joins and its contact is e-mailed a sign-in link."""
    admin = signed_in(request, Role.ADMIN)
    await read_form(request)
    try:
        await councils.approve_claim(uow, claim_id, admin, **link_options(request))
    except Conflict as refusal:  # decided already (Back, or another admin): said on the page
        return _refused(request, refusal)
    return redirect(request, "/admin/councils?done=approved")


@router.post("/admin/councils/claims/{claim_id}/reject")
async def reject(request: Request, claim_id: UUID, uow: UnitOfWorkDep) -> Response:
    """Reject the claim, saying why (the contact is told)."""
    admin = signed_in(request, Role.ADMIN)
    form = await read_form(request)
    reason = text(form, "reason")
    field = f"reason-{claim_id}"
    errors = FormErrors()
    if not reason:
        errors.add(field, "Enter the reason for rejecting the claim: its contact is told")
    elif len(reason) > 500:
        errors.add(field, "The reason must be 500 characters or fewer")
    if errors:
        return redirect_with_problems(request, "/admin/councils", errors, {str(claim_id): reason})
    try:
        await councils.reject_claim(uow, claim_id, councils.Rejection(reason=reason), admin)
    except Conflict as refusal:
        return _refused(request, refusal)
    return redirect(request, "/admin/councils?done=rejected")


def _refused(request: Request, refusal: Conflict) -> Response:
    """Back to the claims (post/redirect/get), which say why (the claim's forms are gone)."""
    return redirect_with_problems(request, "/admin/councils", FormErrors.from_refusal(refusal), {})
