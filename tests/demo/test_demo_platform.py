"""`make demo` runs a platform of its own, on a database and a broker vhost of its own, with its own
mail and files, and none of the operator's settings; it refuses, in one line, to run while anything
holds the platform's ports rather than play through an operator's platform."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import asyncpg
import demo_platform
import httpx
import pytest
from demo_platform import DemoRefused, database_of, demo_environment, vhost_of
from rtw_platform.testing.broker_users import MANAGEMENT

ROOT = Path(__file__).resolve().parents[2]
OPERATOR = {
    "PATH": "/usr/bin",
    "RTW_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:5432/rtw",
    "RTW_AMQP_URL": "amqp://rtw:secret@127.0.0.1:5672/rtw",
    "RTW_DLQ_AMQP_URL": "amqp://dead:letters@127.0.0.1:5672/rtw",
    "RTW_SECRETS_DIR": "/run/secrets",
    "RTW_EMAIL_BACKEND": "notify",
    "RTW_NOTIFY_API_KEY": "live-key",
    "RTW_MAILDIR": "var/mail",
    "RTW_FILE_STORE_URL": "s3://operator-videos",
    "RTW_TOPOLOGY_PREFIX": "prod-",
    "RTW_PUBLIC_URL": "https://returners.example.org",
}


@pytest.mark.unit
def test_the_demo_runs_on_its_own_database_vhost_mail_and_files() -> None:
    env = demo_environment(OPERATOR)
    assert database_of(env["RTW_DATABASE_URL"]) == ("127.0.0.1:5432", "rtw_demo")
    assert vhost_of(env["RTW_AMQP_URL"]) == ("127.0.0.1:5672", "rtw-demo")
    assert env["RTW_DLQ_AMQP_URL"] == env["RTW_AMQP_URL"]
    assert env["RTW_MAILDIR"] == "var/demo/mail"
    assert env["RTW_SMTP_PORT"] == "1026"  # its own mail catcher, not the operator's on 1025
    assert env["RTW_EMAIL_BACKEND"] == "smtp"
    assert env["RTW_FILE_STORE_URL"] == "file://var/demo/files"
    assert not Path(env["RTW_SECRETS_DIR"]).is_dir()  # no secret file of the operator's is read
    assert env["PATH"] == "/usr/bin"
    # Nothing of the operator's settings reaches the demo's platform.
    assert not {k for k, v in env.items() if k.startswith("RTW_") and OPERATOR.get(k) == v}
    assert "RTW_NOTIFY_API_KEY" not in env
    assert "RTW_TOPOLOGY_PREFIX" not in env


@pytest.mark.unit
def test_with_nothing_set_the_demo_is_still_apart_from_the_platforms_defaults() -> None:
    env = demo_environment({})
    assert database_of(env["RTW_DATABASE_URL"])[1] != "rtw"
    assert vhost_of(env["RTW_AMQP_URL"])[1] != "/"


@pytest.mark.unit
@pytest.mark.parametrize(
    ("operator", "demo"),
    [
        (
            {"RTW_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:5432/rtw_demo"},
            {},
        ),
        (
            {},
            {"RTW_DEMO_DATABASE_URL": "postgresql+asyncpg://someone@127.0.0.1/rtw"},
        ),
        (
            {"RTW_AMQP_URL": "amqp://guest:guest@127.0.0.1:5672/rtw-demo"},
            {},
        ),
        (
            {"RTW_DLQ_AMQP_URL": "amqp://admin:x@127.0.0.1/rtw-demo"},
            {},
        ),
        (
            {},
            {"RTW_DEMO_AMQP_URL": "amqp://guest:guest@127.0.0.1:5672"},  # the default vhost, `/`
        ),
    ],
)
def test_the_demo_refuses_a_database_or_vhost_that_is_the_operators(
    operator: dict[str, str], demo: dict[str, str]
) -> None:
    with pytest.raises(DemoRefused, match="the operator's"):
        demo_environment({**operator, **demo})


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


@pytest.mark.unit
def test_a_running_platform_is_refused_in_one_line_and_nothing_is_touched(
    taken_port: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(demo_platform, "PLATFORM_PORTS", (taken_port,))

    def touched(*_: object) -> None:
        raise AssertionError("the demo prepared its platform though a port was taken")

    monkeypatch.setattr(demo_platform, "prepare", touched)
    monkeypatch.setattr(demo_platform, "running_platform", touched)
    assert demo_platform.main() == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"127.0.0.1:{taken_port}" in err
    assert "stop that one" in err


@pytest.mark.unit
def test_every_step_gets_the_demos_environment_not_the_callers(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in OPERATOR.items():
        monkeypatch.setenv(key, value)
    seen: dict[str, dict[str, str]] = {}
    monkeypatch.setattr(demo_platform, "busy_ports", lambda ports: [])
    monkeypatch.setattr(demo_platform, "prepare", lambda env: seen.__setitem__("prepare", env))

    @contextmanager
    def platform(env: dict[str, str]) -> Iterator[None]:
        seen["platform"] = env
        yield

    monkeypatch.setattr(demo_platform, "running_platform", platform)

    def play(env: dict[str, str]) -> int:
        seen["play"] = env
        return 0

    monkeypatch.setattr(demo_platform, "play", play)
    assert demo_platform.main() == 0
    assert set(seen) == {"prepare", "platform", "play"}
    for env in seen.values():
        assert database_of(env["RTW_DATABASE_URL"])[1] == "rtw_demo"
        assert vhost_of(env["RTW_AMQP_URL"])[1] == "rtw-demo"


@pytest.mark.unit
def test_make_demo_neither_migrates_nor_creates_the_operators_database() -> None:
    planned = subprocess.run(
        ["make", "-n", "demo", "RTW_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/operator"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "deploy/local/demo_platform.py" in planned
    assert "operator" not in planned
    assert "rtw migrate" not in planned


@pytest.mark.integration
def test_prepare_creates_and_migrates_the_demo_database_and_its_vhost(
    database_server_url: str, amqp_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = uuid.uuid4().hex[:8]
    base = database_server_url.rpartition("/")[0]
    host = amqp_url.split("@", 1)[1].split("/", 1)[0]
    env = demo_environment(
        {
            "PATH": "/usr/bin:/bin",
            "RTW_DEMO_DATABASE_URL": f"{base}/rtw_demo_test_{tag}",
            "RTW_DEMO_AMQP_URL": f"amqp://guest:guest@{host}/rtw-demo-test-{tag}",
        }
    )
    monkeypatch.setattr(demo_platform, "DEMO_VAR", tmp_path)
    admin = base.replace("postgresql+asyncpg://", "postgresql://", 1) + "/postgres"
    demo_database = env["RTW_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://", 1)

    async def schemas() -> set[str]:
        conn = await asyncpg.connect(demo_database)
        try:
            return {
                r["schema_name"]
                for r in await conn.fetch("SELECT schema_name FROM information_schema.schemata")
            }
        finally:
            await conn.close()

    async def drop() -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "rtw_demo_test_{tag}" WITH (FORCE)')
        finally:
            await conn.close()

    vhost = quote(f"rtw-demo-test-{tag}", safe="")
    try:
        demo_platform.prepare(env)
        demo_platform.prepare(env)  # again: nothing to create, nothing fails
        assert {"applications", "assessment", "matching", "notifications", "training"} <= asyncio.run(
            schemas()
        )
        permission = httpx.get(
            f"{MANAGEMENT}/api/permissions/{vhost}/guest", auth=("guest", "guest"), timeout=10
        )
        assert permission.status_code == 200
        assert permission.json()["read"] == ".*"
    finally:
        asyncio.run(drop())
        httpx.delete(f"{MANAGEMENT}/api/vhosts/{vhost}", auth=("guest", "guest"), timeout=10)
