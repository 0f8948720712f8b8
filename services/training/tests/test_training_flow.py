"""Training end to end within the service: enrolment from events, progress from providers and
their LMS, CPD, certificates, recommendations and erasure, with the in-memory broker and real
PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from faststream.rabbit import TestRabbitBroker
from rtw_contracts import (
    ApplicationSubmitted,
    ApplicationWithdrawn,
    AssessmentScored,
    CandidateErased,
    Event,
    SkillGapIdentified,
)
from rtw_contracts.examples import example
from rtw_platform.auth import Principal, Role, issue_session_token, issue_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.erasure import (
    PersonTraces,
    assert_answers_without,
    assert_counts_unchanged,
    outbox_rows_with,
    stored_rows_with,
)
from rtw_platform.testing.fixtures import app_for
from rtw_training import domain
from rtw_training.app import SERVICE
from rtw_training.curricula import ICT, SOCIAL_WORK
from rtw_training.models import ModuleProgress
from rtw_training.progress import lms_signature
from sqlalchemy import text
from sqlmodel import select

pytestmark = pytest.mark.component

ICT_COHORT = "ict-2026"
SW_COHORT = "sw-2026"
LMS_SECRET = "moodle-webhook-secret-0123456789"
TRAINER = Principal("socitm", Role.TRAINER, provider_id="socitm")
ADMIN = Principal("admin-1", Role.ADMIN)
MODULE_COMPLETED = "\\core\\event\\course_module_completion_updated"
COURSE_COMPLETED = "\\core\\event\\course_completed"


@pytest_asyncio.fixture
async def service(start_service: Callable[..., Any]) -> ServiceRuntime:
    runtime: ServiceRuntime = await start_service(SERVICE, in_memory_broker=True, relay_enabled=False)
    return runtime


@pytest_asyncio.fixture
async def client(service: ServiceRuntime) -> AsyncIterator[httpx.AsyncClient]:
    async with TestRabbitBroker(service.broker):
        transport = httpx.ASGITransport(app=app_for(service))
        async with httpx.AsyncClient(transport=transport, base_url="http://training") as http:
            yield http


# --------------------------------------------------------------------------- helpers


def auth(service: ServiceRuntime, principal: Principal) -> dict[str, str]:
    secret = service.settings.token_secret.get_secret_value()
    return {"Authorization": f"Bearer {issue_token(secret, principal)}"}


def candidate(candidate_id: UUID) -> Principal:
    return Principal(str(candidate_id), Role.CANDIDATE)


async def deliver(service: ServiceRuntime, event: Event) -> None:
    await service.broker.publish(
        event.model_dump(mode="json"),
        exchange=service.topology.events_exchange,
        routing_key=event.ROUTING_KEY,
    )


async def outbox(service: ServiceRuntime, event_type: str, application_id: UUID) -> list[dict[str, Any]]:
    async with service.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM training.outbox WHERE event_type = :t ORDER BY id"),
            {"t": event_type},
        )
        return [r.payload for r in rows if r.payload["application_id"] == str(application_id)]


async def progress_rows(service: ServiceRuntime, enrolment_id: UUID) -> dict[str, ModuleProgress]:
    async with service.uow_factory() as uow:
        rows = (
            await uow.session.exec(select(ModuleProgress).where(ModuleProgress.enrolment_id == enrolment_id))
        ).all()
    return {r.module_id: r for r in rows}


@dataclass(frozen=True)
class Learnt:
    application_id: UUID
    candidate_id: UUID
    cohort_id: str
    programme: str


def submitted(learner: Learnt, **changes: Any) -> ApplicationSubmitted:
    values: dict[str, Any] = {
        "event_id": uuid4(),
        "application_id": learner.application_id,
        "correlation_id": learner.application_id,
        "candidate_id": learner.candidate_id,
        "programme": learner.programme,
        "cohort_id": learner.cohort_id,
        "given_name": "Amara",
        "family_name": "Okafor",
    }
    if learner.programme == "social_work":
        two_years_ago = datetime.now(UTC).date().replace(day=1) - timedelta(days=730)
        values |= {
            "reference": "RTW-SW-000042",
            "specialisms": [],
            "professional_registration": {
                "body": "Social Work England",
                "last_practised": two_years_ago.strftime("%Y-%m"),
            },
        }
    return example(ApplicationSubmitted, **(values | changes))


def scored(learner: Learnt, outcome: str = "selected", sequence: int = 5, **changes: Any) -> AssessmentScored:
    values: dict[str, Any] = {
        "event_id": uuid4(),
        "application_id": learner.application_id,
        "correlation_id": learner.application_id,
        "candidate_id": learner.candidate_id,
        "cohort_id": learner.cohort_id,
        "programme": learner.programme,
        "stage": "final",
        "outcome": outcome,
        "sequence": sequence,
        "decided_at": datetime.now(UTC),
    }
    return example(AssessmentScored, **(values | changes))


def new_learner(programme: str = "ict", cohort_id: str = ICT_COHORT) -> Learnt:
    return Learnt(uuid4(), uuid4(), cohort_id, programme)


async def enrol(service: ServiceRuntime, learner: Learnt | None = None) -> tuple[Learnt, UUID]:
    """Submit an application and select it; the enrolment's id."""
    learner = learner or new_learner()
    await deliver(service, submitted(learner))
    await deliver(service, scored(learner))
    enrolled = await outbox(service, "TrainingEnrolled", learner.application_id)
    assert len(enrolled) == 1, "selection did not enrol the candidate"
    return learner, UUID(enrolled[0]["enrolment_id"])


