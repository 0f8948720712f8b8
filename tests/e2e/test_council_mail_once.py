"""A council's contact is also its first recruiter: over the real broker, matching approves the
council's claim (CouncilRegistered for the contact, RecruiterInvited for the same address), a
returner is proposed for its vacancy and accepts its interest, and notifications writes one message
per step to that address, not one per record."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from rtw_contracts import ApplicationSubmitted, AssessmentScored, Event
from rtw_contracts.examples import example
from rtw_matching.app import SERVICE as MATCHING
from rtw_notifications.app import SERVICE as NOTIFICATIONS
from rtw_notifications.models import Delivery
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for
from rtw_platform.testing.links import mailed_link, token_of
from rtw_platform.testing.waiting import eventually
from sqlalchemy import text
from sqlmodel import select

pytestmark = pytest.mark.e2e

PORTAL = "https://rtw.example"
CONTACT = "Morag.Fairweather@walsall.example.gov.uk"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def publish(runtime: ServiceRuntime, event: Event) -> None:
    await runtime.broker.publish(
        event.model_dump(mode="json"),
        exchange=runtime.topology.events_exchange,
        routing_key=event.ROUTING_KEY,
        persist=True,
        message_id=str(event.event_id),
    )


async def test_the_contact_who_is_the_first_recruiter_gets_each_council_message_once(
    start_service: Callable[..., Any],
) -> None:
    matching: ServiceRuntime = await start_service(MATCHING, public_url=PORTAL)
    notifications: ServiceRuntime = await start_service(
        NOTIFICATIONS, dispatch_enabled=False, portal_url=PORTAL
    )
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(matching)), base_url="http://m")
    async with http:
        claim = await http.post(
            "/councils",
            json={"gss_code": "E08000030", "contact_name": "Morag Fairweather", "contact_email": CONTACT},
        )
        assert claim.status_code == 201, claim.text
        council_id = claim.json()["council_id"]
        secret = matching.settings.token_secret.get_secret_value()
        admin = bearer(issue_token(secret, Principal(subject="admin-1", role=Role.ADMIN)))
        approved = await http.post(f"/council-claims/{claim.json()['claim_id']}/approve", headers=admin)
        assert approved.status_code == 200, approved.text
        async with matching.engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT event_type, payload FROM matching.outbox"
                    " WHERE event_type IN ('CouncilRegistered', 'RecruiterInvited') ORDER BY id"
                )
            )
            published = {row.event_type: row.payload for row in rows}
        # The current flow: one person, two records, one address.
        assert published["CouncilRegistered"]["contact_email"].lower() == CONTACT.lower()
        assert published["RecruiterInvited"]["email"].lower() == CONTACT.lower()
        secret = matching.settings.token_secret.get_secret_value()
        token = token_of(mailed_link(published["RecruiterInvited"], secret))
        signed_in = await http.post("/recruiters/sign-in/token", json={"token": token})
        assert signed_in.status_code == 200, signed_in.text
        council = bearer(signed_in.json()["access_token"])

        application_id, candidate_id = uuid4(), uuid4()
        submitted = example(
            ApplicationSubmitted,
            event_id=uuid4(),
            application_id=application_id,
            correlation_id=application_id,
            candidate_id=candidate_id,
            email=f"priya.{uuid4().hex[:8]}@example.org",
        )
        selected = example(
            AssessmentScored,
            event_id=uuid4(),
            application_id=application_id,
            correlation_id=application_id,
            candidate_id=candidate_id,
            stage="final",
            outcome="selected",
            sequence=5,
        )
        await publish(matching, submitted)
        await publish(matching, selected)

        async def in_the_pool() -> list[Any]:
            found = await http.post(f"/councils/{council_id}/search", json={}, headers=council)
            return [r for r in found.json()["results"] if r["candidate_ref"] == str(application_id)]

        await eventually(in_the_pool, timeout=30, what="the returner in Walsall's pool")
        posted = await http.post(
            f"/councils/{council_id}/vacancies",
            json={
                "title": "Data analyst",
                "programme": "ict",
                "specialism": "data_analyst",
                "role": "Data analyst",
                "role_level": "Senior analyst",
                "required_skills": [{"skill": "Data visualisation", "level": 3}],
                "base_postcode_districts": ["WS1"],
                "work_mode": "hybrid",
                "flexible_working": ["part_time"],
                "salary_band": {"min_pence": 3_000_000, "max_pence": 3_600_000},
                "hours_per_week": 30,
                "closing_date": (datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
            },
            headers=council,
        )
        assert posted.status_code == 201, posted.text
        assert posted.json()["proposed"] == 1
        vacancy_id = posted.json()["vacancy_id"]
        matches = (await http.get(f"/vacancies/{vacancy_id}/matches", headers=council)).json()
        match_id = matches[0]["match_id"]
        shortlisted = await http.post(
            f"/vacancies/{vacancy_id}/shortlist", json={"candidate_ref": str(application_id)}, headers=council
        )
        assert shortlisted.status_code == 201, shortlisted.text
        assert (await http.post(f"/matches/{match_id}/reach-out", headers=council)).status_code == 200
        candidate = bearer(issue_token(secret, Principal(subject=str(candidate_id), role=Role.CANDIDATE)))
        answered = await http.post(
            f"/matches/{match_id}/response", json={"response": "accepted"}, headers=candidate
        )
        assert answered.status_code == 200, answered.text

    async def council_mail() -> Counter[tuple[str, str]] | None:
        async with notifications.uow_factory() as uow:
            rows = (await uow.session.exec(select(Delivery))).all()
        mail = Counter(
            (row.template, (row.to_address or "").lower())
            for row in rows
            if row.template
            in ("council_registered", "recruiter_invited", "match_proposed", "candidate_answer")
        )
        return (
            mail
            if {t for t, _ in mail}
            == {
                "council_registered",
                "recruiter_invited",
                "match_proposed",
                "candidate_answer",
            }
            else None
        )

    mail = await eventually(council_mail, timeout=30, what="the council's messages")
    assert mail == Counter(
        {
            ("council_registered", CONTACT.lower()): 1,
            ("recruiter_invited", CONTACT.lower()): 1,
            ("match_proposed", CONTACT.lower()): 1,
            ("candidate_answer", CONTACT.lower()): 1,
        }
    )
