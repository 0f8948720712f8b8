"""Events about a cohort's life as a whole (not about any one candidate)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import Field

from rtw_contracts.envelope import Event, not_personal
from rtw_contracts.types import CohortId, Programme, UtcDatetime

__all__ = ["CohortScheduled", "CohortSelectionClosed", "cohort_journey"]


def cohort_journey(cohort_id: str) -> UUID:
    """The correlation id of every event about one cohort (stable: derived from its id)."""
    return uuid5(NAMESPACE_URL, f"rtw:cohort:{cohort_id}")


class CohortScheduled(Event):
    """Published by applications when a programme admin creates a cohort's application window or
    changes it (title, dates, video).

    Consumed by assessment, which knows the cohort from then on (its configuration can be set
    while it is still a draft, and its admin page shows the cohort's state from the window).
    It names no person. `sequence` counts the cohort's changes; a consumer keeps the highest.
    """

    ROUTING_KEY: ClassVar[str] = "cohort.scheduled.v1"
    SEQUENCE_OF: ClassVar[str] = "cohort"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("cohort_id",)
    SEQUENCE_SET_BY_PRODUCER: ClassVar[bool] = True
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = "applications"
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "assessment": (
            "cohort_id",
            "programme",
            "title",
            "opens_on",
            "closes_on",
            "video_required",
            "changed_at",
        ),
    }

    cohort_id: CohortId = not_personal(description="The cohort.")
    programme: Programme = Field(description="The programme it belongs to.")
    title: str = not_personal(min_length=1, max_length=200, description="The title candidates see.")
    opens_on: date = Field(description="The first day applications are accepted.")
    closes_on: date = Field(description="The last day applications are accepted.")
    video_required: bool = Field(description="Whether the second stage asks for a video.")
    changed_at: UtcDatetime = Field(description="When the window was created or changed (UTC).")


class CohortSelectionClosed(Event):
    """Published by assessment when a programme admin closes a cohort's selection.

    Consumed by applications, which from then on offers the cohort to nobody (the start page no
    longer says "Start now" for it, and new applications to it are refused). It names no person.
    """

    ROUTING_KEY: ClassVar[str] = "cohort.selection-closed.v1"
    SEQUENCE_OF: ClassVar[str] = "cohort's selection"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("cohort_id",)
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = "assessment"
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "applications": ("cohort_id", "closed_at"),
    }

    cohort_id: CohortId = not_personal(description="The cohort.")
    programme: Programme = Field(description="The programme it belongs to.")
    closed_at: UtcDatetime = Field(description="When selection closed (UTC).")
