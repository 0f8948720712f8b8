"""Each service's API documentation through the entry URL, as an operator or another team opens
it: Swagger UI and ReDoc render from the platform's own files (nothing from another origin, so
they work on a locked-down network), ask for the service's document under its path, and "Try it
out" would call the service under that path."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from rtw_platform.security_headers import API_DOCS_POLICY
from rtw_platform.testing.browser import RunningPlatform

pytestmark = pytest.mark.browser

SERVICES = ("applications", "assessment", "training", "matching", "notifications")


async def test_swagger_ui_and_redoc_render_from_local_files_under_each_service_path(
    platform: RunningPlatform, page: Any
) -> None:
    entry = urlsplit(platform.entry)
    elsewhere: list[str] = []
    failed: list[str] = []
    page.on(
        "request",
        lambda request: (
            elsewhere.append(request.url)
            if urlsplit(request.url).netloc not in {entry.netloc, ""}
            and not request.url.startswith(("data:", "blob:"))
            else None
        ),
    )
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on(
        "console",
        lambda message: failed.append(message.text) if "Content Security Policy" in message.text else None,
    )

    for service in SERVICES:
        answer = await page.goto(f"{platform.entry}/{service}/docs")
        assert answer is not None, service
        assert answer.status == 200, service
        assert answer.headers["content-security-policy"] == API_DOCS_POLICY
        await page.locator(".swagger-ui .info .title").wait_for()
        assert "Return to Work" in await page.locator(".swagger-ui .info .title").inner_text()
        # The servers list names the service's path, so "Try it out" calls it there.
        assert (
            await page.locator(".swagger-ui .servers select option").first.get_attribute("value")
            == f"/{service}"
        )

    answer = await page.goto(f"{platform.entry}/matching/redoc")
    assert answer is not None
    assert answer.status == 200
    await page.locator(".api-info h1").wait_for()
    assert "Return to Work" in await page.locator(".api-info h1").inner_text()

    assert not elsewhere, f"loaded from another origin: {elsewhere}"
    assert not [url for url in failed if not url.endswith(".map")], failed


async def test_the_document_names_the_path_it_was_fetched_under(platform: RunningPlatform) -> None:
    async with httpx.AsyncClient() as client:
        through_entry = (await client.get(f"{platform.entry}/training/openapi.json")).json()
    assert through_entry["servers"] == [{"url": "/training"}]
    assert through_entry["info"]["title"].startswith("Return to Work")
    assert "https://cdn" not in API_DOCS_POLICY
    assert "unsafe-inline" not in API_DOCS_POLICY.split("; ")[1]
