"""Events of the platform itself, published by whichever service a person uses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from rtw_contracts.envelope import Event
from rtw_contracts.types import UtcDatetime

__all__ = ["SessionEnded"]


class SessionEnded(Event):
    """Published when a person signs out (or erases their data, which signs them out), by the
    service whose sign-out they used: every service serves pages, so any of them may publish it
    (the envelope's `producer` names which). `correlation_id` is the session's id.

    Consumed by every service (applications, assessment, training, matching, notifications),
    each of which records the session as ended and from then on refuses its cookie. It carries
    the session's random id and when its cookie would have expired, nothing about the person
    and no credential.
    """

    ROUTING_KEY: ClassVar[str] = "session.ended.v1"
    SEQUENCE_OF: ClassVar[str] = "session"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("session_id",)
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = "platform"
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "applications": ("session_id", "expires_at"),
        "assessment": ("session_id", "expires_at"),
        "training": ("session_id", "expires_at"),
        "matching": ("session_id", "expires_at"),
        "notifications": ("session_id", "expires_at"),
    }

    session_id: UUID = Field(description="The session that ended (the `sid` of its signed token).")
    expires_at: UtcDatetime = Field(
        description="When the session would have expired anyway (UTC): after it, nobody needs to "
        "remember the session."
    )
