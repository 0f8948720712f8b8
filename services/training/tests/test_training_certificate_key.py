"""The key that signs certificates: training refuses to start on the public default (anyone could
sign a "genuine" certificate with it), a placeholder or a short one outside development mode, and
reads an Ed25519 PEM however the operator passes it (file, multi-line value, one line with `\\n`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError
from rtw_platform.service import ServiceRuntime
from rtw_training.app import SERVICE
from rtw_training.certificates import CertificateSigner
from rtw_training.settings import TrainingSettings

pytestmark = pytest.mark.unit

TOKEN_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978"
PUBLIC_DEFAULT = TrainingSettings.model_fields["certificate_key"].default.get_secret_value()


@pytest.fixture(autouse=True)
def deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RTW_DEVELOPMENT_MODE", "RTW_TOKEN_SECRET", "RTW_CERTIFICATE_KEY"):
        monkeypatch.delenv(name, raising=False)


def pem() -> tuple[Ed25519PrivateKey, str]:
    key = Ed25519PrivateKey.generate()
    text = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return key, text


def settings(tmp_path: Path, **values: Any) -> TrainingSettings:
    return TrainingSettings(
        _secrets_dir=str(tmp_path), token_secret=TOKEN_SECRET, relay_enabled=False, **values
    )


async def start(settings: TrainingSettings) -> ServiceRuntime:
    runtime = ServiceRuntime(SERVICE, settings, in_memory_broker=True)
    try:
        await runtime.start()
    finally:
        await runtime.stop()
    return runtime


async def test_training_refuses_to_start_on_the_public_default_certificate_key(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="RTW_CERTIFICATE_KEY is the public default") as refused:
        await start(settings(tmp_path))
    assert "RTW_TOKEN_SECRET" not in str(refused.value)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("replace-with-an-ed25519-pem", "is a placeholder"),
        ("a" * 20, "is shorter than 32 characters"),
        ("", "is not set"),
    ],
)
async def test_training_refuses_a_placeholder_short_or_empty_certificate_key(
    tmp_path: Path, value: str, problem: str
) -> None:
    with pytest.raises(Exception, match=f"RTW_CERTIFICATE_KEY {problem}"):
        await start(settings(tmp_path, certificate_key=value))


async def test_training_starts_with_an_ed25519_pem_and_signs_with_it(tmp_path: Path) -> None:
    key, text = pem()
    runtime = await start(settings(tmp_path, certificate_key=text))
    signer: CertificateSigner = runtime.state["certificate_signer"]
    expected = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert signer.public_key_pem() == expected.decode()


def test_a_pem_on_one_line_with_backslash_n_escapes_is_read_as_the_pem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What deploy/.env.example tells operators to write: Compose passes the `\\n` through as is."""
    key, text = pem()
    monkeypatch.setenv("RTW_CERTIFICATE_KEY", text.strip().replace("\n", "\\n"))
    read = settings(tmp_path)
    assert read.certificate_key.get_secret_value() == text.strip()
    signer = CertificateSigner.from_secret(read.certificate_key.get_secret_value())
    assert signer.public_key.public_bytes_raw() == key.public_key().public_bytes_raw()


def test_a_pem_from_a_secret_file_is_read(tmp_path: Path) -> None:
    _key, text = pem()
    (tmp_path / "rtw_certificate_key").write_text(text)
    assert settings(tmp_path).certificate_key.get_secret_value() == text.strip()


def test_a_broken_pem_is_refused_naming_the_setting_not_the_key(tmp_path: Path) -> None:
    _key, text = pem()
    broken = text.replace(text.splitlines()[1], "not-base64-at-all")
    with pytest.raises(ValidationError, match="Ed25519 private key") as refused:
        settings(tmp_path, certificate_key=broken)
    assert "certificate_key" in str(refused.value)
    assert "not-base64-at-all" not in str(refused.value)


async def test_a_long_random_non_pem_key_is_accepted(tmp_path: Path) -> None:
    runtime = await start(settings(tmp_path, certificate_key="c" * 16 + TOKEN_SECRET))
    assert "certificate_signer" in runtime.state


async def test_development_mode_keeps_the_default_certificate_key(tmp_path: Path) -> None:
    runtime = await start(settings(tmp_path, development_mode=True))
    default = CertificateSigner.from_secret(PUBLIC_DEFAULT)
    assert runtime.state["certificate_signer"].public_key_pem() == default.public_key_pem()


@pytest.mark.parametrize(
    "kind",
    ["OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "PUBLIC KEY"],
)
def test_a_pem_of_another_kind_is_refused_rather_than_used_as_a_seed(tmp_path: Path, kind: str) -> None:
    key = Ed25519PrivateKey.generate()
    formats = {
        "OPENSSH PRIVATE KEY": key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        ),
        "ENCRYPTED PRIVATE KEY": key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"a passphrase"),
        ),
        "PUBLIC KEY": key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    }
    text = formats[kind].decode()
    assert f"-----BEGIN {kind}-----" in text
    with pytest.raises(ValidationError, match="Ed25519 private key"):
        settings(tmp_path, certificate_key=text)
