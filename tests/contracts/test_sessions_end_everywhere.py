"""Every service reads the same session cookie, so every service must hear of a sign-out and keep
the revoked sessions in its own schema: a service that forgets the subscription fails here."""

from __future__ import annotations

import pytest
from rtw_contracts import SessionEnded
from rtw_platform.registry import installed_services
from rtw_platform.sessions import SESSION_ENDED

pytestmark = pytest.mark.contracts

SERVICES = installed_services()


@pytest.mark.parametrize("name", list(SERVICES))
def test_every_service_consumes_and_may_publish_session_ended(name: str) -> None:
    definition = SERVICES[name]
    assert SESSION_ENDED in definition.subscriptions
    assert SessionEnded in definition.publishes  # its sign-out (on every service) announces it
    assert f"{definition.schema}.revoked_sessions" in definition.metadata.tables
