"""The messaging rules of the design brief §6, against the real RabbitMQ and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rtw_platform import dlq
from rtw_platform.metrics import MESSAGES_CONSUMED
from rtw_platform.testing.probe import Behaviour, effect_count, probe_definition
from rtw_platform.testing.waiting import eventually

from .conftest import probe_event

pytestmark = pytest.mark.reliability


async def test_the_same_event_delivered_twice_has_one_effect(
    start_service: Callable[..., Any], probe_tables: str, publish_raw: Callable[..., Any]
) -> None:
    probe = await start_service(probe_definition())
    event = probe_event()
    body = event.model_dump_json().encode()
    await publish_raw(body, message_id=str(event.event_id))
    await publish_raw(body, message_id=str(event.event_id))
    # A third copy after the first two were handled: the inbox must still refuse it.
    await eventually(lambda: effect_count(probe.engine, event.event_id), what="the first effect")
    await publish_raw(body, message_id=str(event.event_id))

    async def all_consumed() -> bool:
        counts = await _queue_depths(probe)
        return counts == 0

    await eventually(all_consumed, what="every copy to be consumed")
    assert await effect_count(probe.engine, event.event_id) == 1


async def test_malformed_messages_go_to_the_dlq_with_the_error_and_the_consumer_goes_on(
    start_service: Callable[..., Any], probe_tables: str, publish_raw: Callable[..., Any]
) -> None:
    probe = await start_service(probe_definition())
    await publish_raw(b"this is not json {", message_id="not-json")
    await publish_raw(
        b'{"event_type": "ApplicationWithdrawn", "note": "no payload"}', message_id="wrong-shape"
    )
    good = probe_event()
    await publish_raw(good.model_dump_json().encode(), message_id=str(good.event_id))

    assert await eventually(lambda: effect_count(probe.engine, good.event_id), what="the good message")
    queue = probe.queue_names[0]

    async def two_dead_letters() -> list[dlq.DeadLetter]:
        letters = await dlq.peek(probe.settings.amqp_url.get_secret_value(), queue)
        return letters if len(letters) == 2 else []

    letters = await eventually(two_dead_letters, what="two dead letters")
    by_id = {letter.message_id: letter for letter in letters}
    assert by_id["not-json"].error is not None
    assert "JSON" in by_id["not-json"].error or "json" in by_id["not-json"].error
    assert by_id["wrong-shape"].error is not None
    assert "ValidationError" in by_id["wrong-shape"].error
    assert "application_id" in by_id["wrong-shape"].error  # names the missing field
    assert by_id["wrong-shape"].attempts == 1  # never retried: it can never succeed


async def test_a_transient_failure_succeeds_on_redelivery(
    start_service: Callable[..., Any], probe_tables: str, publish_raw: Callable[..., Any]
) -> None:
    event = probe_event()
    behaviour = Behaviour(fail_times={event.event_id: 2})
    probe = await start_service(probe_definition(behaviour))
    await publish_raw(event.model_dump_json().encode(), message_id=str(event.event_id))

    assert await eventually(lambda: effect_count(probe.engine, event.event_id), what="the effect")
    assert behaviour.attempts[event.event_id] == 3
    counts = await dlq.count(probe.settings.amqp_url.get_secret_value(), probe.queue_names)
    assert counts == {probe.queue_names[0]: 0}


async def test_an_event_waiting_for_an_earlier_one_is_retried_and_counted_apart(
    start_service: Callable[..., Any], probe_tables: str, publish_raw: Callable[..., Any]
) -> None:
    event = probe_event()
    behaviour = Behaviour(unknown_times={event.event_id: 2})
    probe = await start_service(probe_definition(behaviour))
    queue = probe.queue_names[0]
    before = _consumed(probe.definition.name, queue)
    await publish_raw(event.model_dump_json().encode(), message_id=str(event.event_id))

    assert await eventually(lambda: effect_count(probe.engine, event.event_id), what="the effect")
    assert behaviour.attempts[event.event_id] == 3
    after = _consumed(probe.definition.name, queue)
    assert after["not_yet_known"] - before["not_yet_known"] == 2  # waiting, not failing
    assert after["retried"] == before["retried"]
    assert (await dlq.count(probe.settings.amqp_url.get_secret_value(), [queue]))[queue] == 0


def _consumed(service: str, queue: str) -> dict[str, float]:
    return {
        outcome: MESSAGES_CONSUMED.labels(service, queue, outcome)._value.get()
        for outcome in ("retried", "not_yet_known")
    }


async def test_a_message_that_always_fails_ends_in_the_dlq_after_the_delivery_limit(
    start_service: Callable[..., Any], probe_tables: str, publish_raw: Callable[..., Any]
) -> None:
    doomed = probe_event()
    behaviour = Behaviour(always_fail={doomed.event_id})
    probe = await start_service(probe_definition(behaviour))
    amqp = probe.settings.amqp_url.get_secret_value()
    queue = probe.queue_names[0]
    await publish_raw(doomed.model_dump_json().encode(), message_id=str(doomed.event_id))
    after = probe_event()
    await publish_raw(after.model_dump_json().encode(), message_id=str(after.event_id))

    async def dead_lettered() -> list[dlq.DeadLetter]:
        return await dlq.peek(amqp, queue)

    letters = await eventually(dead_lettered, what="the failing message in the DLQ", timeout=30)
    assert behaviour.attempts[doomed.event_id] == probe.settings.delivery_limit
    assert letters[0].message_id == str(doomed.event_id)
    assert letters[0].attempts == probe.settings.delivery_limit
    assert "ProbeFailure: the probe always fails" in (letters[0].error or "")
    assert await effect_count(probe.engine, doomed.event_id) == 0
    assert await effect_count(probe.engine, after.event_id) == 1  # the consumer kept going

    # The operator fixes the cause and replays: the message is processed, once.
    behaviour.always_fail.clear()
    assert await dlq.replay(amqp, queue) == 1
    assert await eventually(lambda: effect_count(probe.engine, doomed.event_id), what="replay")
    assert (await dlq.count(amqp, [queue]))[queue] == 0


async def _queue_depths(runtime: Any) -> int:
    import aio_pika

    connection = await aio_pika.connect(runtime.settings.amqp_url.get_secret_value())
    try:
        channel = await connection.channel()
        total = 0
        for name in runtime.queue_names:
            queue = await channel.declare_queue(name, passive=True)
            total += queue.declaration_result.message_count or 0
        return total
    finally:
        await connection.close()


async def test_eventually_helper_reports_what_it_waited_for() -> None:
    async def never() -> bool:
        return False

    with pytest.raises(AssertionError, match=r"waiting for the impossible \(last: False\)"):
        await eventually(never, timeout=0.2, what="the impossible")

    calls: list[int] = []

    async def third_time_lucky() -> int:
        calls.append(len(calls) + 1)
        return calls[-1] if len(calls) >= 3 else 0

    # It asks again until the answer is truthy, and returns that answer.
    assert await eventually(third_time_lucky, timeout=5, interval=0.01) == 3
    assert calls == [1, 2, 3]
