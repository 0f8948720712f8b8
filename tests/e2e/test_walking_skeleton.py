"""The walking skeleton: one application travels through all five services over the real broker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import httpx
import pytest
from rtw_applications.app import SERVICE as APPLICATIONS
from rtw_applications.testing import submitted_application
from rtw_assessment.app import SERVICE as ASSESSMENT
from rtw_assessment.models import Candidacy
from rtw_matching.app import SERVICE as MATCHING
from rtw_matching.models import CandidateProfile
from rtw_notifications.app import SERVICE as NOTIFICATIONS
from rtw_notifications.models import Delivery
from rtw_platform.testing.fixtures import app_for
from rtw_platform.testing.waiting import eventually
from rtw_training.app import SERVICE as TRAINING
from rtw_training.models import Learner
from sqlmodel import select

pytestmark = pytest.mark.e2e


async def test_application_reaches_every_service(
    start_service: Callable[..., Any], make_application: Callable[..., dict[str, Any]]
) -> None:
    applications = await start_service(APPLICATIONS)
    assessment = await start_service(ASSESSMENT)
    matching = await start_service(MATCHING)
    notifications = await start_service(NOTIFICATIONS)
    training = await start_service(TRAINING)

    transport = httpx.ASGITransport(app=app_for(applications))
    async with httpx.AsyncClient(transport=transport, base_url="http://applications") as client:
        secret = applications.settings.token_secret.get_secret_value()
        receipt = await submitted_application(client, secret, make_application())
        application_id = UUID(receipt["application_id"])
        assert receipt["reference"].startswith("RTW-ICT-")
        client.headers["Authorization"] = f"Bearer {receipt['access_token']}"

        async def journey_shows_shortlisting() -> dict[str, Any] | None:
            status = (await client.get(f"/applications/{application_id}")).json()
            return status if status["status"] == "shortlisted" else None

        status = await eventually(journey_shows_shortlisting, what="the journey to show shortlisting")
    assert [step["label"] for step in status["journey"]] == [
        "Application received",
        "Invited to the second stage",
    ]

    async with assessment.uow_factory() as uow:
        decision = await uow.session.get(Candidacy, application_id)
    assert decision is not None
    assert decision.screening_outcome == "shortlisted"

    async def deliveries() -> list[str]:
        async with notifications.uow_factory() as uow:
            rows = (await uow.session.exec(select(Delivery))).all()
        templates = sorted(d.template for d in rows)
        return templates if len(templates) == 2 else []

    assert await eventually(deliveries, what="two deliveries") == [
        "application_received",
        "shortlisted",
    ]

    async def profile() -> CandidateProfile | None:
        async with matching.uow_factory() as uow:
            found = (
                await uow.session.exec(
                    select(CandidateProfile).where(CandidateProfile.application_id == application_id)
                )
            ).first()
        return found if found is not None and found.assessment_outcome == "shortlisted" else None

    pool_entry = await eventually(profile, what="the talent-pool profile")
    assert pool_entry.postcode_district == "WS1"

    async def learner() -> Learner | None:
        async with training.uow_factory() as uow:
            found: Learner | None = await uow.session.get(Learner, application_id)
            return found

    copy = await eventually(learner, what="training's copy")
    assert copy.assessment_outcome == "shortlisted"

    async def named() -> Learner | None:  # the name comes apart, with ApplicationContactGiven
        found = await learner()
        return found if found is not None and found.given_name else None

    assert (await eventually(named, what="training to know the name")).given_name == "Amara"
