"""An example subscriber to the Return to Work events, written as another team would write it.

It uses only aio-pika, jsonschema and SQLite (no code of the platform): it binds the queue the
platform made for it (it cannot declare one) to the events exchange for the routing keys it
chose, validates each message against the published JSON Schema of its routing key,
de-duplicates on ``event_id`` (a message may arrive more than once), ignores a stale message (a
``sequence`` lower than the highest applied for the aggregate its schema names in
``x-sequence-of``/``x-sequence-key``), keeps what it needs in a small SQLite store, and erases a
candidate's data when ``candidate.erased.v1`` arrives.

Run it (see docs/subscribers.md)::

    pip install -r examples/subscriber/requirements.txt
    python examples/subscriber/consumer.py \\
        --amqp-url amqp://USER:PASSWORD@HOST:5672/rtw \\
        --schemas shared/contracts/src/rtw_contracts/schemas \\
        --store inbox.sqlite3 --queue ext.example.events \\
        --bind application.submitted.v2 --bind application.withdrawn.v1

It believes a message only from the producer's broker user: the AMQP ``user_id`` (which RabbitMQ
holds to the publisher's connection, so it cannot be forged) must be the broker user of the
service the body's ``producer`` names (``--publisher-user rtw-{producer}``, the platform's
naming), and the body's ``producer`` must be the one its schema's contract names; anything else
is rejected with the reason. An event of the platform itself (its schema's producer is
``platform``: ``session.ended.v1``, published by whichever service a person used) names that
service in ``producer``, and must come from that service's broker user.

``candidate.erased.v1`` is bound with any key about a person (the platform grants it with them): a
subscriber that keeps personal data must honour it.
It prints one line per message (``accepted``, ``duplicate``, ``stale``, ``rejected``,
``erased``, ``ignored-erased`` for a late event about someone already erased) and stops on SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sqlite3
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
from jsonschema import Draft202012Validator, FormatChecker

ERASED = "candidate.erased.v1"

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS processed (      -- every event_id handled: the de-duplication key
    event_id    TEXT PRIMARY KEY,
    routing_key TEXT NOT NULL,
    deliveries  INTEGER NOT NULL DEFAULT 1,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS records (        -- what this team keeps (may hold personal data)
    event_id       TEXT PRIMARY KEY,
    routing_key    TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    candidate_id   TEXT,
    body           TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sequences (      -- highest sequence applied per aggregate
    aggregate      TEXT NOT NULL,               -- the schema's x-sequence-of and producer
    aggregate_key  TEXT NOT NULL,               -- the values of its x-sequence-key fields
    correlation_id TEXT NOT NULL,
    sequence       INTEGER NOT NULL,
    PRIMARY KEY (aggregate, aggregate_key)
);
CREATE TABLE IF NOT EXISTS rejected (       -- messages that failed their schema (no body kept)
    message_id  TEXT,
    routing_key TEXT NOT NULL,
    reason      TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS erased_ids (     -- tombstones: a late event about them is not kept
    id TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS erasures (       -- proof of erasure: ids only, no personal data
    event_id     TEXT PRIMARY KEY,
    candidate_id TEXT NOT NULL,
    records      INTEGER NOT NULL,
    erased_at    TEXT NOT NULL
);
"""


