"""Signed bearer tokens with roles, and the FastAPI dependencies that enforce them.

Every HTTP call but health, metrics and the AsyncAPI document is authenticated. People get a token
through a link sent to their e-mail address (candidates, recruiters); staff tokens are issued by an
operator with `rtw token issue`. A recruiter's token names one council and acts only for it.

A browser's session cookie holds a token of its own purpose (`session`) with a random session id
(`sid`): signing out revokes that id (see `rtw_platform.sessions`), and the token is never
accepted as a bearer token, nor a bearer token as a session.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Collection, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID, uuid4

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import IntegrityError

from .errors import Forbidden
from .uow import UnitOfWork

ALGORITHM = "HS256"
ISSUER = "rtw"
SESSION_TTL = timedelta(hours=8)
"""How long a browser stays signed in."""


class Role(StrEnum):
    """Who a token speaks for."""

    CANDIDATE = "candidate"
    ASSESSOR = "assessor"
    TRAINER = "trainer"
    RECRUITER = "recruiter"
    ADMIN = "admin"


class Purpose(StrEnum):
    """What a token may be used for: calling the APIs, once signing in from an e-mailed link, or
    a browser's session (the pages' cookie)."""

    ACCESS = "access"
    SIGN_IN = "sign-in"
    SESSION = "session"


@dataclass(frozen=True)
class Principal:
    """The caller: a role and a subject (candidate id, staff id), scoped for some roles."""

    subject: str
    role: Role
    council_id: str | None = None
    provider_id: str | None = None

    def is_admin(self) -> bool:
        """True for programme admins."""
        return self.role is Role.ADMIN

    def is_candidate(self, candidate_id: UUID | str) -> bool:
        """This is that candidate, signed in as themself."""
        return self.role is Role.CANDIDATE and self.subject == str(candidate_id)

    def reaches_candidate(self, candidate_id: UUID | str) -> bool:
        """The one access check for a candidate's own things: admins reach every candidate's,
        a candidate only their own, nobody else any (what someone may not reach is answered
        exactly as if it did not exist)."""
        return self.is_admin() or self.is_candidate(candidate_id)


@dataclass(frozen=True)
class Session:
    """A browser's signed-in session: who, its id (what signing out revokes), when it expires."""

    principal: Principal
    id: UUID
    expires_at: datetime


class InvalidToken(Exception):
    """The token is missing, malformed, expired, of another purpose or not signed by us."""


def issue_token(
    secret: str,
    principal: Principal,
    *,
    ttl: timedelta = timedelta(hours=8),
    purpose: Purpose = Purpose.ACCESS,
    now: datetime | None = None,
    session_id: UUID | None = None,
) -> str:
    """A signed token for the principal, valid for `ttl`. A session token (purpose `session`)
    needs its `session_id`; other tokens have none."""
    if (purpose is Purpose.SESSION) != (session_id is not None):
        raise ValueError("a session token, and only a session token, has a session id")
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": principal.subject,
        "role": principal.role.value,
        "purpose": purpose.value,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    if purpose is Purpose.SIGN_IN:
        # Each single-use link is unique, even two for one person in the same second: otherwise
        # the second would be refused as already used.
        claims["jti"] = secrets.token_urlsafe(12)
    if principal.council_id is not None:
        claims["council"] = principal.council_id
    if principal.provider_id is not None:
        claims["provider"] = principal.provider_id
    if session_id is not None:
        claims["sid"] = str(session_id)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def issue_session_token(
    secret: str, principal: Principal, *, ttl: timedelta = SESSION_TTL, now: datetime | None = None
) -> str:
    """A signed token for a new browser session of the principal, with a new random session id."""
    return issue_token(secret, principal, ttl=ttl, purpose=Purpose.SESSION, now=now, session_id=uuid4())


SIGN_IN_PATHS = {Role.RECRUITER: "/matching/recruiters/sign-in/"}
"""Where a sign-in link of a role opens, under the entry URL (others: `/applications/sign-in/`)."""


