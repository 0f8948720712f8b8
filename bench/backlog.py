"""Backlog and bulk benchmark: a 100,000-event backlog drained by the real services, and a
100,000-row CSV imported with `rtw applications import`.

(a) Drain. The consuming services (`rtw serve NAME`, each its own process, as deployed) are started
    once so that they declare their queues, then stopped. 100,000 ApplicationSubmitted events
    (`rtw_contracts.examples.example` with a fresh event, application and candidate id each) are
    published to the events exchange, persistent with publisher confirms, and wait in the queues.
    The services are started again; `drain_s` is the time from their start (process launch) until
    every service's inbox holds every event and the queues are empty. Goal: < 5 minutes.
(b) Import. A 100,000-row CSV of valid applications to one open cohort is imported with
    `rtw applications import FILE` (its progress bar shown as it runs); `import_s` is the
    command's wall time, checked against the applications and their ApplicationSubmitted events in
    the database. Goal: < 2 minutes.

Everything it creates (a scratch database `rtw_bench_backlog_<random>` migrated with every
service's migrations, exchanges and queues under a random prefix, the CSV) is deleted at the end,
also after an error, Ctrl-C or SIGTERM. The last line printed is one JSON object.

    python bench/backlog.py [--events N] [--rows N] [--services assessment,matching]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aio_pika
import asyncpg
import httpx
from rich.console import Console
from rich.table import Table
from rtw_contracts import ApplicationSubmittedV2
from rtw_contracts import topology as names
from rtw_contracts.examples import example
from rtw_platform.db import asyncpg_dsn
from rtw_platform.migrations import upgrade
from rtw_platform.publishers import amqp_user
from rtw_platform.reference import postcode_districts
from rtw_platform.registry import declared_names, installed_services
from rtw_platform.testing.mail import free_port
from rtw_platform.topology import Topology

sys.path.insert(0, str(Path(__file__).resolve().parent))
from messaging import Scratch as MessagingScratch
from messaging import add_server_arguments, run_benchmark  # bench/messaging.py, beside this file
from rtw_applications.testing import insert_cohort

EVENT = ApplicationSubmittedV2
COHORT = "ict-backlog"
console = Console(width=140)


@dataclass
class Scratch(MessagingScratch):
    """What this run created (a migrated database, names under a prefix, processes, a folder), so
    that it can all be deleted."""

    processes: list[asyncio.subprocess.Process] = field(default_factory=list)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="rtw-backlog-")))

    @property
    def database(self) -> str:
        return f"rtw_bench_backlog_{self.token}"

    @property
    def prefix(self) -> str:
        return f"bbl{self.token}."

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "RTW_DATABASE_URL": self.database_url,
            "RTW_AMQP_URL": self.amqp_url,
            "RTW_TOPOLOGY_PREFIX": self.prefix,
            "RTW_LOG_LEVEL": "WARNING",
            "RTW_LOG_JSON": "true",
            "RTW_FILE_STORE_URL": f"file://{self.folder}/files",
            "RTW_DISPATCH_ENABLED": "false",  # notifications: make the e-mails, send none
            "RTW_DEVELOPMENT_MODE": "true",  # a scratch platform: the public default secrets will do
        }

    async def create_database(self) -> None:
        await super().create_database()
        for definition in installed_services().values():
            await asyncio.to_thread(upgrade, definition, self.database_url)

    async def cleanup(self) -> list[str]:
        for process in self.processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
        queues, exchanges = declared_names(self.prefix)
        self.queues.update(queues)
        self.exchanges.update(exchanges)
        problems = await super().cleanup()
        shutil.rmtree(self.folder, ignore_errors=True)
        return problems


# --------------------------------------------------------------------------------------------
# (a) The backlog drain
# --------------------------------------------------------------------------------------------


async def start_service(scratch: Scratch, name: str, port: int) -> asyncio.subprocess.Process:
    log = (scratch.folder / f"{name}.log").open("ab")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "rtw_platform.cli",
        "serve",
        name,
        "--port",
        str(port),
        env=scratch.env(),
        stdout=log,
        stderr=asyncio.subprocess.STDOUT,
    )
    log.close()
    scratch.processes.append(process)
    return process


async def wait_ready(scratch: Scratch, name: str, process: asyncio.subprocess.Process, port: int) -> None:
    deadline = time.monotonic() + 120
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                tail = (scratch.folder / f"{name}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} exited ({process.returncode}):\n{tail}")
            with contextlib.suppress(httpx.HTTPError):
                consuming = await client.get(f"http://127.0.0.1:{port}/health/consuming", timeout=5)
                if consuming.status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{name} not ready after 120 s")


async def stop(process: asyncio.subprocess.Process) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), timeout=40)
    except TimeoutError:
        process.kill()
        await process.wait()


def make_bodies(count: int) -> list[tuple[str, bytes]]:
    """(message id, body) of `count` ApplicationSubmitted events, each with its own ids."""
    bodies = []
    for _ in range(count):
        application_id = uuid.uuid4()
        event = example(
            EVENT,
            event_id=uuid.uuid4(),
            application_id=application_id,
            correlation_id=application_id,
            candidate_id=uuid.uuid4(),
        )
        bodies.append((str(event.event_id), event.model_dump_json().encode()))
    return bodies


async def publish(scratch: Scratch, bodies: list[tuple[str, bytes]], window: int) -> float:
    """Publish persistent with confirms, `window` in flight; seconds taken."""
    connection = await aio_pika.connect(scratch.amqp_url, timeout=10)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(
            names.exchange_name(names.EVENTS_EXCHANGE, scratch.prefix),
            aio_pika.ExchangeType.TOPIC,
            durable=True,
        )
        started = time.perf_counter()
        semaphore = asyncio.Semaphore(window)

        async def one(message_id: str, body: bytes) -> None:
            async with semaphore:
                await exchange.publish(
                    aio_pika.Message(
                        body,
                        message_id=message_id,
                        content_type="application/json",
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        type=EVENT.EVENT_TYPE,
                        user_id=amqp_user(scratch.amqp_url),
                    ),
                    routing_key=EVENT.ROUTING_KEY,
                    timeout=60,
                )

        for start in range(0, len(bodies), 10_000):
            await asyncio.gather(*(one(m, b) for m, b in bodies[start : start + 10_000]))
            console.print(f"[dim]  published {min(start + 10_000, len(bodies)):,}[/]")
        return time.perf_counter() - started
    finally:
        await connection.close()


async def queue_depths(scratch: Scratch, queues: list[str]) -> dict[str, int]:
    connection = await aio_pika.connect(scratch.amqp_url, timeout=10)
    try:
        channel = await connection.channel()
        depths = {}
        for name in queues:
            declared = await channel.declare_queue(name, passive=True)
            depths[name] = int(declared.declaration_result.message_count or 0)
        return depths
    finally:
        await connection.close()


async def processed(scratch: Scratch, services: list[str]) -> dict[str, int]:
    """Per service, the ApplicationSubmitted events its inbox holds."""
    conn = await asyncpg.connect(asyncpg_dsn(scratch.database_url))
    try:
        counts = {}
        for name in services:
            definition = installed_services()[name]
            handler = next(s.name for s in definition.subscriptions if s.event is EVENT)
            counts[name] = int(
                await conn.fetchval(
                    f'SELECT count(*) FROM "{definition.schema}".inbox WHERE handler = $1', handler
                )
            )
        return counts
    finally:
        await conn.close()


@dataclass
class DrainResult:
    events: int
    services: list[str]
    publish_s: float
    drain_s: float
    ready_s: float
    dead_letters: int


async def drain(scratch: Scratch, events: int, services: list[str], window: int) -> DrainResult:
    ports = {name: free_port() for name in services}
    queues = [Topology(name, scratch.prefix).queue_name(EVENT) for name in services]

    console.print(f"[dim]starting {', '.join(services)} once to declare their queues, then stopping them…[/]")
    first = {name: await start_service(scratch, name, ports[name]) for name in services}
    for name, process in first.items():
        await wait_ready(scratch, name, process, ports[name])
    for process in first.values():
        await stop(process)

    console.print(f"[dim]making {events:,} events…[/]")
    bodies = make_bodies(events)
    console.print(f"[dim]publishing {events:,} events with no consumer running…[/]")
    publish_s = await publish(scratch, bodies, window)
    del bodies
    depths = await queue_depths(scratch, queues)
    console.print(f"[dim]waiting in the queues: {depths}[/]")
    if any(depth != events for depth in depths.values()):
        raise RuntimeError(f"expected {events} messages in every queue, found {depths}")

    console.print("[dim]starting the consumers…[/]")
    started = time.perf_counter()
    second = {name: await start_service(scratch, name, ports[name]) for name in services}
    for name, process in second.items():
        await wait_ready(scratch, name, process, ports[name])
    ready_s = time.perf_counter() - started
    last_report = 0.0
    while True:
        counts = await processed(scratch, services)
        elapsed = time.perf_counter() - started
        if all(count >= events for count in counts.values()):
            depths = await queue_depths(scratch, queues)
            if not any(depths.values()):
                break
        for name, process in second.items():
            if process.returncode is not None:
                raise RuntimeError(f"{name} exited during the drain ({process.returncode})")
        if elapsed - last_report >= 10:
            last_report = elapsed
            done = min(counts.values())
            console.print(f"  {elapsed:6.0f} s  processed {counts}  ({done / elapsed:,.0f} events/s)")
        await asyncio.sleep(0.5)
    drain_s = time.perf_counter() - started
    dead = 0
    connection = await aio_pika.connect(scratch.amqp_url, timeout=10)
    try:
        channel = await connection.channel()
        for queue in queues:
            declared = await channel.declare_queue(names.dead_letter_queue_name(queue), passive=True)
            dead += int(declared.declaration_result.message_count or 0)
    finally:
        await connection.close()
    for process in second.values():
        await stop(process)
    return DrainResult(events, services, publish_s, drain_s, ready_s, dead)


# --------------------------------------------------------------------------------------------
# (b) The bulk import
# --------------------------------------------------------------------------------------------

GIVEN = ["Amara", "Priya", "Tomasz", "Siobhan", "Kwame", "Mei", "Rhys", "Fatima", "Oliver", "Ngozi"]
FAMILY = ["Okafor", "Shah", "Nowak", "Byrne", "Mensah", "Chen", "Evans", "Hussain", "Smith", "Adeyemi"]
# Skills the two roles below need (a skill the chosen roles do not need is refused).
SKILLS = [
    "Programming and build (software engineering):3",
    "Systems design:3",
    "Modern development standards:3",
    "Systems integration:2",
    "User focus:2",
    "Prototyping:2",
    "Data visualisation:2",
]
SPECIALISMS = "software_developer;data_analyst"


def write_csv(path: Path, rows: int) -> None:
    from rtw_applications.bulk_import import COLUMNS

    rng = random.Random(11)
    districts = [d.code for d in postcode_districts().values() if d.region.value == "west_midlands"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for i in range(rows):
            writer.writerow(
                {
                    "cohort_id": COHORT,
                    "given_name": rng.choice(GIVEN),
                    "family_name": rng.choice(FAMILY),
                    "email": f"returner.{i}@example.org",
                    "phone": f"01632 {960000 + i % 1000:06d}"[:13],
                    "preferred_language": "en",
                    "postcode_district": rng.choice(districts),
                    "right_to_work": "yes",
                    "career_break_start": f"{rng.randint(2015, 2022)}-0{rng.randint(1, 9)}",
                    "career_break_end": "2025-12",
                    "career_break_reason": rng.choice(
                        ["caring", "caring_covid_unemployed", "long_term_unemployed"]
                    ),
                    "years_experience": str(rng.randint(3, 25)),
                    "professional_body": "",
                    "registration_number": "",
                    "last_practised": "",
                    "specialisms": SPECIALISMS,
                    "skills": ";".join(rng.sample(SKILLS, rng.randint(2, 5))),
                    "flexible_working": "part_time;hybrid",
                    "max_travel_km": str(rng.choice([10, 20, 30, 50])),
                    "visible_to_regions": "west_midlands",
                    "visible_to_councils": "",
                    "earliest_start": "2027-01-04",
                    "privacy_notice_version": "2026-09",
                    "consent_to_processing": "yes",
                }
            )


async def open_cohort(scratch: Scratch) -> None:
    today = datetime.now(UTC).date()
    await insert_cohort(
        scratch.database_url, COHORT, "ict", today - timedelta(days=30), today + timedelta(days=30)
    )


@dataclass
class ImportResult:
    rows: int
    import_s: float
    applications: int
    events: int
    exit_code: int


async def bulk_import(scratch: Scratch, rows: int) -> ImportResult:
    path = scratch.folder / "applications.csv"
    console.print(f"[dim]writing a {rows:,}-row CSV…[/]")
    await asyncio.to_thread(write_csv, path, rows)
    await open_cohort(scratch)
    console.print(f"[dim]rtw applications import {path.name} ({path.stat().st_size / 1e6:.1f} MB)…[/]")
    started = time.perf_counter()
    # The command's own progress bar goes straight to this terminal.
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "rtw_platform.cli", "applications", "import", str(path), env=scratch.env()
    )
    scratch.processes.append(process)
    code = await process.wait()
    import_s = time.perf_counter() - started
    rejected = path.with_suffix(".rejected.csv")
    if rejected.exists():
        with rejected.open(newline="", encoding="utf-8") as handle:
            reasons = Counter(row["reasons"][:100] for row in csv.DictReader(handle))
        for reason, count in reasons.most_common(5):
            console.print(f"[red]  rejected {count:,}: {reason}[/]")
    conn = await asyncpg.connect(asyncpg_dsn(scratch.database_url))
    try:
        applications = int(await conn.fetchval("SELECT count(*) FROM applications.applications"))
        events = int(
            await conn.fetchval(
                "SELECT count(*) FROM applications.outbox WHERE event_type = 'ApplicationSubmitted'"
            )
        )
    finally:
        await conn.close()
    return ImportResult(rows, import_s, applications, events, code)


# --------------------------------------------------------------------------------------------


def report(drained: DrainResult | None, imported: ImportResult | None) -> None:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    table = Table(title=f"Backlog and bulk (load average {load})")
    for column in ("figure", "count", "seconds", "rate", "goal"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    if drained is not None:
        table.add_row(
            f"backlog published with no consumer ({EVENT.__name__})",
            f"{drained.events:,}",
            f"{drained.publish_s:.1f}",
            f"{drained.events / drained.publish_s:,.0f}/s",
            "",
        )
        table.add_row(
            f"drain by {', '.join(drained.services)} (from process start)",
            f"{drained.events:,}",
            f"{drained.drain_s:.1f}",
            f"{drained.events / drained.drain_s:,.0f}/s",
            "< 300 s",
        )
        table.add_row("  of which: services ready", "", f"{drained.ready_s:.1f}", "", "")
        table.add_row("  dead letters", f"{drained.dead_letters}", "", "", "0")
    if imported is not None:
        table.add_row(
            "rtw applications import",
            f"{imported.rows:,}",
            f"{imported.import_s:.1f}",
            f"{imported.rows / imported.import_s:,.0f} rows/s",
            "< 120 s",
        )
        table.add_row(
            "  applications / ApplicationSubmitted in the outbox",
            f"{imported.applications:,} / {imported.events:,}",
            "",
            "",
            f"{imported.rows:,}",
        )
    console.print(table)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="events in the backlog (0: skip)")
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the imported CSV (0: skip)")
    parser.add_argument(
        "--services",
        default="assessment",
        help="comma-separated services that consume the backlog (any that consume ApplicationSubmitted:"
        " assessment, matching, notifications, training)",
    )
    parser.add_argument("--publish-window", type=int, default=500, help="publishes in flight")
    add_server_arguments(parser)
    args = parser.parse_args(argv)
    args.services = [s.strip() for s in args.services.split(",") if s.strip()]
    consumers = {
        d.name for d in installed_services().values() if any(s.event is EVENT for s in d.subscriptions)
    }
    unknown = [s for s in args.services if s not in consumers]
    if unknown:
        parser.error(f"{', '.join(unknown)} do not consume {EVENT.__name__}; one of {sorted(consumers)}")
    return args


async def main(args: argparse.Namespace) -> dict[str, float | None]:
    scratch = Scratch(args.database_server_url, args.amqp_url)
    drained = imported = None
    try:
        console.print(f"[dim]scratch database {scratch.database} (migrating), prefix {scratch.prefix}[/]")
        await scratch.create_database()
        if args.events > 0:
            drained = await drain(scratch, args.events, args.services, args.publish_window)
        if args.rows > 0:
            imported = await bulk_import(scratch, args.rows)
    finally:
        for problem in await scratch.cleanup():
            console.print(f"[red]{problem}[/]")
    report(drained, imported)
    if imported is not None and (imported.exit_code != 0 or imported.applications != imported.rows):
        console.print(f"[red]the import did not import every row (exit {imported.exit_code})[/]")
    return {
        "drain_s": round(drained.drain_s, 1) if drained else None,
        "drain_events": drained.events if drained else None,
        "drain_events_per_s": round(drained.events / drained.drain_s, 1) if drained else None,
        "import_s": round(imported.import_s, 1) if imported else None,
        "import_rows": imported.rows if imported else None,
        "import_rows_per_s": round(imported.rows / imported.import_s, 1) if imported else None,
    }


if __name__ == "__main__":
    arguments = parse_args()
    run_benchmark(main, arguments)
