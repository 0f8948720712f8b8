"""No credential on the bus, and assessment blind, over the real broker with all five services:
a candidate applies without signing in and asks for a link again, a council is approved and
invites a colleague, an admin registers an assessor and sends them a link from the pages, the
assessor asks for another. Every link arrives by e-mail and works once; a queue bound to every routing
key (anyone able to read a queue) and every service's outbox hold none of them, nor anything
shaped like a token, and the messages that reach assessment name nobody."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from typing import Any

import aio_pika
import httpx
import pytest
from rtw_applications.app import SERVICE as APPLICATIONS
from rtw_assessment.app import SERVICE as ASSESSMENT
from rtw_matching.app import SERVICE as MATCHING
from rtw_notifications.app import SERVICE as NOTIFICATIONS
from rtw_platform.auth import Principal, Role, issue_session_token, issue_token
from rtw_platform.registry import installed_services
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import BrokerNamespace, app_for
from rtw_platform.testing.mail import Mailbox, serve_mailbox
from rtw_platform.testing.waiting import eventually
from rtw_training.app import SERVICE as TRAINING
from sqlalchemy import text

pytestmark = pytest.mark.e2e

PORTAL = "https://returners.example"
WALSALL = "E08000030"
#: A signed token (JWT) or a link to sign in or unsubscribe, wherever it appears.
CREDENTIAL = re.compile(r"eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}|/sign-in/|unsubscribe/", re.IGNORECASE)
LINK = re.compile(r"https://returners\.example/(?:applications|matching/recruiters)/sign-in/([\w.-]+)")


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    yield from serve_mailbox()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def link_token(mailbox: Mailbox, address: str, count: int) -> str:
    """The token of the sign-in link in the `count`-th e-mail with a link to `address`."""

    async def with_links() -> list[str]:
        found = [m for m in mailbox.to(address) if LINK.search(m.text)]
        return [LINK.search(m.text).group(1) for m in found] if len(found) >= count else []  # type: ignore[union-attr]

    return (await eventually(with_links, timeout=30, what=f"{count} link(s) e-mailed to {address}"))[
        count - 1
    ]


async def test_links_arrive_by_e_mail_and_work_while_no_queue_or_outbox_holds_one(
    start_service: Callable[..., Any],
    make_application: Callable[..., dict[str, Any]],
    broker_namespace: BrokerNamespace,
    mailbox: Mailbox,
) -> None:
    # Anyone able to read a queue: one bound to every routing key, declared before anything runs.
    tap_name = f"{broker_namespace.prefix}tap.everything"
    broker_namespace.extra_queues.add(tap_name)
    connection = await aio_pika.connect(broker_namespace.amqp_url)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(
        f"{broker_namespace.prefix}rtw.events", aio_pika.ExchangeType.TOPIC, durable=True
    )
    tap = await channel.declare_queue(tap_name, durable=False, auto_delete=True)
    await tap.bind(exchange, routing_key="#")
    seen: list[tuple[str, bytes]] = []

    async def record(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        seen.append((message.routing_key or "", message.body))
        await message.ack()

    await tap.consume(record)

    applications: ServiceRuntime = await start_service(APPLICATIONS, public_url=PORTAL)
    matching: ServiceRuntime = await start_service(MATCHING, public_url=PORTAL)
    notifications: ServiceRuntime = await start_service(
        NOTIFICATIONS, public_url=PORTAL, smtp_port=mailbox.port, dispatch_interval_s=0.1
    )
    assessment: ServiceRuntime = await start_service(ASSESSMENT, public_url=PORTAL)
    training: ServiceRuntime = await start_service(TRAINING, public_url=PORTAL)
    runtimes = [applications, assessment, training, matching, notifications]
    secret = matching.settings.token_secret.get_secret_value()
    admin = bearer(issue_token(secret, Principal(subject="admin-1", role=Role.ADMIN)))

    apps = httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(applications)), base_url="http://a")
    match = httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(matching)), base_url="http://m")
    try:
        async with apps, match:
            # A candidate applies without signing in: the link to see it comes by e-mail.
            form = make_application()
            sent = await apps.post("/applications", json=form)
            assert sent.status_code == 202, sent.text
            first = await link_token(mailbox, form["email"], 1)
            signed_in = await apps.post("/sign-in/token", json={"token": first})
            assert signed_in.status_code == 200, signed_in.text
            candidate = bearer(signed_in.json()["access_token"])
            mails = " ".join(m.text for m in mailbox.to(form["email"]))
            leads_to = re.search(r"\?next=/applications/application/([0-9a-f-]{36})/check-answers", mails)
            assert leads_to is not None  # the link leads to the application, for its owner to send
            mine = await apps.get(f"/applications/{leads_to.group(1)}", headers=candidate)
            assert mine.status_code == 200, mine.text
            sent_by_owner = await apps.post(f"/applications/{leads_to.group(1)}/submit", headers=candidate)
            assert sent_by_owner.status_code == 200, sent_by_owner.text  # now it is submitted
            assert (await apps.post("/sign-in/token", json={"token": first})).status_code == 403  # once

            # They ask for a new link later: it works too.
            asked = await apps.post("/sign-in", json={"email": form["email"]})
            assert asked.status_code == 202
            second = await link_token(mailbox, form["email"], 2)
            assert second != first
            assert (await apps.post("/sign-in/token", json={"token": second})).status_code == 200

            # A council is claimed and approved: its contact's invitation comes by e-mail.
            contact = "morag.fairweather@walsall.example"
            claimed = await match.post(
                "/councils",
                json={"gss_code": WALSALL, "contact_name": "Morag Fairweather", "contact_email": contact},
            )
            assert claimed.status_code == 201, claimed.text
            council_id = claimed.json()["council_id"]
            approved = await match.post(
                f"/council-claims/{claimed.json()['claim_id']}/approve", headers=admin
            )
            assert approved.status_code == 200, approved.text
            invitation = await link_token(mailbox, contact, 1)
            recruiter = await match.post("/recruiters/sign-in/token", json={"token": invitation})
            assert recruiter.status_code == 200, recruiter.text
            council = bearer(recruiter.json()["access_token"])
            assert (await match.get(f"/councils/{council_id}", headers=council)).status_code == 200

            # The recruiter invites a colleague, who signs in for the same council only.
            colleague = "jo.evans@walsall.example"
            invited = await match.post(
                f"/councils/{council_id}/recruiters",
                json={"name": "Jo Evans", "email": colleague},
                headers=council,
            )
            assert invited.status_code == 201, invited.text
            theirs = await link_token(mailbox, colleague, 1)
            joined = await match.post("/recruiters/sign-in/token", json={"token": theirs})
            assert joined.status_code == 200, joined.text
            assert (await match.post("/recruiters/sign-in/token", json={"token": theirs})).status_code == 403

            # An admin registers an assessor (assessment tells notifications, without any address)
            # and gives their address on notifications' page, where the link is made; the
            # assessor later asks for a new one.
            staff_address = "jo.okafor@lga.example"
            assess = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app_for(assessment)), base_url="http://s"
            )
            async with assess:
                body = {"id": "jo-okafor", "display_name": "Jo Okafor", "programmes": ["ict"]}
                registered = await assess.put("/assessors/jo-okafor", json=body, headers=admin)
                assert registered.status_code == 200, registered.text
            admin_session = issue_session_token(secret, Principal(subject="admin-1", role=Role.ADMIN))
            staff_pages = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app_for(notifications)),
                base_url="http://n",
                cookies={"rtw_csrf": "csrf", "rtw_session": admin_session},
            )
            async with staff_pages:

                async def notifications_knows_the_assessor() -> bool:
                    form_page = await staff_pages.get("/admin/staff/send?role=assessor&staff_id=jo-okafor")
                    return form_page.status_code == 200

                await eventually(notifications_knows_the_assessor, timeout=30, what="AssessorChanged handled")
                fields = {
                    "role": "assessor",
                    "staff_id": "jo-okafor",
                    "name": "Jo Okafor",
                    "email": staff_address,
                }
                given = await staff_pages.post("/admin/staff/send", data={"csrf_token": "csrf", **fields})
                assert given.status_code == 303, given.text
                staff_first = await link_token(mailbox, staff_address, 1)
                asked = await staff_pages.post(
                    "/staff/sign-in", data={"csrf_token": "csrf", "email": staff_address}
                )
                assert asked.status_code == 303, asked.text
                staff_second = await link_token(mailbox, staff_address, 2)
            # Each link signs the assessor in on the pages once (applications redeems it).
            for staff_token in (staff_first, staff_second):
                async with httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app_for(applications)),
                    base_url="http://a",
                    cookies={"rtw_csrf": "csrf"},
                ) as browser:
                    used = await browser.post(f"/sign-in/{staff_token}", data={"csrf_token": "csrf"})
                    assert used.status_code == 303, used.text
                    assert used.headers["location"] == "/assessment/queue"
                    again = await browser.post(f"/sign-in/{staff_token}", data={"csrf_token": "csrf"})
                    assert again.status_code == 403, again.text

            tokens = [first, second, invitation, theirs, staff_first, staff_second]

            async def everything_published() -> bool:
                for runtime in runtimes:
                    async with runtime.engine.connect() as conn:
                        waiting = await conn.execute(
                            text(
                                f"SELECT count(*) FROM {runtime.definition.schema}.outbox WHERE published_at IS NULL"
                            )
                        )
                        if waiting.scalar_one():
                            return False
                return True

            await eventually(everything_published, timeout=30, what="every outbox row published")
            await asyncio.sleep(1.0)  # the tap drains what was just published
    finally:
        await connection.close()

    # What anyone reading a queue saw, and what every outbox keeps.
    payloads = [(key, body.decode()) for key, body in seen]
    for runtime in runtimes:
        async with runtime.engine.connect() as conn:
            rows = await conn.execute(
                text(f"SELECT routing_key, payload::text FROM {runtime.definition.schema}.outbox")
            )
            payloads.extend((row[0], row[1]) for row in rows)
    for key, payload in payloads:
        assert not CREDENTIAL.search(payload), (key, payload)
        assert staff_address not in payload, key  # staff addresses stay with notifications
        assert not [t for t in tokens if t in payload or t.split(".")[-1] in payload], key
    keys = {key for key, _ in payloads}
    assert {
        "application.submitted.v2",
        "application.contact-given.v1",
        "candidate.sign-in-requested.v2",
        "council.recruiter-invited.v2",
        "assessment.assessor-changed.v1",
    } <= keys

    # Assessment's queues carried nothing that names or reaches the candidate.
    assessment_keys = {s.event.ROUTING_KEY for s in installed_services()["assessment"].subscriptions}
    for key, payload in payloads:
        if key in assessment_keys:
            for personal in (form["email"], form["given_name"], form["family_name"], form["phone"]):
                assert personal.lower() not in payload.lower(), (key, personal)