def sign_in_link(
    secret: str,
    principal: Principal,
    entry_url: str,
    *,
    ttl: timedelta = timedelta(minutes=30),
    next_page: str | None = None,
    now: datetime | None = None,
) -> str:
    """A single-use link to the pages that signs this person in, valid for `ttl` from `now`:
    a candidate or a member of staff at applications (then on to `next_page`, a path on the
    platform), a recruiter at matching (for the council the principal names). `entry_url` is
    where people reach the platform. Made only where the e-mail is written (notifications, the
    operator's CLI): a link is a credential and never travels on the bus."""
    token = issue_token(secret, principal, ttl=ttl, purpose=Purpose.SIGN_IN, now=now)
    path = SIGN_IN_PATHS.get(principal.role, "/applications/sign-in/")
    then = f"?next={quote(next_page, safe='/')}" if next_page else ""
    return f"{entry_url.rstrip('/')}{path}{token}{then}"


def verify_token(secret: str, token: str, *, purpose: Purpose = Purpose.ACCESS) -> Principal:
    """The principal a token speaks for; raises InvalidToken saying why not."""
    return _principal(_claims(secret, token, purpose))


def verify_session_token(secret: str, token: str) -> Session:
    """The session a session token stands for (whether it was revoked is not known here: see
    `rtw_platform.sessions`); raises InvalidToken saying why not."""
    claims = _claims(secret, token, Purpose.SESSION)
    try:
        session_id = UUID(str(claims["sid"]))
    except (KeyError, ValueError) as exc:
        raise InvalidToken("the session token has no session id") from exc
    return Session(
        principal=_principal(claims),
        id=session_id,
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
    )


def _claims(secret: str, token: str, purpose: Purpose) -> dict[str, Any]:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("the token has expired: ask for a new link") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken("the token is not valid") from exc
    if claims.get("purpose") != purpose.value:
        raise InvalidToken(f"this token is not for {purpose.value}")
    return claims


def _principal(claims: dict[str, Any]) -> Principal:
    try:
        role = Role(claims["role"])
    except (KeyError, ValueError) as exc:
        raise InvalidToken("the token names no known role") from exc
    if role is Role.RECRUITER and not claims.get("council"):
        raise InvalidToken("a recruiter's token must name a council")
    return Principal(
        subject=str(claims["sub"]),
        role=role,
        council_id=claims.get("council"),
        provider_id=claims.get("provider"),
    )


_bearer = HTTPBearer(auto_error=False, description="A token from `rtw token issue` or a sign-in link.")


async def authenticated(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, or 401."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="Sign in first: send 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    secret = request.app.state.settings.token_secret.get_secret_value()
    try:
        return verify_token(secret, credentials.credentials)
    except InvalidToken as exc:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail=f"Sign in again: {exc}.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from None


def require(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency admitting only the given roles (403 for the others)."""

    async def dependency(principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
        if principal.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"This needs the role {allowed}; you are signed in as {principal.role.value}.",
            )
        return principal

    return dependency


CurrentPrincipal = Annotated[Principal, Depends(authenticated)]
AdminOnly = Annotated[Principal, Depends(require(Role.ADMIN))]


async def redeem_sign_in_link(
    uow: UnitOfWork,
    used_tokens: type[Any],
    secret: str,
    token: str,
    *,
    roles: Collection[Role],
    wrong_role: str,
    ask_again: str,
) -> Principal:
    """Who an e-mailed sign-in link is for, once: the link must be a valid sign-in token, for one
    of `roles` (else `wrong_role` is the refusal), and not used before (`redeem_once`). Each
    refusal is Forbidden with what to do next (`ask_again`, e.g. "Ask for a new one.")."""
    try:
        principal = verify_token(secret, token, purpose=Purpose.SIGN_IN)
    except InvalidToken as exc:
        raise Forbidden(f"This sign-in link cannot be used: {exc}. {ask_again}") from None
    if principal.role not in roles:
        raise Forbidden(wrong_role)
    if not await redeem_once(uow, used_tokens, token):
        raise Forbidden(f"This sign-in link was already used. {ask_again}")
    return principal


async def redeem_once(uow: UnitOfWork, used_tokens: type[Any], token: str) -> bool:
    """Record that a single-use token (a sign-in link) was used, and commit; False if it had been
    used before. `used_tokens` is the service's table with `token_hash` (primary key) and
    `used_at`; only a hash of the token is kept."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    uow.session.add(used_tokens(token_hash=digest, used_at=datetime.now(UTC)))
    try:
        await uow.commit()
    except IntegrityError:
        return False
    return True
