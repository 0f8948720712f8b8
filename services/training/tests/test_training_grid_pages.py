"""The progress grid, corrections with their history, the page for a provider not registered yet
and the candidates' CPD form, with real PostgreSQL. Each protection (whose cohort, CSRF) has its
own test, which fails when that protection alone is switched off."""

from __future__ import annotations

import asyncio
import re
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
from rtw_training.curricula import ICT, SOCIAL_WORK, Curriculum
from rtw_training.models import (
    Certificate,
    CpdRecord,
    Enrolment,
    Learner,
    ModuleCorrection,
    ModuleProgress,
    Provider,
)
from sqlalchemy import text
from sqlmodel import select

pytestmark = pytest.mark.component

CSRF = "test-csrf-token"
TRAINER = Principal("trainer-1", Role.TRAINER, provider_id="socitm")
OTHER_TRAINER = Principal("trainer-2", Role.TRAINER, provider_id="other")
REQUIRED = [m.id for m in ICT.required_modules]


def browser(runtime: ServiceRuntime, principal: Principal | None) -> httpx.AsyncClient:
    """A client with the cookies a signed-in browser would send."""
    cookies = {"rtw_csrf": CSRF}
    if principal is not None:
        secret = runtime.settings.token_secret.get_secret_value()
        cookies["rtw_session"] = issue_session_token(secret, principal)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_for(runtime)), base_url="http://t", cookies=cookies
    )


async def providers(runtime: ServiceRuntime) -> None:
    """socitm trains ict-test and social-work-test; other trains another cohort."""
    async with runtime.uow_factory() as uow:
        for provider_id, cohorts in (("socitm", ["ict-test", "social-work-test"]), ("other", ["ict-other"])):
            uow.session.add(
                Provider(
                    id=provider_id, name=provider_id.title(), cohorts=cohorts, created_at=datetime.now(UTC)
                )
            )
        await uow.commit()


async def enrol(
    runtime: ServiceRuntime,
    given_name: str,
    *,
    cohort_id: str = "ict-test",
    curriculum: Curriculum = ICT,
    status: str = "enrolled",
) -> Enrolment:
    application_id, candidate_id = uuid4(), uuid4()
    programme = "ict" if curriculum is ICT else "social_work"
    enrolment = Enrolment(
        application_id=application_id,
        candidate_id=candidate_id,
        cohort_id=cohort_id,
        programme=programme,
        curriculum_id=curriculum.id,
        curriculum_version=curriculum.version,
        status=status,
        years_out_of_practice=2.0 if curriculum is SOCIAL_WORK else None,
        enrolled_at=datetime.now(UTC) - timedelta(weeks=1),
        sequence=1,
    )
    async with runtime.uow_factory() as uow:
        uow.session.add(
            Learner(
                application_id=application_id,
                candidate_id=candidate_id,
                cohort_id=cohort_id,
                programme=programme,
                given_name=given_name,
                family_name="Clarke",
                last_practised=date(2024, 1, 1),
            )
        )
        uow.session.add(enrolment)
        await uow.commit()
    return enrolment


def cell(enrolment: Enrolment, module_id: str, outcome: str, hours: str = "") -> dict[str, str]:
    return {f"outcome-{enrolment.id}-{module_id}": outcome, f"hours-{enrolment.id}-{module_id}": hours}


async def progress_of(runtime: ServiceRuntime, enrolment: Enrolment) -> dict[str, ModuleProgress]:
    async with runtime.uow_factory() as uow:
        rows = (
            await uow.session.exec(select(ModuleProgress).where(ModuleProgress.enrolment_id == enrolment.id))
        ).all()
    return {r.module_id: r for r in rows}


async def published(runtime: ServiceRuntime, event_type: str, enrolment: Enrolment) -> list[dict[str, Any]]:
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM training.outbox WHERE event_type = :t ORDER BY id"), {"t": event_type}
        )
        return [r.payload for r in rows if r.payload["enrolment_id"] == str(enrolment.id)]


async def enrolment_now(runtime: ServiceRuntime, enrolment: Enrolment) -> Enrolment:
    async with runtime.uow_factory() as uow:
        found = await uow.session.get(Enrolment, enrolment.id)
    assert found is not None
    return found


# --------------------------------------------------------------------------- the grid


