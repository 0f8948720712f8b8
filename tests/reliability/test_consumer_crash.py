"""A consumer killed with SIGKILL after its commit but before its ack: the broker redelivers the
message and the inbox makes the second delivery do nothing."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aio_pika
import pytest
from rtw_platform.testing.fixtures import BrokerNamespace
from rtw_platform.testing.probe import PROBE_EVENT, effect_count
from rtw_platform.testing.waiting import eventually
from rtw_platform.topology import Topology
from sqlalchemy.ext.asyncio import create_async_engine

from .conftest import probe_event

pytestmark = pytest.mark.reliability

SCRIPT = Path(__file__).with_name("probe_consumer.py")


async def _start_consumer(
    database_url: str, namespace: BrokerNamespace, marker: Path
) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        "--database-url",
        database_url,
        "--amqp-url",
        namespace.amqp_url,
        "--prefix",
        namespace.prefix,
        "--crash-marker",
        str(marker),
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
    assert line.strip() == b"ready", line
    return process


async def _ready_messages(namespace: BrokerNamespace, queue: str) -> int:
    connection = await aio_pika.connect(namespace.amqp_url)
    try:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        return int(declared.declaration_result.message_count or 0)
    finally:
        await connection.close()


async def test_sigkill_after_commit_before_ack_has_no_second_effect(
    probe_tables: str,
    broker_namespace: BrokerNamespace,
    publish_raw: Callable[..., Any],
    tmp_path: Path,
) -> None:
    marker = tmp_path / "crashed"
    queue = Topology("probe", broker_namespace.prefix).queue_name(PROBE_EVENT)
    engine = create_async_engine(probe_tables)
    first = await _start_consumer(probe_tables, broker_namespace, marker)
    try:
        event = probe_event()
        await publish_raw(event.model_dump_json().encode(), message_id=str(event.event_id))

        assert await asyncio.wait_for(first.wait(), timeout=60) == -signal.SIGKILL
        assert marker.exists()
        assert await effect_count(engine, event.event_id) == 1  # committed before the crash

        async def redelivery_pending() -> bool:
            return await _ready_messages(broker_namespace, queue) == 1

        await eventually(redelivery_pending, what="the unacknowledged message back in its queue")

        second = await _start_consumer(probe_tables, broker_namespace, marker)
        try:

            async def consumed() -> bool:
                return await _ready_messages(broker_namespace, queue) == 0

            await eventually(consumed, what="the redelivered message to be consumed")
            # Give a second effect every chance to appear, then check there is none.
            await asyncio.sleep(0.5)
            assert await effect_count(engine, event.event_id) == 1
        finally:
            second.terminate()
            await asyncio.wait_for(second.wait(), timeout=30)
    finally:
        if first.returncode is None:
            first.kill()
        await engine.dispose()
