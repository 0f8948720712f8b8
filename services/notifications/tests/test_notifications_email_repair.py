"""E-mail that can be put right: a mail server away for hours is waited for (about a day of
tries); what failed for good is listed for admins and sent again (page, API, CLI); GOV.UK Notify's
delivery receipts turn a bounce into "bounced", not "sent"; and the outcomes are counted."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from prometheus_client import REGISTRY
from rtw_contracts import ApplicationContactGiven
from rtw_contracts.examples import example
from rtw_notifications.cli import app as cli
from rtw_notifications.domain import retry_delay_s, seconds_tried_for
from rtw_notifications.models import Delivery
from rtw_notifications.settings import NotificationsSettings
from rtw_platform.auth import Principal, Role, issue_session_token
from rtw_platform.testing.mail import Mailbox
from typer.testing import CliRunner

pytestmark = pytest.mark.component

CALLBACK_TOKEN = "notify-callback-token-for-the-tests-0123456789"


def contact(email: str) -> ApplicationContactGiven:
    return example(
        ApplicationContactGiven,
        event_id=uuid4(),
        application_id=uuid4(),
        candidate_id=uuid4(),
        email=email,
        given_name="Priya",
    )


def emails(outcome: str) -> float:
    return REGISTRY.get_sample_value("rtw_emails_total", {"outcome": outcome}) or 0.0


@pytest.mark.unit
def test_the_default_policy_keeps_trying_for_about_a_day() -> None:
    settings = NotificationsSettings()
    tried = seconds_tried_for(
        settings.delivery_max_attempts, base_s=settings.retry_base_s, cap_s=settings.retry_max_backoff_s
    )
    assert 12 * 3600 <= tried <= 36 * 3600, tried
    assert retry_delay_s(1, base_s=5, cap_s=3600) == 5
    assert retry_delay_s(4, base_s=5, cap_s=3600) == 40
    assert retry_delay_s(20, base_s=5, cap_s=3600) == 3600
    assert retry_delay_s(10_000, base_s=5, cap_s=3600) == 3600


async def _given_up(start_notifications: Callable[..., Any], failing_smtp_server: Callable[..., Any]) -> Any:
    busy = failing_smtp_server("451 4.3.0 try later", "DATA")
    service = await start_notifications(
        smtp_host="127.0.0.1",
        smtp_port=busy.port,
        delivery_max_attempts=2,
        notify_callback_token=CALLBACK_TOKEN,
    )
    event = contact("priya.later@example.org")
    await service.deliver(event)
    [failed] = await service.wait_for_status("failed", recipient_id=event.candidate_id)
    return service, event, failed


async def test_a_failed_email_is_sent_again_through_the_api_once_the_mail_server_works(
    start_notifications: Callable[..., Any],
    failing_smtp_server: Callable[..., Any],
    smtp_server: Mailbox,
) -> None:
    failed_before = emails("failed")
    service, event, failed = await _given_up(start_notifications, failing_smtp_server)
    assert emails("failed") == failed_before + 1

    # Only an admin may.
    refused = await service.http.post(
        "/deliveries/resend", json={}, headers=service.token("x", Role.ASSESSOR)
    )
    assert refused.status_code == 403
    anonymous = await service.http.post("/deliveries/resend", json={})
    assert anonymous.status_code == 401

    dry = await service.http.post("/deliveries/resend", json={"dry_run": True}, headers=service.admin())
    assert dry.json() == {"would_resend": 1}
    assert (await service.deliveries(id=failed.id))[0].status == "failed"

    # The mail server is back (the operator fixed RTW_SMTP_*): a service sending through it.
    working = await start_notifications(smtp_host="127.0.0.1", smtp_port=smtp_server.port)
    await service.runtime.stop()  # the busy one sends no more
    answer = await working.http.post(
        "/deliveries/resend", json={"template": failed.template}, headers=working.admin()
    )
    assert answer.json() == {"resent": 1}
    [sent] = await working.wait_for_status("sent", recipient_id=event.candidate_id)
    assert sent.id == failed.id
    assert sent.attempts == 1  # counted afresh
    assert smtp_server.to("priya.later@example.org")


async def test_admins_send_failed_emails_again_from_their_page(
    start_notifications: Callable[..., Any], failing_smtp_server: Callable[..., Any]
) -> None:
    service, _, failed = await _given_up(start_notifications, failing_smtp_server)
    secret = service.runtime.settings.token_secret.get_secret_value()

    def browser(principal: Principal) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=service.http._transport,
            base_url="http://n",
            cookies={"rtw_session": issue_session_token(secret, principal), "rtw_csrf": "c" * 32},
        )

    async with browser(Principal("someone", Role.CANDIDATE)) as candidate:
        assert (await candidate.get("/admin/failed-emails")).status_code == 303
        posted = await candidate.post("/admin/failed-emails/resend", data={"csrf_token": "c" * 32})
        assert posted.status_code == 303
        assert "staff-sign-in" in posted.headers["location"]
    assert (await service.deliveries(id=failed.id))[0].status == "failed"

    async with browser(Principal("admin-1", Role.ADMIN)) as admin:
        page = await admin.get("/admin/failed-emails")
        assert page.status_code == 200
        assert "Send all 1 again" in page.text
        assert "451" in page.text
        assert "priya.later@example.org" not in page.text  # the reason, not the person

        no_token = await admin.post("/admin/failed-emails/resend", data={"delivery_id": str(failed.id)})
        assert no_token.status_code == 400
        assert "form" in no_token.text.lower()
        assert (await service.deliveries(id=failed.id))[0].status == "failed"

        unknown = await admin.post(
            "/admin/failed-emails/resend", data={"csrf_token": "c" * 32, "delivery_id": str(uuid4())}
        )
        assert unknown.status_code == 404

        one = await admin.post(
            "/admin/failed-emails/resend", data={"csrf_token": "c" * 32, "delivery_id": str(failed.id)}
        )
        assert one.status_code == 303
        assert one.headers["location"].endswith("/admin/failed-emails?resent=1")
    [row] = await service.deliveries(id=failed.id)
    assert row.status in {"pending", "failed"}  # back in the queue (and failing again on this server)
    assert row.next_attempt_at is not None


async def test_notify_receipts_record_bounces_and_deliveries_with_the_callback_token(
    start_notifications: Callable[..., Any], smtp_server: Mailbox
) -> None:
    service = await start_notifications(
        smtp_host="127.0.0.1", smtp_port=smtp_server.port, notify_callback_token=CALLBACK_TOKEN
    )
    bounce, fine = contact("nobody.here@example.org"), contact("priya@example.org")
    await service.deliver(bounce)
    await service.deliver(fine)
    [bounced] = await service.wait_for_status("sent", recipient_id=bounce.candidate_id)
    [delivered] = await service.wait_for_status("sent", recipient_id=fine.candidate_id)
    token = {"Authorization": f"Bearer {CALLBACK_TOKEN}"}

    def receipt(delivery: Delivery, status: str) -> dict[str, Any]:
        return {
            "id": str(uuid4()),
            "reference": str(delivery.id),
            "to": "hidden",
            "status": status,
            "notification_type": "email",
        }

    assert (
        await service.http.post("/notify/receipts", json=receipt(bounced, "permanent-failure"))
    ).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert (
        await service.http.post("/notify/receipts", json=receipt(bounced, "permanent-failure"), headers=wrong)
    ).status_code == 401
    assert (await service.deliveries(id=bounced.id))[0].status == "sent"

    bounces_before = emails("bounced")
    answer = await service.http.post(
        "/notify/receipts", json=receipt(bounced, "permanent-failure"), headers=token
    )
    assert answer.json() == {"recorded": True}
    [row] = await service.deliveries(id=bounced.id)
    assert (row.status, row.last_error) == ("bounced", "GOV.UK Notify: permanent-failure")
    assert emails("bounced") == bounces_before + 1

    await service.http.post("/notify/receipts", json=receipt(delivered, "delivered"), headers=token)
    assert (await service.deliveries(id=delivered.id))[0].status == "delivered"

    unknown = await service.http.post(
        "/notify/receipts", json=receipt(Delivery.model_construct(id=uuid4()), "delivered"), headers=token
    )
    assert unknown.json() == {"recorded": False}
    bad = await service.http.post("/notify/receipts", json={"id": "x", "status": "lost"}, headers=token)
    assert bad.status_code == 422
    assert "Unknown receipt status 'lost'" in bad.json()["detail"]

    # A bounce is not sent again: the same address would bounce again.
    again = await service.http.post("/deliveries/resend", json={}, headers=service.admin())
    assert again.json() == {"resent": 0}


async def test_the_cli_sends_failed_emails_again_with_a_filter(
    start_notifications: Callable[..., Any],
    failing_smtp_server: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service, event, failed = await _given_up(start_notifications, failing_smtp_server)
    await service.runtime.stop()
    monkeypatch.setenv("RTW_DATABASE_URL", service.runtime.settings.database_url.get_secret_value())
    runner = CliRunner()

    async def rtw(*arguments: str) -> Any:  # the command runs its own event loop
        return await asyncio.to_thread(runner.invoke, cli, list(arguments))

    other = await rtw("resend", "--recipient-id", str(uuid4()), "--dry-run")
    assert other.exit_code == 0, other.output
    assert "would send again: 0" in other.output

    bad = await rtw("resend", "--since", "yesterday")
    assert bad.exit_code == 2
    assert "--since must be a day as YYYY-MM-DD" in bad.output

    today = datetime.now(UTC).strftime("%Y-%m-%d")
    done = await rtw("resend", "--recipient-id", str(event.candidate_id), "--since", today)
    assert done.exit_code == 0, done.output
    assert "sending again: 1" in done.output
    [row] = await service.deliveries(id=failed.id)
    assert (row.status, row.attempts) == ("pending", 0)
    assert isinstance(row.id, UUID)


async def test_hostile_notify_receipts_are_refused_without_a_server_error(
    start_notifications: Callable[..., Any], smtp_server: Mailbox
) -> None:
    service = await start_notifications(
        smtp_host="127.0.0.1", smtp_port=smtp_server.port, notify_callback_token=CALLBACK_TOKEN
    )
    fine = contact("priya@example.org")
    await service.deliver(fine)
    [sent] = await service.wait_for_status("sent", recipient_id=fine.candidate_id)
    token = {"Authorization": f"Bearer {CALLBACK_TOKEN}", "Content-Type": "application/json"}
    hostile: list[bytes] = [
        b'{"id": "x", "status": ["delivered"]}',
        b'{"id": "x", "status": {"a": 1}}',
        b'{"id": "a\\u0000b", "status": "delivered"}',
        b"[" * 50_000 + b"]" * 50_000,
        b'{"id": "x", "status": "delivered", "reference": 12}',
        b"\xff\xfe not utf-8",
        b"",
        b"null",
    ]
    for body in hostile:
        answer = await service.http.post("/notify/receipts", content=body, headers=token)
        assert 400 <= answer.status_code < 500, (body[:60], answer.status_code, answer.text[:200])
    assert (await service.deliveries(id=sent.id))[0].status == "sent"


@pytest.mark.unit
@pytest.mark.parametrize("option", ["--since", "--recipient-id"])
@pytest.mark.parametrize("value", ["[/]", "[bold]x", "x" * 5000])
def test_resend_refuses_a_wrong_filter_in_one_line_whatever_it_holds(
    option: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Brackets are printed, not read as terminal markup (which ended in exit 4), and a huge value
    is cut short so the refusal stays one line."""
    monkeypatch.setenv("RTW_DATABASE_URL", "postgresql+asyncpg://nobody@127.0.0.1:9/none")
    monkeypatch.setenv("COLUMNS", "80")
    result = CliRunner().invoke(cli, ["resend", option, value, "--dry-run"])
    assert result.exit_code == 2, (result.output, result.exception)
    assert f"{option} must be" in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
