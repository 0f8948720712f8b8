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
    #: What a process keeps between matching runs (`CacheLimits`; memory grows with them).
    cache_vacancies: int = Field(default=20_000, ge=1)
    cache_compiled_vacancies: int = Field(default=20_000, ge=1)
    cache_weight_sets: int = Field(default=8, ge=1)
    cache_weight_versions: int = Field(default=100, ge=1)

    def cache_limits(self) -> CacheLimits:
        """The caches' sizes, from `RTW_CACHE_*`."""
        return CacheLimits(
            vacancies=self.cache_vacancies,
            compiled_vacancies=self.cache_compiled_vacancies,
            weight_sets=self.cache_weight_sets,
            weight_versions=self.cache_weight_versions,
        )


def matching_settings(settings: ServiceSettings) -> MatchingSettings:
    """The process's settings as this service's (the platform hands them over as its base class;
    the service definition makes them with `settings_class=MatchingSettings`)."""
    if not isinstance(settings, MatchingSettings):
        raise TypeError(f"matching runs with MatchingSettings, not {type(settings).__name__}")
    return settings
