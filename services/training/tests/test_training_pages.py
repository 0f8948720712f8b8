"""The training pages with real PostgreSQL: who may see them, overdue training, the progress form."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from rtw_platform.auth import Principal, Role, issue_session_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for
from rtw_platform.testing.forms import refused
from rtw_training.app import SERVICE
from rtw_training.curricula import ICT
from rtw_training.models import Enrolment, Learner, ModuleProgress, Provider

pytestmark = pytest.mark.component

CSRF = "test-csrf-token"


def browser(runtime: ServiceRuntime, principal: Principal | None) -> httpx.AsyncClient:
    """A client with the cookies a signed-in browser would send."""
    cookies = {"rtw_csrf": CSRF}
    if principal is not None:
        secret = runtime.settings.token_secret.get_secret_value()
        cookies["rtw_session"] = issue_session_token(secret, principal)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_for(runtime)), base_url="http://t", cookies=cookies
    )


async def enrol(runtime: ServiceRuntime, *, weeks_ago: int) -> Enrolment:
    """A learner of cohort ict-test, enrolled some weeks ago, of provider socitm."""
    application_id, candidate_id = uuid4(), uuid4()
    enrolment = Enrolment(
        application_id=application_id,
        candidate_id=candidate_id,
        cohort_id="ict-test",
        programme="ict",
        curriculum_id=ICT.id,
        curriculum_version=ICT.version,
        status="enrolled",
        enrolled_at=datetime.now(UTC) - timedelta(weeks=weeks_ago),
        sequence=1,
    )
    async with runtime.uow_factory() as uow:
        if await uow.session.get(Provider, "socitm") is None:
            uow.session.add(
                Provider(id="socitm", name="Socitm", cohorts=["ict-test"], created_at=datetime.now(UTC))
            )
        uow.session.add(
            Learner(
                application_id=application_id,
                candidate_id=candidate_id,
                cohort_id="ict-test",
                programme="ict",
                given_name="Joan",
                family_name="Clarke",
                last_practised=date(2021, 1, 1),
            )
        )
        uow.session.add(enrolment)
        await uow.commit()
    return enrolment


TRAINER = Principal("trainer-1", Role.TRAINER, provider_id="socitm")


async def test_the_pages_ask_the_right_people_to_sign_in(start_service: Callable[..., Any]) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    async with browser(runtime, None) as anonymous:
        provider = await anonymous.get("/provider")
        assert provider.status_code == 303
        assert provider.headers["location"].startswith("/applications/account/staff-sign-in?next=")
        mine = await anonymous.get("/my")
        assert mine.headers["location"].startswith("/applications/account/sign-in?next=")
    async with browser(runtime, Principal("nobody", Role.TRAINER, provider_id="unknown")) as stranger:
        refused = await stranger.get("/provider")
        assert refused.status_code == 403
        assert "Your provider is not registered yet" in refused.text


async def test_a_provider_sees_overdue_training_and_the_form_checks_the_hours(
    start_service: Callable[..., Any],
) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    enrolment = await enrol(runtime, weeks_ago=ICT.weeks + 2)
    async with browser(runtime, TRAINER) as trainer:
        cohorts = await trainer.get("/provider")
        assert cohorts.status_code == 200
        assert "Joan Clarke" in cohorts.text
        assert f"/provider/learners/{enrolment.id}" in cohorts.text

        page = await trainer.get(f"/provider/learners/{enrolment.id}")
        assert page.text.count("Overdue") == len(ICT.required_modules)

        path = f"/provider/learners/{enrolment.id}/modules"
        learner_page = f"/provider/learners/{enrolment.id}"
        wrong = await refused(
            trainer,
            path,
            {"csrf_token": CSRF, "module": "interview-techniques", "hours": "four", "result": "passed"},
            page=learner_page,
        )
        assert 'value="four"' in wrong.text  # what was typed is kept
        assert "Hours must be a number, like 6 or 7.5" in wrong.text
        too_many = await refused(
            trainer,
            path,
            {"csrf_token": CSRF, "module": "interview-techniques", "hours": "501", "result": "passed"},
            page=learner_page,
        )
        assert "Hours must be more than 0 and no more than 500" in too_many.text
        unknown = await refused(
            trainer,
            path,
            {"csrf_token": CSRF, "module": "juggling", "hours": "4", "result": "passed"},
            page=learner_page,
        )
        assert "has no module &#39;juggling&#39;" in unknown.text

        done = await trainer.post(
            path, data={"csrf_token": CSRF, "module": "interview-techniques", "hours": "4", "result": "merit"}
        )
        assert done.status_code == 303
        assert done.headers["location"] == f"/provider/learners/{enrolment.id}?recorded=interview-techniques"
        again = await refused(
            trainer,
            path,
            {"csrf_token": CSRF, "module": "interview-techniques", "hours": "4", "result": "merit"},
            page=learner_page,
        )
        assert "was already completed" in again.text
        forged = await trainer.post(path, data={"csrf_token": "forged", "module": "x", "hours": "4"})
        assert forged.status_code == 400
        assert "could not be sent" in forged.text
    async with runtime.uow_factory() as uow:
        recorded = await uow.session.get(ModuleProgress, (enrolment.id, "interview-techniques"))
    assert recorded is not None
    assert (recorded.status, recorded.hours, recorded.result) == ("completed", 4, "merit")


async def test_a_candidate_sees_only_their_own_training(start_service: Callable[..., Any]) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    late = await enrol(runtime, weeks_ago=ICT.weeks + 1)
    async with browser(runtime, Principal(str(late.candidate_id), Role.CANDIDATE)) as learner:
        page = await learner.get("/my")
        assert page.status_code == 200
        assert "Your training was expected to finish by" in page.text
        assert "0 of 5" in page.text
    async with browser(runtime, Principal(str(UUID(int=1)), Role.CANDIDATE)) as someone_else:
        page = await someone_else.get("/my")
        assert "You have no training yet" in page.text
        assert "Overdue" not in page.text


async def test_another_providers_learner_is_a_page_not_found_like_an_unknown_one(
    start_service: Callable[..., Any],
) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    theirs = await enrol(runtime, weeks_ago=2)  # a learner of socitm's cohort
    async with runtime.uow_factory() as uow:
        uow.session.add(Provider(id="other", name="Other", cohorts=["sw-test"], created_at=datetime.now(UTC)))
        await uow.commit()
    other_trainer = Principal("trainer-2", Role.TRAINER, provider_id="other")
    async with browser(runtime, other_trainer) as trainer:
        answers = {}
        for name, enrolment_id in (("theirs", theirs.id), ("unknown", uuid4())):
            page = await trainer.get(f"/provider/learners/{enrolment_id}")
            sent = await trainer.post(
                f"/provider/learners/{enrolment_id}/modules",
                data={"csrf_token": CSRF, "module": "interview-techniques", "hours": "4", "result": "passed"},
            )
            answers[name] = [(r.status_code, r.text.replace(str(enrolment_id), "ID")) for r in (page, sent)]

    assert answers["theirs"] == answers["unknown"]
    assert [status for status, _ in answers["theirs"]] == [404, 404]
    assert "There is no enrolment with that id." in answers["theirs"][0][1]
    assert "Joan Clarke" not in answers["theirs"][0][1]
