"""Applying, through the HTTP API, with the in-memory broker and real PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
import pytest_asyncio
from rtw_applications.app import SERVICE
from rtw_applications.testing import insert_cohort, submitted_application
from rtw_contracts import ApplicationContactGiven, ApplicationSubmittedV2, CandidateSignInRequestedV2
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for
from rtw_platform.testing.links import mailed_link, token_of
from sqlalchemy import text

pytestmark = pytest.mark.component


@pytest_asyncio.fixture
async def service(
    start_service: Callable[..., Any], open_cohorts: dict[str, str], tmp_path: Any
) -> ServiceRuntime:
    runtime: ServiceRuntime = await start_service(
        SERVICE, in_memory_broker=True, relay_enabled=False, file_store_url=f"file://{tmp_path}"
    )
    return runtime


@pytest_asyncio.fixture
async def client(service: ServiceRuntime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app_for(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://applications") as http:
        yield http


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def admin_token(service: ServiceRuntime) -> str:
    secret = service.settings.token_secret.get_secret_value()
    return issue_token(secret, Principal(subject="admin-1", role=Role.ADMIN))


async def outbox(service: ServiceRuntime, event_type: str) -> list[dict[str, Any]]:
    async with service.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM applications.outbox WHERE event_type = :t ORDER BY id"),
            {"t": event_type},
        )
        return [row.payload for row in rows]


async def link_to(service: ServiceRuntime, email: str) -> str:
    """The latest sign-in link e-mailed to `email` (notifications makes it from the event)."""
    mine = [p for p in await outbox(service, "CandidateSignInRequested") if p["email"] == email.lower()]
    assert mine, f"no link was e-mailed to {email}"
    return mailed_link(mine[-1], service.settings.token_secret.get_secret_value())


async def follow(client: httpx.AsyncClient, link: str) -> dict[str, str]:
    """Use an e-mailed link through the API: the candidate's bearer header."""
    token = token_of(link)
    exchanged = await client.post("/sign-in/token", json={"token": token})
    assert exchanged.status_code == 200, exchanged.text
    return bearer(exchanged.json()["access_token"])