def load_validators(schema_dir: Path, routing_keys: list[str]) -> dict[str, Draft202012Validator]:
    """One validator per routing key from ``<schema_dir>/<routing key>.json``."""
    validators = {}
    for key in routing_keys:
        path = schema_dir / f"{key}.json"
        if not path.is_file():
            raise SystemExit(f"no schema for {key}: {path} is missing")
        schema = json.loads(path.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        validators[key] = Draft202012Validator(schema, format_checker=FormatChecker())
    return validators


LINKS_TO_A_PERSON = ("candidate_id", "application_id", "application_ids")


def carries_personal_data(schema: Any) -> bool:
    """Whether an event's schema is about a person: a field classed as personal data
    (``x-personal-data`` other than false, or ``x-personal``), or an id that links it to one
    candidate. The platform grants ``candidate.erased.v1`` with every such key."""
    if not isinstance(schema, Mapping):
        return False
    fields = schema.get("properties", {})
    return any(name in fields for name in LINKS_TO_A_PERSON) or any(
        isinstance(field, Mapping) and (field.get("x-personal-data") or field.get("x-personal"))
        for field in fields.values()
    )


def aggregate_of(validator: Draft202012Validator, event: Mapping[str, Any]) -> tuple[str, str] | None:
    """The aggregate whose changes the event's ``sequence`` counts, as its schema names it
    (``x-sequence-of`` and the fields of ``x-sequence-key``), or None if it names none."""
    schema = validator.schema
    if not isinstance(schema, Mapping):
        return None
    of, fields = schema.get("x-sequence-of"), schema.get("x-sequence-key")
    if not of or not fields:
        return None
    return f"{event.get('producer')}:{of}", "|".join(str(event.get(field)) for field in fields)


class Store:
    """The team's SQLite store: de-duplication, the kept records, erasure."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.executescript(SCHEMA_SQL)

    def reject(self, message_id: str | None, routing_key: str, reason: str) -> None:
        self.db.execute(
            "INSERT INTO rejected VALUES (?, ?, ?, ?)", (message_id, routing_key, reason[:500], _now())
        )

    def handle(
        self, routing_key: str, event: Mapping[str, Any], aggregate: tuple[str, str] | None = None
    ) -> str:
        """Apply one valid event exactly once (``aggregate``: what its ``sequence`` counts);
        return what happened."""
        event_id = event["event_id"]
        self.db.execute("BEGIN IMMEDIATE")
        try:
            seen = self.db.execute(
                "UPDATE processed SET deliveries = deliveries + 1 WHERE event_id = ?", (event_id,)
            ).rowcount
            if seen:
                self.db.execute("COMMIT")
                return "duplicate"
            self.db.execute(
                "INSERT INTO processed (event_id, routing_key, received_at) VALUES (?, ?, ?)",
                (event_id, routing_key, _now()),
            )
            outcome = self._apply(routing_key, event, aggregate)
            self.db.execute("COMMIT")
            return outcome
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def _apply(self, routing_key: str, event: Mapping[str, Any], aggregate: tuple[str, str] | None) -> str:
        if routing_key == ERASED:
            return self._erase(event)
        ids = [event["correlation_id"], *([event["candidate_id"]] if event.get("candidate_id") else [])]
        marks = ", ".join("?" for _ in ids)
        if self.db.execute(f"SELECT 1 FROM erased_ids WHERE id IN ({marks})", ids).fetchone():
            return "ignored-erased"  # arrived late, after the person's erasure: keep nothing
        sequence = event.get("sequence")
        if sequence is not None and aggregate is not None:
            row = self.db.execute(
                "SELECT sequence FROM sequences WHERE aggregate = ? AND aggregate_key = ?", aggregate
            ).fetchone()
            if row is not None and row[0] > sequence:
                return "stale"  # a later change of the same aggregate was applied already
            self.db.execute(
                "INSERT INTO sequences VALUES (?, ?, ?, ?) ON CONFLICT (aggregate, aggregate_key)"
                " DO UPDATE SET sequence = max(sequence, excluded.sequence)",
                (*aggregate, event["correlation_id"], sequence),
            )
        self.db.execute(
            "INSERT INTO records VALUES (?, ?, ?, ?, ?)",
            (
                event["event_id"],
                routing_key,
                event["correlation_id"],
                event.get("candidate_id"),
                json.dumps(event, sort_keys=True),
            ),
        )
        return "accepted"

    def _erase(self, event: Mapping[str, Any]) -> str:
        candidate = event["candidate_id"]
        journeys = [candidate, *event.get("application_ids", [])]
        marks = ", ".join("?" for _ in journeys)
        erased = self.db.execute(
            f"DELETE FROM records WHERE candidate_id = ? OR correlation_id IN ({marks})",
            (candidate, *journeys),
        ).rowcount
        mentions = " OR ".join("instr(aggregate_key, ?) > 0" for _ in journeys)
        self.db.execute(
            f"DELETE FROM sequences WHERE correlation_id IN ({marks}) OR {mentions}", (*journeys, *journeys)
        )
        self.db.executemany("INSERT OR IGNORE INTO erased_ids VALUES (?)", [(i,) for i in journeys])
        self.db.execute(
            "INSERT INTO erasures VALUES (?, ?, ?, ?)", (event["event_id"], candidate, erased, _now())
        )
        return "erased"


PLATFORM = "platform"
"""The producer a contract names for an event any of the platform's services publishes."""


def check_publisher(
    event: Mapping[str, Any], schema: Mapping[str, Any], user_id: str | None, template: str
) -> None:
    """Raise ValueError unless the event names its contract's producer (the schema's default of
    ``producer``) and that producer's broker user published it."""
    producer = schema.get("properties", {}).get("producer", {}).get("default")
    if producer == PLATFORM:
        # Any service may publish it: the body names which; its broker user is checked below.
        if not event.get("producer") or event.get("producer") == PLATFORM:
            raise ValueError(f"producer {event.get('producer')!r} names no service of the platform")
    elif producer is not None and event.get("producer") != producer:
        raise ValueError(f"producer {event.get('producer')!r} is not its contract's ({producer!r})")
    expected = template.replace("{producer}", str(event.get("producer", "")))
    if user_id != expected:
        raise ValueError(
            f"published by broker user {user_id or 'unknown'!r}, not by {expected!r} "
            f"(the broker user of its producer {event.get('producer')!r})"
        )


def _now() -> str:
    return datetime.now(UTC).isoformat()


async def consume(args: argparse.Namespace, stop: asyncio.Event) -> None:
    """Bind, then handle messages until ``stop`` is set."""
    schemas = Path(args.schemas)
    bound = load_validators(schemas, sorted(set(args.bind)))
    # candidate.erased.v1 comes with any key about a person (the platform grants it with them);
    # a team bound only to keys without personal data is not granted it, and keeps nothing to erase.
    about_people = any(carries_personal_data(v.schema) for v in bound.values())
    keys = sorted({*args.bind, ERASED} if about_people else set(args.bind))
    validators = {**bound, **load_validators(schemas, [ERASED] if about_people else [])}
    store = Store(Path(args.store))
    clients = [logging.getLogger(name) for name in ("aio_pika", "aiormq")]
    for client in clients:  # a failed first connection is said in one line (main)
        client.setLevel(logging.CRITICAL)
    connection = await aio_pika.connect_robust(args.amqp_url, timeout=10)
    for client in clients:  # reconnections later are logged
        client.setLevel(logging.NOTSET)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=20)
        exchange = await channel.get_exchange(args.exchange, ensure=True)  # declared by the platform
        # Your queue is made for you by the platform's setup (named in teams.toml, with its
        # limits and its dead-letter queue ext.<team>.dead-letters): your user cannot declare a
        # queue, so this only checks that it is there (a passive declare).
        queue = await channel.get_queue(args.queue, ensure=True)
        for key in keys:
            await queue.bind(exchange, routing_key=key)
        print(f"bound {args.queue} to {args.exchange} for {', '.join(keys)}", flush=True)

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            key = message.routing_key or ""
            validator = validators.get(key)
            try:
                event = json.loads(message.body)
                errors = [] if validator is None else sorted(validator.iter_errors(event), key=str)
                if validator is None or errors:
                    raise ValueError(errors[0].message if errors else f"no schema bound for {key}")
                schema = validator.schema if isinstance(validator.schema, Mapping) else {}
                check_publisher(event, schema, message.user_id, args.publisher_user)
            except ValueError as error:  # not JSON, not valid against the schema, or forged
                store.reject(message.message_id, key, str(error))
                print(f"rejected {key} {message.message_id}: {error}", flush=True)
                await message.reject(requeue=False)  # to ext.<team>.dead-letters
                return
            outcome = store.handle(key, event, aggregate_of(validator, event))
            print(f"{outcome} {key} {event['event_id']}", flush=True)
            await message.ack()

        tag = await queue.consume(on_message)
        await stop.wait()
        await queue.cancel(tag)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--amqp-url", required=True, help="amqp://user:password@host:5672/vhost")
    parser.add_argument("--exchange", default="rtw.events", help="the platform's events exchange")
    parser.add_argument("--queue", required=True, help="your team's queue, e.g. ext.<team>.events")
    parser.add_argument("--bind", action="append", default=[], help="a routing key (repeatable)")
    parser.add_argument("--schemas", required=True, help="directory of <routing key>.json schemas")
    parser.add_argument("--store", default="inbox.sqlite3", help="the SQLite file to keep data in")
    parser.add_argument(
        "--publisher-user",
        default="rtw-{producer}",
        help="the broker user each producer publishes as, {producer} replaced (default rtw-{producer})",
    )
    args = parser.parse_args(argv)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await consume(args, stop)

    try:
        asyncio.run(run())
    except aio_pika.exceptions.ProbableAuthenticationError:
        return _fail("the broker refused the user or password of --amqp-url")
    except aio_pika.exceptions.ChannelNotFoundEntity as error:
        return _fail(
            f"{_reason(error)} (check --exchange and the virtual host of --amqp-url; your queues are "
            "made for you: --queue must be one your team's entry in deploy/rabbitmq/teams.toml names)"
        )
    except aio_pika.exceptions.AMQPChannelError as error:  # ACCESS_REFUSED
        return _fail(
            f"{_reason(error)} (your broker user may use only its own queues, ext.<team>.<queue>, "
            "and bind only the routing keys granted to your team in deploy/rabbitmq/teams.toml)"
        )
    except (OSError, aio_pika.exceptions.AMQPConnectionError) as error:
        return _fail(f"cannot connect to the broker of --amqp-url: {_reason(error)}")
    except aio_pika.exceptions.AMQPError as error:  # e.g. a virtual host that does not exist
        return _fail(
            f"the broker closed the connection (check the virtual host of --amqp-url): {_reason(error)}"
        )
    return 0


def _reason(error: BaseException) -> str:
    """The broker's own words (`ACCESS_REFUSED - access to topic … refused …`), on one line."""
    reason = error.args[0] if error.args and isinstance(error.args[0], str) else str(error)
    return " ".join(reason.split()) or type(error).__name__


def _fail(message: str) -> int:
    """One line on stderr, and exit code 1: no traceback."""
    print(f"error: {message}", file=sys.stderr, flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
