"""Composition root of the training service."""

from __future__ import annotations

from rtw_contracts import (
    SessionEnded,
    TrainingCompleted,
    TrainingEnrolled,
    TrainingModuleCompleted,
    TrainingProviderChanged,
)
from rtw_platform.service import ServiceDefinition, ServiceRuntime

from .api import router
from .certificates import SIGNER, CertificateSigner
from .handlers import SUBSCRIPTIONS
from .models import REGISTRY
from .settings import TrainingSettings
from .web import router as pages


def attach_signer(runtime: ServiceRuntime) -> None:
    """The key certificates are signed with (RTW_CERTIFICATE_KEY)."""
    settings = runtime.settings
    assert isinstance(settings, TrainingSettings)
    runtime.state[SIGNER] = CertificateSigner.from_secret(settings.certificate_key.get_secret_value())


SERVICE = ServiceDefinition(
    name="training",
    title="Training",
    description="Curricula, enrolment, progress from providers and LMSs, verifiable certificates.",
    registry=REGISTRY,
    package_file=__file__,
    subscriptions=SUBSCRIPTIONS,
    publishes=(
        TrainingEnrolled,
        TrainingModuleCompleted,
        TrainingCompleted,
        TrainingProviderChanged,
        SessionEnded,
    ),
    routers=(router, pages),
    default_port=8005,
    settings_class=TrainingSettings,
    on_startup=(attach_signer,),
)
