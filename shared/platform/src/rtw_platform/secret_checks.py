"""Secrets have no usable defaults outside an explicit development mode: a service refuses to
start (and the command line to sign anything) on a secret that is the public default, a
placeholder, shorter than 32 characters or missing, unless `RTW_DEVELOPMENT_MODE=true`."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import SecretStr

from .logging import get_logger
from .settings import ServiceSettings

log = get_logger(__name__)

MIN_SECRET_LENGTH = 32
#: Words only a placeholder holds (the defaults and the examples operators copy); a random value never.
PLACEHOLDER_WORDS = ("change-me", "changeme", "replace-with", "replace-me", "dev-only", "insecure")
FIX = (
    f"set each to a random value of at least {MIN_SECRET_LENGTH} characters "
    "(e.g. `openssl rand -hex 32`; docs/operations.md), "
    "or RTW_DEVELOPMENT_MODE=true for local development only"
)

_warned = False


class UnsafeSecrets(Exception):
    """The settings hold secrets anyone could know or guess; the message names each, never its value."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(f"refusing to start: {'; '.join(self.problems)}: {FIX}")


def secret_problem(value: str, public_default: str | None) -> str | None:
    """What is wrong with a secret's value, or None if it may sign in deployment."""
    value = value.strip()
    if not value:
        return "is not set"
    if public_default is not None and value == public_default.strip():
        return "is the public default"
    if any(word in value.lower() for word in PLACEHOLDER_WORDS):
        return "is a placeholder"
    if len(value) < MIN_SECRET_LENGTH:
        return f"is shorter than {MIN_SECRET_LENGTH} characters"
    return None


def unsafe_secrets(settings: ServiceSettings) -> list[str]:
    """Each signing secret of these settings that is public, a placeholder, short or missing,
    as `RTW_<NAME> <problem>`."""
    problems = []
    fields = type(settings).model_fields
    for name, secret in settings.signing_secrets().items():
        default = fields[name].default if name in fields else None
        public = default.get_secret_value() if isinstance(default, SecretStr) else None
        problem = secret_problem(secret.get_secret_value() if secret is not None else "", public)
        if problem is not None:
            problems.append(f"RTW_{name.upper()} {problem}")
    return problems


def refuse_unsafe_secrets(settings: ServiceSettings) -> None:
    """Raise `UnsafeSecrets` if a signing secret is unsafe, unless in development mode."""
    if settings.development_mode:
        return
    problems = unsafe_secrets(settings)
    if problems:
        raise UnsafeSecrets(problems)


def warn_if_development_mode(settings: ServiceSettings) -> None:
    """In development mode, say so loudly, once per process, with the public secrets in use."""
    global _warned
    if not settings.development_mode or _warned:
        return
    _warned = True
    log.warning(
        "development_mode",
        detail="RTW_DEVELOPMENT_MODE is on: public and short secrets are accepted; "
        "never set it in deployment",
        public_secrets=unsafe_secrets(settings),
        https_public_url=settings.public_url.startswith("https://"),
    )