async def test_a_provider_records_several_outcomes_in_one_submit(start_service: Callable[..., Any]) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    await providers(runtime)
    joan = await enrol(runtime, "Joan")
    alan = await enrol(runtime, "Alan")
    async with browser(runtime, TRAINER) as trainer:
        cohorts = await trainer.get("/provider")
        assert "/provider/cohorts/ict-test" in cohorts.text
        page = await trainer.get("/provider/cohorts/ict-test")
        assert page.status_code == 200
        assert "Joan Clarke" in page.text
        assert "Alan Clarke" in page.text
        # Nothing is chosen for anyone: every select starts at "No change", every hours box empty.
        assert " selected" not in page.text
        assert page.text.count(">No change</option>") == 2 * len(ICT.modules)

        sent = await trainer.post(
            "/provider/cohorts/ict-test",
            data={
                "csrf_token": CSRF,
                **cell(joan, "technical-skills", "passed", "28"),
                **cell(joan, "interview-techniques", "merit"),
                **cell(alan, "soft-skills-brand", "started"),
                **cell(alan, "technical-skills", ""),  # blank: no change
            },
        )
        assert sent.status_code == 303
        assert sent.headers["location"] == "/provider/cohorts/ict-test?recorded=3&certified=0"
        shown = await trainer.get(sent.headers["location"])
        assert "3 outcomes recorded." in shown.text
        odd = await trainer.get("/provider/cohorts/ict-test?recorded=lots&certified=-1")
        assert odd.status_code == 200
        assert "outcomes recorded" not in odd.text

    joans = await progress_of(runtime, joan)
    assert (joans["technical-skills"].status, joans["technical-skills"].hours) == ("completed", 28)
    assert (joans["interview-techniques"].result, joans["interview-techniques"].hours) == ("merit", 4)
    alans = await progress_of(runtime, alan)
    assert set(alans) == {"soft-skills-brand"}
    assert alans["soft-skills-brand"].status == "started"
    assert len(await published(runtime, "TrainingModuleCompleted", joan)) == 2
    assert await published(runtime, "TrainingModuleCompleted", alan) == []


async def test_every_problem_is_shown_at_once_and_nothing_is_saved(start_service: Callable[..., Any]) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    await providers(runtime)
    joan = await enrol(runtime, "Joan")
    alan = await enrol(runtime, "Alan")
    async with browser(runtime, TRAINER) as trainer:
        sent = await refused(
            trainer,
            "/provider/cohorts/ict-test",
            {
                "csrf_token": CSRF,
                **cell(joan, "technical-skills", "passed", "30"),  # fine on its own
                **cell(joan, "interview-techniques", "passed", "four"),
                **cell(alan, "soft-skills-brand", "", "3"),
            },
        )
        assert "There is a problem" in sent.text
        assert "Hours must be a number, like 6 or 7.5" in sent.text
        assert "Choose an outcome for the hours you entered, or clear the hours" in sent.text
        assert f'href="#hours-{joan.id}-interview-techniques"' in sent.text
        assert f'href="#outcome-{alan.id}-soft-skills-brand"' in sent.text
        # What was entered is kept, to put right.
        assert re.search(r'value="passed"\s+selected', sent.text)
        empty = await refused(trainer, "/provider/cohorts/ict-test", {"csrf_token": CSRF})
        assert "Choose an outcome for at least one learner and module" in empty.text
    assert await progress_of(runtime, joan) == {}
    assert await progress_of(runtime, alan) == {}
    assert await published(runtime, "TrainingModuleCompleted", joan) == []


async def test_the_last_module_recorded_on_the_grid_issues_the_certificate(
    start_service: Callable[..., Any],
) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    await providers(runtime)
    joan = await enrol(runtime, "Joan")
    async with browser(runtime, TRAINER) as trainer:
        fields: dict[str, str] = {"csrf_token": CSRF}
        for module_id in REQUIRED:
            fields.update(cell(joan, module_id, "passed"))
        sent = await trainer.post("/provider/cohorts/ict-test", data=fields)
        assert sent.headers["location"] == f"/provider/cohorts/ict-test?recorded={len(REQUIRED)}&certified=1"
        page = await trainer.get(sent.headers["location"])
        assert "1 learner has now completed every required module: the certificate was issued." in page.text
    assert (await enrolment_now(runtime, joan)).status == "completed"
    assert len(await published(runtime, "TrainingModuleCompleted", joan)) == len(REQUIRED)
    assert len(await published(runtime, "TrainingCompleted", joan)) == 1


