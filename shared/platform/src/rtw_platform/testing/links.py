"""The sign-in link notifications would e-mail for an event in an outbox, for tests of a service
that runs without notifications. The events carry no link (docs/events.md): notifications makes
it with the platform's token secret, as this does."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from rtw_contracts import CandidateSignInRequestedV2, RecruiterInvitedV2

from ..auth import Principal, Role, sign_in_link

_MAILED: dict[tuple[str, str, str], str] = {}


def mailed_link(payload: Mapping[str, Any], secret: str, entry_url: str = "http://entry") -> str:
    """The link for a `CandidateSignInRequested` or `RecruiterInvited` (version 2) payload: one
    e-mail per event, so asking again for the same event gives the same link."""
    key = (str(payload["event_id"]), secret, entry_url)
    if key not in _MAILED:
        _MAILED[key] = _make_link(payload, secret, entry_url)
    return _MAILED[key]


def _make_link(payload: Mapping[str, Any], secret: str, entry_url: str) -> str:
    now = datetime.now(UTC)
    if payload.get("event_type") == "RecruiterInvited":
        invited = RecruiterInvitedV2.model_validate(payload)
        principal = Principal(str(invited.recruiter_id), Role.RECRUITER, council_id=str(invited.council_id))
        return sign_in_link(secret, principal, entry_url, ttl=invited.expires_at - now, now=now)
    asked = CandidateSignInRequestedV2.model_validate(payload)
    principal = Principal(str(asked.candidate_id), Role.CANDIDATE)
    return sign_in_link(
        secret, principal, entry_url, ttl=asked.expires_at - now, next_page=asked.next_page, now=now
    )


def token_of(link: str) -> str:
    """The token in a sign-in link."""
    return link.split("/sign-in/", 1)[1].split("?", 1)[0]
