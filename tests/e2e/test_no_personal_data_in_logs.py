"""No personal data in logs: a journey through every service, with the logs captured and
searched for the names and e-mail addresses it used."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from rtw_applications.app import SERVICE as APPLICATIONS
from rtw_applications.testing import bearer_for, submitted_application
from rtw_assessment.app import SERVICE as ASSESSMENT
from rtw_matching.app import SERVICE as MATCHING
from rtw_notifications.app import SERVICE as NOTIFICATIONS
from rtw_platform.auth import Role
from rtw_platform.logging import configure_logging
from rtw_platform.testing.fixtures import app_for
from rtw_platform.testing.waiting import eventually
from rtw_training.app import SERVICE as TRAINING

pytestmark = pytest.mark.e2e


async def test_logs_of_a_journey_hold_no_names_or_addresses(
    start_service: Callable[..., Any],
    make_application: Callable[..., dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("e2e", level="DEBUG", json=True)
    applications = await start_service(APPLICATIONS)
    notifications = await start_service(NOTIFICATIONS, smtp_port=1, retry_base_s=0.05)  # fails: logs
    for definition in (ASSESSMENT, MATCHING, TRAINING):
        await start_service(definition)
    form = make_application(
        given_name="Philippa", family_name="Quetzalcoatl", email="philippa.quetzal@example.org"
    )
    transport = httpx.ASGITransport(app=app_for(applications))
    async with httpx.AsyncClient(transport=transport, base_url="http://a") as client:
        secret = applications.settings.token_secret.get_secret_value()
        receipt = await submitted_application(client, secret, form)
        refused = await client.post(  # a duplicate: a refusal is logged too
            "/applications", json=form, headers=bearer_for(secret, Role.ADMIN, "partner-service")
        )
        assert refused.status_code == 409
        anonymous = await client.post("/applications", json=form)  # the address is e-mailed a link
        assert anonymous.status_code == 202

        async def screened() -> bool:
            view = await client.get(
                f"/applications/{receipt['application_id']}",
                headers={"Authorization": f"Bearer {receipt['access_token']}"},
            )
            return bool(view.json()["status"] == "shortlisted")

        await eventually(screened, what="screening")

    async def delivery_tried() -> bool:
        async with notifications.engine.connect() as conn:
            from sqlalchemy import text

            return bool(
                (
                    await conn.execute(
                        text("SELECT count(*) FROM notifications.deliveries WHERE attempts > 0")
                    )
                ).scalar_one()
            )

    await eventually(delivery_tried, what="an e-mail attempt (which fails and is logged)")
    logs = capsys.readouterr().err
    assert logs.count("\n") > 5, "the services logged"
    lowered = logs.lower()
    for secret in ("philippa", "quetzalcoatl", "philippa.quetzal@example.org"):
        assert secret not in lowered, f"{secret!r} appears in the logs"
    for line in logs.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            assert "email" not in record or record["email"] == "[redacted]"
