"""The background loop that owes reminders when they are due (use_cases/reminders.py)."""

from __future__ import annotations

import asyncio

from rtw_platform.logging import get_logger
from rtw_platform.service import ServiceRuntime

from .links import Links
from .settings import notifications_settings
from .store import work_of
from .use_cases.reminders import send_due_reminders

log = get_logger(__name__)


async def run_reminders(runtime: ServiceRuntime) -> None:
    """Background loop: look for due reminders every few minutes."""
    settings = notifications_settings(runtime.settings)
    links = Links(settings)
    while True:
        try:
            async with runtime.uow_factory() as uow:
                await send_due_reminders(work_of(uow), links)
        except Exception as exc:
            log.warning("reminders_waiting", error=repr(exc))
        await asyncio.sleep(settings.reminder_interval_s)
