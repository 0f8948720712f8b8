"""Who reaches an application, who is the candidate themself, and the tokens candidates get
(`rtw_applications.access`), without a database."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt
import pytest
from rtw_applications import bulk_import_processes
from rtw_applications.access import TokenIssuer, caller_identity, ensure_candidate_self, issuer_for, reaches
from rtw_applications.settings import ApplicationsSettings
from rtw_platform.auth import Principal, Role, verify_token
from rtw_platform.errors import Forbidden

pytestmark = pytest.mark.unit

# Ids on both sides of the candidate's, so an ordering comparison cannot pass for equality.
CANDIDATE = UUID("55555555-5555-4555-8555-555555555555")
BEFORE = UUID("11111111-1111-4111-8111-111111111111")
AFTER = UUID("99999999-9999-4999-8999-999999999999")
SECRET = "s" * 40


def the(role: Role, candidate_id: UUID = CANDIDATE) -> Principal:
    return Principal(subject=str(candidate_id), role=role)


def test_a_candidate_reaches_only_their_own_and_an_admin_everyones() -> None:
    assert reaches(the(Role.CANDIDATE), CANDIDATE)
    assert not reaches(the(Role.CANDIDATE, BEFORE), CANDIDATE)
    assert not reaches(the(Role.CANDIDATE, AFTER), CANDIDATE)
    for candidate_id in (CANDIDATE, BEFORE, AFTER):
        assert reaches(the(Role.ADMIN, BEFORE), candidate_id)


@pytest.mark.parametrize("role", [r for r in Role if r not in (Role.CANDIDATE, Role.ADMIN)])
def test_no_other_role_reaches_a_candidates_data_even_with_their_id_as_subject(role: Role) -> None:
    assert not reaches(the(role), CANDIDATE)
    with pytest.raises(Forbidden):
        ensure_candidate_self(the(role), CANDIDATE)


def test_only_the_candidate_themself_may_act_not_another_candidate_nor_an_admin() -> None:
    ensure_candidate_self(the(Role.CANDIDATE), CANDIDATE)
    for someone_else in (the(Role.CANDIDATE, BEFORE), the(Role.CANDIDATE, AFTER), the(Role.ADMIN)):
        with pytest.raises(Forbidden, match="Only the candidate"):
            ensure_candidate_self(someone_else, CANDIDATE)


def test_a_request_is_scoped_to_the_signed_in_caller_or_an_anonymous_callers_address() -> None:
    assert caller_identity(None, "  Amara@Example.org ") == "anonymous:amara@example.org"
    assert caller_identity(the(Role.CANDIDATE), "amara@example.org") == f"candidate:{CANDIDATE}"
    assert caller_identity(the(Role.ADMIN), "") == f"admin:{CANDIDATE}"


def settings(**values: object) -> ApplicationsSettings:
    return ApplicationsSettings.model_validate({"development_mode": True, **values})


def test_candidates_tokens_and_sign_in_links_last_as_configured() -> None:
    issuer = issuer_for(settings(candidate_token_hours=2.0, sign_in_link_minutes=5))
    before = datetime.now(UTC)
    expiry = issuer.link_expiry()
    assert before + timedelta(minutes=5) <= expiry <= datetime.now(UTC) + timedelta(minutes=5)

    principal = verify_token(issuer.secret, issuer.access_token(CANDIDATE))
    assert principal == the(Role.CANDIDATE)
    claims = _claims(issuer.access_token(CANDIDATE))
    assert claims["exp"] - claims["iat"] == 2 * 3600


async def test_the_bulk_imports_workers_issue_links_and_tokens_as_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    used: list[TokenIssuer] = []

    async def import_rows(rows: object, factory: object, issuer: TokenIssuer, **_: object) -> None:
        used.append(issuer)

    monkeypatch.setattr(bulk_import_processes, "import_rows", import_rows)
    configured = settings(candidate_token_hours=2.0, sign_in_link_minutes=5)
    await bulk_import_processes.import_with_settings([], configured)  # connects to nothing
    assert used == [issuer_for(configured)]


def _claims(token: str) -> dict[str, int]:
    return jwt.decode(token, options={"verify_signature": False})


def test_an_issuer_is_a_value_that_cannot_be_changed() -> None:
    issuer = TokenIssuer(secret=SECRET, access_hours=1.0, link_minutes=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        issuer.link_minutes = 60  # type: ignore[misc]
    assert issuer == TokenIssuer(secret=SECRET, access_hours=1.0, link_minutes=1)
