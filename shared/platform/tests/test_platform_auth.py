"""Signed tokens with roles, and the FastAPI dependencies that admit or refuse callers."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID, uuid4

import httpx
import jwt
import pytest
import pytest_asyncio
from fastapi import Depends, FastAPI
from rtw_platform.auth import (
    ALGORITHM,
    ISSUER,
    InvalidToken,
    Principal,
    Purpose,
    Role,
    authenticated,
    issue_session_token,
    issue_token,
    redeem_once,
    redeem_sign_in_link,
    require,
    sign_in_link,
    verify_session_token,
    verify_token,
)
from rtw_platform.errors import Forbidden
from rtw_platform.settings import ServiceSettings
from sqlalchemy.exc import IntegrityError

pytestmark = pytest.mark.unit

SECRET = "s" * 48
OTHER_SECRET = "o" * 48


ADMIN = Principal("admin-1", Role.ADMIN)
YESTERDAY = datetime.now(UTC) - timedelta(days=1)


def now() -> datetime:
    return datetime.now(UTC)


def raw_token(secret: str = SECRET, **claims: Any) -> str:
    """A token signed like ours, with exactly the claims given (over sensible defaults)."""
    issued = int(now().timestamp())
    body: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "someone",
        "role": "admin",
        "purpose": "access",
        "iat": issued,
        "exp": issued + 3600,
    }
    body.update(claims)
    return jwt.encode({k: v for k, v in body.items() if v is not None}, secret, algorithm=ALGORITHM)


# --------------------------------------------------------------------------- issue and verify


@pytest.mark.parametrize(
    "principal",
    [
        Principal(subject="8c4d6a52-0d6e-4a8e-9a55-3b8d1f0f5a10", role=Role.CANDIDATE),
        Principal(subject="staff-7", role=Role.ADMIN),
        Principal(subject="r-1", role=Role.RECRUITER, council_id="E08000030"),
        Principal(subject="t-1", role=Role.TRAINER, provider_id="provider-9"),
        Principal(subject="a-1", role=Role.ASSESSOR),
    ],
    ids=lambda p: p.role.value,
)
def test_a_token_speaks_for_the_principal_it_was_issued_for(principal: Principal) -> None:
    token = issue_token(SECRET, principal)
    assert verify_token(SECRET, token) == principal


def test_a_token_is_valid_until_its_time_runs_out() -> None:
    token = issue_token(
        SECRET,
        Principal("c-1", Role.CANDIDATE),
        ttl=timedelta(minutes=30),
        now=now() - timedelta(minutes=29),
    )
    assert verify_token(SECRET, token).subject == "c-1"


def test_an_expired_token_is_refused_saying_it_expired() -> None:
    token = issue_token(
        SECRET,
        Principal("c-1", Role.CANDIDATE),
        ttl=timedelta(hours=8),
        now=now() - timedelta(hours=8, seconds=5),
    )
    with pytest.raises(InvalidToken, match="expired"):
        verify_token(SECRET, token)


def test_a_token_signed_with_another_secret_is_refused() -> None:
    token = issue_token(OTHER_SECRET, Principal("admin-1", Role.ADMIN))
    with pytest.raises(InvalidToken, match="not valid"):
        verify_token(SECRET, token)


@pytest.mark.parametrize("token", ["", "not-a-token", "a.b.c"])
def test_garbage_is_refused_as_not_valid(token: str) -> None:
    with pytest.raises(InvalidToken, match="not valid"):
        verify_token(SECRET, token)


def test_a_token_changed_after_signing_is_refused() -> None:
    token = issue_token(SECRET, Principal("c-1", Role.CANDIDATE))
    header, _, signature = token.split(".")
    claims = {"iss": ISSUER, "sub": "c-1", "role": "admin", "purpose": "access", "iat": 1, "exp": 2**40}
    forged_claims = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    with pytest.raises(InvalidToken, match="not valid"):
        verify_token(SECRET, f"{header}.{forged_claims}.{signature}")


def test_a_sign_in_link_token_cannot_be_used_to_call_the_api() -> None:
    token = issue_token(SECRET, Principal("c-1", Role.CANDIDATE), purpose=Purpose.SIGN_IN)
    with pytest.raises(InvalidToken, match="not for access"):
        verify_token(SECRET, token)
    assert verify_token(SECRET, token, purpose=Purpose.SIGN_IN).subject == "c-1"


def test_an_access_token_cannot_be_used_as_a_sign_in_link() -> None:
    token = issue_token(SECRET, Principal("c-1", Role.CANDIDATE))
    with pytest.raises(InvalidToken, match="not for sign-in"):
        verify_token(SECRET, token, purpose=Purpose.SIGN_IN)


def test_a_session_token_carries_its_own_random_session_id_and_expiry() -> None:
    principal = Principal("c-1", Role.CANDIDATE)
    first = verify_session_token(SECRET, issue_session_token(SECRET, principal, ttl=timedelta(hours=8)))
    second = verify_session_token(SECRET, issue_session_token(SECRET, principal))
    assert first.principal == principal
    assert first.id != second.id
    assert timedelta(hours=7, minutes=59) < first.expires_at - now() <= timedelta(hours=8)


def test_a_session_token_is_not_a_bearer_token_and_a_bearer_token_is_not_a_session() -> None:
    # A session's cookie, once signed out of, must not work on the API instead.
    with pytest.raises(InvalidToken, match="not for access"):
        verify_token(SECRET, issue_session_token(SECRET, Principal("c-1", Role.CANDIDATE)))
    with pytest.raises(InvalidToken, match="not for session"):
        verify_session_token(SECRET, issue_token(SECRET, Principal("c-1", Role.CANDIDATE)))


def test_a_session_token_without_a_session_id_is_refused() -> None:
    with pytest.raises(InvalidToken, match="no session id"):
        verify_session_token(SECRET, raw_token(purpose="session"))
    with pytest.raises(InvalidToken, match="no session id"):
        verify_session_token(SECRET, raw_token(purpose="session", sid="not-a-uuid"))
    with pytest.raises(ValueError, match="session id"):
        issue_token(SECRET, ADMIN, purpose=Purpose.SESSION)


def test_a_token_without_a_purpose_is_refused() -> None:
    with pytest.raises(InvalidToken, match="not for access"):
        verify_token(SECRET, raw_token(purpose=None))


def test_a_recruiter_token_that_names_no_council_is_refused() -> None:
    token = issue_token(SECRET, Principal("r-1", Role.RECRUITER))
    with pytest.raises(InvalidToken, match="must name a council"):
        verify_token(SECRET, token)


@pytest.mark.parametrize("role", ["superuser", "ADMIN", "", None])
def test_a_token_with_an_unknown_or_no_role_is_refused(role: str | None) -> None:
    with pytest.raises(InvalidToken, match="no known role"):
        verify_token(SECRET, raw_token(role=role))


@pytest.mark.parametrize("missing", ["exp", "iat", "sub", "iss"])
def test_a_token_missing_a_required_claim_is_refused(missing: str) -> None:
    claims: dict[str, Any] = {missing: None}
    with pytest.raises(InvalidToken, match="not valid"):
        verify_token(SECRET, raw_token(**claims))


def test_a_token_from_another_issuer_is_refused() -> None:
    with pytest.raises(InvalidToken, match="not valid"):
        verify_token(SECRET, raw_token(iss="someone-else"))


# --------------------------------------------------------------------------- over HTTP


def make_app() -> FastAPI:
    app = FastAPI()
    app.state.settings = ServiceSettings(token_secret=SECRET)

    @app.get("/admin")
    async def admin_only(principal: Annotated[Principal, Depends(require(Role.ADMIN))]) -> dict[str, str]:
        return {"subject": principal.subject}

    @app.get("/staff")
    async def staff(
        principal: Annotated[Principal, Depends(require(Role.ADMIN, Role.ASSESSOR))],
    ) -> dict[str, str]:
        return {"role": principal.role.value}

    @app.get("/me")
    async def me(principal: Annotated[Principal, Depends(authenticated)]) -> dict[str, str | None]:
        return {"subject": principal.subject, "role": principal.role.value, "council": principal.council_id}

    return app


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
        yield http


def bearer(principal: Principal, **options: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, principal, **options)}"}


async def test_a_call_without_a_token_gets_401_asking_for_a_bearer_token(client: httpx.AsyncClient) -> None:
    for path in ("/admin", "/me"):
        response = await client.get(path)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert "Authorization: Bearer" in response.json()["detail"]


async def test_a_call_with_another_scheme_gets_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/me", headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("scheme", ["Basic", "Token"])  # before and after "bearer" in order
async def test_a_valid_token_under_another_scheme_gets_401(client: httpx.AsyncClient, scheme: str) -> None:
    response = await client.get("/me", headers={"Authorization": f"{scheme} {issue_token(SECRET, ADMIN)}"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Authorization": "Bearer not-a-token"}, "not valid"),
        ({"Authorization": f"Bearer {issue_token(OTHER_SECRET, ADMIN)}"}, "not valid"),
        ({"Authorization": f"Bearer {issue_token(SECRET, ADMIN, now=YESTERDAY)}"}, "expired"),
        (
            {"Authorization": f"Bearer {issue_token(SECRET, ADMIN, purpose=Purpose.SIGN_IN)}"},
            "not for access",
        ),
        ({"Authorization": f"Bearer {issue_session_token(SECRET, ADMIN)}"}, "not for access"),
    ],
    ids=["garbage", "wrong-secret", "expired", "sign-in-link", "session-cookie"],
)
async def test_a_bad_token_gets_401_saying_why(
    client: httpx.AsyncClient, headers: dict[str, str], reason: str
) -> None:
    response = await client.get("/admin", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert response.json()["detail"].startswith("Sign in again:")
    assert reason in response.json()["detail"]


async def test_a_caller_in_the_wrong_role_gets_403_naming_the_role_needed(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin", headers=bearer(Principal("c-1", Role.CANDIDATE)))
    assert response.status_code == 403
    assert response.json()["detail"] == "This needs the role admin; you are signed in as candidate."


async def test_an_endpoint_for_several_roles_names_them_all_and_admits_each(
    client: httpx.AsyncClient,
) -> None:
    refused = await client.get("/staff", headers=bearer(Principal("t-1", Role.TRAINER)))
    assert refused.status_code == 403
    assert "admin, assessor" in refused.json()["detail"]
    for role in (Role.ADMIN, Role.ASSESSOR):
        admitted = await client.get("/staff", headers=bearer(Principal("x", role)))
        assert admitted.status_code == 200
        assert admitted.json() == {"role": role.value}


async def test_an_admin_is_admitted(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin", headers=bearer(ADMIN))
    assert response.status_code == 200
    assert response.json() == {"subject": "admin-1"}


async def test_any_signed_in_caller_is_admitted_where_only_authentication_is_needed(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/me", headers=bearer(Principal("r-1", Role.RECRUITER, council_id="E08000030"))
    )
    assert response.status_code == 200
    assert response.json() == {"subject": "r-1", "role": "recruiter", "council": "E08000030"}


async def test_the_secret_comes_from_the_service_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RTW_TOKEN_SECRET", OTHER_SECRET)
    app = FastAPI()
    app.state.settings = ServiceSettings()

    @app.get("/me")
    async def me(principal: Annotated[Principal, Depends(authenticated)]) -> dict[str, str]:
        return {"subject": principal.subject}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as http:
        ours = await http.get("/me", headers={"Authorization": f"Bearer {issue_token(OTHER_SECRET, ADMIN)}"})
        theirs = await http.get("/me", headers=bearer(ADMIN))
    assert ours.status_code == 200
    assert theirs.status_code == 401


def test_two_sign_in_links_issued_in_the_same_second_differ() -> None:
    """Each link works once: a second link asked for at once must not be the used first one."""
    at = datetime.now(UTC)
    principal = Principal(subject="c-1", role=Role.CANDIDATE)
    first = issue_token(SECRET, principal, purpose=Purpose.SIGN_IN, now=at)
    second = issue_token(SECRET, principal, purpose=Purpose.SIGN_IN, now=at)
    assert first != second
    assert verify_token(SECRET, second, purpose=Purpose.SIGN_IN) == principal


def test_a_sign_in_link_is_valid_for_thirty_minutes_unless_told_otherwise() -> None:
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    link = sign_in_link(SECRET, Principal("c-1", Role.CANDIDATE), "https://rtw.example/", now=at)
    assert link.startswith("https://rtw.example/applications/sign-in/")
    token = link.removeprefix("https://rtw.example/applications/sign-in/")
    claims = jwt.decode(token, SECRET, algorithms=[ALGORITHM], options={"verify_exp": False}, issuer=ISSUER)
    assert (claims["purpose"], claims["exp"] - claims["iat"]) == ("sign-in", 30 * 60)


def test_only_an_admin_is_an_admin() -> None:
    assert Principal("admin-1", Role.ADMIN).is_admin()
    assert not Principal("c-1", Role.CANDIDATE).is_admin()


def test_a_session_id_belongs_to_a_session_token_and_only_to_one() -> None:
    principal = Principal("c-1", Role.CANDIDATE)
    with pytest.raises(ValueError, match="only a session token"):
        issue_token(SECRET, principal, purpose=Purpose.ACCESS, session_id=uuid4())
    with pytest.raises(ValueError, match="only a session token"):
        issue_token(SECRET, principal, purpose=Purpose.SESSION)


def test_a_session_lasts_eight_hours_unless_told_otherwise() -> None:
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    token = issue_session_token(SECRET, Principal("c-1", Role.CANDIDATE), now=at)
    claims = jwt.decode(token, SECRET, algorithms=[ALGORITHM], options={"verify_exp": False}, issuer=ISSUER)
    assert claims["exp"] - claims["iat"] == 8 * 3600


def test_a_principal_and_a_session_once_read_are_not_changed_and_can_be_kept_in_a_set() -> None:
    principal = Principal("c-1", Role.CANDIDATE)
    session = verify_session_token(SECRET, issue_session_token(SECRET, principal))
    assert {principal, session} == {principal, session}
    with pytest.raises(FrozenInstanceError):
        principal.role = Role.ADMIN  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        session.principal = principal  # type: ignore[misc]


def test_an_access_token_lasts_eight_hours_unless_told_otherwise() -> None:
    token = issue_token(SECRET, ADMIN, now=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    claims = jwt.decode(token, SECRET, algorithms=[ALGORITHM], options={"verify_exp": False}, issuer=ISSUER)
    assert claims["exp"] - claims["iat"] == 8 * 3600


def test_a_sign_in_link_goes_on_to_the_page_asked_for_and_only_then() -> None:
    principal = Principal("c-1", Role.CANDIDATE)
    assert sign_in_link(SECRET, principal, "https://rtw.example", next_page="/applications/a b").endswith(
        "?next=/applications/a%20b"
    )
    assert "?next=" not in sign_in_link(SECRET, principal, "https://rtw.example")


class _UsedTokens:
    """A single-use token table's row, as redeem_once makes it."""

    def __init__(self, *, token_hash: str, used_at: datetime) -> None:
        self.token_hash, self.used_at = token_hash, used_at


