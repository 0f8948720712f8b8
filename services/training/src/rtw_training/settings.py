"""Settings of the training service (beyond the platform's)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from rtw_platform.settings import ServiceSettings


class TrainingSettings(ServiceSettings):
    """`RTW_*` settings the training service adds."""

    certificate_key: SecretStr = Field(
        default=SecretStr("dev-only-certificate-key-change-me"),
        description="Ed25519 private key (PEM) that signs certificates; any other text derives a "
        "development key from it.",
    )
