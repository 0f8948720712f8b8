"""Composition root of the notifications service."""

from __future__ import annotations

from rtw_contracts import SessionEnded
from rtw_platform.service import ServiceDefinition, ServiceRuntime

from .api import router
from .dispatch import run_dispatcher
from .handlers import NOTICES, SUBSCRIPTIONS
from .models import REGISTRY
from .reminders import run_reminders
from .settings import NotificationsSettings
from .web import router as pages


def configure_notices(runtime: ServiceRuntime) -> None:
    """Word messages with this process's settings (portal address, secrets)."""
    assert isinstance(runtime.settings, NotificationsSettings)
    NOTICES.settings = runtime.settings


SERVICE = ServiceDefinition(
    name="notifications",
    title="Notifications",
    description="Tells every person what happened, exactly once, by e-mail (SMTP or GOV.UK Notify).",
    registry=REGISTRY,
    package_file=__file__,
    subscriptions=SUBSCRIPTIONS,
    publishes=(SessionEnded,),
    routers=(router, pages),
    default_port=8004,
    settings_class=NotificationsSettings,
    on_startup=(configure_notices,),
    background=(run_dispatcher, run_reminders),
)