async def test_a_provider_cannot_record_for_a_cohort_it_does_not_train(
    start_service: Callable[..., Any],
) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    await providers(runtime)
    joan = await enrol(runtime, "Joan")  # socitm's learner
    async with browser(runtime, OTHER_TRAINER) as trainer:
        page = await trainer.get("/provider/cohorts/ict-test")
        assert page.status_code == 404
        assert "Joan" not in page.text
        sent = await trainer.post(
            "/provider/cohorts/ict-test",
            data={"csrf_token": CSRF, **cell(joan, "technical-skills", "passed")},
        )
        assert sent.status_code == 404
        assert "Your organisation does not train a cohort with that id." in sent.text
        # Naming socitm's learner on its own cohort's grid is no cell of that grid either.
        await refused(
            trainer,
            "/provider/cohorts/ict-other",
            {"csrf_token": CSRF, **cell(joan, "technical-skills", "passed")},
        )
    assert await progress_of(runtime, joan) == {}


async def test_a_grid_without_the_forms_token_is_refused(start_service: Callable[..., Any]) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    await providers(runtime)
    joan = await enrol(runtime, "Joan")
    async with browser(runtime, TRAINER) as trainer:
        forged = await trainer.post(
            "/provider/cohorts/ict-test",
            data={"csrf_token": "forged", **cell(joan, "technical-skills", "passed")},
        )
        assert forged.status_code == 400
        assert "Your form could not be sent" in forged.text
    assert await progress_of(runtime, joan) == {}


# --------------------------------------------------------------------------- corrections


async def record(
    runtime: ServiceRuntime, enrolment: Enrolment, *modules: str, result: str = "passed"
) -> None:
    async with browser(runtime, TRAINER) as trainer:
        fields: dict[str, str] = {"csrf_token": CSRF}
        for module_id in modules:
            fields.update(cell(enrolment, module_id, result))
        sent = await trainer.post(f"/provider/cohorts/{enrolment.cohort_id}", data=fields)
        assert sent.status_code == 303, sent.text


async def test_a_correction_needs_a_reason_and_is_kept_in_the_history_both_sides_see(
    start_service: Callable[..., Any],
) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    await providers(runtime)
    joan = await enrol(runtime, "Joan")
    await record(runtime, joan, "technical-skills", result="distinction")
    path = f"/provider/learners/{joan.id}/modules/technical-skills/correction"
    async with browser(runtime, TRAINER) as trainer:
        form = await trainer.get(path)
        assert form.status_code == 200
        assert "Distinction" in form.text
        assert " checked" not in form.text  # nothing chosen for the provider
        unexplained = await refused(trainer, path, {"csrf_token": CSRF, "outcome": "passed", "reason": ""})
        assert re.search(r'value="passed"\s+checked', unexplained.text)  # what was chosen is kept
        assert "Give the reason for the correction" in unexplained.text
        saved = await trainer.post(
            path,
            data={
                "csrf_token": CSRF,
                "outcome": "passed",
                "hours": "25",
                "reason": "Marked from the wrong sheet",
            },
        )
        assert saved.status_code == 303
        assert saved.headers["location"] == f"/provider/learners/{joan.id}?corrected=technical-skills"
        learner_page = await trainer.get(saved.headers["location"])
        assert "The correction to Technical skills refresher is saved." in learner_page.text
        assert "Marked from the wrong sheet" in learner_page.text
        assert "Distinction, 30 hours" in learner_page.text
        assert "Passed, 25 hours" in learner_page.text
    async with browser(runtime, Principal(str(joan.candidate_id), Role.CANDIDATE)) as candidate:
        mine = await candidate.get("/my")
        assert "Corrections" in mine.text
        assert "Marked from the wrong sheet" in mine.text
    rows = await progress_of(runtime, joan)
    assert (rows["technical-skills"].result, rows["technical-skills"].hours) == ("passed", 25)
    async with runtime.uow_factory() as uow:
        history = (await uow.session.exec(select(ModuleCorrection))).all()
    assert [(h.previous_result, h.result, h.reason, h.corrected_by) for h in history] == [
        ("distinction", "passed", "Marked from the wrong sheet", "trainer-1")
    ]
    # A changed result is no new completion: nothing more is published.
    assert len(await published(runtime, "TrainingModuleCompleted", joan)) == 1


