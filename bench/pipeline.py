"""Whole-pipeline benchmark: applications through all five services to the e-mails, end to end.

Starts the platform the way `rtw up` does (every service as `rtw serve NAME` in its own process,
plus its aiosmtpd mail catcher keeping a Maildir), on a scratch database `rtw_bench_<random>`
migrated with every service's migrations and a random broker prefix `bench<random>.`, so that it
disturbs nothing else. Then:

1. the raw broker limit, in the same run and before the services start: aio-pika persistent
   publishes with confirms into a quorum queue, consumed with an ack per message
   (`bench/messaging.py`'s `raw_e2e`);
2. a run at the maximum rate: N applications (`--applications`, default 5,000) submitted through
   the applications HTTP API (`POST /applications`) by `--concurrency` clients as fast as they are
   answered; it waits until every event was published, every delivery (event x subscriber) was
   processed and every e-mail reached the SMTP sink;
3. a run at half the maximum rate measured in (2), paced (open loop), for its latency.

It prints applications/s end to end, event deliveries/s, the latency from submitting an
application to the last e-mail about it reaching the sink (p50, p95, p99), the same at half rate,
and the ratio deliveries/s ÷ raw msgs/s. The last line is one JSON object.

    python bench/pipeline.py [--applications N] [--concurrency C]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from rich.console import Console
from rich.table import Table as RichTable
from rtw_applications.testing import application_form
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.db import asyncpg_dsn
from rtw_platform.registry import declared_names, installed_services
from rtw_platform.service import ServiceDefinition
from rtw_platform.testing.mail import free_port

sys.path.insert(0, str(Path(__file__).resolve().parent))
from messaging import (  # bench/messaging.py, beside this file
    RawResult,
    Scratch,
    add_server_arguments,
    raw_e2e,
    run_benchmark,
    with_database,
)

console = Console(width=140)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


# --------------------------------------------------------------------------------------------
# The mail sink: an SMTP server in this process that notes when each e-mail arrived
# --------------------------------------------------------------------------------------------


class MailSink:
    """The mail catcher `rtw up` starts: aiosmtpd in a process of its own on a free port, keeping
    every e-mail in a Maildir. An e-mail's arrival time is its file's modification time."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.maildir = folder
        self._new = folder / "new"
        self._process: subprocess.Popen[bytes] | None = None
        self._arrivals: dict[str, float] = {}
        self._read: set[str] = set()

    def start(self) -> None:
        for part in ("tmp", "new", "cur"):
            (self.maildir / part).mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                f"127.0.0.1:{self.port}",
                "-c",
                "aiosmtpd.handlers.Mailbox",
                str(self.maildir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError("the mail sink did not start")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)
        self._process = None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def total(self) -> int:
        """E-mails received so far."""
        return len(os.listdir(self._new))

    def collect(self) -> None:
        """Read the e-mails not read yet: recipient and arrival time of each."""
        for name in os.listdir(self._new):
            if name in self._read:
                continue
            path = self._new / name
            arrived = path.stat().st_mtime
            with path.open("rb") as message:
                for raw in message:
                    if not raw.strip():
                        break  # end of the headers
                    if raw[:3].lower() == b"to:":
                        recipient = raw[3:].decode(errors="replace").strip().lower()
                        self._arrivals[recipient] = max(self._arrivals.get(recipient, 0.0), arrived)
                        break
            self._read.add(name)

    def last_arrival(self, recipient: str) -> float | None:
        return self._arrivals.get(recipient)


# --------------------------------------------------------------------------------------------
# The platform: every service as its own process
# --------------------------------------------------------------------------------------------


@dataclass
class ServiceProcess:
    name: str
    env: dict[str, str]
    log_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "rtw_platform.cli", "serve", self.name, "--port", str(self.port)],
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def log_tail(self, lines: int = 20) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


async def wait_ready(services: list[ServiceProcess], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    pending = list(services)
    async with httpx.AsyncClient(timeout=3) as client:
        while pending:
            for service in list(pending):
                assert service.process is not None
                if service.process.poll() is not None:
                    raise RuntimeError(f"{service.name} exited during start-up:\n{service.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{service.url}/health/consuming")).status_code == 200:
                        pending.remove(service)
            if time.monotonic() > deadline:
                raise RuntimeError(f"not ready after {timeout:.0f}s: {[s.name for s in pending]}")
            await asyncio.sleep(0.3)


