"""Settings of the training service (beyond the platform's)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from rtw_platform.settings import ServiceSettings

from .certificates import CertificateSigner


class TrainingSettings(ServiceSettings):
    """`RTW_*` settings the training service adds."""

    certificate_key: SecretStr = Field(
        default=SecretStr("dev-only-certificate-key-change-me"),
        description="Key that signs certificates: an Ed25519 private key in PEM (`openssl genpkey "
        "-algorithm ed25519`; on one line its line breaks may be written `\\n`), or a random value of "
        "at least 32 characters a key is derived from. The default is public: accepted only in "
        "development mode.",
    )

    @field_validator("certificate_key")
    @classmethod
    def _a_pem_must_be_an_ed25519_key(cls, key: SecretStr) -> SecretStr:
        value = key.get_secret_value()
        if "-----BEGIN" not in value:
            return key
        # An environment file keeps a PEM on one line with `\n` for its line breaks (base64 has none).
        value = value.replace("\\n", "\n").strip()
        try:
            CertificateSigner.from_secret(value)
        except (ValueError, TypeError):  # TypeError: an encrypted key
            raise ValueError(
                "not a readable Ed25519 private key in PEM (make one with "
                "`openssl genpkey -algorithm ed25519`)"
            ) from None
        return SecretStr(value)

    def signing_secrets(self) -> dict[str, SecretStr | None]:
        """The token secret and the certificate key."""
        return {**super().signing_secrets(), "certificate_key": self.certificate_key}
