"""Composition root of the assessment service."""

from __future__ import annotations

from rtw_contracts import (
    AppealDecided,
    AppealLodged,
    AssessmentScored,
    AssessorChanged,
    CohortSelectionClosed,
    SelectionReopened,
    SessionEnded,
)
from rtw_platform.filestore import file_store_from_url
from rtw_platform.service import ServiceDefinition, ServiceRuntime

from .api import router
from .handlers import SUBSCRIPTIONS
from .models import REGISTRY
from .settings import AssessmentSettings
from .web import router as pages


def attach_file_store(runtime: ServiceRuntime) -> None:
    """The store the second-stage videos are in (RTW_FILE_STORE_URL)."""
    settings = runtime.settings
    assert isinstance(settings, AssessmentSettings)
    runtime.state["file_store"] = file_store_from_url(settings.file_store_url)


SERVICE = ServiceDefinition(
    name="assessment",
    title="Assessment",
    description="Screens applications, scores second stages blind, selects cohorts.",
    registry=REGISTRY,
    package_file=__file__,
    subscriptions=SUBSCRIPTIONS,
    publishes=(
        AssessmentScored,
        AppealLodged,
        AppealDecided,
        AssessorChanged,
        CohortSelectionClosed,
        SelectionReopened,
        SessionEnded,
    ),
    routers=(router, pages),
    default_port=8002,
    settings_class=AssessmentSettings,
    on_startup=(attach_file_store,),
)