async def test_taking_a_completion_back_means_it_must_be_recorded_again_before_the_certificate(
    start_service: Callable[..., Any],
) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    await providers(runtime)
    joan = await enrol(runtime, "Joan")
    await record(runtime, joan, *REQUIRED[:-1])
    path = f"/provider/learners/{joan.id}/modules/technical-skills/correction"
    async with browser(runtime, TRAINER) as trainer:
        taken_back = await trainer.post(
            path,
            data={"csrf_token": CSRF, "outcome": "not_completed", "reason": "The final test was not sat"},
        )
        assert taken_back.status_code == 303
    assert (await progress_of(runtime, joan))["technical-skills"].status == "started"

    await record(runtime, joan, REQUIRED[-1])  # the last one, but technical skills is missing again
    assert (await enrolment_now(runtime, joan)).status == "enrolled"
    assert await published(runtime, "TrainingCompleted", joan) == []

    await record(runtime, joan, "technical-skills")  # recorded again: now it is complete
    assert (await enrolment_now(runtime, joan)).status == "completed"
    assert len(await published(runtime, "TrainingCompleted", joan)) == 1
    # Each module was announced once: matching counts it once.
    modules = [e["module_id"] for e in await published(runtime, "TrainingModuleCompleted", joan)]
    assert sorted(modules) == sorted(REQUIRED)


async def test_after_the_certificate_a_correction_is_refused_with_the_reason(
    start_service: Callable[..., Any],
) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    await providers(runtime)
    joan = await enrol(runtime, "Joan")
    await record(runtime, joan, *REQUIRED)
    path = f"/provider/learners/{joan.id}/modules/technical-skills/correction"
    async with browser(runtime, TRAINER) as trainer:
        form = await trainer.get(path)
        assert "its certificate was issued" in form.text
        assert "Save the correction" not in form.text
        answer = await refused(
            trainer,
            path,
            {"csrf_token": CSRF, "outcome": "not_completed", "reason": "Should not have passed"},
        )
        assert "its certificate was issued" in answer.text
    assert (await progress_of(runtime, joan))["technical-skills"].status == "completed"
    async with runtime.uow_factory() as uow:
        assert (await uow.session.exec(select(ModuleCorrection))).all() == []
        assert len((await uow.session.exec(select(Certificate))).all()) == 1


async def test_another_providers_learner_cannot_be_corrected(start_service: Callable[..., Any]) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    await providers(runtime)
    joan = await enrol(runtime, "Joan")
    await record(runtime, joan, "technical-skills")
    path = f"/provider/learners/{joan.id}/modules/technical-skills/correction"
    async with browser(runtime, OTHER_TRAINER) as trainer:
        assert (await trainer.get(path)).status_code == 404
        sent = await trainer.post(
            path, data={"csrf_token": CSRF, "outcome": "merit", "reason": "Not mine to say"}
        )
        assert sent.status_code == 404
        assert "There is no enrolment with that id." in sent.text
    assert (await progress_of(runtime, joan))["technical-skills"].result == "passed"


async def test_a_correction_without_the_forms_token_is_refused(start_service: Callable[..., Any]) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    await providers(runtime)
    joan = await enrol(runtime, "Joan")
    await record(runtime, joan, "technical-skills")
    async with browser(runtime, TRAINER) as trainer:
        forged = await trainer.post(
            f"/provider/learners/{joan.id}/modules/technical-skills/correction",
            data={"csrf_token": "forged", "outcome": "merit", "reason": "A forged correction"},
        )
        assert forged.status_code == 400
        assert "Your form could not be sent" in forged.text
    assert (await progress_of(runtime, joan))["technical-skills"].result == "passed"


# --------------------------------------------------------------------------- a provider not registered yet


async def test_a_provider_not_registered_yet_is_told_what_to_do(start_service: Callable[..., Any]) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    async with browser(
        runtime, Principal("new-trainer", Role.TRAINER, provider_id="new-provider")
    ) as trainer:
        page = await trainer.get("/provider")
        assert page.status_code == 403
        assert "Your provider is not registered yet" in page.text
        assert "Ask the programme team to register your organisation" in page.text
        assert "new-provider" in page.text
        assert "names no registered" not in page.text
        grid = await trainer.get("/provider/cohorts/ict-test")
        assert grid.status_code == 403
        assert "is not registered yet" in grid.text
        assert "names no registered" not in grid.text


