"""An outside team subscribed to every service that publishes to it: the teams file grants it one
event of applications, assessment, training and matching (with purposes); the real `rtw broker
setup` makes every service's broker user and the team's in a throwaway vhost; the four services
run there, each as its own user, and the example consumer (examples/subscriber/) runs as the team.

Driven through the services' public APIs and handlers: a candidate applies (applications), is
screened (assessment's handler of the submission), is selected (the final decision published with
assessment's user, as the running assessment would after its stages) and enrolled (training's
handler), a council's claim is approved (matching), and a member of staff signs out on
notifications' pages (SessionEnded, the one event notifications publishes: its contract's producer
is `platform`, the body names the service, whose broker user must have sent it). The consumer receives exactly the granted
events, each valid against the exported schemas and from its producer's broker user (the consumer
checks `user_id` against `producer` and rejects anything else: here only a sign-out naming
notifications sent with matching's user), and on
CandidateErased erases everything about the candidate, keeping the council."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import aio_pika
import httpx
import pytest
from rtw_applications.app import SERVICE as APPLICATIONS
from rtw_applications.testing import submitted_application
from rtw_assessment.app import SERVICE as ASSESSMENT
from rtw_contracts import (
    ApplicationSubmittedV2,
    AssessmentScored,
    CandidateErased,
    CouncilRegistered,
    Event,
    SessionEnded,
    TrainingEnrolled,
)
from rtw_contracts.examples import example
from rtw_matching.app import SERVICE as MATCHING
from rtw_notifications.app import SERVICE as NOTIFICATIONS
from rtw_platform.auth import Principal, Role, issue_token, sign_in_link
from rtw_platform.publishers import amqp_user
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.broker_users import DEFINITIONS, Broker
from rtw_platform.testing.fixtures import app_for
from rtw_platform.testing.waiting import eventually
from rtw_training.app import SERVICE as TRAINING

from .test_outside_team import Consumer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

GRANTED = {
    ApplicationSubmittedV2.ROUTING_KEY: "applications",
    AssessmentScored.ROUTING_KEY: "assessment",
    TrainingEnrolled.ROUTING_KEY: "training",
    CouncilRegistered.ROUTING_KEY: "matching",
    SessionEnded.ROUTING_KEY: "notifications",
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TEAMS = "\n".join(
    [
        '[[teams]]\nname = "tester"\ncontact = "tester@example.gov.uk"',
        *(
            f'[[teams.grants]]\nrouting_key = "{key}"\npurpose = "Invite returners to a jobs fair."\n'
            'keep_for = "Until the fair, at most three months."'
            for key in GRANTED
        ),
    ]
)
WALSALL = "E08000030"


async def test_an_outside_team_receives_what_each_service_was_granted_to_it_and_erases(
    broker: Broker,
    tmp_path: Path,
    start_service: Callable[..., Any],
    make_application: Callable[..., dict[str, Any]],
) -> None:
    broker.add_password("ext-tester")
    teams = tmp_path / "teams.toml"
    teams.write_text(TEAMS)
    made = broker.rtw("broker", "setup", "--definitions", str(DEFINITIONS), "--teams", str(teams))
    assert made.returncode == 0, made.stderr

    def as_deployed(service: str) -> dict[str, Any]:
        return {
            "amqp_url": broker.url(service),
            "topology_prefix": "",
            "publisher_user": f"{broker.settings.user_prefix}rtw-{{service}}",
        }

    store = f"file://{tmp_path}"
    applications: ServiceRuntime = await start_service(
        APPLICATIONS, file_store_url=store, **as_deployed("applications")
    )
    await start_service(ASSESSMENT, file_store_url=store, **as_deployed("assessment"))
    training: ServiceRuntime = await start_service(TRAINING, **as_deployed("training"))
    matching: ServiceRuntime = await start_service(MATCHING, **as_deployed("matching"))
    notifications: ServiceRuntime = await start_service(
        NOTIFICATIONS, dispatch_interval_s=3600, **as_deployed("notifications")
    )
    consumer = Consumer(broker, tmp_path / "inbox.sqlite3", *GRANTED)
    try:
        await eventually(lambda: _said(consumer, "bound "), timeout=30, what="the consumer to bind")
        apps = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app_for(applications)), base_url="http://a"
        )
        match = httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(matching)), base_url="http://m")
        train = httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(training)), base_url="http://t")
        async with apps, match, train:
            secret = applications.settings.token_secret.get_secret_value()
            admin = {"Authorization": f"Bearer {issue_token(secret, Principal('admin-1', Role.ADMIN))}"}
            form = make_application()
            receipt = await submitted_application(apps, secret, form)
            candidate_id = receipt["candidate_id"]
            application_id = UUID(receipt["application_id"])
            # Applications' submission, and assessment's screening of it (its handler).
            await eventually(lambda: _said(consumer, "accepted application.submitted"), what="the submission")
            await eventually(lambda: _said(consumer, "accepted assessment.scored"), what="the screening")

            # The final selection, as assessment publishes it after its stages; training enrols.
            selected = example(
                AssessmentScored,
                event_id=uuid4(),
                correlation_id=application_id,
                application_id=application_id,
                candidate_id=UUID(candidate_id),
                cohort_id=form["cohort_id"],
                stage="final",
                outcome="selected",
                sequence=9,
                decided_at=datetime.now(UTC),
            )
            await _publish_as(broker.url("assessment"), "assessment", selected)
            await eventually(lambda: _said(consumer, "accepted training.enrolled"), what="the enrolment")

            # Matching: a council's claim, approved by a programme admin.
            claimed = await match.post(
                "/councils",
                json={
                    "gss_code": WALSALL,
                    "contact_name": "Morag Fairweather",
                    "contact_email": "morag.fairweather@walsall.example",
                    "specialisms_needed": ["software_developer"],
                    "flexible_working_offered": ["part_time"],
                },
            )
            assert claimed.status_code == 201, claimed.text
            approved = await match.post(
                f"/council-claims/{claimed.json()['claim_id']}/approve", headers=admin
            )
            assert approved.status_code == 200, approved.text
            await eventually(lambda: _said(consumer, "accepted council.registered"), what="the council")

            # Notifications: a member of staff, signed in from an e-mailed link, signs out there.
            link = sign_in_link(secret, Principal("admin-1", Role.ADMIN), "http://entry")
            cookie = await _signed_in(apps, link.removeprefix("http://entry/applications"))
            staff = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app_for(notifications)),
                base_url="http://n",
                cookies={"rtw_session": cookie},
            )
            async with staff:
                signed_out = await _post_form(staff, "/admin/failed-emails", "/account/sign-out")
                assert signed_out.status_code == 303, signed_out.text
            await eventually(lambda: _said(consumer, "accepted session.ended"), what="the sign-out")
            # Naming notifications does not make another service's user notifications.
            forged = example(SessionEnded, event_id=uuid4(), producer="notifications")
            await _publish_as(broker.url("matching"), "matching", forged)
            await eventually(lambda: _said(consumer, "rejected session.ended"), what="the forged sign-out")

            erased = await apps.post(f"/candidates/{candidate_id}/erasure", headers=admin)
            assert erased.status_code == 200, erased.text
            await eventually(lambda: _said(consumer, f"erased {CandidateErased.ROUTING_KEY}"), what="erasure")
    finally:
        code = consumer.stop()
    output = "".join(consumer.lines)
    assert code == 0, output
    # Exactly the granted keys and the erasure notice arrived (the services published many more),
    # every one valid and from its producer's broker user: only the forged sign-out was rejected.
    assert {key for (key,) in consumer.rows("SELECT routing_key FROM processed")} == {
        *GRANTED,
        CandidateErased.ROUTING_KEY,
    }, output
    [(reason,)] = consumer.rows("SELECT reason FROM rejected")
    assert str(reason).startswith(f"published by broker user '{broker.users['matching']}', not by "), reason
    assert len(consumer.said("rejected")) == 1, output
    # Everything about the candidate is gone; the council's registration and the session are kept.
    kept = consumer.rows("SELECT routing_key, candidate_id FROM records")
    assert sorted(kept) == [(CouncilRegistered.ROUTING_KEY, None), (SessionEnded.ROUTING_KEY, None)], kept
    [(erased_candidate, records)] = consumer.rows("SELECT candidate_id, records FROM erasures")
    assert erased_candidate == candidate_id
    assert isinstance(records, int)
    assert records >= 4  # the submission, its screening, the selection, the enrolment


async def _said(consumer: Consumer, start: str) -> bool:
    assert consumer.process.poll() is None, "".join(consumer.lines)
    return bool(consumer.said(start))


async def _post_form(browser: httpx.AsyncClient, page: str, path: str) -> httpx.Response:
    shown = await browser.get(page)
    found = CSRF.search(shown.text)
    assert found, f"no form on {page}: {shown.status_code}"
    return await browser.post(path, data={"csrf_token": found.group(1)})


async def _signed_in(browser: httpx.AsyncClient, path: str) -> str:
    """Follow an e-mailed sign-in link (its form), as a person does: the session cookie it set."""
    signed_in = await _post_form(browser, path, path)
    assert signed_in.status_code == 303, signed_in.text
    return str(browser.cookies["rtw_session"])


async def _publish_as(url: str, service: str, event: Event) -> None:
    """Publish as a service's broker user, with its `user_id` (RabbitMQ holds it to the user),
    to its own exchange `rtw.publish.<service>`: the only one a service's user may publish to."""
    connection = await aio_pika.connect(url, timeout=10)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(f"rtw.publish.{service}", ensure=False)
        await exchange.publish(
            aio_pika.Message(
                event.model_dump_json().encode(),
                message_id=str(event.event_id),
                user_id=amqp_user(url),
                app_id=event.producer,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=event.ROUTING_KEY,
        )
    finally:
        await connection.close()