class _KeyedUnitOfWork:
    """A unit of work over a table keyed by token_hash: a second row with a used hash fails to
    commit (IntegrityError), as the primary key makes the database refuse it."""

    def __init__(self) -> None:
        self.kept: dict[str, _UsedTokens] = {}
        self.pending: list[_UsedTokens] = []
        self.session = self

    def add(self, row: _UsedTokens) -> None:
        self.pending.append(row)

    async def commit(self) -> None:
        rows, self.pending = self.pending, []
        if any(row.token_hash in self.kept for row in rows):
            raise IntegrityError("INSERT INTO used_tokens", {}, Exception("duplicate key"))
        self.kept.update({row.token_hash: row for row in rows})


async def test_a_single_use_token_is_redeemed_once_and_refused_after_and_only_its_hash_kept() -> None:
    uow: Any = _KeyedUnitOfWork()

    assert await redeem_once(uow, _UsedTokens, "link-1") is True
    assert await redeem_once(uow, _UsedTokens, "link-1") is False  # used: refused, not an error
    assert await redeem_once(uow, _UsedTokens, "link-2") is True
    assert len(uow.kept) == 2
    assert "link-1" not in uow.kept  # only its hash


def _redeem(uow: Any, token: str, roles: set[Role]) -> Any:
    return redeem_sign_in_link(
        uow, _UsedTokens, SECRET, token, roles=roles, wrong_role="Not yours.", ask_again="Ask again."
    )


