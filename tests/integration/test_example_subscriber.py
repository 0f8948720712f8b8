"""The example subscriber (examples/subscriber/consumer.py), run as another team would run it,
against the local RabbitMQ in a throwaway namespace, fed by the platform's own publisher: it
receives what it bound, validates against the published JSON files, de-duplicates a redelivery,
rejects an invalid message, ignores a stale sequence, erases on CandidateErased and keeps nothing
from a late event about someone erased."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from uuid import uuid4

import aio_pika
import pytest
from faststream.rabbit import ExchangeType, RabbitExchange
from rtw_contracts import ApplicationSubmittedV2, ApplicationWithdrawn, CandidateErased, MatchProposed
from rtw_contracts import topology as names
from rtw_contracts.examples import example
from rtw_contracts.schemas import SCHEMA_DIR
from rtw_platform.messaging import AmqpEventPublisher
from rtw_platform.testing.events import outbox_message
from rtw_platform.testing.fixtures import BrokerNamespace

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parents[2]
CONSUMER = ROOT / "examples" / "subscriber" / "consumer.py"


def _rows(store: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(store) as db:
        return db.execute(sql).fetchall()


async def _until(condition, what: str, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def _dead_lettered(url: str, queue: str) -> list[str | None]:
    """The message ids waiting in a queue (taken off it)."""
    connection = await aio_pika.connect(url, timeout=10)
    try:
        channel = await connection.channel()
        waiting = await channel.get_queue(queue, ensure=True)
        ids = []
        while (message := await waiting.get(timeout=5, fail=False)) is not None:
            ids.append(message.message_id)
            await message.ack()
        return ids
    finally:
        await connection.close()


async def _made_by_the_setup(url: str, queue: str) -> None:
    """The team's queue with a dead-letter queue, as `rtw broker setup --teams` makes them (here
    `<queue>.dlq` through `<queue>.dlx`, kept inside the test's namespace)."""
    connection = await aio_pika.connect(url, timeout=10)
    try:
        channel = await connection.channel()
        dead_letters = await channel.declare_exchange(
            f"{queue}.dlx", aio_pika.ExchangeType.FANOUT, durable=True
        )
        await (await channel.declare_queue(f"{queue}.dlq", durable=True)).bind(dead_letters)
        await channel.declare_queue(
            queue,
            durable=True,
            arguments={"x-queue-type": "quorum", "x-dead-letter-exchange": f"{queue}.dlx"},
        )
    finally:
        await connection.close()