# --------------------------------------------------------------------------------------------
# Watching the pipeline drain
# --------------------------------------------------------------------------------------------


@dataclass
class Progress:
    unpublished: int
    published: int
    expected_deliveries: int
    deliveries: int
    emails_owed: int
    emails_pending: int
    emails_failed: int
    last_processed_at: float

    def done(self, sink_total: int) -> bool:
        return (
            self.unpublished == 0
            and self.deliveries >= self.expected_deliveries
            and self.emails_pending == 0
            and sink_total >= self.emails_owed
        )


class Watcher:
    """Reads, from every service's schema, what was published, processed and e-mailed."""

    def __init__(self, dsn: str, definitions: list[ServiceDefinition]) -> None:
        self._dsn = dsn
        self._conn: asyncpg.Connection | None = None
        self._schemas = [d.schema for d in definitions]
        self._subscribers: dict[str, int] = defaultdict(int)
        for definition in definitions:
            for subscription in definition.subscriptions:
                self._subscribers[subscription.event.__name__] += 1
        self._outbox_sql = " UNION ALL ".join(
            f"SELECT event_type, count(*) AS n, count(*) FILTER (WHERE published_at IS NULL) AS u"
            f" FROM {schema}.outbox GROUP BY event_type"
            for schema in self._schemas
        )
        self._inbox_sql = " UNION ALL ".join(
            f"SELECT count(*) AS n, max(processed_at) AS last FROM {schema}.inbox" for schema in self._schemas
        )

    async def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None

    async def progress(self) -> Progress:
        """What the services have done so far (reconnecting once if the connection failed)."""
        try:
            return await self._progress()
        except (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError):
            await self.close()
            return await self._progress()

    async def _progress(self) -> Progress:
        if self._conn is None:
            # No statement cache: the few statements are cheap, and nothing can go stale.
            self._conn = await asyncpg.connect(self._dsn, statement_cache_size=0)
        unpublished = published = expected = 0
        for row in await self._conn.fetch(self._outbox_sql):
            unpublished += row["u"]
            published += row["n"] - row["u"]
            expected += row["n"] * self._subscribers.get(row["event_type"], 0)
        deliveries = 0
        last = 0.0
        for row in await self._conn.fetch(self._inbox_sql):
            deliveries += row["n"]
            if row["last"] is not None:
                last = max(last, row["last"].timestamp())
        mail = await self._conn.fetchrow(
            "SELECT count(*) AS owed, count(*) FILTER (WHERE status = 'pending') AS pending,"
            " count(*) FILTER (WHERE status = 'failed') AS failed FROM notifications.deliveries"
        )
        return Progress(
            unpublished=unpublished,
            published=published,
            expected_deliveries=expected,
            deliveries=deliveries,
            emails_owed=mail["owed"],
            emails_pending=mail["pending"],
            emails_failed=mail["failed"],
            last_processed_at=last,
        )

    async def until_done(self, sink: MailSink, timeout: float) -> Progress:
        deadline = time.monotonic() + timeout
        while True:
            progress = await self.progress()
            if progress.done(sink.total):
                return progress
            if time.monotonic() > deadline:
                raise TimeoutError(f"the pipeline did not drain in {timeout:.0f}s: {progress}")
            await asyncio.sleep(0.25)


# --------------------------------------------------------------------------------------------
# Submitting applications
# --------------------------------------------------------------------------------------------


@dataclass
class Submitted:
    """When each application (by e-mail address) was submitted, and the first and last."""

    at: dict[str, float] = field(default_factory=dict)
    first: float = 0.0
    last_answered: float = 0.0
    refused: list[str] = field(default_factory=list)


