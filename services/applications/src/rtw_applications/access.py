"""Who may see or change an application, and the tokens candidates get."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.errors import Forbidden

from .settings import ApplicationsSettings


@dataclass(frozen=True)
class TokenIssuer:
    """Issues candidates' access tokens, and says how long their sign-in links last (both as the
    service's settings say: `issuer_for`)."""

    secret: str
    access_hours: float
    link_minutes: int

    def access_token(self, candidate_id: UUID) -> str:
        """A token to call the API as this candidate."""
        return issue_token(
            self.secret,
            Principal(subject=str(candidate_id), role=Role.CANDIDATE),
            ttl=timedelta(hours=self.access_hours),
        )

    def link_expiry(self) -> datetime:
        """When a sign-in link asked for now must stop working. Notifications makes the link
        itself, for the candidate only, where it writes the e-mail: no link travels on the bus."""
        return datetime.now(UTC) + timedelta(minutes=self.link_minutes)


def issuer_for(settings: ApplicationsSettings) -> TokenIssuer:
    """The token issuer configured by the service's settings."""
    return TokenIssuer(
        secret=settings.token_secret.get_secret_value(),
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
