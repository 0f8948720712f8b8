"""Hostile messages to every consumer of every service, over the real RabbitMQ and PostgreSQL.

For each service, hypothesis builds, for every event the service consumes, messages that can never
succeed: malformed JSON (random bytes, truncated events, JSON that is not an object), oversized
(a field of the envelope replaced by up to 2 MB of text, or megabytes of junk), wrongly typed (a
field of the event given a value of another JSON type, or removed), and the wrong contract
version. Each must end in its queue's DLQ at the first delivery with its reason in the
`x-rtw-error` headers, the data the service already held must not change, and afterwards a valid
event on every queue is still processed (the consumer kept going).

Uploads (lying extensions, oversized bodies) are refused by the applications service: see
services/applications/tests/test_applications_after_submission.py.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import aio_pika
import asyncpg
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from rtw_applications.app import SERVICE as APPLICATIONS
from rtw_assessment.app import SERVICE as ASSESSMENT
from rtw_contracts import CandidateErased, Event
from rtw_contracts.examples import example
from rtw_matching.app import SERVICE as MATCHING
from rtw_notifications.app import SERVICE as NOTIFICATIONS
from rtw_platform import dlq
from rtw_platform.db import asyncpg_dsn
from rtw_platform.publishers import amqp_user
from rtw_platform.service import ServiceDefinition, ServiceRuntime
from rtw_platform.testing.fixtures import BrokerNamespace
from rtw_platform.testing.waiting import eventually
from rtw_training.app import SERVICE as TRAINING

pytestmark = pytest.mark.reliability

KINDS = ("malformed", "oversized", "wrongly typed", "wrong version")
EXAMPLES_PER_KIND = {"malformed": 3, "oversized": 1, "wrongly typed": 3, "wrong version": 2}
#: The error each kind must be dead-lettered with.
EXPECTED_ERRORS = {
    "malformed": {"JSONDecodeError", "UnicodeDecodeError", "ValidationError"},
    "oversized": {"JSONDecodeError", "ValidationError"},
    "wrongly typed": {"ValidationError"},
    "wrong version": {"ValidationError"},
}


@dataclass(frozen=True)
class Hostile:
    kind: str
    routing_key: str
    queue: str
    body: bytes
    message_id: str
    what: str


def _base(event: type[Event], event_id: UUID) -> dict[str, Any]:
    dumped: dict[str, Any] = example(event, event_id=event_id).model_dump(mode="json")
    return dumped


def _wrong_type(value: Any) -> st.SearchStrategy[Any]:
    """A JSON value no field of the original's kind accepts."""
    if isinstance(value, list):
        return st.one_of(st.integers(), st.dictionaries(st.text(max_size=5), st.integers(), min_size=1))
    if isinstance(value, dict):
        return st.one_of(st.integers(), st.lists(st.integers(), min_size=1))
    return st.one_of(
        st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2)
    )


@st.composite
def hostile_bodies(draw: st.DrawFn, event: type[Event], kind: str) -> tuple[bytes, str]:
    """(body, a description) of one hostile message of the kind for the event."""
    base = _base(event, draw(st.uuids(version=4)))
    valid = json.dumps(base).encode()
    if kind == "malformed":
        how = draw(st.sampled_from(["bytes", "truncated", "not an object"]))
        if how == "bytes":
            junk = draw(st.binary(min_size=1, max_size=300).filter(lambda b: not _is_json_object(b)))
            return junk, f"{len(junk)} random bytes"
        if how == "truncated":
            cut = draw(st.integers(min_value=1, max_value=len(valid) - 1))
            return valid[:cut], f"the event cut after {cut} bytes"
        other = draw(st.one_of(st.integers(), st.text(max_size=20), st.lists(st.integers(), max_size=3)))
        return json.dumps(other).encode(), f"JSON that is not an object: {other!r}"[:80]
    if kind == "oversized":
        size = draw(st.integers(min_value=512 * 1024, max_value=2 * 1024 * 1024))
        how = draw(st.sampled_from(["event_id", "event_type", "correlation_id", "occurred_at", "junk"]))
        if how == "junk":
            return b"{" + b'"x":"' + b"A" * size, f"{size} bytes of unterminated JSON"
        body = {**base, how: draw(st.sampled_from("xZ9\u00e9")) * size}
        return json.dumps(body).encode(), f"{how} of {size} characters"
    if kind == "wrongly typed":
        fields = sorted(k for k, v in base.items() if v is not None and k not in ("producer",))
        name = draw(st.sampled_from(fields))
        if draw(st.booleans()) and name in _required(event):
            body = {k: v for k, v in base.items() if k != name}
            return json.dumps(body).encode(), f"required {name} missing"
        wrong = draw(_wrong_type(base[name]))
        return json.dumps({**base, name: wrong}).encode(), f"{name} = {wrong!r}"[:80]
    version = draw(st.integers(min_value=-3, max_value=50).filter(lambda v: v != event.EVENT_VERSION))
    return json.dumps({**base, "event_version": version}).encode(), f"event_version {version}"


def _required(event: type[Event]) -> set[str]:
    return {name for name, info in event.model_fields.items() if info.is_required()}


def _is_json_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except ValueError:
        return False