async def submit(
    url: str,
    cohort_id: str,
    count: int,
    *,
    concurrency: int,
    rate: float | None,
    tag: str,
    admin: str,
) -> Submitted:
    """Submit `count` applications as a partner's service (an admin's token: anonymous callers
    are only e-mailed a link); as fast as answered (rate None) or paced at `rate` per second."""
    result = Submitted()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    next_index = 0

    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:

        async def one(index: int) -> None:
            email = f"bench.{tag}.{index}.{uuid.uuid4().hex[:6]}@example.org"
            form = application_form(cohort_id=cohort_id, email=email)
            headers = {"Idempotency-Key": str(uuid.uuid4()), "Authorization": f"Bearer {admin}"}
            submitted_at = time.time()
            while True:
                try:
                    response = await client.post("/applications", json=form, headers=headers)
                except httpx.HTTPError:
                    await asyncio.sleep(0.2)
                    continue
                if response.status_code >= 500:
                    await asyncio.sleep(0.2)
                    continue
                break
            if response.status_code in (200, 201):
                result.at[email] = submitted_at
            else:
                result.refused.append(f"{response.status_code}: {response.text[:200]}")
            result.last_answered = max(result.last_answered, time.time())

        result.first = time.time()
        if rate is None:

            async def worker() -> None:
                nonlocal next_index
                while next_index < count:
                    index = next_index
                    next_index += 1
                    await one(index)

            await asyncio.gather(*(worker() for _ in range(concurrency)))
        else:
            start = time.perf_counter()
            tasks: set[asyncio.Task[None]] = set()
            for index in range(count):
                delay = start + index / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                task = asyncio.create_task(one(index))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            if tasks:
                await asyncio.gather(*tasks)
    return result


@dataclass
class RunResult:
    label: str
    applications: int
    seconds: float
    submit_seconds: float
    deliveries: int
    emails: int
    latencies: list[float]
    rate: float | None
    cpu: dict[str, float]
    """CPU seconds each service process (and this one, which submits and sinks mail) used."""

    @property
    def applications_per_s(self) -> float:
        return self.applications / self.seconds

    @property
    def deliveries_per_s(self) -> float:
        return self.deliveries / self.seconds


async def run_load(
    label: str,
    url: str,
    cohort_id: str,
    count: int,
    watcher: Watcher,
    sink: MailSink,
    pids: dict[str, int],
    *,
    concurrency: int,
    rate: float | None,
    timeout: float,
    admin: str,
) -> RunResult:
    before = await watcher.progress()
    emails_before = sink.total
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    own_cpu = time.process_time()
    submitted = await submit(
        url, cohort_id, count, concurrency=concurrency, rate=rate, tag=label, admin=admin
    )
    if submitted.refused:
        raise RuntimeError(f"{len(submitted.refused)} applications refused, e.g. {submitted.refused[0]}")
    after = await watcher.until_done(sink, timeout=timeout)
    await asyncio.to_thread(sink.collect)
    latencies: list[float] = []
    last_email = 0.0
    for email, at in submitted.at.items():
        arrived = sink.last_arrival(email)
        if arrived is None:
            raise RuntimeError(f"no e-mail reached the sink for {email}")
        latencies.append(arrived - at)
        last_email = max(last_email, arrived)
    finished = max(last_email, after.last_processed_at)
    cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
    cpu["bench (HTTP clients)"] = time.process_time() - own_cpu
    return RunResult(
        label=label,
        applications=len(submitted.at),
        seconds=finished - submitted.first,
        submit_seconds=submitted.last_answered - submitted.first,
        deliveries=after.deliveries - before.deliveries,
        emails=sink.total - emails_before,
        latencies=latencies,
        rate=rate,
        cpu=cpu,
    )


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


