"""Real HTTP servers for tests: an ASGI app behind uvicorn on a free port of 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import uvicorn

from ..serving import server_config
from .mail import free_port


async def serve(app: Any, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    """Start serving `app` on 127.0.0.1:`port` (its lifespan is not run); returns once it listens."""
    config = server_config(app, host="127.0.0.1", port=port, lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    return server, task


async def stop(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    """Stop a server started by `serve`."""
    server.should_exit = True
    with contextlib.suppress(Exception):
        await asyncio.wait_for(task, timeout=10)


@contextlib.asynccontextmanager
async def served(app: Any, port: int | None = None) -> AsyncIterator[str]:
    """`app` served on `port` (by default a free one) for the block; yields its base URL."""
    port = port or free_port()
    server, task = await serve(app, port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await stop(server, task)
