"""The admin's assessors page: by programme with their load, register, retire and activate; only
admins, only with the form's CSRF token; every change told to notifications (AssessorChanged)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from rtw_assessment.models import Assessor, Assignment
from rtw_platform.auth import Role
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.forms import refused
from sqlalchemy import text
from sqlmodel import select

from .test_assessment_pages import CSRF, signed_in_as, submission_with_two_assessors

pytestmark = pytest.mark.component


async def changes(service: ServiceRuntime) -> list[dict[str, Any]]:
    async with service.uow_factory() as uow:
        rows = await uow.session.execute(
            text("SELECT payload FROM assessment.outbox WHERE event_type = 'AssessorChanged' ORDER BY id")
        )
        return [row[0] for row in rows.all()]


async def test_an_admin_registers_retires_and_activates_an_assessor(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await submission_with_two_assessors(service)  # two ICT assessors, one assignment each
    signed_in_as(client, service, "admin-1", Role.ADMIN)

    page = await client.get("/admin/assessors")
    assert page.status_code == 200
    assert "Assessor 1" in page.text
    assert "No assessor assesses this programme yet" in page.text  # social work, planning, legal
    assert 'href="/notifications/admin/staff/send?role=assessor&amp;staff_id=assessor-1"' in page.text

    registered = await client.post(
        "/admin/assessors",
        data={
            "csrf_token": CSRF,
            "id": "jo.okafor",
            "display_name": "Jo Okafor",
            "programmes": ["ict", "legal"],
        },
    )
    assert registered.status_code == 303
    after = await client.get(registered.headers["location"])
    assert "Assessor jo.okafor is registered" in after.text
    assert after.text.count("Jo Okafor (") >= 2  # listed under ICT and legal
    assert [c["assessor_id"] for c in await changes(service)] == ["jo.okafor"]
    assert "email" not in str(await changes(service))

    # Retiring gives their unscored work to another assessor of the programme.
    retired = await client.post(
        "/admin/assessors/assessor-1/active", data={"csrf_token": CSRF, "active": "no"}
    )
    assert retired.status_code == 303
    async with service.uow_factory() as uow:
        assert (await uow.session.get(Assessor, "assessor-1")).active is False  # type: ignore[union-attr]
        pending = (
            await uow.session.exec(select(Assignment.assessor_id).where(Assignment.status == "pending"))
        ).all()
    assert "assessor-1" not in pending
    assert sorted(pending) == ["assessor-2", "jo.okafor"]
    last = (await changes(service))[-1]
    assert (last["assessor_id"], last["active"]) == ("assessor-1", False)
    page = await client.get(retired.headers["location"])
    assert "Assessor assessor-1 is retired" in page.text
    assert "Make active" in page.text

    activated = await client.post(
        "/admin/assessors/assessor-1/active", data={"csrf_token": CSRF, "active": "yes"}
    )
    assert activated.status_code == 303
    assert (await changes(service))[-1]["active"] is True


async def test_bad_answers_are_said_beside_their_fields(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await submission_with_two_assessors(service)
    signed_in_as(client, service, "admin-1", Role.ADMIN)
    duplicate = await refused(
        client,
        "/admin/assessors",
        {"csrf_token": CSRF, "id": "assessor-1", "display_name": "Someone", "programmes": "ict"},
    )
    assert 'value="Someone"' in duplicate.text  # what was typed is kept
    assert "There is already an assessor with the id assessor-1 (Assessor 1)" in duplicate.text
    unknown = await refused(
        client,
        "/admin/assessors",
        {"csrf_token": CSRF, "id": "x y", "display_name": "", "programmes": "astrology"},
    )
    assert "There is no programme called astrology" in unknown.text
    assert "with no spaces" in unknown.text
    assert "Enter the assessor&#39;s name" in unknown.text
    none = await refused(client, "/admin/assessors", {"csrf_token": CSRF, "id": "ok-id", "display_name": "A"})
    assert "Choose at least one programme" in none.text
    missing = await client.post("/admin/assessors/nobody/active", data={"csrf_token": CSRF, "active": "no"})
    assert missing.status_code == 404
    assert "There is no assessor with the id nobody" in missing.text
    assert await changes(service) == []


async def test_only_admins_with_the_forms_token_change_assessors(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await submission_with_two_assessors(service)
    form = {"id": "jo.okafor", "display_name": "Jo Okafor", "programmes": "ict"}
    signed_in_as(client, service, "assessor-1", Role.ASSESSOR)
    for response in (
        await client.get("/admin/assessors"),
        await client.post("/admin/assessors", data={"csrf_token": CSRF, **form}),
        await client.post("/admin/assessors/assessor-2/active", data={"csrf_token": CSRF, "active": "no"}),
    ):
        assert response.status_code == 303
        assert response.headers["location"].startswith("/applications/account/staff-sign-in?next=")
    signed_in_as(client, service, "admin-1", Role.ADMIN)
    for response in (
        await client.post("/admin/assessors", data={"csrf_token": "forged", **form}),
        await client.post(
            "/admin/assessors/assessor-2/active", data={"csrf_token": "forged", "active": "no"}
        ),
    ):
        assert response.status_code == 400
        assert "could not be sent" in response.text
    async with service.uow_factory() as uow:
        assert await uow.session.get(Assessor, "jo.okafor") is None
        assert (await uow.session.get(Assessor, "assessor-2")).active is True  # type: ignore[union-attr]
    assert await changes(service) == []


async def test_the_same_assessor_registered_twice_at_once_is_registered_once(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    signed_in_as(client, service, "admin-1", Role.ADMIN)
    form = {"csrf_token": CSRF, "id": "sam.twice", "display_name": "Sam Twice", "programmes": ["ict"]}

    answers = await asyncio.gather(*(client.post("/admin/assessors", data=form) for _ in range(4)))

    # All are answered with a redirect: one registered, three back to the form with the reason.
    places = sorted(a.headers.get("location", str(a.status_code)) for a in answers)
    assert places[:3] == ["/admin/assessors"] * 3, places
    assert places[3] == "/admin/assessors?done=registered&id=sam.twice", places
    shown = await client.get("/admin/assessors")
    assert "There is already an assessor with the id sam.twice" in shown.text
    assert [c["assessor_id"] for c in await changes(service)] == ["sam.twice"]
