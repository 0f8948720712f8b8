"""Who the client is for the limits on e-mailed links, and how a refusal to send more is answered."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, Request
from rtw_platform.db import service_registry
from rtw_platform.errors import TooManyRequests
from rtw_platform.http import create_app
from rtw_platform.rate_limits import client_address
from rtw_platform.service import ServiceDefinition

pytestmark = pytest.mark.unit


def _request(peer: str, forwarded: list[str]) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "client": (peer, 4000), "headers": headers})


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    # Anyone can write X-Forwarded-For: trusting it would let one client pass as many.
    assert client_address(_request("198.51.100.7", ["203.0.113.1"]), 0) == "198.51.100.7"


def test_behind_one_proxy_the_client_is_the_address_it_added() -> None:
    spoofed_then_added = ["203.0.113.1, 198.51.100.7"]
    assert client_address(_request("10.0.0.2", spoofed_then_added), 1) == "198.51.100.7"


def test_behind_two_proxies_the_client_is_the_address_the_first_added() -> None:
    request = _request("10.0.0.3", ["203.0.113.1", "198.51.100.7, 10.0.0.2"])
    assert client_address(request, 2) == "198.51.100.7"


def test_a_missing_header_behind_a_proxy_falls_back_to_what_there_is() -> None:
    assert client_address(_request("10.0.0.2", []), 1) == "10.0.0.2"


def _app(page: bool) -> httpx.AsyncClient:
    router = APIRouter(include_in_schema=not page)

    @router.post("/links")
    async def links() -> None:
        raise TooManyRequests("Wait 7 minutes before asking again.", retry_after=400)

    definition = ServiceDefinition(
        name="things",
        title="Things",
        description="",
        registry=service_registry("things"),
        package_file=__file__,
        routers=(router,),
    )
    app = create_app(definition, configure_logs=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_the_api_answers_429_with_retry_after() -> None:
    async with _app(page=False) as client:
        response = await client.post("/links")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "400"
    assert response.json() == {"detail": "Wait 7 minutes before asking again."}


async def test_a_page_answers_429_with_retry_after_and_the_message() -> None:
    async with _app(page=True) as client:
        response = await client.post("/links")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "400"
    assert "You have asked too many times" in response.text
    assert "Wait 7 minutes before asking again." in response.text
