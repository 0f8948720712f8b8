"""Settings of the matching service (beyond the platform's)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from rtw_platform.rate_limits import LinkLimitSettings
from rtw_platform.settings import ServiceSettings


class CacheLimits(BaseModel):
    """How much of what matching reads once a process keeps (`caches.MatchingCaches`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Vacancies kept parsed, by id (what a vacancy requires never changes once posted).
    vacancies: int = Field(default=20_000, ge=1)
    #: Vacancies kept compiled for the quick score, per set of weights.
    compiled_vacancies: int = Field(default=20_000, ge=1)
    #: Sets of weights vacancies are kept compiled for.
    weight_sets: int = Field(default=8, ge=1)
    #: Saved versions of the weights kept parsed.
    weight_versions: int = Field(default=100, ge=1)


class MatchingSettings(ServiceSettings, LinkLimitSettings):
    """`RTW_*` settings the matching service adds."""

    recruiter_link_minutes: int = Field(default=60 * 24, ge=5)
