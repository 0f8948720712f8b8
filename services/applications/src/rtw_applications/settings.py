"""Settings of the applications service (beyond the platform's)."""

from __future__ import annotations

from pydantic import Field, field_validator
from rtw_platform.rate_limits import LinkLimitSettings
from rtw_platform.settings import ServiceSettings

from .domain import MAX_RETENTION_MONTHS, MIN_RETENTION_MONTHS, retention_refusal


class ApplicationsSettings(ServiceSettings, LinkLimitSettings):
    """`RTW_*` settings the applications service adds."""

    file_store_url: str = Field(
        default="file://var/files",
        description="Where videos are stored: file://DIR or s3://BUCKET?...",
    )
    video_max_bytes: int = Field(default=200 * 1024 * 1024, ge=1, description="Largest video accepted.")
    retention_months: int = Field(
        default=24,
        description=f"Months after the final outcome before an application is anonymised "
        f"({MIN_RETENTION_MONTHS} to {MAX_RETENTION_MONTHS}: see docs/applications.md).",
    )
    candidate_token_hours: float = Field(default=12.0, gt=0)
    sign_in_link_minutes: int = Field(default=30, ge=1)

    @field_validator("retention_months")
    @classmethod
    def _within_the_legal_limits(cls, months: int) -> int:
        refusal = retention_refusal(months)
        if refusal is not None:
            raise ValueError(refusal)
        return months
