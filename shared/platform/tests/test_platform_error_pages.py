"""Errors a browser sees are pages in the pages' design; the JSON API's errors stay JSON."""

from __future__ import annotations

from uuid import UUID

import httpx
import pytest
from fastapi import APIRouter
from fastapi.responses import Response
from rtw_platform.db import service_registry
from rtw_platform.errors import NotFound
from rtw_platform.http import create_app
from rtw_platform.service import ServiceDefinition

pytestmark = pytest.mark.unit

BROWSER = {"accept": "text/html"}


def _client() -> httpx.AsyncClient:
    pages = APIRouter(include_in_schema=False)
    api = APIRouter()

    @pages.get("/things/{thing_id}")
    async def thing_page(thing_id: UUID, page: int = 1) -> Response:
        raise NotFound("There is no such thing.")

    @pages.get("/broken")
    async def broken_page() -> Response:
        raise RuntimeError("a defect")

    @api.get("/api/things/{thing_id}")
    async def thing(thing_id: UUID) -> dict[str, str]:
        raise NotFound("There is no such thing.")

    @api.get("/api/broken")
    async def broken() -> dict[str, str]:
        raise RuntimeError("a defect")

    definition = ServiceDefinition(
        name="things",
        title="Things",
        description="",
        registry=service_registry("things"),
        package_file=__file__,
        routers=(pages, api),
    )
    app = create_app(definition, configure_logs=False)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
    )


async def test_an_unknown_or_malformed_id_on_a_page_is_a_styled_404_and_on_the_api_json() -> None:
    async with _client() as client:
        unknown = await client.get("/things/00000000-0000-0000-0000-000000000000")
        malformed = await client.get("/things/not-an-id")
        api_unknown = await client.get("/api/things/00000000-0000-0000-0000-000000000000", headers=BROWSER)
        api_malformed = await client.get("/api/things/not-an-id", headers=BROWSER)
    for page in (unknown, malformed):
        assert page.status_code == 404
        assert "Page not found" in page.text
        assert 'href="/applications/"' in page.text
    assert "There is no such thing." in unknown.text
    assert api_unknown.status_code == 404
    assert api_unknown.json() == {"detail": "There is no such thing."}
    assert api_malformed.status_code == 422
    assert api_malformed.json()["errors"][0]["field"] == "thing_id"


async def test_a_malformed_query_on_a_page_is_a_400_page() -> None:
    async with _client() as client:
        page = await client.get("/things/00000000-0000-0000-0000-000000000000?page=x")
    assert page.status_code == 400
    assert "There is a problem" in page.text
    assert "rtw.css" in page.text


async def test_a_defect_behind_a_page_is_a_styled_500_and_behind_the_api_plain() -> None:
    async with _client() as client:
        page = await client.get("/broken")
        api = await client.get("/api/broken", headers=BROWSER)
    assert page.status_code == 500
    assert "Sorry, there is a problem with the service" in page.text
    assert "rtw.css" in page.text
    assert "a defect" not in page.text
    assert api.status_code == 500
    assert api.text == "Internal Server Error"
