"""`make demo`: the demo's own platform, then the demo cohort played through it (demo.py).

The demo never plays through an operator's platform nor touches an operator's data. It runs the
services itself (`rtw up`) with an environment of its own: its own database (`rtw_demo`), its own
RabbitMQ vhost (`rtw-demo`, so that no unconsumed message of an operator's platform flows into the
demo, nor the reverse), its own mail catcher (port 1026, `var/demo/mail`) and file store
(`var/demo/files`), and none of the caller's `RTW_*` settings (their database, broker, secret
files or e-mail backend). It needs the platform's ports (8001-8005 and the entry, 8080) free: when
anything answers there (an operator's `make run`), it says so in one line and exits 1 rather than
use it. The local PostgreSQL and RabbitMQ are used unless RTW_DEMO_DATABASE_URL /
RTW_DEMO_AMQP_URL say otherwise; neither may name the operator's database or vhost."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import httpx

DEMO_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/rtw_demo"
DEMO_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/rtw-demo"
DEMO_VAR = Path("var/demo")
DEMO_SMTP_PORT = 1026
BROKER_ADMIN_URL = "http://127.0.0.1:15672"
#: The services' ports (applications, assessment, matching, notifications, training), the entry.
PLATFORM_PORTS = (8001, 8002, 8003, 8004, 8005, 8080)
#: What the operator's platform uses when nothing is set (rtw_platform.settings' defaults).
OPERATOR_DEFAULTS = {
    "RTW_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:5432/rtw",
    "RTW_AMQP_URL": "amqp://guest:guest@127.0.0.1:5672/",
}


class DemoRefused(Exception):
    """The demo cannot run apart from the operator's platform (the message says what to do)."""


