"""`rtw dlq` on real dead letters: list, show, replay, purge."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable
from typing import Any

import pytest
from rtw_platform import dlq
from rtw_platform.testing.fixtures import BrokerNamespace
from rtw_platform.testing.probe import Behaviour, effect_count, probe_definition
from rtw_platform.testing.waiting import eventually

from .conftest import probe_event

pytestmark = pytest.mark.reliability


async def rtw(namespace: BrokerNamespace, *args: str) -> tuple[int, str, str]:
    """Run the `rtw` command as an operator would."""
    env = {
        **os.environ,
        "RTW_AMQP_URL": namespace.amqp_url,
        "RTW_TOPOLOGY_PREFIX": namespace.prefix,
        "COLUMNS": "200",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "rtw_platform.cli",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_operator_lists_shows_replays_and_purges_dead_letters(
    start_service: Callable[..., Any],
    probe_tables: str,
    publish_raw: Callable[..., Any],
    broker_namespace: BrokerNamespace,
) -> None:
    fixed_later = probe_event()
    behaviour = Behaviour(always_fail={fixed_later.event_id})
    probe = await start_service(probe_definition(behaviour))
    queue = probe.queue_names[0]
    amqp = broker_namespace.amqp_url
    await publish_raw(fixed_later.model_dump_json().encode(), message_id=str(fixed_later.event_id))
    await publish_raw(b"<xml>not an event</xml>", message_id="garbage")

    async def two() -> bool:
        return (await dlq.count(amqp, [queue]))[queue] == 2

    await eventually(two, timeout=30, what="two dead letters")

    code, out, _ = await rtw(broker_namespace, "dlq", "list", "--queue", queue, "--json")
    assert code == 0
    counts = json.loads(out)
    assert counts[queue] == 2
    assert counts[f"{broker_namespace.prefix}assessment.application-submitted-v2"] is None  # no DLQ

    code, out, _ = await rtw(broker_namespace, "dlq", "show", queue)
    assert code == 0
    assert "ProbeFailure: the probe always fails for this event" in out
    assert "JSONDecodeError" in out
    assert (await dlq.count(amqp, [queue]))[queue] == 2  # showing leaves them in place

    behaviour.always_fail.clear()  # the bug is fixed
    code, out, _ = await rtw(
        broker_namespace, "dlq", "replay", queue, "--message-id", str(fixed_later.event_id)
    )
    assert code == 0, out
    assert "replayed 1 message(s)" in out
    assert await eventually(
        lambda: effect_count(probe.engine, fixed_later.event_id), what="the replayed message"
    )

    code, _, err = await rtw(broker_namespace, "dlq", "replay", queue, "--message-id", "nope")
    assert code == 1
    assert "no dead letter with message id nope" in err

    code, _, err = await rtw(broker_namespace, "dlq", "purge", queue)
    assert code == 2
    assert "--yes" in err
    assert (await dlq.count(amqp, [queue]))[queue] == 1

    code, out, _ = await rtw(broker_namespace, "dlq", "purge", queue, "--yes")
    assert code == 0
    assert "purged 1 message(s)" in out
    assert (await dlq.count(amqp, [queue]))[queue] == 0

    code, _, err = await rtw(broker_namespace, "dlq", "show", "no.such.queue")
    assert code == 2
    assert "no dead-letter queue" in err
