"""The test fixtures' servers: without PostgreSQL or RabbitMQ the tests that need them are skipped on
a developer's machine, but fail in CI (`CI=true`, or `RTW_TEST_REQUIRE_SERVICES=1`), so a CI run
cannot go green with most of its tests skipped. Each case runs pytest on a one-test file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from rtw_platform.testing.infrastructure import services_required

pytestmark = pytest.mark.contracts

TEST_FILE = """
def test_needs_the_server({fixture}):
    assert {fixture}
"""


def closed_port() -> int:
    """A port nothing listens on (bound for a moment, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def run_pytest(folder: Path, fixture: str, **env: str) -> subprocess.CompletedProcess[str]:
    """pytest on a file whose one test needs `fixture`, with the environment changed by `env`."""
    (folder / "test_one.py").write_text(TEST_FILE.format(fixture=fixture))
    environment = {k: v for k, v in os.environ.items() if k not in ("CI", "RTW_TEST_REQUIRE_SERVICES")}
    environment.update(env)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "rtw_platform.testing.fixtures",
        "-p",
        "no:cacheprovider",
    ]
    return subprocess.run(
        [*command, "-q", "-rs", "test_one.py"],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_missing_database_skips_on_a_developers_machine(tmp_path: Path) -> None:
    port = closed_port()
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
    run = run_pytest(tmp_path, "database_server_url", RTW_TEST_DATABASE_URL=url)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 skipped" in run.stdout
    assert f"no PostgreSQL answers at RTW_TEST_DATABASE_URL (127.0.0.1:{port})" in run.stdout


def test_a_missing_database_fails_the_run_in_ci(tmp_path: Path) -> None:
    port = closed_port()
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
    run = run_pytest(tmp_path, "database_server_url", RTW_TEST_DATABASE_URL=url, CI="true")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 error" in run.stdout
    assert "skipped" not in run.stdout
    assert f"no PostgreSQL answers at RTW_TEST_DATABASE_URL (127.0.0.1:{port})" in run.stdout


def test_a_missing_broker_fails_the_run_when_servers_are_required(tmp_path: Path) -> None:
    port = closed_port()
    url = f"amqp://guest:secret-password@127.0.0.1:{port}/"
    required = run_pytest(tmp_path, "amqp_url", RTW_TEST_AMQP_URL=url, RTW_TEST_REQUIRE_SERVICES="1")
    assert required.returncode == 1, required.stdout + required.stderr
    assert f"no RabbitMQ answers at RTW_TEST_AMQP_URL (127.0.0.1:{port})" in required.stdout
    assert "secret-password" not in required.stdout  # the reason names the server, not its password


@pytest.mark.parametrize(
    ("ci", "required", "expected"),
    [
        (None, None, False),
        ("true", None, True),
        ("TRUE", None, True),
        ("false", None, False),
        ("1", None, False),  # CI systems say "true"; anything else is not taken as CI
        (None, "1", True),
        ("false", "1", True),
        (None, "0", False),
    ],
)
def test_servers_are_required_in_ci_or_when_asked(
    monkeypatch: pytest.MonkeyPatch, ci: str | None, required: str | None, expected: bool
) -> None:
    for name, value in (("CI", ci), ("RTW_TEST_REQUIRE_SERVICES", required)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert services_required() is expected


REPOSITORY = Path(__file__).resolve().parents[3]


def test_a_missing_chromium_skips_the_browser_tests_here_and_fails_them_in_ci(tmp_path: Path) -> None:
    (tmp_path / "test_one.py").write_text("def test_needs_a_browser(browser):\n    assert browser\n")
    environment = {k: v for k, v in os.environ.items() if k not in ("CI", "RTW_TEST_REQUIRE_SERVICES")}
    environment.update(
        RTW_CHROMIUM=str(tmp_path / "no-chromium"),
        PATH=str(Path(sys.executable).parent),  # no chromium on the PATH either
        PYTHONPATH=str(REPOSITORY / "tests" / "browser"),  # its conftest, as a plugin
    )
    command = [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-q", "-rs"]
    runs = {
        ci: subprocess.run(
            [*command, "test_one.py"],
            cwd=tmp_path,
            env={**environment, "CI": ci},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        for ci in ("false", "true")
    }
    assert runs["false"].returncode == 0, runs["false"].stdout + runs["false"].stderr
    assert "1 skipped" in runs["false"].stdout
    assert runs["true"].returncode == 1, runs["true"].stdout + runs["true"].stderr
    assert "1 error" in runs["true"].stdout
    for run in runs.values():
        assert f"no Chromium at {tmp_path / 'no-chromium'}" in run.stdout


def test_ensure_chromium_fails_in_ci_when_it_cannot_install_chromium(tmp_path: Path) -> None:
    script = REPOSITORY / "deploy" / "local" / "ensure-chromium.sh"
    nothing = tmp_path / "empty"
    nothing.mkdir()
    base = {"PATH": str(nothing), "RTW_CHROMIUM": str(tmp_path / "no-chromium")}  # no apt-get
    here = subprocess.run(["/bin/bash", str(script)], env=base, capture_output=True, text=True, check=False)
    assert here.returncode == 0, here.stderr
    assert "the browser tests will be skipped" in here.stderr
    ci = subprocess.run(
        ["/bin/bash", str(script)], env={**base, "CI": "true"}, capture_output=True, text=True, check=False
    )
    assert ci.returncode == 1, ci.stderr
    assert "the browser tests cannot run" in ci.stderr