def database_of(url: str) -> tuple[str, str]:
    """(host:port, database name) of a database URL."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 5432}", unquote(parts.path.lstrip("/"))


def vhost_of(url: str) -> tuple[str, str]:
    """(host:port, vhost) of an AMQP URL (an empty path is RabbitMQ's default vhost, `/`)."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 5672}", unquote(parts.path[1:]) or "/"


def demo_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of the demo's platform and of demo.py: the caller's, less every `RTW_*`
    setting, plus the demo's own database, vhost, mail, files and entry."""
    database = environ.get("RTW_DEMO_DATABASE_URL", DEMO_DATABASE_URL)
    amqp = environ.get("RTW_DEMO_AMQP_URL", DEMO_AMQP_URL)
    operator_database = environ.get("RTW_DATABASE_URL", OPERATOR_DEFAULTS["RTW_DATABASE_URL"])
    if database_of(database) == database_of(operator_database):
        raise DemoRefused(
            f"the demo's database is the operator's ({database_of(database)[1]}): set "
            "RTW_DEMO_DATABASE_URL to a database of the demo's own"
        )
    for setting in ("RTW_AMQP_URL", "RTW_DLQ_AMQP_URL"):
        operator_amqp = environ.get(setting, OPERATOR_DEFAULTS.get(setting, ""))
        if operator_amqp and vhost_of(amqp) == vhost_of(operator_amqp):
            raise DemoRefused(
                f"the demo's RabbitMQ vhost is the operator's ({vhost_of(amqp)[1]}): set "
                "RTW_DEMO_AMQP_URL to a vhost of the demo's own"
            )
    env = {key: value for key, value in environ.items() if not key.upper().startswith("RTW_")}
    env.update(
        {
            "RTW_DEVELOPMENT_MODE": "true",  # the demo signs its tokens with the public default key
            "RTW_DATABASE_URL": database,
            "RTW_AMQP_URL": amqp,
            "RTW_DLQ_AMQP_URL": amqp,
            "RTW_SECRETS_DIR": str(DEMO_VAR / "no-secret-files"),  # not the operator's /run/secrets
            "RTW_EMAIL_BACKEND": "smtp",
            "RTW_SMTP_HOST": "127.0.0.1",
            "RTW_SMTP_PORT": str(DEMO_SMTP_PORT),
            "RTW_MAILDIR": str(DEMO_VAR / "mail"),
            "RTW_FILE_STORE_URL": f"file://{DEMO_VAR / 'files'}",
            "RTW_PUBLIC_URL": f"http://127.0.0.1:{PLATFORM_PORTS[-1]}",
        }
    )
    return env


def busy_ports(ports: tuple[int, ...]) -> list[int]:
    """Those of the local ports something listens on."""
    busy = []
    for port in ports:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                busy.append(port)
    return busy


def refuse_if_taken() -> None:
    """One line and no demo when an operator's platform (or anything) holds the demo's ports."""
    busy = busy_ports((*PLATFORM_PORTS, DEMO_SMTP_PORT))
    if busy:
        raise DemoRefused(
            f"something already listens on 127.0.0.1:{', '.join(map(str, busy))} (a platform started "
            "with `make run`?): the demo runs its own platform on its own database and vhost, so stop "
            "that one (Ctrl-C where it runs) and run `make demo` again"
        )


def ensure_vhost(amqp_url: str, admin_url: str = BROKER_ADMIN_URL) -> None:
    """Create the demo's vhost if it is missing and let the demo's broker user use it (RabbitMQ's
    management API, as the URL's user: a local administrator such as `guest`)."""
    parts = urlsplit(amqp_url)
    user, password = unquote(parts.username or "guest"), unquote(parts.password or "guest")
    vhost = quote(vhost_of(amqp_url)[1], safe="")
    try:
        with httpx.Client(base_url=f"{admin_url}/api", auth=(user, password), timeout=15) as api:
            for path, body in (
                (f"/vhosts/{vhost}", {}),
                (
                    f"/permissions/{vhost}/{quote(user, safe='')}",
                    {"configure": ".*", "write": ".*", "read": ".*"},
                ),
            ):
                answer = api.put(path, json=body)
                if answer.status_code >= 400:
                    raise DemoRefused(
                        f"RabbitMQ refused PUT {path} ({answer.status_code}): the demo's broker user "
                        f"{user} must be an administrator, or set RTW_DEMO_AMQP_URL"
                    )
    except httpx.TransportError:
        raise DemoRefused(
            f"cannot reach RabbitMQ's management API at {admin_url} to create the demo's vhost "
            "(`make services` enables it)"
        ) from None


def prepare(env: dict[str, str]) -> None:
    """The demo's database (created, every schema migrated) and vhost."""
    import asyncio

    from create_database import main as create_database  # deploy/local/create_database.py

    DEMO_VAR.mkdir(parents=True, exist_ok=True)
    try:
        asyncio.run(create_database(env["RTW_DATABASE_URL"]))
    except OSError as exc:
        raise DemoRefused(f"cannot reach the demo's PostgreSQL: {exc}") from None
    with (DEMO_VAR / "migrate.log").open("w") as log:
        migrated = subprocess.run(
            [sys.executable, "-m", "rtw_platform.cli", "migrate"],
            env=env,
            stdout=log,
            stderr=log,
            check=False,
        )
    if migrated.returncode != 0:
        raise DemoRefused(f"migrating the demo's database failed: see {DEMO_VAR / 'migrate.log'}")
    ensure_vhost(env["RTW_AMQP_URL"])


@contextmanager
def running_platform(env: dict[str, str], timeout_s: float = 180) -> Iterator[subprocess.Popen[bytes]]:
    """`rtw up` with the demo's environment, until it says every service consumes; stopped after."""
    log_path = DEMO_VAR / "platform.log"
    with log_path.open("w") as log:
        platform = subprocess.Popen(
            [sys.executable, "-m", "rtw_platform.cli", "up"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + timeout_s
            # `rtw up` prints "Running." once its own processes answer; had anything else held a
            # port, its service would have exited and `rtw up` with it.
            while "Running." not in log_path.read_text():
                if platform.poll() is not None or time.monotonic() > deadline:
                    raise DemoRefused(f"the demo's platform did not start: see {log_path}")
                time.sleep(0.5)
            yield platform
        finally:
            if platform.poll() is None:
                platform.send_signal(signal.SIGINT)
                try:
                    platform.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    platform.kill()


def play(env: dict[str, str]) -> int:
    """demo.py (the cohort's story and the reports), with the demo's environment."""
    return subprocess.run(
        [sys.executable, str(Path(__file__).with_name("demo.py"))], env=env, check=False
    ).returncode


def main() -> int:
    try:
        env = demo_environment(os.environ)
        refuse_if_taken()
        prepare(env)
        print(
            "starting the demo's own platform (database "
            f"{database_of(env['RTW_DATABASE_URL'])[1]}, vhost {vhost_of(env['RTW_AMQP_URL'])[1]}, "
            f"mail in {env['RTW_MAILDIR']}); its log: {DEMO_VAR / 'platform.log'}",
            flush=True,
        )
        with running_platform(env) as platform:
            status = play(env)
            if status == 0 and sys.stdin.isatty():
                print("The demo's platform keeps running for the pages above: Ctrl-C stops it.", flush=True)
                with suppress(KeyboardInterrupt):
                    platform.wait()
            return status
    except DemoRefused as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
