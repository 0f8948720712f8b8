"""Settings of the matching service (beyond the platform's)."""

from __future__ import annotations

from pydantic import Field
from rtw_platform.rate_limits import LinkLimitSettings
from rtw_platform.settings import ServiceSettings


class MatchingSettings(ServiceSettings, LinkLimitSettings):
    """`RTW_*` settings the matching service adds."""

    recruiter_link_minutes: int = Field(default=60 * 24, ge=5)
