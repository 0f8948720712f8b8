"""Fixtures of the assessment service's HTTP tests: the service started with the in-memory broker,
real PostgreSQL and a file store in a temporary folder, and a client for its app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
from faststream.rabbit import TestRabbitBroker
from rtw_assessment.app import SERVICE
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for


@pytest_asyncio.fixture
async def service(start_service: Callable[..., Any], tmp_path: Path) -> ServiceRuntime:
    runtime: ServiceRuntime = await start_service(
        SERVICE, in_memory_broker=True, relay_enabled=False, file_store_url=f"file://{tmp_path}"
    )
    return runtime


@pytest_asyncio.fixture
async def client(service: ServiceRuntime) -> AsyncIterator[httpx.AsyncClient]:
    async with TestRabbitBroker(service.broker):
        transport = httpx.ASGITransport(app=app_for(service))
        async with httpx.AsyncClient(transport=transport, base_url="http://assessment") as http:
            yield http
