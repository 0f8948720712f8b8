"""Composition root of the applications service."""

from __future__ import annotations

from rtw_contracts import (
    AdjustmentDecided,
    ApplicationContactGiven,
    ApplicationSubmittedV2,
    ApplicationWithdrawn,
    CandidateErased,
    CandidatePreferencesChanged,
    CandidateSignInRequestedV2,
    CohortScheduled,
    SecondStageSubmitted,
    SessionEnded,
)
from rtw_platform.filestore import file_store_from_url
from rtw_platform.service import ServiceDefinition, ServiceRuntime

from .api import router
from .handlers import SUBSCRIPTIONS
from .models import REGISTRY
from .settings import ApplicationsSettings
from .web import router as pages


def attach_file_store(runtime: ServiceRuntime) -> None:
    """The store for second-stage videos, chosen by RTW_FILE_STORE_URL."""
    settings = runtime.settings
    assert isinstance(settings, ApplicationsSettings)
    runtime.state["file_store"] = file_store_from_url(settings.file_store_url)


SERVICE = ServiceDefinition(
    name="applications",
    title="Applications",
    description="Candidates apply to cohorts; the candidate's journey; programme reports.",
    registry=REGISTRY,
    package_file=__file__,
    subscriptions=SUBSCRIPTIONS,
    publishes=(
        ApplicationSubmittedV2,
        ApplicationContactGiven,
        SecondStageSubmitted,
        ApplicationWithdrawn,
        CandidateErased,
        CandidatePreferencesChanged,
        AdjustmentDecided,
        CandidateSignInRequestedV2,
        CohortScheduled,
        SessionEnded,
    ),
    routers=(router, pages),
    default_port=8001,
    settings_class=ApplicationsSettings,
    on_startup=(attach_file_store,),
)
