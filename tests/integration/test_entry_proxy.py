"""The local entry proxy forwards /<service>/… to the service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from rtw_applications.app import SERVICE as APPLICATIONS
from rtw_platform.entry_proxy import build_app

pytestmark = pytest.mark.integration


async def test_the_entry_proxy_forwards_to_the_service(
    start_service: Callable[..., Any], unused_tcp_port: int
) -> None:
    import asyncio

    import uvicorn
    from rtw_platform.http import create_app

    runtime = await start_service(APPLICATIONS)
    app = create_app(runtime.definition, runtime.settings, runtime=runtime, configure_logs=False)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=unused_tcp_port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.05)
    try:
        proxy = build_app({"applications": f"http://127.0.0.1:{unused_tcp_port}"})
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=proxy), base_url="http://entry"
        ) as client:
            assert (await client.get("/applications/health/ready")).json()["status"] == "ok"
            refused = await client.get("/applications/applications")
            assert refused.status_code == 401  # the service's own answer comes back
            assert (await client.get("/nowhere/x")).status_code == 404
            assert "applications" in (await client.get("/")).text
    finally:
        server.should_exit = True
        await task


async def test_behind_the_entry_proxy_each_caller_has_its_own_link_limit(
    start_service: Callable[..., Any], unused_tcp_port: int
) -> None:
    """The proxy adds the caller to X-Forwarded-For; a service that trusts one hop counts each
    caller apart, and a caller cannot pass as another by writing the header itself."""
    import asyncio

    import uvicorn
    from rtw_platform.http import create_app

    runtime = await start_service(
        APPLICATIONS, trusted_proxy_hops=1, link_limit_per_client=2, link_limit_per_address=100
    )
    app = create_app(runtime.definition, runtime.settings, runtime=runtime, configure_logs=False)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=unused_tcp_port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.05)
    proxy = build_app({"applications": f"http://127.0.0.1:{unused_tcp_port}"})

    def caller(ip: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=proxy, client=(ip, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://entry")

    try:
        async with caller("192.0.2.1") as flooder, caller("192.0.2.2") as other:
            answers = []
            for i in range(3):
                spoofed = {"X-Forwarded-For": f"198.51.100.{i}"}  # a new address each time: ignored
                body = {"email": f"someone{i}@example.org"}
                answers.append(await flooder.post("/applications/sign-in", json=body, headers=spoofed))
            elsewhere = await other.post("/applications/sign-in", json={"email": "else@example.org"})
        assert [a.status_code for a in answers] == [202, 202, 429]
        assert elsewhere.status_code == 202
    finally:
        server.should_exit = True
        await task
