"""Erasure everywhere, over the real broker with all five services: a returner applies, is
selected (published as assessment would), is enrolled on training, and is hired by a council
(claimed, approved, signed in from the e-mailed link) that posted a vacancy and reached out.
Then they are erased: every service processes CandidateErased; no API of any service answers
with them, no outbox row or stored row of any schema holds them, every figure (applications'
reports, assessment's funnel, training's counts, the council's hires) is what it was, and
nobody is promoted into their place (docs/privacy.md)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import aio_pika
import httpx
import pytest
from rtw_applications.app import SERVICE as APPLICATIONS
from rtw_applications.testing import submitted_application
from rtw_assessment.app import SERVICE as ASSESSMENT
from rtw_contracts import AssessmentScored
from rtw_contracts.examples import example
from rtw_matching.app import SERVICE as MATCHING
from rtw_notifications.app import SERVICE as NOTIFICATIONS
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.erasure import (
    PersonTraces,
    assert_answers_without,
    assert_counts_unchanged,
    outbox_rows_with,
    stored_rows_with,
)
from rtw_platform.testing.fixtures import BrokerNamespace, app_for
from rtw_platform.testing.mail import Mailbox, serve_mailbox
from rtw_platform.testing.waiting import eventually
from rtw_training.app import SERVICE as TRAINING
from sqlalchemy import text

pytestmark = pytest.mark.e2e

WALSALL = "E08000030"
SALARY = {"min_pence": 3_200_000, "max_pence": 3_800_000}
LINK = re.compile(r"/matching/recruiters/sign-in/([\w.-]+)")


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    yield from serve_mailbox()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def client(runtime: ServiceRuntime) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(runtime)), base_url="http://svc")


async def ok(http: httpx.AsyncClient, path: str, headers: Mapping[str, str]) -> Any:
    answer = await http.get(path, headers=dict(headers))
    assert answer.status_code == 200, f"GET {path}: {answer.status_code} {answer.text}"
    return answer.json()


async def all_published(runtimes: list[ServiceRuntime]) -> bool:
    for runtime in runtimes:
        async with runtime.engine.connect() as conn:
            waiting = await conn.execute(
                text(f"SELECT count(*) FROM {runtime.definition.schema}.outbox WHERE published_at IS NULL")
            )
            if waiting.scalar_one():
                return False
    return True


async def test_an_erased_hire_is_gone_from_every_service_and_every_figure_stays(
    start_service: Callable[..., Any],
    make_application: Callable[..., dict[str, Any]],
    broker_namespace: BrokerNamespace,
    mailbox: Mailbox,
) -> None:
    applications: ServiceRuntime = await start_service(APPLICATIONS)
    assessment: ServiceRuntime = await start_service(ASSESSMENT)
    training: ServiceRuntime = await start_service(TRAINING)
    matching: ServiceRuntime = await start_service(MATCHING)
    notifications: ServiceRuntime = await start_service(
        NOTIFICATIONS, smtp_port=mailbox.port, dispatch_interval_s=0.1
    )
    runtimes = [applications, assessment, training, matching, notifications]
    secret = applications.settings.token_secret.get_secret_value()
    admin = bearer(issue_token(secret, Principal(subject="admin-1", role=Role.ADMIN)))

    connection = await aio_pika.connect(broker_namespace.amqp_url)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(
        f"{broker_namespace.prefix}rtw.events", aio_pika.ExchangeType.TOPIC, durable=True
    )
    apps, assess, train, match, notify = (client(r) for r in runtimes)
    try:
        async with apps, assess, train, match, notify:
            # A council is claimed, approved, and its contact signs in from the e-mailed link.
            signed_up = await match.post(
                "/councils",
                json={
                    "gss_code": WALSALL,
                    "contact_name": "Morag Fairweather",
                    "contact_email": "morag.fairweather@walsall.example",
                    "specialisms_needed": ["software_developer"],
                    "flexible_working_offered": ["part_time", "hybrid"],
                },
            )
            assert signed_up.status_code == 201, signed_up.text
            council_id = signed_up.json()["council_id"]
            approved = await match.post(
                f"/council-claims/{signed_up.json()['claim_id']}/approve", headers=admin
            )
            assert approved.status_code == 200, approved.text
            mails = await mailbox.wait_for("morag.fairweather@walsall.example", count=2, timeout=30)
            [link] = [found for found in (LINK.search(m.text) for m in mails) if found]
            signed_in = await match.post("/recruiters/sign-in/token", json={"token": link.group(1)})
            assert signed_in.status_code == 200, signed_in.text
            council = bearer(signed_in.json()["access_token"])

            provider = {"id": "socitm", "name": "Socitm", "cohorts": ["ict-test"]}
            assert (await train.put("/providers/socitm", json=provider, headers=admin)).status_code == 200

            # The returner applies (a partner's service, with an admin's token) and is selected.
            form = make_application(
                given_name="Ottoline",
                family_name="Quarrington",
                email=f"ottoline.{uuid4().hex[:8]}@example.org",
            )
            cohort = form["cohort_id"]
            receipt = await submitted_application(apps, secret, form)
            candidate = bearer(receipt["access_token"])
            candidate_id, application_id = receipt["candidate_id"], receipt["application_id"]
            reference = receipt["reference"]
            selected = example(
                AssessmentScored,
                event_id=uuid4(),
                correlation_id=UUID(application_id),
                application_id=UUID(application_id),
                candidate_id=UUID(candidate_id),
                cohort_id=cohort,
                stage="final",
                outcome="selected",
                sequence=9,
                decided_at=datetime.now(UTC),
            )
            await exchange.publish(
                aio_pika.Message(selected.model_dump_json().encode(), message_id=str(selected.event_id)),
                routing_key=selected.ROUTING_KEY,
            )

            async def enrolled() -> dict[str, Any]:
                mine = await ok(train, f"/candidates/{candidate_id}/training", candidate)
                return mine["enrolments"][0] if mine.get("enrolments") else {}

            enrolment: dict[str, Any] = await eventually(
                enrolled, timeout=30, what="the enrolment on training"
            )

            async def in_the_pool() -> list[dict[str, Any]]:
                found = await match.post(f"/councils/{council_id}/search", json={}, headers=council)
                assert found.status_code == 200, found.text
                return [r for r in found.json()["results"] if r["candidate_ref"] == application_id]

            await eventually(in_the_pool, timeout=30, what="the candidate in Walsall's pool")

            # The council posts a vacancy, shortlists, reaches out; the candidate accepts; a hire.
            posted = await match.post(
                f"/councils/{council_id}/vacancies",
                json={
                    "title": "Software developer",
                    "programme": "ict",
                    "specialism": "software_developer",
                    "role": "Software developer",
                    "role_level": "Senior developer",
                    "required_skills": [
                        {"skill": "Programming and build (software engineering)", "level": 3},
                        {"skill": "Systems design", "level": 3},
                    ],
                    "base_postcode_districts": ["WS1"],
                    "work_mode": "hybrid",
                    "flexible_working": ["part_time"],
                    "salary_band": SALARY,
                    "hours_per_week": 30,
                    "closing_date": (datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
                },
                headers=council,
            )
            assert posted.status_code == 201, posted.text
            vacancy_id = posted.json()["vacancy_id"]

            async def proposed() -> list[dict[str, Any]]:
                return [
                    m
                    for m in await ok(match, f"/vacancies/{vacancy_id}/matches", council)
                    if m["candidate_ref"] == application_id
                ]

            await eventually(proposed, timeout=30, what="the candidate proposed for the vacancy")
            shortlisted = await match.post(
                f"/vacancies/{vacancy_id}/shortlist", json={"candidate_ref": application_id}, headers=council
            )
            assert shortlisted.status_code == 201, shortlisted.text
            match_id = shortlisted.json()["match_id"]
            reached = await match.post(f"/matches/{match_id}/reach-out", headers=council)
            assert reached.status_code == 200, reached.text
            accepted = await match.post(
                f"/matches/{match_id}/response", json={"response": "accepted"}, headers=candidate
            )
            assert accepted.status_code == 200, accepted.text
            contact = await ok(match, f"/matches/{match_id}/contact", council)
            assert contact["email"] == form["email"]  # the council had their details
            hired = await match.post(
                f"/matches/{match_id}/outcome",
                json={"hired": True, "start_date": "2027-04-06", "hours_per_week": 30, "salary_band": SALARY},
                headers=council,
            )
            assert hired.json()["status"] == "hired", hired.text

            async def journey_shows_hired() -> bool:
                view = await ok(apps, f"/applications/{application_id}", candidate)
                return bool(view.get("label") == "Hired")

            await eventually(journey_shows_hired, timeout=30, what="the hire in the candidate's journey")

            async def delivered_to_them() -> bool:
                log = await ok(notify, f"/deliveries?recipient_id={candidate_id}", admin)
                return bool(log["total"])

            await eventually(delivered_to_them, timeout=30, what="a message delivered to the candidate")
            await eventually(lambda: all_published(runtimes), timeout=30, what="every outbox published")

            # Every service served them: their own answers, as them and as staff.
            served: list[tuple[httpx.AsyncClient, str, Mapping[str, str]]] = [
                (apps, f"/candidates/{candidate_id}/export", candidate),
                (apps, f"/candidates/{candidate_id}/export", admin),
                (apps, f"/applications/{application_id}", candidate),
                (apps, f"/applications/{application_id}", admin),
                (assess, f"/applications/{application_id}/decisions", admin),
                (train, f"/candidates/{candidate_id}/training", candidate),
                (train, f"/candidates/{candidate_id}/training", admin),
                (train, f"/cohorts/{cohort}/progress", admin),
                (match, f"/candidates/{candidate_id}/matches", candidate),
                (match, f"/vacancies/{vacancy_id}/matches", council),
                (match, f"/matches/{match_id}/contact", council),
                (notify, f"/deliveries?recipient_id={candidate_id}", admin),
                (notify, "/deliveries", admin),
            ]
            phone = contact["phone"]
            traces = PersonTraces.of(
                candidate_id,
                application_id,
                match_id,
                enrolment["enrolment_id"],
                reference,
                form["email"],
                form["given_name"],
                form["family_name"],
                form["phone"],
                phone,
            )
            before_answers = [
                (await http.get(path, headers=dict(headers))).text for http, path, headers in served
            ]
            # Each answer named them before (assessment's decisions name nobody: it is blind).
            for (_, path, _), answer in zip(served, before_answers, strict=True):
                assert traces.found_in(answer) or path.endswith("/decisions"), f"GET {path} did not name them"

            async def figures() -> dict[str, Any]:
                found: dict[str, Any] = {}
                for report in ("funnel", "reach", "fairness", "savings"):
                    found[f"applications {report}"] = await ok(
                        apps, f"/reports/{report}?cohort_id={cohort}", admin
                    )
                    found[f"applications {report} csv"] = (
                        await apps.get(f"/reports/{report}?cohort_id={cohort}&format=csv", headers=admin)
                    ).text
                found["assessment funnel"] = await ok(assess, f"/cohorts/{cohort}/funnel", admin)
                found["training counts"] = await ok(train, f"/cohorts/{cohort}/counts", admin)
                view = await ok(match, f"/councils/{council_id}", council)
                found["council hires"] = view["hires"]
                found["council vacancies"] = view["vacancies"]
                return found

            before = await figures()
            assert before["council hires"] == 1
            assert before["training counts"]["enrolled"] == 1
            assert before["applications funnel"]["steps"][-1] == {
                "step": "hired",
                "people": 1,
                "median_days_to_next": None,
            }

            # They are erased (an admin acts on their request).
            erased = await apps.post(f"/candidates/{candidate_id}/erasure", headers=admin)
            assert erased.status_code == 200, erased.text
            async with applications.engine.connect() as conn:
                event_id = (
                    await conn.execute(
                        text(
                            "SELECT event_id FROM applications.outbox WHERE event_type = 'CandidateErased'"
                            " AND payload->>'candidate_id' = :c"
                        ),
                        {"c": candidate_id},
                    )
                ).scalar_one()

            async def processed_everywhere() -> bool:
                for runtime in runtimes[1:]:
                    async with runtime.engine.connect() as conn:
                        marks = await conn.execute(
                            text(
                                f"SELECT count(*) FROM {runtime.definition.schema}.inbox WHERE event_id = :e"
                            ),
                            {"e": event_id},
                        )
                        if not marks.scalar_one():
                            return False
                return True

            await eventually(
                processed_everywhere, timeout=60, what="CandidateErased processed by every service"
            )
            await eventually(lambda: all_published(runtimes), timeout=30, what="every outbox published")

            # (1) No API of any service answers with them.
            for http, path, headers in served:
                await assert_answers_without(http, traces, [(path, headers)])

            # (2) No outbox row, and no stored row, of any schema holds them (applications keeps
            # the CandidateErased row, by id only, until the relay's purge).
            for runtime in runtimes:
                rows = await outbox_rows_with(runtime, traces)
                if runtime is applications:
                    rows = [r for r in rows if not r.startswith("CandidateErased:")]
                assert rows == [], f"{runtime.definition.schema}.outbox still holds them: {rows}"
            words = PersonTraces.of(
                form["email"], form["given_name"], form["family_name"], form["phone"], phone, reference
            )
            for runtime in runtimes:
                stored = await stored_rows_with(runtime, words)
                assert stored == [], f"{runtime.definition.schema} still stores them: {stored}"

            # (3) Every figure is what it was; (4) nobody was promoted into their place.
            after = await figures()
            assert_counts_unchanged(before, after)
            assert after["assessment funnel"]["selection"] == before["assessment funnel"]["selection"]
            assert after["training counts"]["enrolled"] == 1  # nobody enrolled in their place
    finally:
        await connection.close()
