"""Support for the chaos test: the real services as processes, restarts of the real RabbitMQ and
PostgreSQL, and what the broker says about queues."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import aio_pika
import asyncpg
import httpx
from aio_pika.exceptions import ChannelClosed
from rtw_platform.db import asyncpg_dsn
from rtw_platform.registry import consumed_queues
from rtw_platform.testing.mail import free_port

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def why_services_cannot_be_restarted(database_url: str, amqp_url: str) -> str | None:
    """Why this test may not restart RabbitMQ and PostgreSQL here, or None if it may."""
    if os.environ.get("RTW_CHAOS", "1") == "0":
        return "RTW_CHAOS=0: restarting the shared RabbitMQ and PostgreSQL is switched off"
    if urlparse(database_url).hostname not in LOCAL_HOSTS or urlparse(amqp_url).hostname not in LOCAL_HOSTS:
        return "the test PostgreSQL or RabbitMQ is not a local server this test could restart"
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        return "restarting RabbitMQ (rabbitmqctl) and PostgreSQL (pg_ctlcluster) needs root"
    missing = [c for c in ("rabbitmqctl", "pg_ctlcluster") if shutil.which(c) is None]
    if missing:
        return f"cannot restart the services: {', '.join(missing)} not found"
    if not _postgres_cluster():
        return "no PostgreSQL cluster under /etc/postgresql to restart"
    return None


def _postgres_cluster() -> tuple[str, str] | None:
    root = Path("/etc/postgresql")
    if not root.is_dir():
        return None
    for version in sorted(root.iterdir()):
        if (version / "main").is_dir():
            return version.name, "main"
    return None


async def _run(*command: str, timeout: float = 120) -> None:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), timeout=timeout)
    except TimeoutError:
        process.kill()
        raise
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}): {out.decode()[-2000:]}")


async def stop_broker() -> None:
    """Stop the RabbitMQ application (the Erlang node stays up): every connection drops."""
    await _run("rabbitmqctl", "stop_app")


async def start_broker() -> None:
    """Start the RabbitMQ application and wait until it accepts work (always call after stop)."""
    await _run("rabbitmqctl", "start_app")
    await _run("rabbitmqctl", "await_startup", "--timeout", "120")


async def restart_database() -> None:
    """Restart the PostgreSQL cluster (fast shutdown: every connection is cut)."""
    cluster = _postgres_cluster()
    assert cluster is not None
    await _run("pg_ctlcluster", "--skip-systemctl-redirect", cluster[0], cluster[1], "restart")


async def fetch(database_url: str, sql: str) -> list[asyncpg.Record]:
    """The rows of one query, on a connection of its own (servers may restart in between)."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url), timeout=10)
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


def all_queues(prefix: str) -> list[str]:
    """Every queue the installed services consume from, under the prefix."""
    return list(consumed_queues(prefix))


async def queue_states(amqp_url: str, queues: Sequence[str]) -> dict[str, tuple[int, int]]:
    """queue -> (messages ready, consumers), as the broker reports them (passive declares)."""
    states: dict[str, tuple[int, int]] = {}
    connection = await aio_pika.connect(amqp_url, timeout=5)
    try:
        for name in queues:
            channel = await connection.channel()
            try:
                declared = await channel.declare_queue(name, passive=True)
                result = declared.declaration_result
                states[name] = (int(result.message_count or 0), int(result.consumer_count or 0))
            except ChannelClosed:
                states[name] = (-1, 0)  # no such queue
            finally:
                if not channel.is_closed:
                    await channel.close()
    finally:
        await connection.close()
    return states


@dataclass
class ServiceProcess:
    """One service run as `rtw serve NAME` in its own process, as in production."""

    name: str
    env: dict[str, str]
    log_dir: Path
    port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.starts += 1
        log = (self.log_dir / f"{self.name}.{self.starts}.log").open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "rtw_platform.cli",
            "serve",
            self.name,
            "--port",
            str(self.port),
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    async def wait_ready(self, client: httpx.AsyncClient, timeout: float = 90) -> float:
        """Seconds until /health/consuming answered 200 (consumers back)."""
        started = time.monotonic()
        deadline = started + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.returncode is not None:
                raise AssertionError(f"{self.name} exited ({self.process.returncode}): {self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{self.url}/health/consuming", timeout=5)).status_code == 200:
                    return time.monotonic() - started
            await asyncio.sleep(0.2)
        raise AssertionError(f"{self.name} not ready after {timeout}s: {self.log_tail()}")

    async def kill(self) -> None:
        """SIGKILL: no shutdown, in-flight messages unacknowledged, transactions cut."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), timeout=30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()

    def log_tail(self, lines: int = 30) -> str:
        path = self.log_dir / f"{self.name}.{self.starts}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