async def register(
    client: httpx.AsyncClient,
    service: ServiceRuntime,
    cohorts: list[str],
    provider_id: str = "socitm",
    **extra: Any,
) -> httpx.Response:
    response = await client.put(
        f"/providers/{provider_id}",
        json={"id": provider_id, "name": f"{provider_id} training", "cohorts": cohorts, **extra},
        headers=auth(service, ADMIN),
    )
    assert response.status_code == 200, response.text
    return response


async def complete(
    client: httpx.AsyncClient,
    service: ServiceRuntime,
    enrolment_id: UUID,
    module_id: str,
    principal: Principal = TRAINER,
    hours: float = 10,
) -> httpx.Response:
    return await client.post(
        f"/enrolments/{enrolment_id}/modules/{module_id}/complete",
        json={"hours": hours},
        headers=auth(service, principal),
    )


async def status_of(client: httpx.AsyncClient, service: ServiceRuntime, enrolment_id: UUID) -> str:
    response = await client.get(f"/enrolments/{enrolment_id}", headers=auth(service, ADMIN))
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


async def finish_ict(client: httpx.AsyncClient, service: ServiceRuntime, enrolment_id: UUID) -> None:
    for module in ICT.required_modules:
        response = await complete(client, service, enrolment_id, module.id, hours=module.hours)
        assert response.status_code == 200, response.text


# --------------------------------------------------------------------------- enrolment from events