async def migrate(database_url: str) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "rtw_platform.cli",
        "migrate",
        env={**os.environ, "RTW_DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"rtw migrate failed:\n{out.decode(errors='replace')[-2000:]}")


async def open_cohort(url: str, token: str, cohort_id: str) -> None:
    today = datetime.now(UTC).date()
    body = {
        "id": cohort_id,
        "programme": "ict",
        "title": "Benchmark cohort",
        "opens_on": (today - timedelta(days=1)).isoformat(),
        "closes_on": (today + timedelta(days=30)).isoformat(),
        "video_required": False,
    }
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        response = await client.put(
            f"/cohorts/{cohort_id}", json=body, headers={"Authorization": f"Bearer {token}"}
        )
    if response.status_code != 200:
        raise RuntimeError(f"opening the cohort failed: {response.status_code} {response.text[:500]}")


def report(raw: RawResult, full: RunResult, half: RunResult | None, args: argparse.Namespace) -> None:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    table = RichTable(
        title="Whole-pipeline benchmark (five services as processes, local RabbitMQ + PostgreSQL)",
        caption=f"{os.cpu_count()} CPUs; load average at the end (1, 5, 15 min): {load}",
    )
    for column, justify in (
        ("measure", "left"),
        ("count", "right"),
        ("seconds", "right"),
        ("per second", "right"),
        ("p50", "right"),
        ("p95", "right"),
        ("p99", "right"),
        ("target", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    table.add_row(
        "raw e2e (aio-pika → quorum queue → ack)",
        f"{raw.messages}",
        f"{raw.seconds:.2f}",
        f"{raw.per_s:,.0f} msg/s",
        "",
        "",
        "",
        "",
    )
    for run in (full, half):
        if run is None:
            continue
        pace = "max rate" if run.rate is None else f"paced at {run.rate:,.1f}/s"
        table.add_row(
            f"applications, submission → last e-mail ({pace})",
            f"{run.applications}",
            f"{run.seconds:.2f}",
            f"{run.applications_per_s:,.1f} apps/s",
            f"{percentile(run.latencies, 50):.2f} s",
            f"{percentile(run.latencies, 95):.2f} s",
            f"{percentile(run.latencies, 99):.2f} s",
            "≥ 100 apps/s" if run.rate is None else "p95 < 2 s",
        )
        table.add_row(
            "  of which: HTTP submissions answered",
            f"{run.applications}",
            f"{run.submit_seconds:.2f}",
            f"{run.applications / run.submit_seconds:,.1f} apps/s",
            "",
            "",
            "",
            "",
        )
        table.add_row(
            "  event deliveries (event x subscriber, inbox rows)",
            f"{run.deliveries}",
            f"{run.seconds:.2f}",
            f"{run.deliveries_per_s:,.0f} /s",
            "",
            "",
            "",
            "",
        )
        table.add_row("  e-mails at the sink", f"{run.emails}", "", "", "", "", "", "")
    table.add_row(
        "ratio deliveries/s ÷ raw msgs/s (max-rate run)",
        "",
        "",
        f"{full.deliveries_per_s / raw.per_s:.2f}",
        "",
        "",
        "",
        "≥ 0.4",
    )
    console.print(table)
    cpu = RichTable(title="Where the CPU went in the max-rate run (processes' user + system time)")
    cpu.add_column("process")
    cpu.add_column("CPU seconds", justify="right")
    cpu.add_column("ms per application", justify="right")
    cpu.add_column("share of the wall time", justify="right")
    for name, seconds in sorted(full.cpu.items(), key=lambda kv: -kv[1]):
        cpu.add_row(
            name,
            f"{seconds:.1f}",
            f"{1000 * seconds / full.applications:.1f}",
            f"{100 * seconds / full.seconds:.0f} % of a core",
        )
    console.print(cpu)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=5000, help="applications at the max rate")
    parser.add_argument(
        "--half-rate-applications",
        type=int,
        default=None,
        help="applications at half the max rate (default: half of --applications; 0 skips the run)",
    )
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent HTTP clients")
    parser.add_argument("--warmup", type=int, default=50, help="applications before measuring")
    parser.add_argument("--raw-messages", type=int, default=20000)
    parser.add_argument("--raw-window", type=int, default=500)
    parser.add_argument("--raw-prefetch", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=900, help="seconds a run may take to drain")
    add_server_arguments(parser)
    parser.add_argument("--keep-logs", action="store_true", help="print where the services' logs are")
    return parser.parse_args(argv)


async def main(args: argparse.Namespace) -> dict[str, float]:
    definitions = list(installed_services().values())
    scratch = Scratch(args.database_server_url, args.amqp_url)
    queues, exchanges = declared_names(scratch.prefix, definitions)
    log_dir = Path(tempfile.mkdtemp(prefix="rtw-bench-pipeline-"))
    sink = MailSink(log_dir / "mail")
    services: list[ServiceProcess] = []
    watcher: Watcher | None = None
    half: RunResult | None = None
    try:
        await scratch.create_database()
        console.print(f"[dim]scratch database {scratch.database}, broker prefix {scratch.prefix}[/]")
        console.print(f"[dim]raw e2e: {args.raw_messages} messages…[/]")
        raw = await raw_e2e(
            scratch, args.raw_messages, window=args.raw_window, prefetch=args.raw_prefetch, warmup=1000
        )
        database_url = with_database(scratch.server_url, scratch.database)
        await migrate(database_url)
        await asyncio.to_thread(sink.start)
        secret = uuid.uuid4().hex + uuid.uuid4().hex
        env = {
            "RTW_DATABASE_URL": database_url,
            "RTW_AMQP_URL": scratch.amqp_url,
            "RTW_TOPOLOGY_PREFIX": scratch.prefix,
            "RTW_LOG_LEVEL": "WARNING",
            "RTW_LOG_JSON": "true",
            "RTW_TOKEN_SECRET": secret,
            "RTW_DEVELOPMENT_MODE": "true",  # a scratch platform: e.g. the default certificate key
            "RTW_SMTP_HOST": "127.0.0.1",
            "RTW_SMTP_PORT": str(sink.port),
            "RTW_EMAIL_BACKEND": "smtp",
            "RTW_FILE_STORE_URL": f"file://{log_dir}/files",
        }
        scratch.queues.update(queues)
        scratch.exchanges.update(exchanges)
        services = [ServiceProcess(d.name, env, log_dir) for d in definitions]
        for service in services:
            service.start()
        await wait_ready(services)
        by_name = {s.name: s for s in services}
        console.print(f"[dim]{len(services)} services ready: {', '.join(by_name)}; logs in {log_dir}[/]")
        applications_url = by_name["applications"].url
        admin = issue_token(secret, Principal("bench-admin", Role.ADMIN))
        cohort_id = f"ict-bench-{scratch.token[:6]}"
        await open_cohort(applications_url, admin, cohort_id)
        watcher = Watcher(asyncpg_dsn(database_url), definitions)
        pids = {s.name: s.process.pid for s in services if s.process is not None}
        if sink.pid is not None:
            pids["mail sink (aiosmtpd)"] = sink.pid
        if args.warmup:
            console.print(f"[dim]warm-up: {args.warmup} applications…[/]")
            await run_load(
                "warm",
                applications_url,
                cohort_id,
                args.warmup,
                watcher,
                sink,
                pids,
                concurrency=min(args.concurrency, args.warmup),
                rate=None,
                timeout=args.timeout,
                admin=admin,
            )
        console.print(f"[dim]max rate: {args.applications} applications, {args.concurrency} clients…[/]")
        full = await run_load(
            "max",
            applications_url,
            cohort_id,
            args.applications,
            watcher,
            sink,
            pids,
            concurrency=args.concurrency,
            rate=None,
            timeout=args.timeout,
            admin=admin,
        )
        half_count = (
            args.applications // 2 if args.half_rate_applications is None else args.half_rate_applications
        )
        if half_count > 0:
            rate = full.applications_per_s / 2
            console.print(f"[dim]half rate: {half_count} applications at {rate:.1f}/s…[/]")
            half = await run_load(
                "half",
                applications_url,
                cohort_id,
                half_count,
                watcher,
                sink,
                pids,
                concurrency=max(args.concurrency, 64),
                rate=rate,
                timeout=args.timeout,
                admin=admin,
            )
        final = await watcher.progress()
        if final.emails_failed:
            console.print(f"[red]{final.emails_failed} e-mails failed[/]")
        for service in services:
            assert service.process is not None
            if service.process.poll() is not None:
                raise RuntimeError(f"{service.name} exited:\n{service.log_tail()}")
    finally:
        if watcher is not None:
            await watcher.close()
        for service in services:
            await asyncio.to_thread(service.stop)
        await asyncio.to_thread(sink.stop)
        problems = await scratch.cleanup()
        for problem in problems:
            console.print(f"[red]{problem}[/]")
        if args.keep_logs:
            console.print(f"[dim]services' logs: {log_dir}[/]")
        else:
            await asyncio.to_thread(shutil.rmtree, log_dir, True)
    report(raw, full, half, args)
    figures = {
        "applications_per_s": round(full.applications_per_s, 1),
        "deliveries_per_s": round(full.deliveries_per_s, 1),
        "p50_s": round(percentile(full.latencies, 50), 3),
        "p95_s": round(percentile(full.latencies, 95), 3),
        "p99_s": round(percentile(full.latencies, 99), 3),
        "raw_e2e_msgs_per_s": round(raw.per_s, 1),
        "ratio": round(full.deliveries_per_s / raw.per_s, 3),
    }
    if half is not None:
        figures["half_rate_applications_per_s"] = round(half.applications_per_s, 1)
        figures["half_rate_p95_s"] = round(percentile(half.latencies, 95), 3)
    return figures


if __name__ == "__main__":
    arguments = parse_args()
    run_benchmark(main, arguments)
