"""From a council signing up to a hire, over the real broker: applications, assessment, matching and
notifications running; the candidate applies, is selected (published as assessment would), Walsall
signs up, its recruiter signs in from the invitation link (e-mailed by notifications once a
programme admin approved the council's claim) and posts a vacancy; the match is proposed, the council reaches out, the candidate accepts,
and the hire reaches the candidate's journey."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import aio_pika
import httpx
import pytest
from rtw_applications.app import SERVICE as APPLICATIONS
from rtw_applications.testing import submitted_application
from rtw_assessment.app import SERVICE as ASSESSMENT
from rtw_contracts import AssessmentScored, MatchProposed
from rtw_contracts.examples import example
from rtw_matching.app import SERVICE as MATCHING
from rtw_notifications.app import SERVICE as NOTIFICATIONS
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.publishers import amqp_user
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import BrokerNamespace, app_for
from rtw_platform.testing.mail import Mailbox, serve_mailbox
from rtw_platform.testing.waiting import eventually
from sqlalchemy import text

pytestmark = pytest.mark.e2e

WALSALL = "E08000030"
SALARY = {"min_pence": 3_200_000, "max_pence": 3_800_000}


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    yield from serve_mailbox()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def outbox(runtime: ServiceRuntime, event_type: str) -> list[dict[str, Any]]:
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM matching.outbox WHERE event_type = :t ORDER BY id"), {"t": event_type}
        )
        return [row.payload for row in rows]


async def test_a_council_signs_up_posts_a_vacancy_and_hires_a_returner(
    start_service: Callable[..., Any],
    make_application: Callable[..., dict[str, Any]],
    broker_namespace: BrokerNamespace,
    tmp_path: Path,
    mailbox: Mailbox,
) -> None:
    store = f"file://{tmp_path}"
    applications: ServiceRuntime = await start_service(APPLICATIONS, file_store_url=store)
    await start_service(ASSESSMENT, file_store_url=store)
    matching: ServiceRuntime = await start_service(MATCHING)
    await start_service(NOTIFICATIONS, smtp_port=mailbox.port, dispatch_interval_s=0.1)

    # Watch the broker for MatchProposed, as another team's service would.
    watcher = f"{broker_namespace.prefix}watch.match-proposed"
    broker_namespace.extra_queues.add(watcher)
    connection = await aio_pika.connect(broker_namespace.amqp_url)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(
        f"{broker_namespace.prefix}rtw.events", aio_pika.ExchangeType.TOPIC, durable=True
    )
    proposals = await channel.declare_queue(watcher, durable=False, auto_delete=True)
    await proposals.bind(exchange, routing_key=MatchProposed.ROUTING_KEY)

    apps = httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(applications)), base_url="http://a")
    match = httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(matching)), base_url="http://m")
    try:
        async with apps, match:
            # Walsall is claimed; a programme admin approves the claim; its contact signs in from
            # the link e-mailed on approval.
            signed_up = await match.post(
                "/councils",
                json={
                    "gss_code": WALSALL,
                    "contact_name": "Morag Fairweather",
                    "contact_email": "morag.fairweather@walsall.example",
                    "specialisms_needed": ["software_developer"],
                    "flexible_working_offered": ["part_time", "hybrid"],
                },
            )
            assert signed_up.status_code == 201, signed_up.text
            council_id = signed_up.json()["council_id"]
            assert await outbox(matching, "RecruiterInvited") == []  # nobody signs in on a claim
            secret = matching.settings.token_secret.get_secret_value()
            admin = bearer(issue_token(secret, Principal(subject="admin-1", role=Role.ADMIN)))
            approved = await match.post(
                f"/council-claims/{signed_up.json()['claim_id']}/approve", headers=admin
            )
            assert approved.status_code == 200, approved.text
            invited = await outbox(matching, "RecruiterInvited")
            assert [e["council_id"] for e in invited] == [council_id]
            assert "link" not in invited[0]  # the link is made where the e-mail is written
            mails = await mailbox.wait_for("morag.fairweather@walsall.example", count=2, timeout=30)
            links = [re.search(r"/matching/recruiters/sign-in/([\w.-]+)", m.text) for m in mails]
            [link] = [found for found in links if found]  # the welcome, and the invitation
            link_token = link.group(1)
            signed_in = await match.post("/recruiters/sign-in/token", json={"token": link_token})
            assert signed_in.status_code == 200, signed_in.text
            council = bearer(signed_in.json()["access_token"])

            # A returner applies (WS1, visible to the West Midlands) and is selected.
            form = make_application()
            secret = applications.settings.token_secret.get_secret_value()
            receipt = await submitted_application(apps, secret, form)
            candidate = bearer(receipt["access_token"])
            candidate_id = receipt["candidate_id"]
            application_id = receipt["application_id"]
            selected = example(
                AssessmentScored,
                event_id=uuid4(),
                correlation_id=UUID(application_id),
                application_id=UUID(application_id),
                candidate_id=UUID(candidate_id),
                cohort_id="ict-test",
                stage="final",
                outcome="selected",
                sequence=9,
                decided_at=datetime.now(UTC),
            )
            await exchange.publish(
                aio_pika.Message(
                    selected.model_dump_json().encode(),
                    message_id=str(selected.event_id),
                    user_id=amqp_user(broker_namespace.amqp_url),
                ),
                routing_key=selected.ROUTING_KEY,
            )

            async def in_the_pool() -> list[dict[str, Any]]:
                found = await match.post(f"/councils/{council_id}/search", json={}, headers=council)
                assert found.status_code == 200, found.text
                return [r for r in found.json()["results"] if r["candidate_ref"] == application_id]

            [profile] = await eventually(in_the_pool, timeout=30, what="the candidate in Walsall's pool")
            assert profile["postcode_district"] == "WS1"
            assert form["given_name"] not in json.dumps(profile)

            # The recruiter posts a vacancy: the candidate is proposed over the broker.
            posted = await match.post(
                f"/councils/{council_id}/vacancies",
                json={
                    "title": "Software developer",
                    "programme": "ict",
                    "specialism": "software_developer",
                    "role": "Software developer",
                    "role_level": "Senior developer",
                    "required_skills": [
                        {"skill": "Programming and build (software engineering)", "level": 3},
                        {"skill": "Systems design", "level": 3},
                    ],
                    "base_postcode_districts": ["WS1"],
                    "work_mode": "hybrid",
                    "flexible_working": ["part_time"],
                    "salary_band": SALARY,
                    "hours_per_week": 30,
                    "closing_date": (datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
                },
                headers=council,
            )
            assert posted.status_code == 201, posted.text
            vacancy_id = posted.json()["vacancy_id"]
            proposed = MatchProposed.model_validate_json(await asyncio.wait_for(_next_message(proposals), 30))
            assert (str(proposed.vacancy_id), str(proposed.application_id)) == (vacancy_id, application_id)
            assert proposed.score >= 55
            assert {f.name for f in proposed.factors} >= {"role_fit", "skills", "distance"}

            matches = (await match.get(f"/vacancies/{vacancy_id}/matches", headers=council)).json()
            assert [m["candidate_ref"] for m in matches] == [application_id]
            assert form["email"] not in json.dumps(matches)

            # Shortlist and reach out.
            shortlisted = await match.post(
                f"/vacancies/{vacancy_id}/shortlist", json={"candidate_ref": application_id}, headers=council
            )
            assert shortlisted.status_code == 201, shortlisted.text
            match_id = shortlisted.json()["match_id"]
            assert match_id == matches[0]["match_id"]
            reached = await match.post(f"/matches/{match_id}/reach-out", headers=council)
            assert reached.json()["status"] == "reached_out"

            # The candidate sees the council's interest and accepts.
            mine = (await match.get(f"/candidates/{candidate_id}/matches", headers=candidate)).json()
            assert [(m["match_id"], m["council"], m["status"]) for m in mine] == [
                (match_id, "Walsall", "reached_out")
            ]
            accepted = await match.post(
                f"/matches/{match_id}/response", json={"response": "accepted"}, headers=candidate
            )
            assert accepted.json()["status"] == "accepted", accepted.text

            # Only now the council gets the contact details; it interviews and hires.
            contact = await match.get(f"/matches/{match_id}/contact", headers=council)
            assert contact.json() == {
                "given_name": form["given_name"],
                "family_name": form["family_name"],
                "email": form["email"],
                "phone": form["phone"],  # given "for a council to call you about a job"
            }
            interview = await match.post(
                f"/matches/{match_id}/interview",
                json={"at": "2027-02-15T10:00:00Z", "place": "Civic Centre, room 2"},
                headers=council,
            )
            assert interview.json()["status"] == "interviewing"
            hired = await match.post(
                f"/matches/{match_id}/outcome",
                json={"hired": True, "start_date": "2027-04-06", "hours_per_week": 30, "salary_band": SALARY},
                headers=council,
            )
            assert hired.json()["status"] == "hired", hired.text
            vacancies = (await match.get(f"/councils/{council_id}", headers=council)).json()["vacancies"]
            assert [(v["vacancy_id"], v["status"]) for v in vacancies] == [(vacancy_id, "filled")]

            # CandidateHired reaches applications: the candidate's journey shows the hire.
            async def journey_shows_hired() -> dict[str, Any] | None:
                view = (await apps.get(f"/applications/{application_id}", headers=candidate)).json()
                return view if view.get("label") == "Hired" else None

            view = await eventually(journey_shows_hired, timeout=30, what="the journey to show the hire")
            labels = [step["label"] for step in view["journey"]]
            assert labels[-1] == "Hired: Starting 06 April 2027"
            for step in (
                "Application received",
                "Offered a place on the programme",
                "Matched with a council vacancy",
                "A council would like to talk to you",
                "You agreed to talk to the council",
            ):
                assert any(label.startswith(step) for label in labels), f"{step!r} not in {labels}"
    finally:
        await connection.close()


async def _next_message(queue: aio_pika.abc.AbstractQueue) -> bytes:
    async with queue.iterator() as messages:
        async for message in messages:
            async with message.process():
                return message.body
    raise AssertionError("the queue closed")
