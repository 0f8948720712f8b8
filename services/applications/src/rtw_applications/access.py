"""Who may see or change an application, and the tokens candidates get."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote
from uuid import UUID

from rtw_platform.auth import Principal, Purpose, Role, issue_token
from rtw_platform.errors import Forbidden

from .settings import ApplicationsSettings


@dataclass(frozen=True)
class TokenIssuer:
    """Issues candidates' access tokens and sign-in links."""

    secret: str
    public_url: str
    access_hours: float = 12.0
    link_minutes: int = 30

    def access_token(self, candidate_id: UUID) -> str:
        """A token to call the API as this candidate."""
        return issue_token(
            self.secret,
            Principal(subject=str(candidate_id), role=Role.CANDIDATE),
            ttl=timedelta(hours=self.access_hours),
        )

    def sign_in_link(self, candidate_id: UUID, next_page: str | None = None) -> tuple[str, datetime]:
        """A single-use link to sign in (then to go to `next_page`, a path on the platform such as
        `/applications/application/…`), and when it expires."""
        ttl = timedelta(minutes=self.link_minutes)
        token = issue_token(
            self.secret,
            Principal(subject=str(candidate_id), role=Role.CANDIDATE),
            ttl=ttl,
            purpose=Purpose.SIGN_IN,
        )
        base = self.public_url.rstrip("/")
        then = f"?next={quote(next_page, safe='/')}" if next_page else ""
        return f"{base}/sign-in/{token}{then}", datetime.now(UTC) + ttl


def issuer_for(settings: ApplicationsSettings) -> TokenIssuer:
    """The token issuer configured by the service's settings."""
    return TokenIssuer(
        secret=settings.token_secret.get_secret_value(),
        public_url=settings.service_url("applications"),
        access_hours=settings.candidate_token_hours,
        link_minutes=settings.sign_in_link_minutes,
    )


def reaches(principal: Principal, candidate_id: UUID) -> bool:
    """Candidates reach only their own applications and data; admins reach all. (What someone may
    not reach is answered exactly as if it did not exist.)"""
    if principal.role is Role.ADMIN:
        return True
    return principal.role is Role.CANDIDATE and principal.subject == str(candidate_id)


def caller_identity(principal: Principal | None, email: str) -> str:
    """Who sent a request, for scoping its `Idempotency-Key`: the signed-in caller, or for an
    anonymous caller the address they applied with (they are told nothing either way)."""
    if principal is None:
        return f"anonymous:{email.strip().lower()}"
    return f"{principal.role.value}:{principal.subject}"


def ensure_candidate_self(principal: Principal, candidate_id: UUID) -> None:
    """Only the candidate themself (not an admin) may do this."""
    if principal.role is Role.CANDIDATE and principal.subject == str(candidate_id):
        return
    raise Forbidden("Only the candidate can do this, signed in as themself.")
