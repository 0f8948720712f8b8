"""Broker unreachable when a request commits: the request succeeds, the event waits in the outbox
and is published once the broker is back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse
from uuid import UUID

import httpx
import pytest
from rtw_applications.app import SERVICE as APPLICATIONS
from rtw_applications.testing import submitted_application
from rtw_assessment.app import SERVICE as ASSESSMENT
from rtw_assessment.models import Candidacy
from rtw_platform.testing.fixtures import app_for
from rtw_platform.testing.proxy import CuttableProxy
from rtw_platform.testing.waiting import eventually
from sqlalchemy import text

pytestmark = pytest.mark.reliability


async def test_event_waits_in_the_outbox_while_the_broker_is_away(
    start_service: Callable[..., Any],
    amqp_url: str,
    make_application: Callable[..., dict[str, Any]],
) -> None:
    broker = urlparse(amqp_url)
    proxy = CuttableProxy(broker.hostname or "127.0.0.1", broker.port or 5672)
    await proxy.start()
    through_proxy = amqp_url.replace(f"{broker.hostname}:{broker.port or 5672}", f"127.0.0.1:{proxy.port}")
    try:
        applications = await start_service(APPLICATIONS, amqp_url=through_proxy)
        assessment = await start_service(ASSESSMENT)

        await proxy.cut()  # the applications service can no longer reach RabbitMQ
        transport = httpx.ASGITransport(app=app_for(applications))
        async with httpx.AsyncClient(transport=transport, base_url="http://applications") as client:
            secret = applications.settings.token_secret.get_secret_value()
            receipt = await submitted_application(client, secret, make_application())
            application_id = UUID(receipt["application_id"])
            # Pages and the API stay up (the pod stays in its Service); consuming says the broker is away.
            ready = await client.get("/health/ready")
            assert ready.status_code == 200, ready.text
            assert ready.json() == {"status": "ok", "checks": {"database": True}}
            consuming = await client.get("/health/consuming")
            assert consuming.status_code == 503
            assert consuming.json()["checks"]["broker"] is False

        async def relay_has_tried() -> bool:
            async with applications.engine.connect() as conn:
                row = (
                    await conn.execute(
                        text(
                            "SELECT published_at, attempts FROM applications.outbox"
                            " WHERE event_type = 'ApplicationSubmitted'"
                        )
                    )
                ).one()
            return row.published_at is None and row.attempts >= 1

        await eventually(relay_has_tried, timeout=30, what="the relay to try and fail")
        async with assessment.uow_factory() as uow:
            assert await uow.session.get(Candidacy, application_id) is None

        await proxy.restore()

        async def screened() -> Candidacy | None:
            async with assessment.uow_factory() as uow:
                found: Candidacy | None = await uow.session.get(Candidacy, application_id)
                return found

        decision = await eventually(screened, timeout=60, what="the event to arrive after the outage")
        assert decision.screening_outcome == "shortlisted"
        async with applications.engine.connect() as conn:
            unpublished = (
                await conn.execute(
                    text("SELECT count(*) FROM applications.outbox WHERE published_at IS NULL")
                )
            ).scalar_one()
        assert unpublished == 0
    finally:
        await proxy.stop()
