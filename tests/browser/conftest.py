"""Fixtures of the browser tests: the whole platform behind its entry proxy, and Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from rtw_platform.testing.browser import (
    RunningPlatform,
    chromium,
    chromium_missing,
    start_platform,
    stop_platform,
)
from rtw_platform.testing.infrastructure import skip_or_fail
from rtw_platform.testing.mail import Mailbox, serve_mailbox

pytestmark = pytest.mark.browser


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """The SMTP server the platform sends its e-mail to."""
    yield from serve_mailbox()


@pytest_asyncio.fixture
async def platform(
    start_service: Callable[..., Any], mailbox: Mailbox, tmp_path: Path, open_cohorts: dict[str, str]
) -> AsyncIterator[RunningPlatform]:
    """All five services, the entry proxy and the mail server, with a cohort open per programme."""
    running = await start_platform(start_service, mailbox, tmp_path / "files")
    try:
        yield running
    finally:
        await stop_platform(running)


@pytest_asyncio.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    """Headless Debian Chromium, shared by the session (skipped without it; failed in CI)."""
    missing = chromium_missing()
    if missing:
        skip_or_fail(missing)
    async with chromium() as launched:
        yield launched


@pytest_asyncio.fixture
async def page(browser: Any) -> AsyncIterator[Any]:
    """A fresh browser context (no cookies) and page per test."""
    context = await browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-GB")
    opened = await context.new_page()
    opened.set_default_timeout(15_000)
    try:
        yield opened
    finally:
        await context.close()
