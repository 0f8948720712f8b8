"""A service's health, metrics and AsyncAPI over HTTP, with the real broker and database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from rtw_applications.app import SERVICE as APPLICATIONS
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import BrokerNamespace, app_for, settings_for_test

pytestmark = pytest.mark.integration


async def test_a_running_service_reports_itself_healthy_and_observable(
    start_service: Callable[..., Any],
) -> None:
    runtime = await start_service(APPLICATIONS)
    transport = httpx.ASGITransport(app=app_for(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://applications") as client:
        ready = await client.get("/health/ready")
        consuming = await client.get("/health/consuming")
        live = await client.get("/health/live")
        metrics = await client.get("/metrics")
        asyncapi = await client.get("/asyncapi.json")

    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ok", "checks": {"database": True}}
    assert consuming.status_code == 200, consuming.text
    assert consuming.json() == {"status": "ok", "checks": {"database": True, "broker": True}}
    assert live.status_code == 200
    assert live.json() == {"status": "ok"}
    assert ready.headers["x-request-id"]

    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "rtw_http_requests_total" in metrics.text
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(metrics.text)
        for sample in family.samples
    }
    ready_requests = (
        "rtw_http_requests_total",
        (
            ("method", "GET"),
            ("route", "/health/ready"),
            ("service", "applications"),
            ("status", "200"),
        ),
    )
    assert samples[ready_requests] >= 1
    assert samples[("rtw_outbox_backlog", (("service", "applications"),))] == 0

    assert asyncapi.status_code == 200
    assert asyncapi.json()["asyncapi"] == "3.0.0"
    assert asyncapi.json() == runtime.asyncapi()


async def test_a_request_id_sent_by_the_caller_is_echoed(
    start_service: Callable[..., Any],
) -> None:
    runtime = await start_service(APPLICATIONS)
    transport = httpx.ASGITransport(app=app_for(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://applications") as client:
        response = await client.get("/health/live", headers={"x-request-id": "req-123"})
    assert response.headers["x-request-id"] == "req-123"


async def test_readiness_fails_while_the_database_is_unreachable(
    clean_database: str, broker_namespace: BrokerNamespace
) -> None:
    unreachable = clean_database.replace("127.0.0.1:5432", "127.0.0.1:1", 1)
    if unreachable == clean_database:
        pytest.skip("the test database is not on 127.0.0.1:5432")
    settings = settings_for_test(APPLICATIONS, unreachable, broker_namespace, relay_enabled=False)
    runtime = ServiceRuntime(APPLICATIONS, settings)
    await runtime.start()
    try:
        transport = httpx.ASGITransport(app=app_for(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://applications") as c:
            ready = await c.get("/health/ready")
            consuming = await c.get("/health/consuming")
            live = await c.get("/health/live")
    finally:
        await runtime.stop()

    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "checks": {"database": False}}
    assert consuming.status_code == 503
    assert consuming.json()["checks"] == {"database": False, "broker": True}
    assert live.status_code == 200


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_show_outbox_lag_queue_depth_consumers_and_dead_letters(
    start_service: Callable[..., Any],
    make_application: Callable[..., dict[str, Any]],
) -> None:
    import asyncio

    import aio_pika
    from rtw_applications.testing import submitted_application
    from rtw_contracts.topology import dead_letter_queue_name

    runtime = await start_service(APPLICATIONS, relay_enabled=False)  # the event waits in the outbox
    queue = sorted(runtime.queue_names)[0]
    connection = await aio_pika.connect(runtime.settings.amqp_url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        await channel.default_exchange.publish(
            aio_pika.Message(b'{"not": "an event"}'), routing_key=dead_letter_queue_name(queue)
        )
    transport = httpx.ASGITransport(app=app_for(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://applications") as client:
        secret = runtime.settings.token_secret.get_secret_value()
        await submitted_application(client, secret, make_application())
        await asyncio.sleep(1.2)
        samples = _samples((await client.get("/metrics")).text)

    service = ("service", "applications")
    assert samples[("rtw_outbox_backlog", (service,))] >= 1
    assert samples[("rtw_outbox_oldest_unpublished_seconds", (service,))] >= 1.0
    assert samples[("rtw_dead_letters", (("queue", queue), service))] == 1
    assert samples[("rtw_queue_consumers", (("queue", queue), service))] == 1
    for name in runtime.queue_names:
        assert ("rtw_queue_messages", (("queue", name), service)) in samples
