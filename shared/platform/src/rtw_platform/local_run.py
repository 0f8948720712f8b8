"""`rtw up`: every service as its own process against the local RabbitMQ and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
from rich.console import Console

from .service import ServiceDefinition

console = Console()


def run_services(definitions: Sequence[ServiceDefinition], *, ready_timeout_s: float = 120) -> int:
    """Start the services, print their URLs, and stop them all on Ctrl-C or if one dies."""
    processes: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def stop(*_args: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    # People reach every service through the entry proxy: links in e-mails and pages point there.
    os.environ.setdefault("RTW_PUBLIC_URL", f"http://127.0.0.1:{os.environ.get('RTW_ENTRY_PORT', '8080')}")
    try:
        catcher = _start_mail_catcher()
        if catcher is not None:
            processes["mail-catcher"] = catcher
        for definition in definitions:
            processes[definition.name] = subprocess.Popen(
                [sys.executable, "-m", "rtw_platform.cli", "serve", definition.name],
                env=os.environ.copy(),
            )
        processes["entry-proxy"] = subprocess.Popen(
            [sys.executable, "-m", "rtw_platform.entry_proxy"], env=os.environ.copy()
        )
        if not _wait_until_ready(definitions, processes, ready_timeout_s):
            return 1
        _print_urls(definitions)
        console.print("[bold]Running.[/bold] Ctrl-C stops every service.")
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    console.print(f"[red]{name} exited with {process.returncode}; stopping all[/red]")
                    return 1
            time.sleep(0.5)
        return 0
    finally:
        _terminate(processes)


MAILDIR = Path(os.environ.get("RTW_MAILDIR", "var/mail"))
#: The notifications service sends to RTW_SMTP_PORT (its setting): the catcher listens there.
SMTP_PORT = int(os.environ.get("RTW_SMTP_PORT", "1025"))


def _start_mail_catcher() -> subprocess.Popen[bytes] | None:
    """A local SMTP server on 127.0.0.1:RTW_SMTP_PORT (1025) that keeps every e-mail in
    RTW_MAILDIR (var/mail, a Maildir), when aiosmtpd is installed (it is, with the development
    tools) and the port is free."""
    import importlib.util
    import socket

    if importlib.util.find_spec("aiosmtpd") is None:
        return None
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", SMTP_PORT)) == 0:
            return None  # something already catches mail there
    for part in ("tmp", "new", "cur"):  # a Maildir
        (MAILDIR / part).mkdir(parents=True, exist_ok=True)
    console.print(f"mail catcher: 127.0.0.1:{SMTP_PORT}, messages kept in {MAILDIR}/new")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{SMTP_PORT}",
            "-c",
            "aiosmtpd.handlers.Mailbox",
            str(MAILDIR),
        ]
    )


def base_url(definition: ServiceDefinition) -> str:
    """Where the service listens locally."""
    settings = definition.settings()
    return f"http://{settings.http_host}:{settings.http_port}"


def _wait_until_ready(
    definitions: Sequence[ServiceDefinition],
    processes: dict[str, subprocess.Popen[bytes]],
    timeout_s: float,
) -> bool:
    deadline = time.monotonic() + timeout_s
    pending = {d.name: base_url(d) for d in definitions}
    while pending and time.monotonic() < deadline:
        for name, url in list(pending.items()):
            if processes[name].poll() is not None:  # a service exited during start-up
                console.print(f"[red]{name} exited during start-up ({processes[name].returncode})[/red]")
                return False
            try:
                if httpx.get(f"{url}/health/consuming", timeout=2).status_code == 200:
                    del pending[name]
            except httpx.HTTPError:
                pass
        time.sleep(0.3)
    if pending:
        console.print(f"[red]not ready after {timeout_s:.0f}s: {', '.join(pending)}[/red]")
        return False
    return True


def _print_urls(definitions: Sequence[ServiceDefinition]) -> None:
    entry = os.environ.get("RTW_ENTRY_PORT", "8080")
    console.print(f"[bold]Entry:[/bold] http://127.0.0.1:{entry}/ (every service under /<service>/)")
    console.print(
        "Each service answers /docs (API), /health/ready (pages), /health/consuming (events),"
        " /asyncapi.json and /metrics:"
    )
    for definition in definitions:
        console.print(f"  {definition.name:<14} {base_url(definition)}", soft_wrap=True)


def _terminate(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 30
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
