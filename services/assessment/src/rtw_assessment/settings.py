"""Settings of the assessment service (beyond the platform's)."""

from __future__ import annotations

from pydantic import Field
from rtw_platform.settings import ServiceSettings


class AssessmentSettings(ServiceSettings):
    """`RTW_*` settings the assessment service adds."""

    file_store_url: str = Field(
        default="file://var/files",
        description="Where second-stage videos are (the store the applications service writes).",
    )