def _collector(event: type[Event], kind: str, queue: str, found: list[Hostile]) -> Callable[[], None]:
    @settings(
        max_examples=EXAMPLES_PER_KIND[kind],
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @seed(zlib.crc32(f"{event.__name__}/{kind}".encode()))  # the same messages every run
    @given(hostile_bodies(event, kind))
    def collect(case: tuple[bytes, str]) -> None:
        body, what = case
        found.append(Hostile(kind, event.ROUTING_KEY, queue, body, f"hostile-{uuid4()}", f"{kind}: {what}"))

    return collect


def generate(runtime: ServiceRuntime) -> list[Hostile]:
    """Hypothesis's hostile messages for every queue of the service (seeded per event and kind: the
    same messages every run, a bounded number)."""
    found: list[Hostile] = []
    for subscription in runtime.definition.subscriptions:
        queue = runtime.topology.queue_name(subscription.event)
        for kind in KINDS:
            _collector(subscription.event, kind, queue, found)()
    return found


async def snapshot(database_url: str, schema: str) -> dict[str, str]:
    """A fingerprint of every table of the schema (the rows' text, hashed)."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        tables = [
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1", schema)
        ]
        prints = {}
        for table in sorted(tables):
            prints[table] = await conn.fetchval(
                f"SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '')"
                f' FROM "{schema}"."{table}" t'
            )
        return prints
    finally:
        await conn.close()


async def inbox_has(database_url: str, schema: str, event_ids: list[UUID]) -> bool:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        found = await conn.fetchval(
            f'SELECT count(DISTINCT event_id) FROM "{schema}".inbox WHERE event_id = ANY($1::uuid[])',
            event_ids,
        )
        return int(found) == len(event_ids)
    finally:
        await conn.close()


async def publish(namespace: BrokerNamespace, messages: list[tuple[str, bytes, str]]) -> None:
    """(routing key, body, message id) to the events exchange, as a producer would."""
    connection = await aio_pika.connect(namespace.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(
            f"{namespace.prefix}rtw.events", aio_pika.ExchangeType.TOPIC, durable=True
        )
        for routing_key, body, message_id in messages:
            await exchange.publish(
                aio_pika.Message(
                    body,
                    message_id=message_id,
                    user_id=amqp_user(namespace.amqp_url),
                    content_type="application/json",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=routing_key,
            )
    finally:
        await connection.close()


def _someone_new(event: type[Event]) -> dict[str, Any]:
    if event is CandidateErased:
        return {"candidate_id": uuid4(), "application_ids": [uuid4()]}
    return {}


async def valid_round(runtime: ServiceRuntime, namespace: BrokerNamespace, database_url: str) -> None:
    """A valid example event on every queue of the service, each processed (in the inbox). The
    erasure is of someone new: the hostile messages were made from the examples, so erasing the
    example's person would rightly delete their dead letters too."""
    events = [
        example(s.event, event_id=uuid4(), correlation_id=uuid4(), **_someone_new(s.event))
        for s in runtime.definition.subscriptions
    ]
    await publish(namespace, [(e.ROUTING_KEY, e.model_dump_json().encode(), str(e.event_id)) for e in events])
    ids = [e.event_id for e in events]
    await eventually(
        lambda: inbox_has(database_url, runtime.definition.schema, ids),
        timeout=60,
        what=f"{len(ids)} valid events processed by {runtime.definition.name}",
    )


@pytest.mark.timeout(240)
@pytest.mark.parametrize(
    "definition",
    [APPLICATIONS, ASSESSMENT, MATCHING, NOTIFICATIONS, TRAINING],
    ids=lambda d: d.name,
)
async def test_hostile_messages_end_in_the_dlq_with_their_reason_and_change_nothing(
    definition: ServiceDefinition,
    start_service: Callable[..., Any],
    broker_namespace: BrokerNamespace,
    clean_database: str,
    tmp_path: Any,
) -> None:
    runtime: ServiceRuntime = await start_service(
        definition,
        relay_enabled=False,  # nothing in the background changes the data under the fingerprint
        dispatch_enabled=False,
        file_store_url=f"file://{tmp_path}",
    )
    amqp = broker_namespace.amqp_url
    await valid_round(runtime, broker_namespace, clean_database)  # data the service now holds
    before = await snapshot(clean_database, definition.schema)

    hostile = generate(runtime)
    await publish(broker_namespace, [(h.routing_key, h.body, h.message_id) for h in hostile])
    queues = runtime.queue_names
    expected = len(hostile)

    async def all_dead_lettered() -> bool:
        counts = await dlq.count(amqp, queues)
        return sum(n or 0 for n in counts.values()) >= expected

    await eventually(all_dead_lettered, timeout=120, what=f"{expected} hostile messages in the DLQs")
    letters: dict[str | None, tuple[str | None, dlq.DeadLetter | None]] = {}
    for queue in queues:
        for letter in await dlq.peek(amqp, queue, limit=expected + 5):
            letters[letter.message_id] = (queue, letter)

    wrong = []
    for h in hostile:
        where, found = letters.get(h.message_id, (None, None))
        error_type = (found.error or "").split(":", 1)[0] if found else None
        if found is None or where != h.queue:
            wrong.append(f"{h.what} on {h.queue}: not in its DLQ")
        elif error_type not in EXPECTED_ERRORS[h.kind] or found.attempts != 1:
            wrong.append(f"{h.what}: dead-lettered with {found.error!r} after {found.attempts} attempts")
        elif h.kind == "wrong version" and "is not supported" not in (found.error or ""):
            wrong.append(f"{h.what}: the reason does not name the version: {found.error!r}")
    kinds = {k: sum(1 for h in hostile if h.kind == k) for k in KINDS}
    print(
        f"\n{definition.name}: {len(hostile)} hostile messages on {len(queues)} queues {kinds}; "
        f"{len(hostile) - len(wrong)} dead-lettered at once with their reason"
    )
    assert not wrong, "\n".join(wrong[:20])
    assert len(letters) == expected  # nothing else was dead-lettered

    await asyncio.sleep(0.5)
    assert await snapshot(clean_database, definition.schema) == before  # no data held changed

    await valid_round(runtime, broker_namespace, clean_database)  # the consumers kept going
    assert sum(n or 0 for n in (await dlq.count(amqp, queues)).values()) == expected
