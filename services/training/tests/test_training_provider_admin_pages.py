"""The admin's training providers pages: register, change name and cohorts, retire (its trainers
are refused) and reactivate; only admins, only with the form's CSRF token; every change told to
notifications (TrainingProviderChanged, no address)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from rtw_platform.auth import Principal, Role
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.forms import refused
from rtw_training.app import SERVICE
from rtw_training.models import Provider
from sqlalchemy import text

from .test_training_pages import CSRF, TRAINER, browser, enrol

pytestmark = pytest.mark.component

ADMIN = Principal("admin-1", Role.ADMIN)


async def changes(runtime: ServiceRuntime) -> list[dict[str, Any]]:
    async with runtime.uow_factory() as uow:
        rows = await uow.session.execute(
            text(
                "SELECT payload FROM training.outbox WHERE event_type = 'TrainingProviderChanged' ORDER BY id"
            )
        )
        return [row[0] for row in rows.all()]


async def test_an_admin_registers_changes_and_retires_a_provider(start_service: Callable[..., Any]) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True, relay_enabled=False)
    await enrol(runtime, weeks_ago=1)  # provider socitm, cohort ict-test, one learner
    async with browser(runtime, ADMIN) as admin:
        page = await admin.get("/admin/providers")
        assert page.status_code == 200
        assert "Socitm" in page.text
        assert 'href="/notifications/admin/staff/send?role=trainer&amp;provider_id=socitm"' in page.text

        registered = await admin.post(
            "/admin/providers",
            data={
                "csrf_token": CSRF,
                "id": "digital-skills",
                "name": "Digital Skills College",
                "cohorts": "ict-2027, legal-2027",
            },
        )
        assert registered.status_code == 303
        assert (
            "Training provider digital-skills is registered"
            in (await admin.get(registered.headers["location"])).text
        )
        assert [(c["provider_id"], c["cohorts"]) for c in await changes(runtime)] == [
            ("digital-skills", ["ict-2027", "legal-2027"])
        ]

        changed = await admin.post(
            "/admin/providers/socitm",
            data={"csrf_token": CSRF, "name": "Socitm Advisory", "cohorts": "ict-test ict-2027"},
        )
        assert changed.status_code == 303
        async with runtime.uow_factory() as uow:
            socitm = await uow.session.get(Provider, "socitm")
            assert socitm is not None
            assert (socitm.name, socitm.cohorts) == ("Socitm Advisory", ["ict-test", "ict-2027"])

    async with browser(runtime, TRAINER) as trainer:
        assert (await trainer.get("/provider")).status_code == 200
    async with browser(runtime, ADMIN) as admin:
        retired = await admin.post(
            "/admin/providers/socitm/active", data={"csrf_token": CSRF, "active": "no"}
        )
        assert retired.status_code == 303
        assert "is retired" in (await admin.get(retired.headers["location"])).text
    last = (await changes(runtime))[-1]
    assert (last["provider_id"], last["active"]) == ("socitm", False)
    assert "email" not in str(await changes(runtime))
    async with browser(runtime, TRAINER) as trainer:
        refused = await trainer.get("/provider")
        assert refused.status_code == 403
        assert "Socitm Advisory has been retired from the programme" in refused.text
    async with browser(runtime, ADMIN) as admin:
        await admin.post("/admin/providers/socitm/active", data={"csrf_token": CSRF, "active": "yes"})
    async with browser(runtime, TRAINER) as trainer:
        assert (await trainer.get("/provider")).status_code == 200


async def test_bad_answers_are_said_beside_their_fields(start_service: Callable[..., Any]) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True, relay_enabled=False)
    await enrol(runtime, weeks_ago=1)
    async with browser(runtime, ADMIN) as admin:
        duplicate = await refused(
            admin,
            "/admin/providers",
            {"csrf_token": CSRF, "id": "socitm", "name": "Other", "cohorts": "ict-test"},
        )
        assert 'value="Other"' in duplicate.text  # what was typed is kept
        assert "There is already a training provider with the id socitm (Socitm)" in duplicate.text
        wrong = await refused(
            admin,
            "/admin/providers",
            {"csrf_token": CSRF, "id": "Bad Id", "name": "", "cohorts": "ict 2027!"},
        )
        assert "An id is 2 to 100 lowercase letters" in wrong.text
        assert "Enter the training provider&#39;s name" in wrong.text
        assert "is not a cohort id" in wrong.text
        unknown = await admin.get("/admin/providers/nobody")
        assert unknown.status_code == 404
        assert "There is no training provider with the id nobody" in unknown.text
        empty = await refused(
            admin, "/admin/providers/socitm", {"csrf_token": CSRF, "name": "Socitm", "cohorts": ""}
        )
        assert "Enter the cohorts the provider trains" in empty.text
    assert await changes(runtime) == []


async def test_only_admins_with_the_forms_token_change_providers(start_service: Callable[..., Any]) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True, relay_enabled=False)
    await enrol(runtime, weeks_ago=1)
    form = {"id": "new-one", "name": "New One", "cohorts": "ict-test"}
    async with browser(runtime, TRAINER) as trainer:
        for response in (
            await trainer.get("/admin/providers"),
            await trainer.post("/admin/providers", data={"csrf_token": CSRF, **form}),
            await trainer.post("/admin/providers/socitm", data={"csrf_token": CSRF, **form}),
            await trainer.post("/admin/providers/socitm/active", data={"csrf_token": CSRF, "active": "no"}),
        ):
            assert response.status_code == 303
            assert response.headers["location"].startswith("/applications/account/staff-sign-in?next=")
    async with browser(runtime, ADMIN) as admin:
        admin.cookies.set("rtw_csrf", "another")
        for response in (
            await admin.post("/admin/providers", data={"csrf_token": CSRF, **form}),
            await admin.post("/admin/providers/socitm", data={"csrf_token": CSRF, **form}),
            await admin.post("/admin/providers/socitm/active", data={"csrf_token": CSRF, "active": "no"}),
        ):
            assert response.status_code == 400
            assert "could not be sent" in response.text
    async with runtime.uow_factory() as uow:
        assert await uow.session.get(Provider, "new-one") is None
        socitm = await uow.session.get(Provider, "socitm")
        assert socitm is not None
        assert socitm.active
        assert socitm.name == "Socitm"
    assert await changes(runtime) == []


async def test_the_same_provider_registered_twice_at_once_is_registered_once(
    start_service: Callable[..., Any],
) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True, relay_enabled=False)
    form = {"csrf_token": CSRF, "id": "twice-college", "name": "Twice College", "cohorts": "ict-2031"}
    async with browser(runtime, ADMIN) as admin:
        answers = await asyncio.gather(*(admin.post("/admin/providers", data=form) for _ in range(4)))
        # All are answered with a redirect: one registered, three back to the form with the reason.
        places = sorted(a.headers.get("location", str(a.status_code)) for a in answers)
        assert places[:3] == ["/admin/providers"] * 3, places
        assert places[3] == "/admin/providers?done=registered&id=twice-college", places
        shown = await admin.get("/admin/providers")
    assert "There is already a training provider with the id twice-college" in shown.text
    assert [c["provider_id"] for c in await changes(runtime)] == ["twice-college"]
