"""What a caller is told when the database cannot do what the request needs."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter
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