async def test_selection_enrols_once_on_the_curriculum_of_the_programme(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    learner = new_learner()
    await deliver(service, submitted(learner))
    selected = scored(learner)
    # Delivered twice, and once more re-sent under a new event id.
    await deliver(service, selected)
    await deliver(service, selected)
    await deliver(service, scored(learner))

    enrolled = await outbox(service, "TrainingEnrolled", learner.application_id)
    assert len(enrolled) == 1
    event = enrolled[0]
    assert event["candidate_id"] == str(learner.candidate_id)
    assert event["cohort_id"] == ICT_COHORT
    assert (event["curriculum_id"], event["curriculum_version"]) == (ICT.id, ICT.version)
    assert event["modules"] == [
        {"module_id": m.id, "title": m.title, "required": m.required} for m in ICT.modules
    ]
    assert event["causation_id"] == str(selected.event_id)
    assert await status_of(client, service, UUID(event["enrolment_id"])) == "enrolled"


async def test_decisions_other_than_a_final_selection_do_not_enrol(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    learner = new_learner()
    await deliver(service, submitted(learner))
    await deliver(service, scored(learner, "shortlisted", 1, stage="screening"))
    await deliver(service, scored(learner, "waitlisted", 3))
    assert await outbox(service, "TrainingEnrolled", learner.application_id) == []


async def test_a_stale_outcome_does_not_withdraw_but_an_override_does(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    learner, enrolment_id = await enrol(service)

    await deliver(service, scored(learner, "rejected", 3))
    assert await status_of(client, service, enrolment_id) == "enrolled"

    await deliver(service, scored(learner, "rejected", 6, decision_kind="override"))
    assert await status_of(client, service, enrolment_id) == "withdrawn"

    await register(client, service, [ICT_COHORT])
    refused = await complete(client, service, enrolment_id, "technical-skills")
    assert refused.status_code == 422
    assert "withdrawn" in refused.text
    assert await progress_rows(service, enrolment_id) == {}


async def test_withdrawing_the_application_ends_the_enrolment(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    learner, enrolment_id = await enrol(service)
    withdrawn = example(
        ApplicationWithdrawn,
        event_id=uuid4(),
        application_id=learner.application_id,
        candidate_id=learner.candidate_id,
        cohort_id=learner.cohort_id,
        withdrawn_at=datetime.now(UTC),
    )
    await deliver(service, withdrawn)
    assert await status_of(client, service, enrolment_id) == "withdrawn"


async def test_a_withdrawal_delivered_before_the_selection_is_not_forgotten(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    learner = new_learner()
    await deliver(service, submitted(learner))
    selected = scored(learner, decided_at=datetime.now(UTC) - timedelta(hours=1))
    withdrawn = example(
        ApplicationWithdrawn,
        event_id=uuid4(),
        application_id=learner.application_id,
        candidate_id=learner.candidate_id,
        cohort_id=learner.cohort_id,
        withdrawn_at=datetime.now(UTC),
    )
    await deliver(service, withdrawn)
    await deliver(service, selected)

    rows = (await client.get(f"/cohorts/{ICT_COHORT}/progress", headers=auth(service, ADMIN))).json()
    assert [r["status"] for r in rows if r["application_id"] == str(learner.application_id)] in (
        [],
        ["withdrawn"],
    )


# --------------------------------------------------------------------------- providers


async def test_only_admins_register_providers(client: httpx.AsyncClient, service: ServiceRuntime) -> None:
    body = {"id": "socitm", "name": "Socitm", "cohorts": [ICT_COHORT]}
    assert (await client.put("/providers/socitm", json=body)).status_code == 401
    as_trainer = await client.put("/providers/socitm", json=body, headers=auth(service, TRAINER))
    assert as_trainer.status_code == 403
    mismatched = await client.put(
        "/providers/other", json=body | {"id": "socitm"}, headers=auth(service, ADMIN)
    )
    assert mismatched.status_code == 422

    flooded = await client.put(
        "/providers/socitm", json=body | {"cohorts": [ICT_COHORT] * 201}, headers=auth(service, ADMIN)
    )
    assert flooded.status_code == 422  # a bounded list
    assert "cohorts" in flooded.text
    odd = await client.put(
        "/providers/socitm", json=body | {"cohorts": ["x" * 500]}, headers=auth(service, ADMIN)
    )
    assert odd.status_code == 422  # a cohort id, not any text

    registered = await client.put("/providers/socitm", json=body, headers=auth(service, ADMIN))
    assert registered.status_code == 200
    assert registered.json() == {
        "id": "socitm",
        "name": "Socitm",
        "cohorts": [ICT_COHORT],
        "lms": False,
        "active": True,
    }

    again = await client.put(
        "/providers/socitm",
        json=body | {"cohorts": [ICT_COHORT, "ict-2027"], "lms_secret": LMS_SECRET},
        headers=auth(service, ADMIN),
    )
    assert again.json()["cohorts"] == [ICT_COHORT, "ict-2027"]
    assert again.json()["lms"] is True


async def test_a_trainer_records_a_completed_module_once(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    learner, enrolment_id = await enrol(service)
    await register(client, service, [ICT_COHORT])

    done = await complete(client, service, enrolment_id, "technical-skills", hours=30)
    assert done.status_code == 200, done.text
    assert done.json() == {
        "module_id": "technical-skills",
        "status": "completed",
        "enrolment_status": "enrolled",
    }
    published = await outbox(service, "TrainingModuleCompleted", learner.application_id)
    assert len(published) == 1
    module = ICT.module("technical-skills")
    assert module is not None
    assert published[0]["module_id"] == "technical-skills"
    assert published[0]["module_title"] == module.title
    assert published[0]["hours"] == 30
    assert published[0]["skills"] == [s.model_dump(mode="json") for s in module.skills]
    assert published[0]["enrolment_id"] == str(enrolment_id)

    twice = await complete(client, service, enrolment_id, "technical-skills")
    assert twice.status_code == 409
    assert len(await outbox(service, "TrainingModuleCompleted", learner.application_id)) == 1

    unknown = await complete(client, service, enrolment_id, "underwater-basket-weaving")
    assert unknown.status_code == 404
    for known in ICT.modules:
        assert known.id in unknown.json()["detail"]

    view = (await client.get(f"/enrolments/{enrolment_id}", headers=auth(service, TRAINER))).json()
    statuses = {m["module_id"]: m["status"] for m in view["modules"]}
    assert statuses["technical-skills"] == "completed"
    assert statuses["interview-techniques"] == "not_started"


async def test_who_may_record_and_read_progress(client: httpx.AsyncClient, service: ServiceRuntime) -> None:
    learner, enrolment_id = await enrol(service)
    _, elsewhere_id = await enrol(service, new_learner(cohort_id="ict-elsewhere"))
    await register(client, service, [ICT_COHORT])

    assert (
        await complete(client, service, elsewhere_id, "technical-skills")
    ).status_code == 404  # not theirs
    as_candidate = await complete(
        client, service, enrolment_id, "technical-skills", candidate(learner.candidate_id)
    )
    assert as_candidate.status_code == 403
    unregistered = Principal("nobody", Role.TRAINER, provider_id="nobody")
    assert (
        await complete(client, service, enrolment_id, "technical-skills", unregistered)
    ).status_code == 403
    assert await progress_rows(service, enrolment_id) == {}
    assert await progress_rows(service, elsewhere_id) == {}

    own = await client.get(
        f"/enrolments/{enrolment_id}", headers=auth(service, candidate(learner.candidate_id))
    )
    assert own.status_code == 200
    assert own.json()["curriculum"]["id"] == ICT.id
    not_mine = await client.get(
        f"/enrolments/{elsewhere_id}", headers=auth(service, candidate(learner.candidate_id))
    )
    assert not_mine.status_code == 404  # as if there were none
    assert (await client.get(f"/enrolments/{enrolment_id}")).status_code == 401
    assert (await client.get(f"/enrolments/{uuid4()}", headers=auth(service, ADMIN))).status_code == 404


async def test_someone_elses_training_answers_like_an_unknown_id(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    """A trainer of another provider, or another candidate, learns nothing from an id: the answer
    is the one an id that does not exist gets."""
    learner, theirs = await enrol(service, new_learner("social_work", SW_COHORT))
    await register(client, service, [SW_COHORT], provider_id="sw-provider")
    await register(client, service, [ICT_COHORT])  # TRAINER's provider: not this learner's
    stranger = candidate(uuid4())
    unknown = uuid4()

    async def answers(principal: Principal, enrolment_id: UUID, candidate_id: UUID) -> list[tuple[int, Any]]:
        headers = auth(service, principal)
        found = [
            await client.get(f"/enrolments/{enrolment_id}", headers=headers),
            await client.get(f"/enrolments/{enrolment_id}/cpd-evidence", headers=headers),
        ]
        if principal.role is Role.TRAINER:
            found.append(await complete(client, service, enrolment_id, "law-and-policy", principal))
        else:
            found.append(await client.get(f"/candidates/{candidate_id}/training", headers=headers))
            found.append(await client.get(f"/candidates/{candidate_id}/recommendations", headers=headers))
        return [(r.status_code, r.json()) for r in found]

    for principal in (TRAINER, stranger):
        someone_elses = await answers(principal, theirs, learner.candidate_id)
        not_there = await answers(principal, unknown, uuid4())
        assert someone_elses == not_there, principal
        assert {status for status, _ in someone_elses} == {404}, someone_elses
    assert await progress_rows(service, theirs) == {}


# --------------------------------------------------------------------------- certificates


async def test_completing_the_required_modules_issues_a_verifiable_certificate(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    learner, enrolment_id = await enrol(service)
    await register(client, service, [ICT_COHORT])

    *first, last = ICT.required_modules
    for module in first:
        assert (await complete(client, service, enrolment_id, module.id)).status_code == 200
    assert await outbox(service, "TrainingCompleted", learner.application_id) == []
    finished = await complete(client, service, enrolment_id, last.id)
    assert finished.json()["enrolment_status"] == "completed"

    completed = await outbox(service, "TrainingCompleted", learner.application_id)
    assert len(completed) == 1
    expected_skills = domain.skills_gained(ICT, [m.id for m in ICT.required_modules])
    assert completed[0]["skills_gained"] == [s.model_dump(mode="json") for s in expected_skills]
    certificate_id = completed[0]["certificate_id"]

    page = await client.get(f"/certificates/{certificate_id}", headers={"x-forwarded-prefix": "/training"})
    assert page.status_code == 200
    assert "This certificate is genuine" in page.text
    assert "Amara Okafor" in page.text
    assert "govuk-summary-list" in page.text  # in the pages' own design
    assert "<style>" not in page.text  # nothing the pages' policy would block
    issued = date.fromisoformat(
        json.loads((await client.get(f"/certificates/{certificate_id}.json")).text)["facts"]["issued_on"]
    )
    assert f"{issued.day} {issued:%B %Y}" in page.text  # the day in words
    assert f'href="/training/certificates/{certificate_id}.pdf"' in page.text

    found = await client.get("/certificates", params={"number": f"  {certificate_id} "})
    assert found.status_code == 303
    assert found.headers["location"] == f"/certificates/{certificate_id}"
    unknown = await client.get("/certificates", params={"number": str(uuid4())})
    assert unknown.status_code == 404
    assert "No certificate has that number" in unknown.text
    unknown_in_welsh = await client.get("/certificates", params={"number": str(uuid4()), "lang": "cy"})
    assert unknown_in_welsh.status_code == 404  # was 400: the status was read from the English words
    assert "Does dim tystysgrif" in unknown_in_welsh.text
    client.cookies.delete("rtw_lang")  # the switch's choice, remembered: back to English
    garbled = await client.get("/certificates", params={"number": "ABC-123"})
    assert garbled.status_code == 400
    assert "Enter the certificate number as it is printed" in garbled.text
    assert (await client.get("/certificates")).status_code == 200

    as_json = (await client.get(f"/certificates/{certificate_id}.json")).json()
    assert as_json["valid"] is True
    assert as_json["revoked"] is False
    facts, signature = as_json["facts"], as_json["signature"]
    assert facts["name"] == "Amara Okafor"
    assert facts["modules"] == [m.title for m in ICT.required_modules]
    assert facts["cpd_days"] is None

    pdf = await client.get(f"/certificates/{certificate_id}.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    text = pdf_text(pdf.content)
    assert f"/training/certificates/{certificate_id}" in text  # where the page really is
    assert f"{issued.day} {issued:%B %Y}" in text

    verify = "/certificates/verify"
    assert (await client.post(verify, json={"facts": facts, "signature": signature})).json() == {
        "valid": True
    }
    for tampered in (
        facts | {"name": "Someone Else"},
        facts | {"issued_on": "2020-01-01"},
        facts | {"skills": [s | {"level": 4} for s in facts["skills"]]},
    ):
        answer = await client.post(verify, json={"facts": tampered, "signature": signature})
        assert answer.json() == {"valid": False}

    pem = await client.get("/certificates/public-key")
    assert pem.text.startswith("-----BEGIN PUBLIC KEY-----")
    key = serialization.load_pem_public_key(pem.text.encode())
    assert isinstance(key, Ed25519PublicKey)
    key.verify(
        base64.urlsafe_b64decode(signature),
        json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(),
    )

    mine = await client.get(
        f"/candidates/{learner.candidate_id}/training", headers=auth(service, candidate(learner.candidate_id))
    )
    assert mine.json()["enrolments"][0]["certificate"]["url"] == f"/training/certificates/{certificate_id}"
    after = await complete(client, service, enrolment_id, "cloud-and-data")
    assert after.status_code == 422, after.text
    assert "completed" in after.text
    assert len(await outbox(service, "TrainingCompleted", learner.application_id)) == 1


def pdf_text(pdf: bytes) -> str:
    """The text a PDF shows, its lines joined (the shown strings of every content stream)."""
    import re
    import zlib

    shown = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            content = stream
        shown += re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", content)
    return "".join(part.decode("latin-1").replace("\\(", "(").replace("\\)", ")") for part in shown)


async def test_an_unknown_certificate_is_not_found(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    for path in (f"/certificates/{uuid4()}", f"/certificates/{uuid4()}.pdf", "/certificates/nonsense.json"):
        assert (await client.get(path)).status_code == 404


# --------------------------------------------------------------------------- social work CPD


async def cpd(
    client: httpx.AsyncClient,
    service: ServiceRuntime,
    enrolment_id: UUID,
    days: float,
    kind: str,
    **extra: Any,
) -> httpx.Response:
    body = {"day": (datetime.now(UTC).date() - timedelta(days=3)).isoformat(), "days": days, "kind": kind}
    body |= {"description": f"{kind} learning"} | extra
    return await client.post(f"/enrolments/{enrolment_id}/cpd", json=body, headers=auth(service, TRAINER))


async def test_social_work_completes_only_once_the_cpd_ledger_is_met(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    learner, enrolment_id = await enrol(service, new_learner("social_work", SW_COHORT))
    await register(client, service, [SW_COHORT])

    for module in SOCIAL_WORK.modules:
        assert (await complete(client, service, enrolment_id, module.id)).status_code == 200
    view = (await client.get(f"/enrolments/{enrolment_id}", headers=auth(service, TRAINER))).json()
    assert view["status"] == "enrolled"
    assert view["cpd"] == {"required_days": 30, "counted_days": 0, "met": False}
    assert await outbox(service, "TrainingCompleted", learner.application_id) == []

    future = await cpd(
        client,
        service,
        enrolment_id,
        1,
        "structured",
        day=(datetime.now(UTC).date() + timedelta(days=2)).isoformat(),
    )
    assert future.status_code == 422
    assert "future" in future.text

    for _ in range(4):
        assert (await cpd(client, service, enrolment_id, 5, "private_study")).status_code == 201
    standing = await cpd(client, service, enrolment_id, 5, "structured")
    assert standing.json() == {
        "required_days": 30,
        "counted_days": 20,
        "private_study_days": 20,
        "met": False,
    }
    await cpd(client, service, enrolment_id, 5, "structured")
    assert await outbox(service, "TrainingCompleted", learner.application_id) == []
    last = await cpd(client, service, enrolment_id, 5, "structured", description="Supervised practice day")
    assert last.json()["met"] is True
    assert last.json()["counted_days"] == 30

    completed = await outbox(service, "TrainingCompleted", learner.application_id)
    assert len(completed) == 1
    certificate = (await client.get(f"/certificates/{completed[0]['certificate_id']}.json")).json()
    assert certificate["facts"]["cpd_days"] == 30
    assert certificate["valid"] is True

    evidence = await client.get(
        f"/enrolments/{enrolment_id}/cpd-evidence", headers=auth(service, candidate(learner.candidate_id))
    )
    assert evidence.status_code == 200
    ledger = evidence.json()
    assert (ledger["required_days"], ledger["counted_days"], ledger["met"]) == (30, 30, True)
    assert (ledger["structured_days"], ledger["private_study_days"]) == (15, 20)
    assert len(ledger["entries"]) == 7
    assert "Supervised practice day" in [e["description"] for e in ledger["entries"]]
    assert 1.5 < ledger["years_out_of_practice"] < 2.5

    exported = await client.get(
        f"/enrolments/{enrolment_id}/cpd-evidence", params={"format": "csv"}, headers=auth(service, TRAINER)
    )
    assert exported.headers["content-type"].startswith("text/csv")
    everything = list(csv.reader(io.StringIO(exported.text)))
    rows = everything[: everything.index([])]  # the entries; the totals follow a blank line
    assert rows[0] == ["date", "days", "kind", "description", "recorded_by"]
    assert len(rows) == 8
    assert ["met", "yes"] in everything
    assert sorted(r[2] for r in rows[1:]) == ["private_study"] * 4 + ["structured"] * 3
    assert all(r[4] == "socitm" for r in rows[1:])


async def test_the_csv_evidence_export_gives_the_totals(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    _, enrolment_id = await enrol(service, new_learner("social_work", SW_COHORT))
    await register(client, service, [SW_COHORT])
    for _ in range(4):
        await cpd(client, service, enrolment_id, 5, "private_study")
    exported = await client.get(
        f"/enrolments/{enrolment_id}/cpd-evidence", params={"format": "csv"}, headers=auth(service, TRAINER)
    )
    text_ = exported.text.lower()
    assert "counted" in text_
    assert "required" in text_
    assert "15" in text_  # 20 days of private study, of which 15 count


async def test_programmes_without_a_ledger_refuse_cpd(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    _, enrolment_id = await enrol(service)
    await register(client, service, [ICT_COHORT])
    assert (await cpd(client, service, enrolment_id, 1, "structured")).status_code == 409
    evidence = await client.get(f"/enrolments/{enrolment_id}/cpd-evidence", headers=auth(service, TRAINER))
    assert evidence.status_code == 404


# --------------------------------------------------------------------------- Moodle


async def moodle(
    client: httpx.AsyncClient, event: dict[str, Any], *, secret: str = LMS_SECRET, provider: str = "socitm"
) -> httpx.Response:
    body = json.dumps(event).encode()
    return await client.post(
        f"/lms/moodle/{provider}",
        content=body,
        headers={"X-RTW-Signature": lms_signature(secret, body), "Content-Type": "application/json"},
    )


def module_event(user: int, cmid: int, state: int = 1, **changes: Any) -> dict[str, Any]:
    return {
        "eventname": MODULE_COMPLETED,
        "userid": user,
        "relateduserid": user,
        "contextinstanceid": cmid,
        "courseid": 7,
        "timecreated": int(datetime(2026, 6, 1, 12, tzinfo=UTC).timestamp()),
        "other": {"completionstate": state},
    } | changes


async def linked(client: httpx.AsyncClient, service: ServiceRuntime) -> tuple[Learnt, UUID]:
    learner, enrolment_id = await enrol(service)
    await register(client, service, [ICT_COHORT], lms_secret=LMS_SECRET)
    trainer = auth(service, TRAINER)
    link = await client.put(
        "/providers/socitm/lms/learners/42", json={"enrolment_id": str(enrolment_id)}, headers=trainer
    )
    assert link.status_code == 200, link.text
    for cmid, module_id in ((1001, "technical-skills"), (1002, "digital-local-government")):
        mapped = await client.put(
            f"/providers/socitm/lms/modules/{cmid}", json={"module_id": module_id}, headers=trainer
        )
        assert mapped.status_code == 200, mapped.text
    return learner, enrolment_id


async def test_a_signed_moodle_completion_completes_the_module_once(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    learner, enrolment_id = await linked(client, service)

    recorded = await moodle(client, module_event(42, 1001))
    assert recorded.status_code == 200, recorded.text
    assert recorded.json() == {"status": "recorded", "modules_completed": ["technical-skills"]}
    rows = await progress_rows(service, enrolment_id)
    assert set(rows) == {"technical-skills"}
    assert rows["technical-skills"].source == "lms"
    assert rows["technical-skills"].completed_at == datetime(2026, 6, 1, 12, tzinfo=UTC)
    published = await outbox(service, "TrainingModuleCompleted", learner.application_id)
    assert [p["module_id"] for p in published] == ["technical-skills"]

    resent = await moodle(client, module_event(42, 1001))
    assert resent.status_code == 200
    assert resent.json()["modules_completed"] == []
    assert len(await outbox(service, "TrainingModuleCompleted", learner.application_id)) == 1

    incomplete = await moodle(client, module_event(42, 1002, state=0))
    assert incomplete.json()["status"] == "ignored"
    assert set(await progress_rows(service, enrolment_id)) == {"technical-skills"}


async def test_a_badly_signed_or_unknown_moodle_event_changes_nothing(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    learner, enrolment_id = await linked(client, service)
    body = json.dumps(module_event(42, 1001)).encode()

    forged = await client.post(
        "/lms/moodle/socitm",
        content=body,
        headers={"X-RTW-Signature": lms_signature("a-guessed-secret-xx", body)},
    )
    assert forged.status_code == 403
    unsigned = await client.post("/lms/moodle/socitm", content=body)
    assert unsigned.status_code == 403
    altered = await client.post(
        "/lms/moodle/socitm",
        content=body.replace(b"1001", b"1002"),
        headers={"X-RTW-Signature": lms_signature(LMS_SECRET, body)},
    )
    assert altered.status_code == 403

    stranger = await moodle(client, module_event(999, 1001))
    assert stranger.status_code == 404
    assert "999" in stranger.json()["detail"]
    unmapped = await moodle(client, module_event(42, 5555))
    assert unmapped.status_code == 404
    assert (await moodle(client, module_event(42, 1001), provider="nobody")).status_code == 404

    assert await progress_rows(service, enrolment_id) == {}
    assert await outbox(service, "TrainingModuleCompleted", learner.application_id) == []


async def test_a_moodle_course_completion_completes_the_remaining_required_modules(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    learner, enrolment_id = await linked(client, service)
    assert (await moodle(client, module_event(42, 1001))).status_code == 200

    course = {"eventname": COURSE_COMPLETED, "userid": 2, "relateduserid": 42, "courseid": 7, "other": {}}
    answer = await moodle(client, course)
    assert answer.status_code == 200, answer.text
    remaining = [m.id for m in ICT.required_modules if m.id != "technical-skills"]
    assert answer.json()["modules_completed"] == remaining

    rows = await progress_rows(service, enrolment_id)
    assert set(rows) == {m.id for m in ICT.required_modules}
    assert "cloud-and-data" not in rows
    assert await status_of(client, service, enrolment_id) == "completed"
    assert len(await outbox(service, "TrainingCompleted", learner.application_id)) == 1


async def test_a_module_completion_marked_by_a_tutor_counts_for_the_learner(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    _, enrolment_id = await linked(client, service)
    marked = await moodle(client, module_event(42, 1001, userid=3))
    assert marked.status_code == 200, marked.text
    assert set(await progress_rows(service, enrolment_id)) == {"technical-skills"}


# --------------------------------------------------------------------------- skills gaps


async def test_skill_gaps_recommend_modules_until_they_are_completed(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    learner, enrolment_id = await enrol(service)
    await register(client, service, [ICT_COHORT])
    vacancy_id = uuid4()
    gap = example(
        SkillGapIdentified,
        event_id=uuid4(),
        application_id=learner.application_id,
        candidate_id=learner.candidate_id,
        vacancy_id=vacancy_id,
        gaps=[
            {"skill": "User focus", "required_level": 3, "current_level": 2},
            {"skill": "Accessibility", "required_level": 2},
            {"skill": "Data management", "required_level": 3},
        ],
    )
    await deliver(service, gap)

    url = f"/candidates/{learner.candidate_id}/recommendations"
    mine = await client.get(url, headers=auth(service, candidate(learner.candidate_id)))
    assert mine.status_code == 200
    [recommendation] = mine.json()
    assert recommendation["vacancy_id"] == str(vacancy_id)
    assert [(m["module_id"], m["closes"]) for m in recommendation["modules"]] == [
        ("digital-local-government", ["User focus", "Accessibility"]),
        ("cloud-and-data", ["Data management"]),
    ]
    assert recommendation["all_closed"] is False

    assert (await client.get(url, headers=auth(service, candidate(uuid4())))).status_code == 404
    assert (await client.get(url, headers=auth(service, TRAINER))).status_code == 403
    assert (await client.get(url, headers=auth(service, ADMIN))).status_code == 200

    assert (await complete(client, service, enrolment_id, "digital-local-government")).status_code == 200
    after = (await client.get(url, headers=auth(service, candidate(learner.candidate_id)))).json()
    assert [m["module_id"] for m in after[0]["modules"]] == ["cloud-and-data"]
    await complete(client, service, enrolment_id, "cloud-and-data")
    closed = (await client.get(url, headers=auth(service, candidate(learner.candidate_id)))).json()
    assert closed[0]["modules"] == []
    assert closed[0]["all_closed"] is True


# --------------------------------------------------------------------------- erasure


def erased(candidate_id: UUID, *application_ids: UUID) -> CandidateErased:
    return example(
        CandidateErased,
        event_id=uuid4(),
        candidate_id=candidate_id,
        application_ids=list(application_ids),
        erased_at=datetime.now(UTC),
    )


def pages_as(service: ServiceRuntime, principal: Principal) -> httpx.AsyncClient:
    """A browser signed in as the principal."""
    secret = service.settings.token_secret.get_secret_value()
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_for(service)),
        base_url="http://training",
        cookies={"rtw_session": issue_session_token(secret, principal), "rtw_csrf": "csrf"},
    )


async def cohort_counts(client: httpx.AsyncClient, service: ServiceRuntime) -> dict[str, Any]:
    counts = {}
    for cohort in (ICT_COHORT, SW_COHORT):
        answer = await client.get(f"/cohorts/{cohort}/counts", headers=auth(service, ADMIN))
        assert answer.status_code == 200, answer.text
        counts[cohort] = answer.json()
    return counts


async def test_erasure_leaves_nothing_of_the_person_anywhere_and_every_count_as_it_was(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await register(client, service, [ICT_COHORT, SW_COHORT], lms_secret=LMS_SECRET)
    # Amara finished ICT training (a certificate) and is now training in social work: CPD in
    # her provider's words, an LMS account, recommended modules.
    amara = uuid4()
    trained = Learnt(uuid4(), amara, ICT_COHORT, "ict")
    training = Learnt(uuid4(), amara, SW_COHORT, "social_work")
    _, trained_id = await enrol(service, trained)
    await finish_ict(client, service, trained_id)
    [completed] = await outbox(service, "TrainingCompleted", trained.application_id)
    certificate_id = completed["certificate_id"]
    _, training_id = await enrol(service, training)
    words = "Shadowed the duty team at the Ladywood family hub"
    assert (await cpd(client, service, training_id, 1, "structured", description=words)).status_code == 201
    first_module = SOCIAL_WORK.required_modules[0].id
    trainer = auth(service, TRAINER)
    assert (
        await client.put(
            "/providers/socitm/lms/learners/4242", json={"enrolment_id": str(training_id)}, headers=trainer
        )
    ).status_code == 200
    assert (
        await client.put(
            "/providers/socitm/lms/modules/2001", json={"module_id": first_module}, headers=trainer
        )
    ).status_code == 200
    gap = [{"skill": "Accessibility", "required_level": 2}]
    await deliver(
        service,
        example(
            SkillGapIdentified,
            event_id=uuid4(),
            application_id=trained.application_id,
            candidate_id=amara,
            vacancy_id=uuid4(),
            gaps=gap,
        ),
    )
    # Her provider corrected a module, giving a reason in its own words.
    done = await client.post(
        f"/enrolments/{training_id}/modules/{first_module}/complete", json={"hours": 6}, headers=trainer
    )
    assert done.status_code == 200, done.text
    because = "Amara sat the Ladywood assessment twice"
    async with pages_as(service, TRAINER) as provider:
        corrected = await provider.post(
            f"/provider/learners/{training_id}/modules/{first_module}/correction",
            data={"csrf_token": "csrf", "outcome": "merit", "reason": because},
        )
        assert corrected.status_code == 303, corrected.text
    # Joan is in Amara's ICT cohort and stays.
    joan = new_learner()
    await deliver(service, submitted(joan, given_name="Joan", family_name="Clarke"))
    await deliver(service, scored(joan))
    assert "Amara Okafor" in (await client.get(f"/certificates/{certificate_id}")).text
    traces = PersonTraces.of(
        amara,
        trained.application_id,
        training.application_id,
        trained_id,
        training_id,
        certificate_id,
        "Amara",
        "Okafor",
        words,
        because,
    )
    before = await cohort_counts(client, service)
    assert before[ICT_COHORT] == {"enrolled": 1, "completed": 1, "withdrawn": 0}

    await deliver(service, erased(amara, trained.application_id, training.application_id))

    admin, her = auth(service, ADMIN), auth(service, candidate(amara))
    answers = await assert_answers_without(
        client,
        traces,
        [
            (f"/candidates/{amara}/training", admin),
            (f"/candidates/{amara}/training", her),
            (f"/candidates/{amara}/recommendations", admin),
            (f"/cohorts/{ICT_COHORT}/progress", trainer),
            (f"/cohorts/{SW_COHORT}/progress", admin),
            (f"/enrolments/{trained_id}", admin),
            (f"/enrolments/{training_id}", trainer),
            (f"/enrolments/{training_id}/cpd-evidence", admin),
            (f"/enrolments/{training_id}/cpd-evidence?format=csv", admin),
            (f"/certificates/{certificate_id}", {}),
            (f"/certificates/{certificate_id}.pdf", {}),
            (f"/certificates/{certificate_id}.json", {}),
        ],
    )
    assert [a.status_code for a in answers[5:]] == [404] * 7  # as for ids never seen
    assert answers[0].json() == {"enrolments": [], "recommendations": []}
    assert [r["application_id"] for r in answers[3].json()] == [str(joan.application_id)]
    async with pages_as(service, TRAINER) as provider, pages_as(service, candidate(amara)) as mine:
        for page in (await provider.get("/provider"), await mine.get("/my")):
            assert page.status_code == 200
            traces.assert_absent(str(page.url), page.text)
        assert "Joan Clarke" in (await provider.get("/provider")).text
        assert (await provider.get(f"/provider/learners/{training_id}")).status_code == 404
    lms = await moodle(client, module_event(4242, 2001))
    assert lms.status_code == 404, lms.text
    assert await outbox_rows_with(service, traces) == []
    assert await stored_rows_with(service, PersonTraces.of("Amara", "Okafor", words, because)) == []
    assert_counts_unchanged(before, await cohort_counts(client, service))

    # Events about her that arrive afterwards (another queue was behind) bring nothing back.
    await deliver(service, submitted(training))
    await deliver(service, scored(trained, sequence=9))
    late = erased(amara, uuid4())  # an application training never heard of, erased first
    await deliver(service, late)
    await deliver(service, submitted(Learnt(late.application_ids[0], amara, ICT_COHORT, "ict")))
    await deliver(service, scored(Learnt(late.application_ids[0], amara, ICT_COHORT, "ict"), sequence=9))
    await assert_answers_without(
        client, traces, [(f"/candidates/{amara}/training", admin), (f"/cohorts/{ICT_COHORT}/progress", admin)]
    )
    assert (await client.get(f"/candidates/{amara}/training", headers=admin)).json()["enrolments"] == []
    assert await outbox_rows_with(service, traces) == []
    assert_counts_unchanged(before, await cohort_counts(client, service))


# --------------------------------------------------------------------------- cohort progress


async def test_cohort_progress_for_its_provider_and_admins(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    first, first_id = await enrol(service)
    second, _ = await enrol(service)
    await register(client, service, [ICT_COHORT])
    await register(client, service, ["planning-2026"], provider_id="planners")
    await complete(client, service, first_id, "technical-skills")

    url = f"/cohorts/{ICT_COHORT}/progress"
    rows = (await client.get(url, headers=auth(service, TRAINER))).json()
    by_application = {r["application_id"]: r for r in rows}
    assert set(by_application) == {str(first.application_id), str(second.application_id)}
    ahead = by_application[str(first.application_id)]
    assert (ahead["modules_completed"], ahead["modules_required"]) == (1, len(ICT.required_modules))
    assert "technical-skills" not in ahead["missing"]
    assert by_application[str(second.application_id)]["missing"] == [m.id for m in ICT.required_modules]
    assert ahead["cpd"] is None

    assert (await client.get(url, headers=auth(service, ADMIN))).json() == rows
    planners = Principal("planners", Role.TRAINER, provider_id="planners")
    assert (await client.get(url, headers=auth(service, planners))).status_code == 403
    assert (await client.get(url, headers=auth(service, candidate(first.candidate_id)))).status_code == 403


# --------------------------------------------------------------------------- malformed input


@pytest_asyncio.fixture
async def lenient(service: ServiceRuntime) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sees server errors as 500 answers instead of raising them."""
    transport = httpx.ASGITransport(app=app_for(service), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://training") as http:
        yield http


async def test_a_completion_time_without_time_zone_is_not_a_server_error(
    client: httpx.AsyncClient, lenient: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    _, enrolment_id = await enrol(service)
    await register(client, service, [ICT_COHORT])
    answer = await lenient.post(
        f"/enrolments/{enrolment_id}/modules/technical-skills/complete",
        json={"hours": 30, "completed_at": "2026-06-01T10:00:00"},
        headers=auth(service, TRAINER),
    )
    assert answer.status_code == 422, answer.text  # a time must say its zone


async def test_a_garbled_signature_header_is_refused_not_a_server_error(
    client: httpx.AsyncClient, lenient: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    _, enrolment_id = await linked(client, service)
    answer = await lenient.post(
        "/lms/moodle/socitm",
        content=json.dumps(module_event(42, 1001)).encode(),
        headers=[(b"X-RTW-Signature", "sha256=caf\xe9".encode("latin-1"))],
    )
    assert answer.status_code == 403
    assert await progress_rows(service, enrolment_id) == {}


async def test_concurrent_module_completions_number_the_enrolment_uniquely_without_gaps_in_commit_order(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    """Every module of an enrolment completed at once, each on its own session: each module is
    announced once, and the enrolment's events (enrolled, each module, completed) are numbered
    one after the other, each number once, increasing in the order they committed (outbox id)."""
    learner, enrolment_id = await enrol(service)
    await register(client, service, [ICT_COHORT])

    answers = await asyncio.gather(
        *(complete(client, service, enrolment_id, module.id, hours=module.hours) for module in ICT.modules)
    )

    assert [answer.status_code for answer in answers] == [200] * len(ICT.modules), [a.text for a in answers]
    async with service.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT event_type, payload FROM training.outbox WHERE event_type IN"
                " ('TrainingEnrolled', 'TrainingModuleCompleted', 'TrainingCompleted') ORDER BY id"
            )
        )
        mine = [r for r in rows if r.payload["application_id"] == str(learner.application_id)]
    modules = [r.payload["module_id"] for r in mine if r.event_type == "TrainingModuleCompleted"]
    assert sorted(modules) == sorted(module.id for module in ICT.modules)
    assert [r.event_type for r in mine].count("TrainingCompleted") == 1
    numbers = [r.payload["sequence"] for r in mine]
    assert numbers == list(range(numbers[0], numbers[0] + len(mine)))


async def test_concurrent_reselections_number_the_enrolment_uniquely_without_gaps_in_commit_order(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    """Outcomes of one application delivered at once, each handled on its own session: waitlisted
    and selected again in turn (each selection after a waitlisting enrols again and is announced).
    The enrolment's TrainingEnrolled numbers are each given once, without gaps, increasing in the
    order they committed (outbox id), and its counter ends at the last."""
    from rtw_training.enrolment import record_assessment

    learner, enrolment_id = await enrol(service)
    # One sequence for all: none is stale, so each is applied in the order it is handled.
    outcomes = [scored(learner, "waitlisted" if n % 2 else "selected", sequence=6) for n in range(12)]

    async def handle(outcome: AssessmentScored) -> None:  # as its handler does, on its own session
        async with service.uow_factory() as uow:
            await record_assessment(outcome, uow)
            await uow.commit()

    await asyncio.gather(*(handle(outcome) for outcome in outcomes))

    numbers = [
        event["sequence"] for event in await outbox(service, "TrainingEnrolled", learner.application_id)
    ]
    assert len(numbers) >= 2, numbers  # enrolled again (how often: the order they were handled in)
    assert numbers == list(range(1, len(numbers) + 1))
    async with service.engine.connect() as conn:
        held = await conn.scalar(
            text("SELECT sequence FROM training.enrolments WHERE id = :id"), {"id": enrolment_id}
        )
    assert held == numbers[-1]
