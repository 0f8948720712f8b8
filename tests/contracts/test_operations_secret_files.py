"""The secret files docs/operations.md tells operators to write are the ones the services read: its
example, run as written in a fresh RTW_SECRETS_DIR, supplies every value and a service starts
from it without development mode; without a documented file it refuses."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from rtw_platform.registry import installed_services
from rtw_platform.secret_checks import unsafe_secrets

pytestmark = pytest.mark.contracts

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
MARKER = "<!-- secret-files:"


def documented_example() -> str:
    """The shell block right after the marker in docs/operations.md."""
    text = OPERATIONS.read_text()
    assert MARKER in text, "docs/operations.md lost its secret-files example"
    block = re.search(r"```sh\n(.*?)```", text[text.index(MARKER) :], re.DOTALL)
    assert block is not None
    return block.group(1)


@pytest.fixture
def secrets_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The docs' example run as written, in a fresh folder (its `cd` goes there instead)."""
    folder = tmp_path / "secrets"
    folder.mkdir()
    script = documented_example().replace("cd /run/secrets", f"cd {folder}")
    subprocess.run(["bash", "-euo", "pipefail", "-c", script], check=True, timeout=30)
    for name in [n for n in os.environ if n.startswith("RTW_")]:
        monkeypatch.delenv(name)  # the files alone, and no development mode
    return folder


def settings_fields() -> set[str]:
    return {f for d in installed_services().values() for f in d.settings_class.model_fields}


def secrets_section() -> str:
    text = OPERATIONS.read_text()
    start = text.index("## Secrets")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_every_file_the_docs_name_is_a_setting() -> None:
    section = secrets_section()
    named = set(re.findall(r"`(rtw_[a-z_]+)`", section))
    named |= set(re.findall(r"> (rtw_[a-z_]+)", documented_example()))
    assert {"rtw_token_secret", "rtw_certificate_key", "rtw_unsubscribe_secret"} <= named
    unknown = {n for n in named if n.removeprefix("rtw_") not in settings_fields()}
    assert not unknown, f"docs/operations.md names files no service reads: {unknown}"


def test_the_documented_files_supply_every_services_settings(secrets_dir: Path) -> None:
    written = {p.name: p.read_text().strip() for p in secrets_dir.iterdir()}
    assert {"rtw_token_secret", "rtw_certificate_key", "rtw_database_url", "rtw_amqp_url"} <= set(written)
    for definition in installed_services().values():
        settings = definition.settings_class(_secrets_dir=str(secrets_dir))
        for file, value in written.items():
            field = file.removeprefix("rtw_")
            if field in type(settings).model_fields:
                secret = getattr(settings, field)
                assert secret.get_secret_value() == value, (definition.name, file)
        assert settings.development_mode is False
        assert unsafe_secrets(settings) == [], definition.name


def test_without_the_documented_certificate_key_file_training_is_refused(secrets_dir: Path) -> None:
    (secrets_dir / "rtw_certificate_key").unlink()
    training = installed_services()["training"].settings_class(_secrets_dir=str(secrets_dir))
    assert unsafe_secrets(training) == ["RTW_CERTIFICATE_KEY is the public default"]


def test_a_file_named_after_the_field_alone_is_not_read(secrets_dir: Path) -> None:
    """What the docs used to say: `token_secret` leaves the public default in force."""
    (secrets_dir / "rtw_token_secret").rename(secrets_dir / "token_secret")
    training = installed_services()["training"].settings_class(_secrets_dir=str(secrets_dir))
    assert unsafe_secrets(training) == ["RTW_TOKEN_SECRET is the public default"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(name: str, secrets_dir: Path, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RTW_")}
    env |= {
        "RTW_SECRETS_DIR": str(secrets_dir),
        # The example's hosts are a deployment's: the variables win over the files, and point at
        # nothing, so the service starts without touching a shared database or broker.
        "RTW_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:9/nothing",
        "RTW_AMQP_URL": "amqp://nobody:nothing@127.0.0.1:9/",
        "RTW_RELAY_ENABLED": "false",
        "RTW_LOG_JSON": "true",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "rtw_platform.cli", "serve", name, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )


def test_training_starts_from_the_documented_files_and_not_without_them(secrets_dir: Path) -> None:
    port = _free_port()
    process = _serve("training", secrets_dir, port)
    try:
        deadline = time.monotonic() + 30
        live = False
        while time.monotonic() < deadline and process.poll() is None and not live:
            try:
                live = httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=1).status_code == 200
            except httpx.HTTPError:
                time.sleep(0.2)
        key = httpx.get(f"http://127.0.0.1:{port}/certificates/public-key", timeout=5) if live else None
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
    assert live, err[-3000:]
    assert key is not None
    written = serialization.load_pem_private_key((secrets_dir / "rtw_certificate_key").read_bytes(), None)
    assert (
        key.text
        == written.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )

    (secrets_dir / "rtw_certificate_key").unlink()
    refused = _serve("training", secrets_dir, _free_port())
    try:
        _out, err = refused.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(refused.pid, signal.SIGKILL)
        pytest.fail("training started without its certificate key")
    assert refused.returncode == 1
    assert "RTW_CERTIFICATE_KEY is the public default" in err
    assert "Traceback" not in err
