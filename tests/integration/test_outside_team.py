"""An outside team, end to end: the teams file grants it `application.submitted.v2` (with its
purpose), the real `rtw broker setup` makes its broker user in a throwaway vhost, the applications
service runs there with its own broker user, and the example consumer (examples/subscriber/) runs
as the team with the team's user. It receives what it was granted and nothing else (binding
another key is refused), validates every message against the published schemas, believes only
the producer's broker user (a message published by another user is rejected with the reason),
and erases the candidate on CandidateErased."""

from __future__ import annotations

import functools
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

import aio_pika
import httpx
import pytest
from rtw_applications.app import SERVICE as APPLICATIONS
from rtw_applications.testing import submitted_application
from rtw_contracts import ApplicationContactGiven, ApplicationSubmittedV2, CandidateErased
from rtw_contracts.examples import example
from rtw_contracts.schemas import SCHEMA_DIR
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.broker_users import DEFINITIONS, Broker
from rtw_platform.testing.fixtures import app_for
from rtw_platform.testing.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

CONSUMER = Path(__file__).resolve().parents[2] / "examples" / "subscriber" / "consumer.py"
GRANTED = ApplicationSubmittedV2.ROUTING_KEY

TEAMS = f"""
[[teams]]
name = "tester"
contact = "tester@example.gov.uk"
[[teams.grants]]
routing_key = "{GRANTED}"
purpose = "Invite applicants to a jobs fair in their area."
keep_for = "Until the fair, at most three months."
"""


@functools.cache
def published_schemas() -> Path:
    """The folder of `<routing key>.json` schema files a team builds against: what the operators'
    `rtw contracts export DIR` writes (plain files; the team needs none of the platform's code)."""
    exported = Path(tempfile.mkdtemp(prefix="rtw-contracts-"))
    subprocess.run(
        [sys.executable, "-m", "rtw_platform.cli", "contracts", "export", str(exported)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    schemas = exported / "schemas"
    assert {f.name for f in schemas.glob("*.json")} == {f.name for f in SCHEMA_DIR.glob("*.json")}
    return schemas


class Consumer:
    """The example consumer as a separate process, its output lines and its SQLite store."""

    def __init__(self, broker: Broker, store: Path, *bind: str) -> None:
        self.store = store
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(CONSUMER),
                "--amqp-url",
                broker.url("ext-tester"),
                "--queue",
                "ext.tester.events",
                *(arg for key in bind for arg in ("--bind", key)),
                "--schemas",
                str(published_schemas()),
                "--store",
                str(store),
                "--publisher-user",
                f"{broker.settings.user_prefix}rtw-{{producer}}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.reader = threading.Thread(
            target=lambda: self.lines.extend(self.process.stdout or ()), daemon=True
        )
        self.reader.start()

    def said(self, start: str) -> list[str]:
        return [line for line in self.lines if line.startswith(start)]

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.store) as db:
            return db.execute(sql).fetchall()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.reader.join(timeout=5)
        return self.process.returncode


async def _ended(consumer: Consumer) -> bool:
    return consumer.process.poll() is not None


async def test_an_outside_team_receives_what_it_was_granted_checks_its_publisher_and_erases(
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

    # Another key than the granted ones: the broker refuses the binding and the consumer ends.
    greedy = Consumer(broker, tmp_path / "greedy.sqlite3", GRANTED, ApplicationContactGiven.ROUTING_KEY)
    await eventually(lambda: _ended(greedy), timeout=30, what="the greedy consumer to be refused")
    assert greedy.stop() != 0
    assert "ACCESS_REFUSED" in "".join(greedy.lines)

    runtime: ServiceRuntime = await start_service(
        APPLICATIONS,
        amqp_url=broker.url("applications"),
        topology_prefix="",
        publisher_user=f"{broker.settings.user_prefix}rtw-{{service}}",
    )
    consumer = Consumer(broker, tmp_path / "inbox.sqlite3", GRANTED)
    try:
        await eventually(lambda: _said(consumer, "bound "), timeout=30, what="the consumer to bind")
        secret = runtime.settings.token_secret.get_secret_value()
        admin = {"Authorization": f"Bearer {issue_token(secret, Principal('admin-1', Role.ADMIN))}"}
        transport = httpx.ASGITransport(app=app_for(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://applications") as client:
            receipt = await submitted_application(client, secret, make_application())
            candidate = receipt["candidate_id"]
            await eventually(lambda: _said(consumer, f"accepted {GRANTED}"), what="the submission")

            # The same event published by another broker user than applications': rejected.
            await _publish_as_administrator(broker, example(ApplicationSubmittedV2, event_id=uuid4()))
            await eventually(lambda: _said(consumer, f"rejected {GRANTED}"), what="the forged event")

            erased = await client.post(f"/candidates/{candidate}/erasure", headers=admin)
            assert erased.status_code == 200, erased.text
            await eventually(lambda: _said(consumer, f"erased {CandidateErased.ROUTING_KEY}"), what="erasure")
    finally:
        code = consumer.stop()
    output = "".join(consumer.lines)
    assert code == 0, output
    # Only the granted key and the erasure notice ever arrived (the service published more).
    assert {key for (key,) in consumer.rows("SELECT routing_key FROM processed")} == {
        GRANTED,
        CandidateErased.ROUTING_KEY,
    }
    assert not consumer.said(f"accepted {ApplicationContactGiven.ROUTING_KEY}")
    [(reason,)] = consumer.rows("SELECT reason FROM rejected")
    assert str(reason).startswith("published by broker user 'guest', not by ")
    assert consumer.rows("SELECT candidate_id, records FROM erasures") == [(candidate, 1)]
    assert consumer.rows("SELECT * FROM records") == []


async def _said(consumer: Consumer, start: str) -> bool:
    assert consumer.process.poll() is None, "".join(consumer.lines)
    return bool(consumer.said(start))


async def _publish_as_administrator(broker: Broker, event: ApplicationSubmittedV2) -> None:
    """Publish with the administrator's user (guest), with a user_id RabbitMQ accepts: its own."""
    vhost = broker.settings.vhost
    connection = await aio_pika.connect(f"amqp://guest:guest@{broker.amqp_host}/{vhost}", timeout=10)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("rtw.events", ensure=False)
        message = aio_pika.Message(
            event.model_dump_json().encode(), message_id=str(event.event_id), user_id="guest"
        )
        await exchange.publish(message, routing_key=event.ROUTING_KEY)
    finally:
        await connection.close()
