"""The dispatcher: sends owed messages, retries with backoff, records permanent failures.

Rows are claimed with FOR UPDATE SKIP LOCKED, so several replicas share the work. A message is
marked sent in the claim's transaction; if the process dies between the server accepting the
message and that commit, it is sent again (at least once)."""

from __future__ import annotations

import asyncio
import contextlib
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from rtw_platform.logging import get_logger
from rtw_platform.service import ServiceRuntime
from rtw_platform.tracing import span_after
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from .channels import EmailChannel, OutgoingEmail, PermanentFailure, channel_for
from .domain import retry_delay_s
from .metrics import EMAILS
from .settings import NotificationsSettings, notifications_settings
from .store import claim_due, mark_failed, mark_sent, schedule_retry

log = get_logger(__name__)


async def dispatch_once(runtime: ServiceRuntime, channel: EmailChannel) -> int:
    """Send one batch of due messages, to up to `dispatch_concurrency` people at a time (sending is
    waiting on the mail server; each person's messages in the order they were written); how many
    were attempted. The outcomes are recorded in the claim's transaction once every send of the
    batch has ended."""
    settings = notifications_settings(runtime.settings)
    async with runtime.engine.begin() as conn:
        rows = await claim_due(conn, settings.dispatch_batch_size)
        slots = asyncio.Semaphore(settings.dispatch_concurrency)
        outcomes: dict[Any, str | BaseException] = {}

        async def send_in_order(messages: list[Row[Any]]) -> None:
            # One person's messages go one after another, oldest first, so they arrive in the
            # order they were written ("received" before "not eligible").
            async with slots:
                for row in messages:
                    email = OutgoingEmail(
                        to=row.to_address,
                        subject=row.subject,
                        text=row.body_text,
                        html=row.body_html,
                        reference=str(row.id),
                        calendar=row.calendar,
                    )
                    with sending_span(row) as span:
                        try:
                            outcomes[row.id] = await channel.send(email)
                        except Exception as exc:  # recorded below, per message
                            outcomes[row.id] = exc
                        note_outcome(span, outcomes[row.id])

        by_recipient: dict[str, list[Row[Any]]] = {}
        for row in rows:
            by_recipient.setdefault(row.to_address.lower(), []).append(row)
        await asyncio.gather(*(send_in_order(messages) for messages in by_recipient.values()))
        sent = [row for row in rows if isinstance(outcomes[row.id], str)]
        if sent:  # one statement for every message sent
            await mark_sent(conn, [(row.id, str(outcomes[row.id])) for row in sent])
        for row in rows:
            await _record(conn, settings, row, outcomes[row.id])
    return len(rows)


def sending_span(row: Row[Any]) -> AbstractContextManager[Span | None]:
    """The span of sending one e-mail, in the trace of the event that owed it (when traced): it
    names the delivery and its template, never the address or the content."""
    return span_after(
        row.traceparent,
        "email send",
        kind=SpanKind.CLIENT,
        **{"rtw.delivery_id": str(row.id), "rtw.template": row.template, "rtw.attempt": row.attempts + 1},
    )


def note_outcome(span: Span | None, outcome: str | BaseException) -> None:
    """Mark the sending span with what happened (the error's kind, not its text: a mail server's
    answer may quote the address)."""
    if span is None:
        return
    if isinstance(outcome, BaseException):
        kind = "failed" if isinstance(outcome, PermanentFailure) else "retry"
        span.set_attribute("rtw.email_outcome", kind)
        span.set_status(Status(StatusCode.ERROR, type(outcome).__name__))
    else:
        span.set_attribute("rtw.email_outcome", "sent")


async def _record(
    conn: AsyncConnection, settings: NotificationsSettings, row: Row[Any], outcome: str | BaseException
) -> None:
    """Sent (written already, with the batch's others), failed for good, or due again after a
    backoff."""
    if isinstance(outcome, str):
        EMAILS.labels("sent").inc()
        log.info("delivery_sent", delivery_id=str(row.id))
    elif isinstance(outcome, PermanentFailure):
        EMAILS.labels("failed").inc()
        log.warning("delivery_failed", delivery_id=str(row.id), error=str(outcome)[:300])
        await mark_failed(conn, row.id, str(outcome)[:2000])
    else:  # transient, or unexpected: either way, try again later
        attempts = row.attempts + 1
        if attempts >= settings.delivery_max_attempts:
            EMAILS.labels("failed").inc()
            log.warning("delivery_gave_up", delivery_id=str(row.id), attempts=attempts)
            error = f"gave up after {attempts} attempts: {outcome}"[:2000]
            await mark_failed(conn, row.id, error)
        else:
            EMAILS.labels("retried").inc()
            backoff = retry_delay_s(
                attempts, base_s=settings.retry_base_s, cap_s=settings.retry_max_backoff_s
            )
            log.info("delivery_retry", delivery_id=str(row.id), attempts=attempts, retry_in_s=backoff)
            next_attempt = datetime.now(UTC) + timedelta(seconds=backoff)
            await schedule_retry(conn, row.id, str(outcome)[:2000], next_attempt)


async def run_dispatcher(runtime: ServiceRuntime) -> None:
    """Background loop: send what is due, then wait a little."""
    settings = notifications_settings(runtime.settings)
    if not settings.dispatch_enabled:
        return
    channel = channel_for(settings)
    try:
        while True:
            try:
                attempted = await dispatch_once(runtime, channel)
            except Exception as exc:  # the database may be away: try again shortly
                log.warning("dispatcher_waiting", error=repr(exc))
                attempted = 0
            if attempted < settings.dispatch_batch_size:
                await asyncio.sleep(settings.dispatch_interval_s)
    finally:
        with contextlib.suppress(Exception):
            await asyncio.shield(channel.close())
