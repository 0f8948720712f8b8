"""Failed e-mails for programme admins: each with its reason and its tries; send them again (all,
or one) once the cause is fixed (what `rtw notifications resend` does, in a browser)."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response
from rtw_platform.auth import Role
from rtw_platform.errors import NotFound
from rtw_platform.web import Pages, read_form, redirect, signed_in

from ..store import ResendFilter, work_of
from ..use_cases.delivery_repair import failed_deliveries, resend

PAGES = Pages("notifications", Path(__file__).parent / "templates")
SHOWN = 200

router = APIRouter(include_in_schema=False)


@router.get("/admin/failed-emails")
async def overview(request: Request, resent: int | None = None) -> Response:
    """Every e-mail given up on, newest first."""
    signed_in(request, Role.ADMIN)
    async with request.app.state.runtime.uow_factory() as uow:
        rows = await failed_deliveries(work_of(uow), ResendFilter(), limit=SHOWN)
    return PAGES.render(request, "failed_deliveries.html", {"rows": rows, "resent": resent, "shown": SHOWN})


@router.post("/admin/failed-emails/resend")
async def resend_all(request: Request) -> Response:
    """Send every failed e-mail again, or the one the form names."""
    signed_in(request, Role.ADMIN)
    form = await read_form(request)
    chosen = str(form.get("delivery_id") or "")
    try:
        ids = (UUID(chosen),) if chosen else ()
    except ValueError:
        raise NotFound("There is no such e-mail.") from None
    async with request.app.state.runtime.uow_factory() as uow:
        count = await resend(work_of(uow), ResendFilter(delivery_ids=ids))
    if chosen and count == 0:
        raise NotFound("That e-mail is not waiting to be sent again (it may have been sent already).")
    return redirect(request, f"/admin/failed-emails?resent={count}")