# --------------------------------------------------------------------------- the candidates' CPD


def cpd_form(**overrides: str) -> dict[str, str]:
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    form = {
        "csrf_token": CSRF,
        "day-day": str(yesterday.day),
        "day-month": str(yesterday.month),
        "day-year": str(yesterday.year),
        "days": "1.5",
        "kind": "structured",
        "description": "Safeguarding adults course, Birmingham",
    }
    form.update(overrides)
    return form


async def cpd_of(runtime: ServiceRuntime, enrolment: Enrolment) -> list[CpdRecord]:
    async with runtime.uow_factory() as uow:
        return list(
            (await uow.session.exec(select(CpdRecord).where(CpdRecord.enrolment_id == enrolment.id))).all()
        )


async def test_a_candidate_adds_cpd_and_sees_it_on_their_training(start_service: Callable[..., Any]) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    await providers(runtime)
    sam = await enrol(runtime, "Sam", cohort_id="social-work-test", curriculum=SOCIAL_WORK)
    path = f"/my/enrolments/{sam.id}/cpd"
    async with browser(runtime, Principal(str(sam.candidate_id), Role.CANDIDATE)) as candidate:
        mine = await candidate.get("/my")
        assert path in mine.text
        form = await candidate.get(path)
        assert form.status_code == 200
        assert " checked" not in form.text
        wrong = await refused(
            candidate,
            path,
            cpd_form(
                **{"day-year": str(datetime.now(UTC).year + 1), "days": "0.3", "kind": "", "description": ""}
            ),
        )
        assert "There is a problem" in wrong.text
        assert 'value="0.3"' in wrong.text  # what was typed is kept
        assert f'value="{datetime.now(UTC).year + 1}"' in wrong.text
        for message in (
            "The date must be today or in the past",
            "Days must be in half days, from 0.5 to 5",
            "Select the kind of CPD",
            "Describe what you did, in a few words",
        ):
            assert message in wrong.text
        assert await cpd_of(runtime, sam) == []
        added = await candidate.post(path, data=cpd_form())
        assert added.status_code == 303
        assert added.headers["location"] == "/my?cpd=added"
        shown = await candidate.get(added.headers["location"])
        assert "Your CPD is added." in shown.text
        assert "Safeguarding adults course, Birmingham" in shown.text
        assert "1.5 counted of 30" in shown.text
    entries = await cpd_of(runtime, sam)
    assert [(e.days, e.kind, e.recorded_by) for e in entries] == [(1.5, "structured", str(sam.candidate_id))]


async def test_a_candidate_cannot_add_cpd_to_someone_elses_training(
    start_service: Callable[..., Any],
) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    sam = await enrol(runtime, "Sam", cohort_id="social-work-test", curriculum=SOCIAL_WORK)
    path = f"/my/enrolments/{sam.id}/cpd"
    async with browser(runtime, Principal(str(UUID(int=7)), Role.CANDIDATE)) as someone_else:
        assert (await someone_else.get(path)).status_code == 404
        sent = await someone_else.post(path, data=cpd_form())
        assert sent.status_code == 404
        assert "There is no enrolment with that id." in sent.text
    assert await cpd_of(runtime, sam) == []


async def test_cpd_without_the_forms_token_is_refused(start_service: Callable[..., Any]) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    sam = await enrol(runtime, "Sam", cohort_id="social-work-test", curriculum=SOCIAL_WORK)
    async with browser(runtime, Principal(str(sam.candidate_id), Role.CANDIDATE)) as candidate:
        forged = await candidate.post(f"/my/enrolments/{sam.id}/cpd", data=cpd_form(csrf_token="forged"))
        assert forged.status_code == 400
        assert "Your form could not be sent" in forged.text
    assert await cpd_of(runtime, sam) == []


