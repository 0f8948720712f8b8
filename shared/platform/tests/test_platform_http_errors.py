"""What a caller is told when the database cannot do what the request needs."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import httpx
import pytest
from fastapi import APIRouter, Query
from rtw_platform.db import service_registry
from rtw_platform.http import create_app
from rtw_platform.service import ServiceDefinition
from sqlalchemy.exc import DBAPIError

pytestmark = pytest.mark.unit


class _SqlState(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _app(sqlstate: str) -> httpx.AsyncClient:
    router = APIRouter()

    @router.post("/things")
    async def things() -> None:
        raise DBAPIError("INSERT", {}, _SqlState(sqlstate))

    definition = ServiceDefinition(
        name="things",
        title="Things",
        description="",
        registry=service_registry("things"),
        package_file=__file__,
        routers=(router,),
    )
    app = create_app(definition, configure_logs=False)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
    )


@pytest.mark.parametrize("sqlstate", ["57P03", "57P01", "08006", "40P01"])
async def test_a_database_restarting_is_a_503_saying_to_try_again(sqlstate: str) -> None:
    async with _app(sqlstate) as client:
        response = await client.post("/things")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "nothing was changed" in response.json()["detail"]


async def test_a_value_the_database_cannot_store_is_the_callers_422() -> None:
    async with _app("22P05") as client:
        response = await client.post("/things")
    assert response.status_code == 422


async def test_any_other_database_error_is_a_500() -> None:
    async with _app("42P01") as client:
        response = await client.post("/things")
    assert response.status_code == 500


def _pages_app() -> httpx.AsyncClient:
    """A service with two pages (routes left out of the OpenAPI document, as every page is)."""
    router = APIRouter(include_in_schema=False)

    @router.post("/things/page")
    async def things_page() -> None:
        raise DBAPIError("INSERT", {}, _SqlState("22021"))

    @router.get("/things/{thing_id}/page")
    async def thing_page(thing_id: UUID, count: Annotated[int | None, Query(le=5)] = None) -> str:
        return str(thing_id)

    definition = ServiceDefinition(
        name="things",
        title="Things",
        description="",
        registry=service_registry("things"),
        package_file=__file__,
        routers=(router,),
    )
    app = create_app(definition, configure_logs=False)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
    )


async def test_a_value_the_database_cannot_store_on_a_page_is_a_page_not_json() -> None:
    async with _pages_app() as client:
        response = await client.post("/things/page")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "control characters" in response.text


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/things/not-an-id/page", 404, "Page not found"),  # a malformed id: no such page
        (
            "/things/00000000-0000-0000-0000-000000000000/page?count=x",
            400,
            "The address of this page is not one it can show",
        ),
    ],
)
async def test_an_address_a_page_cannot_read_is_a_page_not_json(path: str, status: int, says: str) -> None:
    async with _pages_app() as client:
        response = await client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert says in response.text
    assert '"detail"' not in response.text


async def test_an_address_no_page_has_is_a_page_for_a_browser_and_json_for_the_api() -> None:
    async with _pages_app() as client:
        browser = await client.get("/things/<b>x</b>/page", headers={"accept": "text/html,*/*;q=0.8"})
        wrong_method = await client.delete("/things/page", headers={"accept": "text/html"})
        api = await client.get("/no/such/thing", headers={"accept": "application/json"})
    assert browser.status_code == 404
    assert browser.headers["content-type"].startswith("text/html")
    assert "Page not found" in browser.text
    assert "<b>x</b>" not in browser.text
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"].startswith("text/html")
    assert (api.status_code, api.json()) == (404, {"detail": "Not Found"})
