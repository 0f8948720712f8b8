"""The whole platform behind its entry proxy, for tests that use it as people do: in a browser.

Every service runs against the real broker and database of the test (its own prefix and database),
each behind a real HTTP server on a free port, with the entry proxy in front and a real SMTP server
catching the e-mail. Pages are checked with axe (WCAG 2.2 AA), for reflow on a phone (WCAG 1.4.10,
which axe cannot see) and photographed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from ..auth import Principal, Role, sign_in_link
from ..entry_proxy import build_app
from ..registry import installed_services
from ..service import ServiceRuntime
from .fixtures import app_for
from .mail import Mailbox, free_port
from .servers import serve

CHROMIUM = os.environ.get("RTW_CHROMIUM", "/usr/bin/chromium")
#: Chromium's flags on a machine with no network beyond localhost (and running as root).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SCREENSHOTS = Path(os.environ.get("RTW_SCREENSHOTS", "test-artifacts/screenshots"))
LINK = re.compile(r"https?://[^\s\"'<>]+")
#: The widths every checked page must reflow at: WCAG 1.4.10's 320 CSS pixels and a common phone's 390.
PHONE_WIDTHS = (320, 390)
#: Two frames, when the page's scripts run (marked `js-enabled`): a browser without JavaScript
#: draws no frames for a script to wait on.
NEXT_FRAMES = """() => document.body.classList.contains("js-enabled")
  ? new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))) : null"""
#: What sticks out past the right of the viewport: the page's own scroll width, and every drawn
#: element whose right edge is beyond it (one inside a box that clips or scrolls its overflow is
#: that box's business: the box itself is checked).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  const clipped = (element) => {
    for (let box = element.parentElement; box && box !== document.body; box = box.parentElement) {
      if (getComputedStyle(box).overflowX !== "visible") return true;
    }
    return false;
  };
  const describe = (element) => element.tagName.toLowerCase()
    + (element.id ? "#" + element.id : "")
    + (element.classList.length ? "." + [...element.classList].join(".") : "");
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || box.right <= width + 1) continue;
    if (clipped(element)) continue;
    out.push(`${describe(element)} reaches ${Math.round(box.right)}px`);
  }
  return {width, scrollWidth: document.documentElement.scrollWidth, out};
}"""


@dataclass
class RunningPlatform:
    """The platform as a browser sees it, at `entry`."""

    entry: str
    mailbox: Mailbox
    runtimes: dict[str, ServiceRuntime]
    secret: str
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        """An address on the platform's one host."""
        return f"{self.entry}{path}"

    def sign_in_link(self, role: Role, subject: str, **scope: str) -> str:
        """A single-use sign-in link for a member of staff (as `rtw token issue --link` prints)."""
        principal = Principal(subject=subject, role=role, **scope)
        return sign_in_link(self.secret, principal, self.entry)

    async def link_mailed_to(self, address: str, count: int = 1, timeout: float = 30.0) -> str:
        """The platform link in the `count`-th e-mail to `address`."""
        mails = await self.mailbox.wait_for(address, count=count, timeout=timeout)
        for link in LINK.findall(mails[count - 1].text):
            if link.startswith(self.entry) and "/unsubscribe/" not in link:
                return str(link)
        raise AssertionError(f"no platform link in the e-mail to {address}: {mails[count - 1].text}")


async def start_platform(
    start_service: Callable[..., Awaitable[ServiceRuntime]], mailbox: Mailbox, files: Path
) -> RunningPlatform:
    """Every installed service, each behind a real HTTP server, and the entry proxy in front."""
    entry_port = free_port()
    entry = f"http://127.0.0.1:{entry_port}"
    per_service: dict[str, dict[str, Any]] = {
        "applications": {"file_store_url": f"file://{files}"},
        "assessment": {"file_store_url": f"file://{files}"},  # assessors watch the videos
        "notifications": {
            "smtp_host": "127.0.0.1",
            "smtp_port": mailbox.port,
            "portal_url": entry,
            "dispatch_interval_s": 0.2,
        },
    }
    runtimes: dict[str, ServiceRuntime] = {}
    targets: dict[str, str] = {}
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []
    for name, definition in installed_services().items():
        runtime = await start_service(definition, public_url=entry, **per_service.get(name, {}))
        runtimes[name] = runtime
        port = free_port()
        targets[name] = f"http://127.0.0.1:{port}"
        servers.append(await serve(app_for(runtime), port))
    servers.append(await serve(build_app(targets), entry_port))
    secret = next(iter(runtimes.values())).settings.token_secret.get_secret_value()
    return RunningPlatform(entry, mailbox, runtimes, secret, servers)


async def stop_platform(platform: RunningPlatform) -> None:
    """Stop the HTTP servers (the runtimes stop with the start_service fixture)."""
    for server, _ in platform.servers:
        server.should_exit = True
    for _, task in platform.servers:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, timeout=10)


def chromium_missing() -> str | None:
    """Why browser tests cannot run here, or None."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        return f"no Chromium at {CHROMIUM}: `make test-browser` installs Debian's chromium package"
    return None


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser)."""
    from playwright.async_api import async_playwright

    executable = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")  # noqa: ASYNC240
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


async def check_page(page: Any, name: str) -> None:
    """Photograph the page and fail on any serious or critical WCAG 2.2 AA violation axe finds."""
    from axe_playwright_python.async_playwright import Axe

    os.makedirs(SCREENSHOTS, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    results = await Axe().run(
        page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]}
    )
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]
    assert not bad, f"accessibility violations on {name} ({page.url}):\n" + "\n".join(bad)
    await check_reflow(page, name)


async def check_reflow(page: Any, name: str, widths: tuple[int, ...] = PHONE_WIDTHS) -> None:
    """Fail if the page needs scrolling sideways at any of `widths` (WCAG 1.4.10 reflow): the
    document is wider than the viewport or an element reaches past its right edge. The page is
    photographed at the narrowest width and left at the size it had."""
    os.makedirs(SCREENSHOTS, exist_ok=True)
    before = page.viewport_size
    problems: list[str] = []
    try:
        for width in widths:
            await page.set_viewport_size({"width": width, "height": 800})
            # a frame or two, so scripts that listen for the width (the menu button) have run
            await page.evaluate(NEXT_FRAMES)
            found = await page.evaluate(OVERFLOW)
            if found["scrollWidth"] > found["width"]:
                problems.append(f"at {width}px the page is {found['scrollWidth']}px wide")
            problems += [f"at {width}px {item}" for item in found["out"][:5]]
            if width == min(widths):
                await page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}px.png"), full_page=True)
    finally:
        if before:
            await page.set_viewport_size(before)
    assert not problems, f"{name} ({page.url}) does not reflow on a phone:\n" + "\n".join(problems)


async def check_error_summary(page: Any, name: str, messages: list[str], link: str, focus: str) -> None:
    """A form shown again with errors: the error summary holds every one of `messages`, the title
    starts with "Error: ", the page passes `check_page` (as `name`), and the summary's link named
    `link` takes the keyboard to the field whose id is `focus`."""
    summary = page.locator(".govuk-error-summary")
    for message in messages:
        assert message in await summary.inner_text(), f"{message!r} not in the error summary"
    assert (await page.title()).startswith("Error: ")
    await check_page(page, name)
    await summary.get_by_role("link", name=link).click()
    assert await page.evaluate("document.activeElement.id") == focus
