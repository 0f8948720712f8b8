"""Who may see or change an application, and the tokens candidates get."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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

    def sign_in_link(self, candidate_id: UUID) -> tuple[str, datetime]:
        """A single-use link to sign in, and when it expires."""
        ttl = timedelta(minutes=self.link_minutes)
        token = issue_token(
            self.secret,
            Principal(subject=str(candidate_id), role=Role.CANDIDATE),
            ttl=ttl,
            purpose=Purpose.SIGN_IN,
        )
        base = self.public_url.rstrip("/")
        return f"{base}/sign-in/{token}", datetime.now(UTC) + ttl


def issuer_for(settings: ApplicationsSettings) -> TokenIssuer:
    """The token issuer configured by the service's settings."""
    return TokenIssuer(
        secret=settings.token_secret.get_secret_value(),
        public_url=settings.service_url("applications"),
        access_hours=settings.candidate_token_hours,
        link_minutes=settings.sign_in_link_minutes,
    )


def ensure_candidate_or_admin(principal: Principal, candidate_id: UUID) -> None:
    """Candidates reach only their own applications; admins reach all."""
    if principal.role is Role.ADMIN:
        return
    if principal.role is Role.CANDIDATE and principal.subject == str(candidate_id):
        return
    raise Forbidden("You can only see and change your own application.")


def ensure_candidate_self(principal: Principal, candidate_id: UUID) -> None:
    """Only the candidate themself (not an admin) may do this."""
    if principal.role is Role.CANDIDATE and principal.subject == str(candidate_id):
        return
    raise Forbidden("Only the candidate can do this, signed in as themself.")