async def test_example_subscriber_validates_deduplicates_and_erases(
    broker_namespace: BrokerNamespace, tmp_path: Path
) -> None:
    exchange_name = names.exchange_name(names.EVENTS_EXCHANGE, broker_namespace.prefix)
    queue = f"{broker_namespace.prefix}ext.example.events"
    broker_namespace.extra_queues.add(queue)  # and its .dlq
    broker_namespace.extra_exchanges.add(f"{queue}.dlx")
    publisher = AmqpEventPublisher(
        broker_namespace.amqp_url,
        RabbitExchange(exchange_name, type=ExchangeType.TOPIC, durable=True),
        app_id="applications",
    )
    store = tmp_path / "inbox.sqlite3"
    await publisher([])  # declares the events exchange, as a running platform has
    await _made_by_the_setup(broker_namespace.amqp_url, queue)  # the consumer cannot declare it
    process = subprocess.Popen(  # noqa: ASYNC220 - starting it does not block; its output is read by a thread
        [
            sys.executable,
            str(CONSUMER),
            "--amqp-url",
            broker_namespace.amqp_url,
            "--exchange",
            exchange_name,
            "--queue",
            queue,
            "--bind",
            ApplicationSubmittedV2.ROUTING_KEY,
            "--bind",
            ApplicationWithdrawn.ROUTING_KEY,
            "--bind",
            MatchProposed.ROUTING_KEY,
            "--schemas",
            str(SCHEMA_DIR),  # the published JSON files, not the models
            "--store",
            str(store),
            "--publisher-user",
            "guest",  # every producer publishes as the local broker's one user here
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True)
    reader.start()
    try:
        await _until(
            lambda: any(line.startswith("bound ") for line in lines) or process.poll() is not None,
            "the consumer to bind",
        )
        assert process.poll() is None, "".join(lines)
        candidate, other = uuid4(), uuid4()
        application = uuid4()
        submitted = example(
            ApplicationSubmittedV2,
            candidate_id=candidate,
            application_id=application,
            correlation_id=application,
            sequence=2,
        )
        someone_else = example(
            ApplicationSubmittedV2, candidate_id=other, event_id=uuid4(), correlation_id=uuid4()
        )
        stale = example(
            ApplicationSubmittedV2,
            candidate_id=candidate,
            application_id=application,
            correlation_id=application,
            event_id=uuid4(),
            sequence=1,
        )
        # two matches of one application: each its own aggregate, both numbered 1, neither stale
        proposals = [
            example(
                MatchProposed,
                event_id=uuid4(),
                match_id=uuid4(),
                candidate_id=other,
                correlation_id=someone_else.correlation_id,
                sequence=1,
            )
            for _ in range(2)
        ]
        await publisher([outbox_message(submitted, 1), outbox_message(someone_else, 2)])
        await publisher([outbox_message(proposal, 10 + n) for n, proposal in enumerate(proposals)])
        await publisher([outbox_message(submitted, 1)])  # the outbox sends it again: a redelivery
        await publisher([outbox_message(stale, 3)])
        # a message whose body lacks event_id fails the published schema
        invalid = submitted.model_dump(mode="json")
        del invalid["event_id"]
        await broker_namespace.publish(
            json.dumps(invalid).encode(), ApplicationSubmittedV2.ROUTING_KEY, "no-event-id"
        )
        await _until(
            lambda: (
                len(_rows(store, "SELECT * FROM processed")) == 5
                and len(_rows(store, "SELECT * FROM rejected")) == 1
            ),
            "the events to be handled",
        )
        assert sorted(_rows(store, "SELECT event_id, deliveries FROM processed")) == sorted(
            [
                (str(submitted.event_id), 2),
                (str(someone_else.event_id), 1),
                (str(stale.event_id), 1),
                *((str(proposal.event_id), 1) for proposal in proposals),
            ]
        )
        kept_about_others = [(str(someone_else.event_id),), *((str(p.event_id),) for p in proposals)]
        assert sorted(_rows(store, "SELECT event_id FROM records")) == sorted(
            [(str(submitted.event_id),), *kept_about_others]
        )  # kept once; the stale sequence ignored
        [(message_id, reason)] = _rows(store, "SELECT message_id, reason FROM rejected")
        assert message_id == "no-event-id"
        assert "'event_id' is a required property" in str(reason)
        # kept in the team's dead-letter queue to look at, as the guide says, not dropped
        assert await _dead_lettered(broker_namespace.amqp_url, f"{queue}.dlq") == ["no-event-id"]

        erased = example(
            CandidateErased,
            candidate_id=candidate,
            application_ids=[application],
            correlation_id=application,
            event_id=uuid4(),
        )
        await publisher([outbox_message(erased, 4)])
        await _until(lambda: len(_rows(store, "SELECT * FROM erasures")) == 1, "the erasure")
        assert sorted(_rows(store, "SELECT event_id FROM records")) == sorted(kept_about_others)
        assert _rows(store, "SELECT candidate_id, records FROM erasures") == [(str(candidate), 1)]
        assert not _rows(store, f"SELECT * FROM records WHERE body LIKE '%{candidate}%'")
        # another queue was behind: an event about them arriving after the erasure is not kept
        late = example(
            ApplicationWithdrawn,
            candidate_id=candidate,
            application_id=application,
            correlation_id=application,
            event_id=uuid4(),
        )
        await publisher([outbox_message(late, 5)])
        await _until(lambda: len(_rows(store, "SELECT * FROM processed")) == 7, "the late event")
        assert sorted(_rows(store, "SELECT event_id FROM records")) == sorted(kept_about_others)
    finally:
        await publisher.close()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=5)
    output = "".join(lines)
    assert process.returncode == 0, output
    assert f"duplicate {ApplicationSubmittedV2.ROUTING_KEY} {submitted.event_id}" in output
    assert f"stale {ApplicationSubmittedV2.ROUTING_KEY} {stale.event_id}" in output
    assert f"erased {CandidateErased.ROUTING_KEY} {erased.event_id}" in output
    assert f"ignored-erased {ApplicationWithdrawn.ROUTING_KEY} {late.event_id}" in output
