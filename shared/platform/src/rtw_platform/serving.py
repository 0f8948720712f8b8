"""How the platform's processes serve HTTP (uvicorn), the same for `rtw serve`, the local entry
proxy and the tests' real servers."""

from __future__ import annotations

from typing import Any

import uvicorn


def server_config(app: Any, *, host: str, port: int, **options: Any) -> uvicorn.Config:
    """uvicorn's settings for `app` on host:port (`options` adds or replaces others).

    uvicorn by default takes the caller's address from `X-Forwarded-For` whenever the connection
    comes from 127.0.0.1: behind the local entry proxy (or any proxy on the same host) every caller
    could then pass as a new one by writing that header, and the limits per client would count
    nothing. Here the connection's peer is always the caller as uvicorn reports it; whom to trust
    in `X-Forwarded-For` is decided in one place, `rate_limits.client_address`
    (`RTW_TRUSTED_PROXY_HOPS`)."""
    # uvicorn's own lines go through the process's logging (rtw_platform.logging: JSON like every
    # other line), not through handlers of its own.
    settings: dict[str, Any] = {"log_level": "warning", "log_config": None, **options}
    settings["proxy_headers"] = False
    return uvicorn.Config(app, host=host, port=port, **settings)


def run_server(app: Any, *, host: str, port: int, **options: Any) -> None:
    """Serve `app` until stopped (SIGINT/SIGTERM), with `server_config`."""
    uvicorn.Server(server_config(app, host=host, port=port, **options)).run()
