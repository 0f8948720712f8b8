"""Composition root of the notifications service: the handlers bound to the process's settings,
the routes, the pages and the background loops."""

from __future__ import annotations

from collections.abc import Sequence

from rtw_contracts import SessionEnded
from rtw_platform.messaging import Subscription
from rtw_platform.service import ServiceDefinition
from rtw_platform.settings import ServiceSettings

from .api import router
from .dispatch import run_dispatcher
from .handlers import Handlers, subscriptions
from .links import Links
from .models import REGISTRY
from .reminder_loop import run_reminders
from .settings import NotificationsSettings, notifications_settings
from .web import router as pages


def bind_subscriptions(settings: ServiceSettings) -> Sequence[Subscription]:
    """The handlers, wording messages with this process's settings (portal address, secrets)."""
    return subscriptions(Handlers(Links(notifications_settings(settings))))


SERVICE = ServiceDefinition(
    name="notifications",
    title="Notifications",
    description="Tells every person what happened, exactly once, by e-mail (SMTP or GOV.UK Notify).",
    registry=REGISTRY,
    package_file=__file__,
    subscriptions=subscriptions(Handlers()),  # listed (events, handler names); bound per process
    bind_subscriptions=bind_subscriptions,
    publishes=(SessionEnded,),
    routers=(router, pages),
    default_port=8004,
    settings_class=NotificationsSettings,
    background=(run_dispatcher, run_reminders),
)
