"""Three replicas of a consumer on one queue: the work is shared, no effect is duplicated (even
when every event is delivered twice), and it goes faster than one replica (printed, not asserted:
tests never assert on time; `make bench-messaging` measures throughput)."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aio_pika
import pytest
from rtw_platform.testing.fixtures import BrokerNamespace
from rtw_platform.testing.probe import PROBE_EVENT
from rtw_platform.testing.waiting import eventually
from rtw_platform.topology import Topology
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from .conftest import probe_event

pytestmark = pytest.mark.reliability

SCRIPT = Path(__file__).with_name("probe_consumer.py")
EVENTS = 300


async def _replica(database_url: str, namespace: BrokerNamespace) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        "--database-url",
        database_url,
        "--amqp-url",
        namespace.amqp_url,
        "--prefix",
        namespace.prefix,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
    assert line.strip() == b"ready", line
    return process


async def _run(
    replicas: int, probe_tables: str, namespace: BrokerNamespace, publish_raw: Callable[..., Any]
) -> tuple[float, int, int]:
    engine = create_async_engine(probe_tables)
    async with engine.begin() as conn:
        await conn.exec_driver_sql("TRUNCATE rtw_probe.effects, rtw_probe.inbox")
    processes = [await _replica(probe_tables, namespace) for _ in range(replicas)]
    queue = Topology("probe", namespace.prefix).queue_name(PROBE_EVENT)
    try:
        connection = await aio_pika.connect(namespace.amqp_url)
        channel = await connection.channel()
        consumers = (await channel.declare_queue(queue, passive=True)).declaration_result.consumer_count
        await connection.close()
        events = [probe_event() for _ in range(EVENTS)]
        started = time.perf_counter()
        for event in events:
            body = event.model_dump_json().encode()
            await publish_raw(body, message_id=str(event.event_id))
            await publish_raw(body, message_id=str(event.event_id))  # every event twice

        async def all_done() -> int:
            async with engine.connect() as conn:
                done = (
                    await conn.execute(text("SELECT count(DISTINCT event_id) FROM rtw_probe.effects"))
                ).scalar_one()
            return int(done) if done == EVENTS else 0

        await eventually(all_done, timeout=120, what=f"{EVENTS} effects")
        elapsed = time.perf_counter() - started
        await asyncio.sleep(0.5)  # any duplicate effect would land now
        async with engine.connect() as conn:
            effects = (await conn.execute(text("SELECT count(*) FROM rtw_probe.effects"))).scalar_one()
        return elapsed, int(effects), int(consumers or 0)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            await asyncio.wait_for(process.wait(), timeout=30)
        await engine.dispose()


async def test_three_replicas_share_a_queue_without_duplicated_effects(
    probe_tables: str, broker_namespace: BrokerNamespace, publish_raw: Callable[..., Any]
) -> None:
    one_s, one_effects, one_consumers = await _run(1, probe_tables, broker_namespace, publish_raw)
    three_s, three_effects, three_consumers = await _run(3, probe_tables, broker_namespace, publish_raw)
    assert (one_consumers, three_consumers) == (1, 3)
    assert one_effects == EVENTS
    assert three_effects == EVENTS  # 600 deliveries, 300 effects: nothing duplicated across replicas
    print(
        f"\n{EVENTS} events delivered twice: 1 replica {EVENTS / one_s:.0f} events/s, "
        f"3 replicas {EVENTS / three_s:.0f} events/s"
    )
