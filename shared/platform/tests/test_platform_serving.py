"""Every process serves HTTP without taking the caller's address from headers the caller writes."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn
from rtw_platform import cli, entry_proxy

pytestmark = pytest.mark.unit


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[uvicorn.Config]:
    """The configuration each server would have started with (none is started)."""
    configs: list[uvicorn.Config] = []

    def run(self: uvicorn.Server, *_args: Any, **_kwargs: Any) -> None:
        configs.append(self.config)

    monkeypatch.setattr(uvicorn.Server, "run", run)
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("uvicorn.run keeps uvicorn's defaults"))
    return configs


def test_rtw_serve_does_not_take_the_caller_from_x_forwarded_for(
    started: list[uvicorn.Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RTW_DEVELOPMENT_MODE", "true")
    monkeypatch.setattr("rtw_platform.http.create_app", lambda *a, **k: object())
    cli.serve("applications", port=18999, host="127.0.0.1")
    assert [(c.port, c.proxy_headers) for c in started] == [(18999, False)]


def test_the_entry_proxy_does_not_take_the_caller_from_x_forwarded_for(
    started: list[uvicorn.Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RTW_ENTRY_PORT", "18998")
    entry_proxy.main()
    assert [(c.port, c.proxy_headers) for c in started] == [(18998, False)]
