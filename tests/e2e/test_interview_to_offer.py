"""From an accepted reach-out to a hire through an interview and an offer, over the real broker:
applications, matching and notifications running. Walsall proposes interview times, the returner
books one, both are e-mailed a calendar invitation (.ics, METHOD:REQUEST), the council records
feedback and makes an offer, the returner is e-mailed and accepts it, the council is told, and the
hire reaches the returner's journey."""

from __future__ import annotations

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
from rtw_contracts import AssessmentScored
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
CONTACT = "morag.fairweather@walsall.example"
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


async def titled(mailbox: Mailbox, address: str, subject: str) -> Any:
    """The one message to `address` whose subject starts so, once it has come."""

    async def found() -> list[Any]:
        return [m for m in mailbox.to(address) if m.subject.startswith(subject)]

    [mail] = await eventually(found, timeout=30, what=f"{subject!r} to {address}")
    return mail


def calendar_of(mail: Any) -> str:
    [part] = [p for p in mail.message.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    found: str = part.get_payload(decode=True).decode("utf-8")
    return found.replace("\r\n ", "").replace("\n ", "")


async def test_a_returner_books_an_interview_and_accepting_the_offer_hires_them(
    start_service: Callable[..., Any],
    make_application: Callable[..., dict[str, Any]],
    broker_namespace: BrokerNamespace,
    tmp_path: Path,
    mailbox: Mailbox,
) -> None:
    applications: ServiceRuntime = await start_service(APPLICATIONS, file_store_url=f"file://{tmp_path}")
    matching: ServiceRuntime = await start_service(MATCHING)
    await start_service(NOTIFICATIONS, smtp_port=mailbox.port, dispatch_interval_s=0.1)
    connection = await aio_pika.connect(broker_namespace.amqp_url)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(
        f"{broker_namespace.prefix}rtw.events", aio_pika.ExchangeType.TOPIC, durable=True
    )
    apps = httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(applications)), base_url="http://a")
    match = httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(matching)), base_url="http://m")
    try:
        async with apps, match:
            # Walsall signs up, is approved, and its contact signs in from the e-mailed link.
            signed_up = await match.post(
                "/councils",
                json={"gss_code": WALSALL, "contact_name": "Morag Fairweather", "contact_email": CONTACT},
            )
            assert signed_up.status_code == 201, signed_up.text
            council_id = signed_up.json()["council_id"]
            secret = matching.settings.token_secret.get_secret_value()
            admin = bearer(issue_token(secret, Principal(subject="admin-1", role=Role.ADMIN)))
            approved = await match.post(
                f"/council-claims/{signed_up.json()['claim_id']}/approve", headers=admin
            )
            assert approved.status_code == 200, approved.text
            mails = await mailbox.wait_for(CONTACT, count=2, timeout=30)
            [link] = [
                m for m in (re.search(r"/matching/recruiters/sign-in/([\w.-]+)", m.text) for m in mails) if m
            ]
            signed_in = await match.post("/recruiters/sign-in/token", json={"token": link.group(1)})
            assert signed_in.status_code == 200, signed_in.text
            council = bearer(signed_in.json()["access_token"])

            # A returner applies and is selected (published as assessment would).
            form = make_application()
            receipt = await submitted_application(
                apps, applications.settings.token_secret.get_secret_value(), form
            )
            candidate = bearer(receipt["access_token"])
            application_id = receipt["application_id"]
            selected = example(
                AssessmentScored,
                event_id=uuid4(),
                correlation_id=UUID(application_id),
                application_id=UUID(application_id),
                candidate_id=UUID(receipt["candidate_id"]),
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
                return [r for r in found.json()["results"] if r["candidate_ref"] == application_id]

            await eventually(in_the_pool, timeout=30, what="the returner in Walsall's pool")
            posted = await match.post(
                f"/councils/{council_id}/vacancies",
                json={
                    "title": "Software developer",
                    "programme": "ict",
                    "specialism": "software_developer",
                    "role": "Software developer",
                    "role_level": "Senior developer",
                    "required_skills": [
                        {"skill": "Programming and build (software engineering)", "level": 3}
                    ],
                    "base_postcode_districts": ["WS1"],
                    "work_mode": "hybrid",
                    "flexible_working": ["part_time"],
                    "salary_band": SALARY,
                    "hours_per_week": 30,
                    "closing_date": (datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
                    "interview_required": True,
                },
                headers=council,
            )
            assert posted.status_code == 201, posted.text
            vacancy_id = posted.json()["vacancy_id"]
            shortlisted = await match.post(
                f"/vacancies/{vacancy_id}/shortlist", json={"candidate_ref": application_id}, headers=council
            )
            match_id = shortlisted.json()["match_id"]
            assert (await match.post(f"/matches/{match_id}/reach-out", headers=council)).status_code == 200
            accepted = await match.post(
                f"/matches/{match_id}/response", json={"response": "accepted"}, headers=candidate
            )
            assert accepted.json()["status"] == "accepted", accepted.text

            # The council proposes two times; the returner is asked to choose, and books the second.
            first = datetime.now(UTC).replace(microsecond=0) + timedelta(days=9)
            slots = {
                "slots": [
                    {"starts_at": first.isoformat(), "place": "Civic Centre, room 2"},
                    {"starts_at": (first + timedelta(hours=3)).isoformat(), "place": "Civic Centre, room 5"},
                ],
                "minutes": 45,
            }
            proposed = await match.post(f"/matches/{match_id}/interview-slots", json=slots, headers=council)
            assert proposed.status_code == 201, proposed.text
            asked = [await titled(mailbox, form["email"], "Choose a time for your interview with Walsall")]
            assert "/matching/my/interest" in asked[0].text
            booked = await match.post(
                f"/interviews/{proposed.json()['interview_id']}/booking", json={"slot": 1}, headers=candidate
            )
            assert booked.json()["status"] == "booked", booked.text

            # Both are e-mailed a calendar invitation for the booked time.
            starts = first + timedelta(hours=3)
            to_returner = await titled(mailbox, form["email"], "Interview with Walsall: Software developer")
            to_council = await titled(mailbox, CONTACT, "Interview booked: Software developer")
            for mail, address in ((to_returner, form["email"]), (to_council, CONTACT)):
                calendar = calendar_of(mail)
                assert f"DTSTART:{starts:%Y%m%dT%H%M%SZ}" in calendar
                assert f"DTEND:{starts + timedelta(minutes=45):%Y%m%dT%H%M%SZ}" in calendar
                assert f"UID:interview-{match_id}-1@returntowork" in calendar
                assert f"mailto:{address}" in calendar
                assert "Civic Centre\\, room 5" in calendar

            # Feedback, then an offer; the returner is e-mailed and accepts it on their side.
            feedback = {
                "ratings": {"skills": 4, "experience": 3, "communication": 4, "values": 4},
                "recommendation": "offer",
            }
            recorded = await match.put(
                f"/interviews/{proposed.json()['interview_id']}/feedback", json=feedback, headers=council
            )
            assert recorded.status_code == 200, recorded.text
            start_date = (datetime.now(UTC) + timedelta(days=60)).date()
            offer = {"salary_pence": 3_450_000, "start_date": start_date.isoformat(), "hours_per_week": 30}
            made = await match.post(f"/matches/{match_id}/offer", json=offer, headers=council)
            assert made.status_code == 201, made.text
            await titled(mailbox, form["email"], "Walsall offers you the job: Software developer")
            answer = await match.post(
                f"/offers/{made.json()['offer_id']}/response",
                json={"response": "accepted"},
                headers=candidate,
            )
            assert answer.json()["status"] == "accepted", answer.text
            told = [await titled(mailbox, CONTACT, "A returner has accepted your offer (Software developer)")]
            assert "They are hired and the vacancy is filled." in told[0].text
            [hired] = await outbox(matching, "CandidateHired")
            assert hired["salary_band"] == {"min_pence": 3_450_000, "max_pence": 3_450_000}

            async def journey_shows_hired() -> dict[str, Any] | None:
                view = (await apps.get(f"/applications/{application_id}", headers=candidate)).json()
                return view if view.get("label") == "Hired" else None

            await eventually(journey_shows_hired, timeout=30, what="the journey to show the hire")
    finally:
        await connection.close()
