"""Chaos under load, with the real services as processes over the real RabbitMQ and PostgreSQL.

A steady stream of applications is sent to the applications service (each with an idempotency key,
retried with the same key until accepted, as a client would). Before the load a council signs up
and posts a vacancy in the candidates' area; during it an admin selects one application in two
once screening has shortlisted it, and the training provider records every required module of each
enrolled candidate (`chaos_journeys.py`). Meanwhile RabbitMQ is restarted (`rabbitmqctl stop_app`
/ `start_app`), each service in turn is killed with SIGKILL and started again, and PostgreSQL is
restarted (`pg_ctlcluster … restart`).

Afterwards every accepted application must have reached its final state in every service exactly
once. All: screened by assessment (one decision, one AssessmentScored), in matching's pool and
known to training, with exactly one e-mail of each kind, all sent. The selected ones besides: one
final decision and event, enrolled once, each module recorded once, one certificate (which
verifies) and one TrainingCompleted, one match proposal for the vacancy and one MatchProposed,
at the end of their journey ("matched"), and exactly one e-mail each of selection, enrolment,
vacancy alert and certificate (and one proposal e-mail to the council's address, once however many of its people share it). No DLQ
holds anything, no queue holds anything, and every queue had a consumer again after the broker's
return (within the 30 s the test waits; the time it took is printed, not asserted).

Restarting the shared servers needs root and the local servers; otherwise the test is skipped with
the reason (RTW_CHAOS=0 switches it off).

A second, quicker test checks that readiness names a queue that lost its consumer.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest
from aiormq.exceptions import AMQPConnectionError
from rtw_applications.app import SERVICE as APPLICATIONS
from rtw_platform import dlq
from rtw_platform.testing.fixtures import BrokerNamespace, app_for
from rtw_platform.testing.mail import serve_mailbox

from .chaos_journeys import COUNCIL_EMAIL, REQUIRED_MODULES, Council, People, prepare, tokens
from .chaos_support import (
    ServiceProcess,
    all_queues,
    fetch,
    queue_states,
    restart_database,
    start_broker,
    stop_broker,
    why_services_cannot_be_restarted,
)

pytestmark = pytest.mark.reliability

SERVICES = ("applications", "assessment", "matching", "notifications", "training")
SUBMITTERS = 2
PAUSE_BETWEEN_APPLICATIONS_S = 0.4
#: After the load: how long to wait for every final state at most, and for any progress at all.
WAIT_FOR_FINAL_STATES_S = 180
STILL_FOR_S = 45
#: One accepted application in this many is selected (and trained, and matched); the others stay
#: shortlisted. At most MOST_SELECTED are, below the vacancy's 200 proposals (chaos_journeys.WEIGHTS).
SELECT_ONE_IN = 2
MOST_SELECTED = 180
#: The e-mails every applicant gets, and those a selected candidate gets besides.
EVERY_APPLICANT = ("application_received", "shortlisted")
SELECTED_ALSO = ("selected", "training_enrolled", "vacancy_alert", "certificate_issued")
COUNCIL_TEMPLATES = ("council_registered", "recruiter_invited")
#: Journey steps of a selected candidate: submitted, shortlisted, selected, enrolled, a step per
#: module, trained, matched.
SELECTED_STEPS = 6 + len(REQUIRED_MODULES)


@dataclass
class Load:
    """The applications sent, and what it took to have them accepted."""

    accepted: dict[str, str] = field(default_factory=dict)  # application id -> e-mail
    retried: set[str] = field(default_factory=set)  # application ids accepted after failures
    failures: Counter[str] = field(default_factory=Counter)  # why attempts failed
    refused: list[str] = field(default_factory=list)  # answers no retry can change (4xx)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    on_accepted: Callable[[str, str], None] | None = None


async def submit_steadily(
    url: str, make_application: Callable[..., dict[str, Any]], load: Load, admin: dict[str, str]
) -> None:
    """Send applications as a partner's service (an admin's token: anonymous callers are only
    e-mailed a link), each retried with its key until accepted."""
    async with httpx.AsyncClient(base_url=url, timeout=15, headers=admin) as client:
        while not load.stop.is_set():
            form = make_application()
            key = str(uuid4())
            failed = False
            while True:  # the same request, same key, until it is accepted
                try:
                    response = await client.post("/applications", json=form, headers={"Idempotency-Key": key})
                except httpx.HTTPError as exc:
                    load.failures[type(exc).__name__] += 1
                    failed = True
                    await asyncio.sleep(0.5)
                    continue
                if response.status_code in (200, 201):
                    application_id = response.json()["application_id"]
                    load.accepted[application_id] = form["email"].lower()
                    if failed:
                        load.retried.add(application_id)
                    if load.on_accepted is not None:
                        load.on_accepted(application_id, form["email"].lower())
                    break
                if response.status_code >= 500:
                    load.failures[f"HTTP {response.status_code}"] += 1
                    failed = True
                    await asyncio.sleep(0.5)
                    continue
                load.refused.append(f"{response.status_code}: {response.text[:300]}")
                break
            await asyncio.sleep(PAUSE_BETWEEN_APPLICATIONS_S)


async def wait_for_more(load: Load, count: int, timeout: float = 120) -> None:
    target = len(load.accepted) + count
    deadline = time.monotonic() + timeout
    while len(load.accepted) < target:
        assert time.monotonic() < deadline, f"the load stalled at {len(load.accepted)} applications"
        await asyncio.sleep(0.2)


@dataclass
class Tally:
    lost: dict[str, int]
    duplicated: dict[str, int]
    unexpected: dict[str, int]
    reached: dict[str, int]  # what the selected candidates reached, for the story
    examples: dict[str, list[str]]  # a few of the lost, by what was lost

    @property
    def complete(self) -> bool:
        return not any(self.lost.values())


def _extra(counts: Iterable[int]) -> int:
    """How many more than one, summed."""
    return sum(n - 1 for n in counts if n > 1)


async def tally(
    database_url: str, amqp_url: str, prefix: str, load: Load, people: People, council: Council
) -> Tally:
    """Compare what every service holds with the accepted applications and the selections."""
    accepted = set(load.accepted)
    chosen = set(people.chosen)
    emails = set(load.accepted.values())
    chosen_emails = set(people.chosen.values())
    vacancy = council.vacancy_id
    proposals_expected = {(vacancy, a) for a in chosen}

    async def rows(sql: str) -> list[asyncpg.Record]:
        return await fetch(database_url, sql)

    applications = {
        r["id"]: r["status"] for r in await rows("SELECT id::text, status FROM applications.applications")
    }
    journeys = await rows(
        "SELECT application_id::text AS a, stage, coalesce(detail, '') AS detail, count(*) AS n"
        " FROM applications.journey_entries GROUP BY 1, 2, 3"
    )
    steps: Counter[str] = Counter(r["a"] for r in journeys)
    submitted = {
        r["a"]: r["n"]
        for r in await rows(
            "SELECT payload->>'application_id' AS a, count(*) AS n FROM applications.outbox"
            " WHERE event_type = 'ApplicationSubmitted' GROUP BY 1"
        )
    }
    unpublished = await rows(
        "SELECT count(*) AS n FROM applications.outbox WHERE published_at IS NULL"
        " UNION ALL SELECT count(*) FROM assessment.outbox WHERE published_at IS NULL"
        " UNION ALL SELECT count(*) FROM matching.outbox WHERE published_at IS NULL"
        " UNION ALL SELECT count(*) FROM training.outbox WHERE published_at IS NULL"
    )
    candidacies = {
        r["a"]: (r["screening"], r["selection"])
        for r in await rows(
            "SELECT application_id::text AS a, screening_outcome AS screening,"
            " selection_outcome AS selection FROM assessment.candidacies"
        )
    }
    decisions = await rows(
        "SELECT application_id::text AS a, stage, count(*) AS n FROM assessment.decisions GROUP BY 1, 2"
    )
    scored = {
        (r["a"], r["stage"]): r["n"]
        for r in await rows(
            "SELECT payload->>'application_id' AS a, payload->>'stage' AS stage, count(*) AS n"
            " FROM assessment.outbox WHERE event_type = 'AssessmentScored' GROUP BY 1, 2"
        )
    }
    profiles = {
        r["a"]: (r["outcome"], r["in_pool"], r["training"])
        for r in await rows(
            "SELECT application_id::text AS a, assessment_outcome AS outcome, in_pool,"
            " training_status AS training FROM matching.candidate_profiles"
        )
    }
    matches = await rows(
        "SELECT vacancy_id::text AS v, application_id::text AS a, status, count(*) AS n"
        " FROM matching.matches GROUP BY 1, 2, 3"
    )
    proposed_events = await rows(
        "SELECT event_id::text AS e, payload->>'vacancy_id' AS v, payload->>'application_id' AS a"
        " FROM matching.outbox WHERE event_type = 'MatchProposed'"
    )
    learners = {
        r["a"]: r["o"]
        for r in await rows(
            "SELECT application_id::text AS a, assessment_outcome AS o FROM training.learners"
        )
    }
    enrolments = await rows(
        "SELECT e.application_id::text AS a, e.status, count(c.id) AS certificates"
        " FROM training.enrolments AS e LEFT JOIN training.certificates AS c ON c.enrolment_id = e.id"
        " GROUP BY e.id"
    )
    training_events = {
        (r["t"], r["a"], r["m"]): r["n"]
        for r in await rows(
            "SELECT event_type AS t, payload->>'application_id' AS a, coalesce(payload->>'module_id', '')"
            " AS m, count(*) AS n FROM training.outbox GROUP BY 1, 2, 3"
        )
    }
    deliveries = await rows(
        "SELECT recipient_id::text AS r, lower(to_address) AS email, template, status, event_id::text AS e"
        " FROM notifications.deliveries"
    )

    # E-mails: a candidate's by (address, kind); a proposal's to the council by (address, pair).
    proposal_of = {r["e"]: (r["v"], r["a"]) for r in proposed_events}
    made: Counter[tuple[str, str]] = Counter()
    sent: Counter[tuple[str, str]] = Counter()
    council_made: Counter[tuple[str, str, str]] = Counter()
    council_sent: Counter[tuple[str, str, str]] = Counter()
    council_other: Counter[str] = Counter()
    strange = 0
    for d in deliveries:
        if d["email"] == COUNCIL_EMAIL:
            if d["template"] == "match_proposed" and d["e"] in proposal_of:
                # One e-mail per address per step (the contact is also the first recruiter).
                key = (COUNCIL_EMAIL, *proposal_of[d["e"]])
                council_made[key] += 1
                council_sent[key] += d["status"] == "sent"
            elif d["template"] in COUNCIL_TEMPLATES:
                council_other[d["template"]] += 1
            else:
                strange += 1
            continue
        expected_kinds = EVERY_APPLICANT + (SELECTED_ALSO if d["email"] in chosen_emails else ())
        if d["email"] not in emails or d["template"] not in expected_kinds:
            strange += 1
            continue
        made[(d["email"], d["template"])] += 1
        sent[(d["email"], d["template"])] += d["status"] == "sent"
    owed = [(e, t) for e in emails for t in EVERY_APPLICANT] + [
        (e, t) for e in chosen_emails for t in SELECTED_ALSO
    ]
    council_owed = [(COUNCIL_EMAIL, v, a) for v, a in proposals_expected]

    matched: Counter[tuple[str, str]] = Counter()
    for r in matches:
        matched[(r["v"], r["a"])] += r["n"]
    standing = {(r["v"], r["a"]) for r in matches if r["status"] == "proposed"}
    proposed: Counter[tuple[str, str]] = Counter((r["v"], r["a"]) for r in proposed_events)
    enrolled: Counter[str] = Counter(r["a"] for r in enrolments)
    completed = {r["a"] for r in enrolments if r["status"] == "completed"}
    certificates: Counter[str] = Counter()
    for r in enrolments:
        certificates[r["a"]] += r["certificates"]

    def event(kind: str, application_id: str, module: str = "") -> int:
        return int(training_events.get((kind, application_id, module), 0))

    def final_stage(a: str) -> str:
        return "matched" if a in chosen else "shortlisted"

    def outcome(a: str) -> str:
        return "selected" if a in chosen else "shortlisted"

    pool = {a: profiles.get(a, (None, None, None)) for a in accepted}
    missing: dict[str, list[str]] = {
        "applications not at their final stage on their journey": [
            a for a in accepted if applications.get(a) != final_stage(a)
        ],
        "journey steps missing": [
            a for a in accepted for _ in range(max(0, (SELECTED_STEPS if a in chosen else 2) - steps[a]))
        ],
        "ApplicationSubmitted events missing": [a for a in accepted if a not in submitted],
        "events not yet published": ["event"] * sum(r["n"] for r in unpublished),
        "applications not screened by assessment": [a for a in accepted if a not in candidacies],
        "selections not made": [a for a in chosen if candidacies.get(a, (None, None))[1] != "selected"],
        "AssessmentScored events missing": [a for a in accepted if (a, "screening") not in scored]
        + [a for a in chosen if (a, "final") not in scored],
        "candidates missing from matching's pool or at another stage there": [
            a for a in accepted if pool[a][0] != outcome(a) or pool[a][1] != (a in chosen)
        ],
        "completed trainings matching does not know of": [a for a in chosen if pool[a][2] != "completed"],
        "applicants missing in training or at another stage there": [
            a for a in accepted if learners.get(a) != outcome(a)
        ],
        "enrolments missing": [a for a in chosen if not enrolled[a]],
        "TrainingEnrolled events missing": [a for a in chosen if not event("TrainingEnrolled", a)],
        "module completions missing (TrainingModuleCompleted)": [
            f"{a} {m}" for a in chosen for m in REQUIRED_MODULES if not event("TrainingModuleCompleted", a, m)
        ],
        "certificates missing": [a for a in chosen if a not in completed or not certificates[a]],
        "TrainingCompleted events missing": [a for a in chosen if not event("TrainingCompleted", a)],
        "match proposals missing": [a for v, a in proposals_expected if not matched[(v, a)]],
        "MatchProposed events missing": [a for v, a in proposals_expected if not proposed[(v, a)]],
        "e-mails not made": [f"{t} to {e}" for e, t in owed if not made[(e, t)]]
        + [f"match_proposed to {p} for {a}" for p, v, a in council_owed if not council_made[(p, v, a)]]
        + [f"{t} to the council" for t in COUNCIL_TEMPLATES if not council_other[t]],
        "e-mails not sent": [f"{t} to {e}" for e, t in owed if not sent[(e, t)]]
        + [f"match_proposed to {p} for {a}" for p, v, a in council_owed if not council_sent[(p, v, a)]],
    }
    lost = {what: len(items) for what, items in missing.items()}
    examples = {what: sorted(items)[:3] for what, items in missing.items() if items}
    duplicated = {
        "applications": sum(1 for a in applications if a not in accepted),
        "journey steps": _extra(r["n"] for r in journeys),
        "ApplicationSubmitted events": _extra(submitted.values()),
        "assessment decisions": _extra(r["n"] for r in decisions),
        "AssessmentScored events": _extra(scored.values()),
        "enrolments": _extra(enrolled.values()),
        "TrainingEnrolled, TrainingModuleCompleted, TrainingCompleted events": _extra(
            training_events.values()
        ),
        "certificates": _extra(certificates.values()),
        "match proposals (vacancy, application)": _extra(matched.values()),
        "MatchProposed events": _extra(proposed.values()),
        "e-mails (deliveries)": _extra(made.values())
        + _extra(council_made.values())
        + _extra(council_other.values()),
    }
    queues = all_queues(prefix)
    dead = await dlq.count(amqp_url, queues)
    states = await queue_states(amqp_url, queues)
    unexpected = {
        "dead letters": sum(n or 0 for n in dead.values()),
        "messages still queued": sum(max(ready, 0) for ready, _ in states.values()),
        "requests refused": len(load.refused) + len(people.refused),
        "screening outcomes other than shortlisted": sum(
            1 for a in accepted if candidacies.get(a, ("shortlisted",))[0] != "shortlisted"
        ),
        "selections nobody made": sum(1 for a in accepted - chosen if candidacies.get(a, (None, None))[1]),
        "enrolments of candidates not selected": sum(1 for a in enrolled if a not in chosen),
        "proposals other than a selected candidate for the vacancy": sum(
            1 for pair in matched if pair not in proposals_expected
        )
        + sum(1 for pair in proposed if pair not in proposals_expected),
        "proposals displaced or withdrawn": sum(1 for pair in proposals_expected if matched[pair])
        - len(standing & proposals_expected),
        "e-mails of another kind or to someone else": strange,
        "deliveries failed": sum(1 for d in deliveries if d["status"] == "failed"),
    }
    reached = {
        "selected": sum(1 for a in chosen if candidacies.get(a, (None, None))[1] == "selected"),
        "certificates": sum(certificates.values()),
        "match proposals": sum(matched.values()),
        "MatchProposed events": sum(proposed.values()),
        "modules recorded": sum(
            n for (t, _a, _m), n in training_events.items() if t == "TrainingModuleCompleted"
        ),
    }
    return Tally(lost, duplicated, unexpected, reached, examples)


async def unverified_certificates(database_url: str, training_url: str) -> int:
    """Certificates whose public page does not confirm them (fetched as anyone would)."""
    ids = [r["id"] for r in await fetch(database_url, "SELECT id::text FROM training.certificates")]
    bad = 0
    async with httpx.AsyncClient(base_url=training_url, timeout=15) as client:
        for certificate_id in ids:
            answer = await client.get(f"/certificates/{certificate_id}.json")
            bad += answer.status_code != 200 or answer.json().get("valid") is not True
    return bad


@pytest.mark.timeout(600)
async def test_every_application_reaches_its_final_state_once_through_restarts_and_kills(
    clean_database: str,
    broker_namespace: BrokerNamespace,
    make_application: Callable[..., dict[str, Any]],
    tmp_path: Path,
) -> None:
    reason = why_services_cannot_be_restarted(clean_database, broker_namespace.amqp_url)
    if reason:
        pytest.skip(reason)
    amqp = broker_namespace.amqp_url
    prefix = broker_namespace.prefix
    mailboxes = serve_mailbox()
    mail = next(mailboxes)
    secret = secrets.token_urlsafe(32)
    env = {
        "RTW_DATABASE_URL": clean_database,
        "RTW_AMQP_URL": amqp,
        "RTW_TOPOLOGY_PREFIX": prefix,
        "RTW_RELAY_POLL_INTERVAL_S": "0.5",
        "RTW_DB_POOL_SIZE": "4",
        "RTW_LOG_LEVEL": "WARNING",
        "RTW_LOG_JSON": "true",
        "RTW_FILE_STORE_URL": f"file://{tmp_path}/files",
        "RTW_SMTP_PORT": str(mail.port),
        "RTW_RETRY_BASE_S": "1",
        "RTW_DISPATCH_INTERVAL_S": "0.5",
        "RTW_TOKEN_SECRET": secret,
        # One address for the platform: e-mails link only under it (the invitation's link too).
        "RTW_PUBLIC_URL": "http://127.0.0.1:8080",
    }
    services = {name: ServiceProcess(name, env, tmp_path) for name in SERVICES}
    queues = all_queues(prefix)
    load = Load()
    admin, trainer = tokens(secret)
    people = People(
        assessment_url=services["assessment"].url,
        training_url=services["training"].url,
        admin=admin,
        trainer=trainer,
        select_one_in=SELECT_ONE_IN,
        most_selected=MOST_SELECTED,
    )
    broker_stopped = False
    started = time.monotonic()

    def say(line: str) -> None:
        print(line, flush=True)

    http = httpx.AsyncClient(timeout=15)
    submitters: list[asyncio.Task[None]] = []
    try:
        for service in services.values():
            await service.start()
        for service in services.values():
            await service.wait_ready(http)
        say(f"started {len(services)} services as processes, {len(queues)} queues under {prefix}")
        council = await prepare(
            http,
            clean_database,
            matching_url=services["matching"].url,
            training_url=services["training"].url,
            admin=admin,
            secret=secret,
        )
        say(
            f"Walsall signed up, its recruiter signed in and posted vacancy {council.vacancy_id}; "
            f"training provider registered; one application in {SELECT_ONE_IN} is to be selected, "
            "trained and matched"
        )
        load.on_accepted = people.accepted
        people.start_training()
        submitters = [
            asyncio.create_task(
                submit_steadily(services["applications"].url, make_application, load, admin),
                name=f"submit{i}",
            )
            for i in range(SUBMITTERS)
        ]
        await wait_for_more(load, 10)

        # (a) RabbitMQ restarted.
        say(f"stopping RabbitMQ ({len(load.accepted)} applications accepted so far)")
        broker_stopped = True
        await stop_broker()
        await asyncio.sleep(3)
        await start_broker()
        broker_stopped = False
        back = time.monotonic()
        say("RabbitMQ is back")
        consumers_back_after: float | None = None
        while time.monotonic() - back < 30:
            with contextlib.suppress(Exception):
                states = await queue_states(amqp, queues)
                if all(consumers >= 1 for _, consumers in states.values()):
                    consumers_back_after = time.monotonic() - back
                    break
            await asyncio.sleep(0.25)
        say(
            f"every queue had a consumer again after {consumers_back_after and round(consumers_back_after, 1)}s"
        )
        for service in services.values():
            await service.wait_ready(http, timeout=60)
        await wait_for_more(load, 5)

        # (b) each service killed with SIGKILL and started again.
        for service in services.values():
            await service.kill()
            say(f"SIGKILLed {service.name} ({len(load.accepted)} accepted so far)")
            await asyncio.sleep(1)
            await service.start()
            took = await service.wait_ready(http)
            say(f"{service.name} started again, ready after {took:.1f}s")
            await wait_for_more(load, 3)

        # (c) PostgreSQL restarted.
        say(f"restarting PostgreSQL ({len(load.accepted)} accepted so far)")
        await restart_database()
        say("PostgreSQL is back")
        for service in services.values():
            await service.wait_ready(http, timeout=60)
        await wait_for_more(load, 10)

        load.stop.set()
        await asyncio.wait_for(asyncio.gather(*submitters), timeout=120)
        say(
            f"load stopped after {time.monotonic() - started:.0f}s: {len(load.accepted)} applications "
            f"accepted, {len(people.chosen)} of them to be selected"
        )

        # Wait until every final state is reached, or nothing has moved for a while.
        deadline = time.monotonic() + WAIT_FOR_FINAL_STATES_S
        last: tuple[int, ...] = ()
        moved = time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - moved < STILL_FOR_S:
            try:
                now = await tally(clean_database, amqp, prefix, load, people, council)
                if now.complete:
                    break
                if tuple(now.lost.values()) != last:
                    last, moved = tuple(now.lost.values()), time.monotonic()
            except (OSError, asyncpg.PostgresError, AMQPConnectionError) as exc:  # a server restarting
                print(f"tally not possible yet: {exc!r}")
            await asyncio.sleep(1)
        say(f"every final state reached (or the wait ended) after {time.monotonic() - started:.0f}s")
        await asyncio.sleep(2)  # a late duplicate would land now
        result = await tally(clean_database, amqp, prefix, load, people, council)
        result.unexpected["certificates that do not verify"] = await unverified_certificates(
            clean_database, services["training"].url
        )

        recovered = {
            "applications accepted after failed attempts": len(load.retried),
            "selections made after failed attempts": len(people.selections.retried & people.selections.done),
            "module completions recorded after failed attempts": len(
                people.completions.retried & people.completions.done
            ),
        }
        failures = {
            "submit": dict(load.failures),
            "select": dict(people.selections.failures),
            "complete module": dict(people.completions.failures),
        }
        say(f"accepted {len(load.accepted)}; reached {result.reached}; failed attempts {failures}")
        say(f"lost: {sum(result.lost.values())} {result.lost}")
        if result.examples:
            say(f"for example: {result.examples}")
        say(f"recovered: {sum(recovered.values())} {recovered}")
        say(f"duplicated: {sum(result.duplicated.values())} {result.duplicated}")
        say(f"unexpected: {sum(result.unexpected.values())} {result.unexpected}")
        received = Counter(address.lower() for message in mail.received for address in message.envelope_to)
        delivered = Counter(
            r["email"]
            for r in await fetch(
                clean_database,
                "SELECT lower(to_address) AS email FROM notifications.deliveries WHERE status = 'sent'",
            )
        )
        say(
            f"SMTP messages received: {sum(received.values())} for {sum(delivered.values())} deliveries "
            "sent (at least once: a kill between a send and its commit resends); addresses that "
            f"received more than they were sent: {sum(1 for a, n in received.items() if n > delivered[a])}"
        )
        say(f"took {time.monotonic() - started:.0f}s")

        assert consumers_back_after is not None, (
            "queues still without a consumer 30 s after the broker's return"
        )
        assert not any(result.lost.values()), result.lost
        assert not any(result.duplicated.values()), result.duplicated
        assert not any(result.unexpected.values()), (result.unexpected, (load.refused + people.refused)[:3])
        assert result.reached["selected"] == len(people.chosen) > 0
        assert len(load.retried) > 0  # the chaos did reach the clients: something had to recover
    finally:
        load.stop.set()
        for task in submitters:
            task.cancel()
        await people.close()
        if broker_stopped:
            with contextlib.suppress(Exception):
                await start_broker()
        for service in services.values():
            await service.stop()
        await http.aclose()
        mailboxes.close()


async def test_consuming_names_a_queue_without_a_consumer_while_pages_stay_ready(
    start_service: Callable[..., Any],
) -> None:
    runtime = await start_service(APPLICATIONS)
    transport = httpx.ASGITransport(app=app_for(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://applications") as client:
        assert (await client.get("/health/consuming")).status_code == 200
        subscriber = next(iter(runtime.broker.subscribers))
        queue = subscriber.queue.name
        await subscriber.stop()  # its consumer is cancelled; the others go on
        assert (await client.get("/health/ready")).status_code == 200  # pages still served
        ready = await client.get("/health/consuming")
        assert ready.status_code == 503
        assert ready.json()["checks"]["broker"] is False
        assert ready.json()["queues_without_consumer"] == [queue]

        await subscriber.start()
        ready = await client.get("/health/consuming")
        assert ready.status_code == 200, ready.text
        assert "queues_without_consumer" not in ready.json()