async def test_training_without_a_cpd_ledger_offers_no_cpd_form(start_service: Callable[..., Any]) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    joan = await enrol(runtime, "Joan")
    async with browser(runtime, Principal(str(joan.candidate_id), Role.CANDIDATE)) as candidate:
        assert "/cpd" not in (await candidate.get("/my")).text
        page = await candidate.get(f"/my/enrolments/{joan.id}/cpd")
        assert "keeps no CPD record" in page.text
        answer = await refused(candidate, f"/my/enrolments/{joan.id}/cpd", cpd_form())
        assert "keeps no CPD ledger" in answer.text
    assert await cpd_of(runtime, joan) == []


async def test_a_learners_name_is_shown_as_text_on_the_grid(start_service: Callable[..., Any]) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    await providers(runtime)
    await enrol(runtime, '<img src=x onerror="alert(1)">')
    async with browser(runtime, TRAINER) as trainer:
        page = await trainer.get("/provider/cohorts/ict-test")
    assert "<img src=x" not in page.text
    assert "&lt;img src=x" in page.text


async def test_two_grids_sent_at_once_record_a_module_once(start_service: Callable[..., Any]) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    await providers(runtime)
    joan = await enrol(runtime, "Joan")
    fields = {"csrf_token": CSRF, **cell(joan, "technical-skills", "passed")}
    async with browser(runtime, TRAINER) as first, browser(runtime, TRAINER) as second:
        answers = await asyncio.gather(
            first.post("/provider/cohorts/ict-test", data=fields),
            second.post("/provider/cohorts/ict-test", data=fields),
        )
        # Both are answered with a redirect to the grid: one recorded, the other with the reason.
        places = sorted(a.headers["location"] for a in answers)
        assert places[0] == "/provider/cohorts/ict-test", places
        assert places[1].startswith("/provider/cohorts/ict-test?recorded=1"), places
        turned_back = first if answers[0].headers["location"] == places[0] else second
        shown = await turned_back.get(places[0])
    assert "This module is already recorded: use Correct to change it" in shown.text
    assert len(await published(runtime, "TrainingModuleCompleted", joan)) == 1


async def test_the_last_cpd_sent_twice_at_once_issues_one_certificate(
    start_service: Callable[..., Any],
) -> None:
    """Social work's CPD ledger is the last thing missing: two entries that each meet it, sent at
    once, issue one certificate; the other is told the training is complete."""
    runtime = await start_service(SERVICE, in_memory_broker=True, relay_enabled=False)
    await providers(runtime)
    sue = await enrol(runtime, "Sue", cohort_id="social-work-test", curriculum=SOCIAL_WORK)
    now = datetime.now(UTC)
    async with runtime.uow_factory() as uow:
        for module in SOCIAL_WORK.modules:
            uow.session.add(
                ModuleProgress(
                    enrolment_id=sue.id,
                    module_id=module.id,
                    status="completed",
                    result="passed",
                    hours=module.hours,
                    source="provider",
                    started_at=now,
                    completed_at=now,
                )
            )
        for n in range(5):  # 25 of the 30 days
            uow.session.add(
                CpdRecord(
                    enrolment_id=sue.id,
                    day=date(2026, 1, 5 + n),
                    days=5,
                    kind="structured",
                    description="A week's course",
                    recorded_by="trainer-1",
                    recorded_at=now,
                )
            )
        await uow.commit()
    today = now.date()
    form = {
        "csrf_token": CSRF,
        "day-day": str(today.day),
        "day-month": str(today.month),
        "day-year": str(today.year),
        "days": "5",
        "kind": "structured",
        "description": "Supervised practice week",
    }
    learner = Principal(str(sue.candidate_id), Role.CANDIDATE)
    async with browser(runtime, learner) as first, browser(runtime, learner) as second:
        answers = await asyncio.gather(
            first.post(f"/my/enrolments/{sue.id}/cpd", data=form),
            second.post(f"/my/enrolments/{sue.id}/cpd", data=form),
        )
        # Both are answered with a redirect: one to the candidate's training (added), the other
        # back to the form, which says why it was not.
        places = sorted(a.headers["location"] for a in answers)
        assert places == [f"/my/enrolments/{sue.id}/cpd", "/my?cpd=added"], places
        refused_one = first if answers[0].headers["location"] == places[0] else second
        assert "no more CPD can be recorded" in (await refused_one.get(places[0])).text
    async with runtime.uow_factory() as uow:
        issued = (await uow.session.exec(select(Certificate).where(Certificate.enrolment_id == sue.id))).all()
    assert len(issued) == 1