async def test_a_sign_in_link_is_redeemed_once_for_the_roles_it_may_sign_in() -> None:
    uow: Any = _KeyedUnitOfWork()
    candidate = Principal("c-1", Role.CANDIDATE)
    link = issue_token(SECRET, candidate, purpose=Purpose.SIGN_IN, ttl=timedelta(minutes=30))

    assert await _redeem(uow, link, {Role.CANDIDATE, Role.ADMIN}) == candidate
    with pytest.raises(Forbidden, match=r"^This sign-in link was already used\. Ask again\.$"):
        await _redeem(uow, link, {Role.CANDIDATE})


async def test_a_sign_in_link_for_another_role_is_refused_and_stays_unused() -> None:
    uow: Any = _KeyedUnitOfWork()
    recruiter = Principal("r-1", Role.RECRUITER, council_id=str(uuid4()))
    link = issue_token(SECRET, recruiter, purpose=Purpose.SIGN_IN, ttl=timedelta(minutes=30))

    with pytest.raises(Forbidden, match=r"^Not yours\.$"):
        await _redeem(uow, link, {Role.CANDIDATE})
    assert uow.kept == {}  # refused before it was used up
    assert await _redeem(uow, link, {Role.RECRUITER}) == recruiter


@pytest.mark.parametrize(
    "token",
    [
        issue_token(SECRET, ADMIN, purpose=Purpose.ACCESS),  # not a sign-in link
        issue_token(OTHER_SECRET, ADMIN, purpose=Purpose.SIGN_IN),  # not signed by us
        issue_token(SECRET, ADMIN, purpose=Purpose.SIGN_IN, now=YESTERDAY),  # expired
        "not-a-token",
    ],
)
async def test_a_link_that_is_not_a_valid_sign_in_link_is_refused_saying_why(token: str) -> None:
    uow: Any = _KeyedUnitOfWork()

    with pytest.raises(Forbidden, match=r"^This sign-in link cannot be used: .+\. Ask again\.$"):
        await _redeem(uow, token, set(Role))
    assert uow.kept == {}


def test_only_admins_and_the_candidate_themself_reach_a_candidates_things() -> None:
    # Others' ids on both sides of mine: a check comparing them by order would let one through.
    lower, mine, higher = (UUID(f"{d * 8}-{d * 4}-4{d * 3}-8{d * 3}-{d * 12}") for d in "159")
    candidate = Principal(str(mine), Role.CANDIDATE)

    assert candidate.is_candidate(mine)
    assert candidate.is_candidate(str(mine))
    assert candidate.reaches_candidate(mine)
    for theirs in (lower, higher):
        assert not candidate.is_candidate(theirs)
        assert not candidate.reaches_candidate(theirs)
        assert ADMIN.reaches_candidate(theirs)
        assert not ADMIN.is_candidate(theirs)
    for role in set(Role) - {Role.ADMIN, Role.CANDIDATE}:
        someone = Principal(str(mine), role)  # another role with the same subject reaches nothing
        assert not someone.is_candidate(mine)
        assert not someone.reaches_candidate(mine)