async def test_a_draft_is_saved_resumed_and_submitted(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    form = make_application()
    started = await client.post(
        "/applications/drafts", json={"cohort_id": form["cohort_id"], "email": form["email"]}
    )
    assert started.status_code == 202, started.text
    auth = await follow(client, await link_to(service, form["email"]))
    resumed_draft = await client.post(
        "/candidates/me/applications", json={"cohort_id": form["cohort_id"]}, headers=auth
    )
    assert resumed_draft.status_code == 201, resumed_draft.text
    draft = resumed_draft.json()
    assert "postcode_district" in draft["missing"]
    application_id = draft["application_id"]

    first_part = {k: form[k] for k in ("given_name", "family_name", "postcode_district")}
    saved = await client.patch(f"/applications/{application_id}", json=first_part, headers=auth)
    assert saved.status_code == 200, saved.text
    assert saved.json()["answers"]["postcode_district"] == "WS1"
    assert "postcode_district" not in saved.json()["missing"]

    early = await client.post(f"/applications/{application_id}/submit", headers=auth)
    assert early.status_code == 422
    fields = {e["field"] for e in early.json()["errors"]}
    assert {"right_to_work", "career_break", "consent_to_processing"} <= fields

    rest = {k: v for k, v in form.items() if k not in {"cohort_id", "email", *first_part}}
    assert (await client.patch(f"/applications/{application_id}", json=rest, headers=auth)).status_code == 200
    resumed = await client.get(f"/applications/{application_id}", headers=auth)
    assert resumed.json()["answers"]["given_name"] == "Amara"  # the first part is still there
    assert resumed.json()["missing"] == []

    submitted = await client.post(
        f"/applications/{application_id}/submit", headers={**auth, "Idempotency-Key": "k-1"}
    )
    assert submitted.status_code == 200, submitted.text
    reference = submitted.json()["reference"]
    assert reference.startswith("RTW-ICT-")
    again = await client.post(
        f"/applications/{application_id}/submit", headers={**auth, "Idempotency-Key": "k-1"}
    )
    assert again.json()["reference"] == reference
    events = await outbox(service, "ApplicationSubmitted")
    assert len(events) == 1
    event = ApplicationSubmittedV2.model_validate(events[0])
    assert event.reference == reference
    assert event.region.value == "west_midlands"  # from the postcode district, not the form
    assert not {"given_name", "family_name", "email", "phone"} & set(events[0])  # it names nobody
    [contact] = [
        ApplicationContactGiven.model_validate(e) for e in await outbox(service, "ApplicationContactGiven")
    ]
    assert (contact.application_id, contact.reference, contact.given_name) == (
        event.application_id,
        reference,
        "Amara",
    )
    assert contact.causation_id == event.event_id
    assert contact.sequence == event.sequence == 1  # one change of the application, one number

    changed = await client.patch(f"/applications/{application_id}", json={"given_name": "A"}, headers=auth)
    assert changed.status_code == 409

    status = (await client.get(f"/applications/{application_id}", headers=auth)).json()
    assert status["label"] == "Application received"
    assert [s["label"] for s in status["journey"]] == ["Application received"]


async def test_a_draft_keeps_the_names_it_was_started_with_and_a_known_address_keeps_its_own(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    form = make_application()
    started = await client.post(
        "/applications/drafts",
        json={
            "cohort_id": form["cohort_id"],
            "email": form["email"],
            "given_name": "Amara",
            "family_name": "Okafor",
        },
    )
    assert started.status_code == 202, started.text
    auth = await follow(client, await link_to(service, form["email"]))
    draft = await client.post(
        "/candidates/me/applications", json={"cohort_id": form["cohort_id"]}, headers=auth
    )
    assert draft.status_code == 201, draft.text
    assert draft.json()["answers"]["given_name"] == "Amara"
    assert draft.json()["answers"]["family_name"] == "Okafor"
    assert "given_name" not in draft.json()["missing"]

    # Someone else starts a draft with the same address and other names: a link goes to the
    # address, and nothing of the account or its draft changes.
    again = await client.post(
        "/applications/drafts",
        json={
            "cohort_id": form["cohort_id"],
            "email": form["email"],
            "given_name": "Mallory",
            "family_name": "B",
        },
    )
    assert again.status_code == 202, again.text
    kept = await client.get(f"/applications/{draft.json()['application_id']}", headers=auth)
    assert (kept.json()["answers"]["given_name"], kept.json()["answers"]["family_name"]) == (
        "Amara",
        "Okafor",
    )
    async with service.engine.connect() as conn:
        people = (
            await conn.execute(
                text(
                    "SELECT c.given_name, c.family_name, count(a.id) AS drafts FROM applications.candidates c"
                    " JOIN applications.applications a ON a.candidate_id = c.id WHERE c.email = :e"
                    " GROUP BY c.given_name, c.family_name"
                ),
                {"e": form["email"]},
            )
        ).all()
    assert [(p.given_name, p.family_name, p.drafts) for p in people] == [("Amara", "Okafor", 1)]


async def test_the_same_email_twice_to_a_cohort_gets_409_with_the_reference_for_an_admin(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    form = make_application()
    secret = service.settings.token_secret.get_secret_value()
    first = await submitted_application(client, secret, form)
    second = await client.post(
        "/applications", json={**form, "email": form["email"].upper()}, headers=bearer(admin_token(service))
    )
    assert second.status_code == 409
    assert first["reference"] in second.json()["detail"]
    assert len(await outbox(service, "ApplicationSubmitted")) == 1


async def test_submitting_is_idempotent_on_the_client_request_id(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    form = make_application()
    headers = {"Idempotency-Key": "partner-42", **bearer(admin_token(service))}
    first = await client.post("/applications", json=form, headers=headers)
    second = await client.post("/applications", json=form, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert "access_token" not in second.json()  # staff never get a candidate's token
    assert len(await outbox(service, "ApplicationSubmitted")) == 1


async def test_one_application_sent_six_times_at_once_is_kept_once(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    """Six sends of one new person's application at once (a partner's retry storm): one person,
    one application, one ApplicationSubmitted; the others are told it exists (409), never a 500."""
    form = make_application()
    headers = bearer(admin_token(service))

    answers = await asyncio.gather(
        *(client.post("/applications", json=form, headers=headers) for _ in range(6))
    )

    assert sorted(a.status_code for a in answers) == [201] + [409] * 5, [a.text[:200] for a in answers]
    reference = next(a.json()["reference"] for a in answers if a.status_code == 201)
    assert all(reference in a.json()["detail"] for a in answers if a.status_code == 409)
    assert len(await outbox(service, "ApplicationSubmitted")) == 1
    async with service.engine.connect() as conn:
        people = await conn.scalar(
            text("SELECT count(*) FROM applications.candidates WHERE email = :e"),
            {"e": form["email"].lower()},
        )
    assert people == 1


async def test_one_idempotency_key_sent_six_times_at_once_answers_one_application(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    form = make_application()
    headers = {"Idempotency-Key": "partner-storm", **bearer(admin_token(service))}

    answers = await asyncio.gather(
        *(client.post("/applications", json=form, headers=headers) for _ in range(6))
    )

    assert [a.status_code for a in answers] == [201] * 6, [a.text[:200] for a in answers]
    assert len({a.json()["application_id"] for a in answers}) == 1
    assert len(await outbox(service, "ApplicationSubmitted")) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"postcode_district": "ZZ99"}, "postcode_district"),
        ({"email": "not-an-address"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"years_experience": -1}, "years_experience"),
        ({"career_break": {"start": "2024-05", "end": "2023-01", "reason": "caring"}}, "career_break"),
        ({"skills": [{"skill": "Juggling", "level": 2}]}, "skills"),
        ({"specialisms": ["astronaut"]}, "specialisms.0"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
async def test_invalid_answers_name_the_field(
    client: httpx.AsyncClient,
    make_application: Callable[..., dict[str, Any]],
    change: dict[str, Any],
    field: str,
) -> None:
    response = await client.post("/applications", json=make_application(**change))
    assert response.status_code == 422, response.text
    body = response.json()
    assert any(e["field"].startswith(field) for e in body["errors"]), body
    assert all(e["message"] for e in body["errors"])


async def test_programme_rules_for_the_whole_form(
    client: httpx.AsyncClient, make_application: Callable[..., dict[str, Any]]
) -> None:
    no_consent = await client.post("/applications", json=make_application(consent_to_processing=False))
    assert no_consent.status_code == 422
    assert "consent_to_processing" in {e["field"] for e in no_consent.json()["errors"]}

    social_work = make_application(cohort_id="social-work-test", specialisms=[], skills=[])
    refused = await client.post("/applications", json=social_work)
    assert refused.status_code == 422
    assert "professional_registration" in {e["field"] for e in refused.json()["errors"]}
    registered = {
        **social_work,
        "professional_registration": {
            "body": "Social Work England",
            "registration_number": "SW123",
            "last_practised": "2021-06",
        },
    }
    assert (await client.post("/applications", json=registered)).status_code == 202

    off_role = make_application(skills=[{"skill": "Business architecture", "level": 2}])
    response = await client.post("/applications", json=off_role)
    assert response.status_code == 422
    assert "skills.Business architecture" in {e["field"] for e in response.json()["errors"]}


async def test_applying_outside_the_window_names_the_window(
    client: httpx.AsyncClient, clean_database: str, make_application: Callable[..., dict[str, Any]]
) -> None:
    today = datetime.now(UTC).date()
    await insert_cohort(
        clean_database, "ict-closed", "ict", today - timedelta(days=90), today - timedelta(days=1)
    )
    await insert_cohort(
        clean_database, "ict-later", "ict", today + timedelta(days=10), today + timedelta(days=40)
    )
    closed = await client.post("/applications", json=make_application(cohort_id="ict-closed"))
    assert closed.status_code == 409
    assert "closed on" in closed.json()["detail"]
    assert f"{(today - timedelta(days=1)).day} " in closed.json()["detail"]
    later = await client.post(
        "/applications/drafts", json={"cohort_id": "ict-later", "email": "x@example.org"}
    )
    assert later.status_code == 409
    assert "open on" in later.json()["detail"]
    unknown = await client.post("/applications", json=make_application(cohort_id="no-such-cohort"))
    assert unknown.status_code == 404


async def test_candidates_reach_only_their_own_application(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    secret = service.settings.token_secret.get_secret_value()
    mine = await submitted_application(client, secret, make_application())
    theirs = await submitted_application(client, secret, make_application())
    url = f"/applications/{theirs['application_id']}"
    assert (await client.get(url)).status_code == 401
    assert (await client.get(url, headers=bearer("forged.token.value"))).status_code == 401
    assert (await client.get(url, headers=bearer(mine["access_token"]))).status_code == 404
    assert (await client.get(url, headers=bearer(theirs["access_token"]))).status_code == 200
    assert (await client.get(url, headers=bearer(admin_token(service)))).status_code == 200
    assessor = issue_token(service.settings.token_secret.get_secret_value(), Principal("a-1", Role.ASSESSOR))
    assert (await client.get(url, headers=bearer(assessor))).status_code == 404
    listing = await client.get("/applications", headers=bearer(mine["access_token"]))
    assert listing.status_code == 403
    admin_list = await client.get("/applications", headers=bearer(admin_token(service)))
    assert admin_list.status_code == 200
    assert admin_list.json()["total"] == 2


async def test_a_known_email_signs_in_by_link_once(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    form = make_application()
    created = await submitted_application(client, service.settings.token_secret.get_secret_value(), form)
    draft = await client.post(
        "/applications/drafts", json={"cohort_id": "planning-test", "email": form["email"]}
    )
    assert draft.status_code == 202  # no token for someone who merely knows the address
    assert "access_token" not in draft.json()
    unknown = await client.post("/sign-in", json={"email": "nobody@example.org"})
    assert unknown.status_code == 202
    links = await outbox(service, "CandidateSignInRequested")
    assert len(links) == 1  # from the draft; nothing for the unknown address
    asked = CandidateSignInRequestedV2.model_validate(links[0])
    assert asked.email == form["email"]
    token = token_of(mailed_link(links[0], service.settings.token_secret.get_secret_value()))

    exchanged = await client.post("/sign-in/token", json={"token": token})
    assert exchanged.status_code == 200, exchanged.text
    access = exchanged.json()["access_token"]
    status = await client.get(f"/applications/{created['application_id']}", headers=bearer(access))
    assert status.status_code == 200
    reused = await client.post("/sign-in/token", json={"token": token})
    assert reused.status_code == 403
    assert "already used" in reused.json()["detail"]
    # A sign-in token is not an access token.
    assert (
        await client.get(f"/applications/{created['application_id']}", headers=bearer(token))
    ).status_code == 401

    started = await client.post(
        "/candidates/me/applications", json={"cohort_id": "planning-test"}, headers=bearer(access)
    )
    assert started.status_code == 201
    assert UUID(started.json()["application_id"])


async def test_concurrent_submits_of_one_draft_submit_it_once_with_its_next_number(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    """Six submits of one finished draft at once, each on its own session: one submits it, the
    others are told it was (409); one ApplicationSubmitted, numbered the application's next
    number, which its counter then holds (no number given twice or skipped)."""
    form = make_application()
    started = await client.post(
        "/applications/drafts", json={"cohort_id": form["cohort_id"], "email": form["email"]}
    )
    assert started.status_code == 202, started.text
    auth = await follow(client, await link_to(service, form["email"]))
    draft = await client.post(
        "/candidates/me/applications", json={"cohort_id": form["cohort_id"]}, headers=auth
    )
    application_id = draft.json()["application_id"]
    answers = {k: v for k, v in form.items() if k not in {"cohort_id", "email"}}
    assert (
        await client.patch(f"/applications/{application_id}", json=answers, headers=auth)
    ).status_code == 200
    sequence = text("SELECT event_sequence FROM applications.applications WHERE id = :id")
    async with service.engine.connect() as conn:
        before = await conn.scalar(sequence, {"id": application_id})

    answers_ = await asyncio.gather(
        *(client.post(f"/applications/{application_id}/submit", headers=auth) for _ in range(6))
    )

    assert sorted(answer.status_code for answer in answers_) == [200] + [409] * 5, [a.text for a in answers_]
    events = await outbox(service, "ApplicationSubmitted")
    assert [event["sequence"] for event in events] == [before + 1]
    async with service.engine.connect() as conn:
        assert await conn.scalar(sequence, {"id": application_id}) == before + 1
