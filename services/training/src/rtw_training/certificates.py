"""Certificates anyone can verify: the certificate's facts, signed with the platform's Ed25519
key. The public key is published; a changed fact breaks the signature."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

if TYPE_CHECKING:
    from starlette.requests import Request

#: Where the composition root (app.attach_signer) keeps the process's signer.
SIGNER = "certificate_signer"


def canonical(facts: dict[str, Any]) -> bytes:
    """The bytes that are signed: the facts as JSON with sorted keys and no spaces."""
    return json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class CertificateSigner:
    """Signs and verifies certificates."""

    private_key: Ed25519PrivateKey

    @classmethod
    def from_secret(cls, secret: str) -> CertificateSigner:
        """A key from a PEM private key, or derived from any secret string (development)."""
        if "-----BEGIN" in secret:  # any PEM must be an Ed25519 private key, never a seed
            key = serialization.load_pem_private_key(secret.encode(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError("the certificate key must be an Ed25519 private key")
            return cls(key)
        seed = hashlib.sha256(secret.encode()).digest()
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    def public_key_pem(self) -> str:
        """The public key anyone can verify with."""
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    def sign(self, facts: dict[str, Any]) -> str:
        """The signature of the facts, base64url."""
        return base64.urlsafe_b64encode(self.private_key.sign(canonical(facts))).decode()

    def verify(self, facts: dict[str, Any], signature: str) -> bool:
        """True if the signature is ours over exactly these facts."""
        try:
            raw = base64.urlsafe_b64decode(signature.encode())
            self.public_key.verify(raw, canonical(facts))
            return True
        except (InvalidSignature, ValueError):
            return False


def signer_of(request: Request) -> CertificateSigner:
    """The key this process signs certificates with (made at start-up from RTW_CERTIFICATE_KEY)."""
    signer: CertificateSigner = request.app.state.runtime.state[SIGNER]
    return signer
