"""Sending through GOV.UK Notify: a local HTTP server stands in for the Notify API, and the
service (email_backend="notify") posts each message to it with the official client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID, uuid4

import jwt
import pytest
from rtw_contracts import ApplicationContactGiven
from rtw_contracts.examples import example
from rtw_notifications.channels import NotifyChannel
from rtw_notifications.dispatch import dispatch_once
from sqlalchemy import text

pytestmark = pytest.mark.component

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"rtw_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"


@dataclass
class FakeNotify:
    """The Notify API's e-mail endpoint: records requests, answers as told per address."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    answers: dict[str, tuple[int, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def posts_to(self, address: str) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if r["json"].get("email_address") == address]

    async def wait_for(self, address: str, count: int = 1, timeout: float = 15.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.posts_to(address)
            if len(found) >= count:
                return found
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out waiting for {count} post(s) for {address}: {self.posts_to(address)}")


@pytest.fixture
def fake_notify() -> Iterator[FakeNotify]:
    notify = FakeNotify()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            with notify.lock:
                notify.requests.append({"path": self.path, "headers": dict(self.headers), "json": body})
            status, answer = notify.answers.get(
                body.get("email_address", ""),
                (201, json.dumps({"id": str(uuid4()), "reference": body.get("reference")})),
            )
            payload = answer.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json" if answer.startswith("{") else "text/html")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    notify.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield notify
    finally:
        server.shutdown()
        server.server_close()


def submitted(email: str) -> ApplicationContactGiven:
    return example(
        ApplicationContactGiven,
        event_id=uuid4(),
        application_id=uuid4(),
        candidate_id=uuid4(),
        reference="RTW-ICT-004242",
        email=email,
    )


def notify_settings(fake: FakeNotify, **more: Any) -> dict[str, Any]:
    return {
        "email_backend": "notify",
        "notify_api_key": API_KEY,
        "notify_template_id": TEMPLATE_ID,
        "notify_base_url": fake.url,
        **more,
    }


async def test_a_message_is_posted_to_notify_with_the_template_and_personalisation(
    start_notifications: Callable[..., Any], fake_notify: FakeNotify
) -> None:
    service = await start_notifications(**notify_settings(fake_notify))
    event = submitted("priya.notify@example.org")
    await service.deliver(event)

    [post] = await fake_notify.wait_for("priya.notify@example.org")
    [row] = await service.wait_for_status("sent", recipient_id=event.candidate_id)
    assert post["path"] == "/v2/notifications/email"
    assert post["json"]["template_id"] == TEMPLATE_ID
    assert post["json"]["reference"] == str(row.id)
    personalisation = post["json"]["personalisation"]
    assert personalisation["subject"] == "We have received your application RTW-ICT-004242"
    assert personalisation["body"].startswith("Dear Priya,")
    assert f"/applications/{event.application_id}" in personalisation["body"]
    token = post["headers"]["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["iss"] == SERVICE_ID
    assert row.attempts == 1
    assert UUID(row.provider_reference)  # Notify's id for the message


async def test_the_personalisation_links_only_to_the_platform(
    start_notifications: Callable[..., Any], fake_notify: FakeNotify
) -> None:
    service = await start_notifications(**notify_settings(fake_notify))
    event = submitted("priya.links@example.org").model_copy(
        update={"given_name": "Priya, see https://evil.example/x and www.evil.example"}
    )
    await service.deliver(event)

    [post] = await fake_notify.wait_for("priya.links@example.org")
    portal = service.runtime.settings.portal_url.rstrip("/")
    for part in post["json"]["personalisation"].values():
        assert "evil.example" not in part
        assert all(url.startswith(portal + "/") for url in re.findall(r"https?://\S+", part, re.IGNORECASE))
    assert (
        "Dear Priya, see evil[.]example/x and www[.]evil[.]example,"
        in post["json"]["personalisation"]["body"]
    )


async def test_a_request_notify_refuses_fails_at_once_with_the_reason(
    start_notifications: Callable[..., Any], fake_notify: FakeNotify
) -> None:
    refusal = {
        "errors": [
            {"error": "BadRequestError", "message": "Can't send to this recipient using a team-only API key"}
        ],
        "status_code": 400,
    }
    fake_notify.answers["outsider@example.org"] = (400, json.dumps(refusal))
    service = await start_notifications(**notify_settings(fake_notify, delivery_max_attempts=5))
    event = submitted("outsider@example.org")
    await service.deliver(event)

    [row] = await service.wait_for_status("failed", recipient_id=event.candidate_id)
    assert row.attempts == 1
    assert "400" in row.last_error
    assert "team-only API key" in row.last_error
    assert len(fake_notify.posts_to("outsider@example.org")) == 1


async def test_a_notify_server_error_is_retried_later(
    start_notifications: Callable[..., Any], fake_notify: FakeNotify
) -> None:
    fake_notify.answers["priya.busy@example.org"] = (500, json.dumps({"errors": [], "status_code": 500}))
    service = await start_notifications(
        **notify_settings(fake_notify, dispatch_enabled=False, retry_base_s=30)
    )
    channel = NotifyChannel(service.runtime.settings)
    event = submitted("priya.busy@example.org")
    await service.deliver(event)

    assert await dispatch_once(service.runtime, channel) == 1
    [row] = await service.deliveries(recipient_id=event.candidate_id)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "Notify answered 500")
    assert timedelta(seconds=20) < row.next_attempt_at - datetime.now(UTC) <= timedelta(seconds=30)
    assert await dispatch_once(service.runtime, channel) == 0

    del fake_notify.answers["priya.busy@example.org"]  # Notify is back
    async with service.runtime.engine.begin() as conn:
        await conn.execute(text("UPDATE notifications.deliveries SET next_attempt_at = now()"))
    assert await dispatch_once(service.runtime, channel) == 1
    [row] = await service.deliveries(recipient_id=event.candidate_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert len(fake_notify.posts_to("priya.busy@example.org")) == 2


async def test_a_notify_that_keeps_failing_is_given_up_on(
    start_notifications: Callable[..., Any], fake_notify: FakeNotify
) -> None:
    fake_notify.answers["priya.down@example.org"] = (503, "<html>Service unavailable</html>")
    service = await start_notifications(**notify_settings(fake_notify, delivery_max_attempts=3))
    event = submitted("priya.down@example.org")
    await service.deliver(event)

    [row] = await service.wait_for_status("failed", recipient_id=event.candidate_id)
    assert row.attempts == 3
    assert row.last_error.startswith("gave up after 3 attempts")
    assert "503" in row.last_error
    assert len(fake_notify.posts_to("priya.down@example.org")) == 3


async def test_one_unreadable_answer_does_not_resend_the_rest_of_the_batch(
    start_notifications: Callable[..., Any], fake_notify: FakeNotify
) -> None:
    fake_notify.answers["second@example.org"] = (200, "<html>OK</html>")
    service = await start_notifications(**notify_settings(fake_notify, dispatch_enabled=False))
    first, second = submitted("first@example.org"), submitted("second@example.org")
    await service.deliver(first)
    await service.deliver(second)
    channel = NotifyChannel(service.runtime.settings)

    for _ in range(3):
        with contextlib.suppress(Exception):  # the dispatcher loop logs it and tries again
            await dispatch_once(service.runtime, channel)
        async with service.runtime.engine.begin() as conn:
            await conn.execute(text("UPDATE notifications.deliveries SET next_attempt_at = now()"))

    assert len(fake_notify.posts_to("first@example.org")) == 1
    [row] = await service.deliveries(recipient_id=first.candidate_id)
    assert row.status == "sent"
