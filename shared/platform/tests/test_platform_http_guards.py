"""What every service's app does to every request and answer: the security headers on each answer
(pages, API, errors, health, assets), and bodies bounded before they are read."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from rtw_platform.auth import Principal, Role
from rtw_platform.body_limit import FORM_OVERHEAD_BYTES, accepts_body_up_to, describe_size
from rtw_platform.db import service_registry
from rtw_platform.errors import Forbidden
from rtw_platform.http import create_app
from rtw_platform.metrics import HTTP_REQUESTS
from rtw_platform.security_headers import API_DOCS_POLICY, PAGE_POLICY
from rtw_platform.service import ServiceDefinition
from rtw_platform.settings import ServiceSettings
from rtw_platform.web import Pages, read_form, start_session
from rtw_platform.web.pages import STATIC, width_class

pytestmark = pytest.mark.unit

MIB = 1024 * 1024
PAGE_HEADERS = {
    "content-security-policy": PAGE_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


class Note(BaseModel):
    text: str


def _app(tmp_path: Path, calls: list[str] | None = None, **settings: Any) -> Any:
    (tmp_path / "page.html").write_text('{% extends "base.html" %}{% block content %}Hi{% endblock %}')
    pages = Pages("things", tmp_path)
    router = APIRouter()
    seen = calls if calls is not None else []

    @router.post("/notes")
    async def add_note(note: Note) -> dict[str, int]:
        seen.append("add_note")
        return {"length": len(note.text)}

    @router.get("/notes/secret")
    async def secret() -> None:
        raise Forbidden("Only admins see this.")

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("something broke")

    @router.get("/page", include_in_schema=False)
    async def page(request: Request) -> HTMLResponse:
        return pages.render(request, "page.html")

    @router.get("/page/forbidden", include_in_schema=False)
    async def forbidden_page() -> None:
        raise Forbidden("Only admins see this page.")

    @router.post("/page", include_in_schema=False)
    async def page_sent(request: Request) -> Response:
        await read_form(request)
        seen.append("page_sent")
        return Response("sent")

    @router.get("/start-session", include_in_schema=False)
    async def session(request: Request) -> Response:
        response = HTMLResponse("ok")
        start_session(request, response, Principal(subject="a-1", role=Role.ASSESSOR))
        return response

    @router.post("/files", include_in_schema=False)
    @accepts_body_up_to(lambda s: 3 * MIB)
    async def files(request: Request) -> dict[str, int]:
        body = await request.body()
        seen.append("files")
        return {"bytes": len(body)}

    definition = ServiceDefinition(
        name="things",
        title="Things",
        description="",
        registry=service_registry("things"),
        package_file=__file__,
        routers=(router,),
    )
    values = {"token_secret": "s" * 40, **settings}
    return create_app(definition, ServiceSettings(**values), configure_logs=False)


def _client(app: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://t")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/page", 200),
        ("GET", "/page/forbidden", 403),
        ("POST", "/page", 400),  # no CSRF token: the "form expired" page
        ("POST", "/notes", 422),
        ("GET", "/notes/secret", 403),
        ("GET", "/boom", 500),
        ("GET", "/nowhere", 404),
        ("GET", "/health/live", 200),
        ("GET", "/static/rtw.css", 200),
        ("GET", "/static/govuk-frontend.min.js", 200),
        ("GET", "/openapi.json", 200),
        ("GET", "/asyncapi.json", 200),
    ],
)
async def test_every_answer_carries_the_security_headers(
    tmp_path: Path, method: str, path: str, status: int
) -> None:
    async with _client(_app(tmp_path)) as client:
        response = await client.request(method, path, json={} if method == "POST" else None)
    assert response.status_code == status
    for name, value in PAGE_HEADERS.items():
        assert response.headers.get(name) == value, f"{name} on {method} {path}"


async def test_the_api_documentation_gets_its_own_policy_and_still_cannot_be_framed(tmp_path: Path) -> None:
    async with _client(_app(tmp_path)) as client:
        for path in ("/docs", "/redoc"):
            response = await client.get(path)
            assert response.headers["content-security-policy"] == API_DOCS_POLICY
            assert "frame-ancestors 'none'" in API_DOCS_POLICY
            assert response.headers["x-frame-options"] == "DENY"


def test_the_page_policy_allows_no_inline_script_or_style_and_no_framing() -> None:
    directives = dict(d.split(" ", 1) for d in PAGE_POLICY.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert directives["form-action"] == "'self'"


async def test_the_page_frame_has_no_inline_script(tmp_path: Path) -> None:
    async with _client(_app(tmp_path)) as client:
        html = (await client.get("/page")).text
    assert "<script>" not in html
    assert '<script type="module">' not in html
    assert " style=" not in html


class Recorder:
    """An ASGI conversation with the app: a request with headers and a body sent in chunks; how
    much of the body the app asked for, and the answer."""

    def __init__(self, headers: dict[str, str], chunks: list[bytes]) -> None:
        self.headers = [(k.encode(), v.encode()) for k, v in headers.items()]
        self.chunks = chunks
        self.pulled = 0
        self.status = 0
        self.body = b""

    async def run(self, app: Any, method: str, path: str) -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": self.headers,
            "client": ("127.0.0.1", 1234),
            "server": ("t", 80),
        }
        await app(scope, self.receive, self.send)

    async def receive(self) -> dict[str, Any]:
        if self.pulled < len(self.chunks):
            self.pulled += 1
            return {
                "type": "http.request",
                "body": self.chunks[self.pulled - 1],
                "more_body": self.pulled < len(self.chunks),
            }
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")


def _big_json(size: int) -> list[bytes]:
    """A JSON body of about `size` bytes, in 64 KB chunks."""
    body = json.dumps({"text": "x" * size}).encode()
    return [body[i : i + 65536] for i in range(0, len(body), 65536)]


async def test_a_30_mb_json_body_with_its_length_is_refused_413_unread(tmp_path: Path) -> None:
    calls: list[str] = []
    app = _app(tmp_path, calls)
    chunks = _big_json(30 * MIB)
    length = sum(len(c) for c in chunks)
    conversation = Recorder({"content-type": "application/json", "content-length": str(length)}, chunks)
    await conversation.run(app, "POST", "/notes")
    assert conversation.status == 413
    assert conversation.pulled == 0  # not a byte read
    assert calls == []
    detail = json.loads(conversation.body)["detail"]
    assert "larger than the 1 MB accepted here" in detail


async def test_a_streamed_body_is_cut_off_as_soon_as_it_passes_the_limit(tmp_path: Path) -> None:
    calls: list[str] = []
    app = _app(tmp_path, calls)
    chunks = _big_json(30 * MIB)
    conversation = Recorder({"content-type": "application/json", "transfer-encoding": "chunked"}, chunks)
    answered = HTTP_REQUESTS.labels("things", "POST", "/notes", "413")
    before = answered._value.get()
    await conversation.run(app, "POST", "/notes")
    assert conversation.status == 413
    assert answered._value.get() == before + 1  # counted (and logged) as the 413 it was answered
    assert conversation.pulled == MIB // 65536 + 1  # the first chunk past 1 MB, no more
    assert calls == []
    assert "1 MB" in json.loads(conversation.body)["detail"]


async def test_a_body_within_the_limit_is_taken(tmp_path: Path) -> None:
    calls: list[str] = []
    async with _client(_app(tmp_path, calls)) as client:
        response = await client.post("/notes", json={"text": "x" * (MIB - 100)})
    assert response.status_code == 200
    assert calls == ["add_note"]


async def test_the_limit_is_a_setting(tmp_path: Path) -> None:
    async with _client(_app(tmp_path, max_body_bytes=4096)) as client:
        assert (await client.post("/notes", json={"text": "x" * 4000})).status_code == 200
        refused = await client.post("/notes", json={"text": "x" * 5000})
    assert refused.status_code == 413
    assert "4 KB" in refused.json()["detail"]


async def test_a_form_too_large_from_a_browser_gets_a_page(tmp_path: Path) -> None:
    calls: list[str] = []
    async with _client(_app(tmp_path, calls)) as client:

        async def form() -> AsyncIterator[bytes]:
            yield b"csrf_token=x&text="
            for _ in range(40):
                yield b"y" * 65536

        refused = await client.post(
            "/page",
            content=form(),
            headers={"content-type": "application/x-www-form-urlencoded", "accept": "text/html"},
        )
    assert refused.status_code == 413
    assert refused.headers["content-type"].startswith("text/html")
    assert "What you sent is too large" in refused.text
    assert "1 MB accepted here" in refused.text
    assert refused.headers["content-security-policy"] == PAGE_POLICY
    assert calls == []


async def test_a_route_taking_files_takes_up_to_its_own_allowance(tmp_path: Path) -> None:
    calls: list[str] = []
    async with _client(_app(tmp_path, calls)) as client:
        taken = await client.post("/files", content=b"v" * (2 * MIB))
        assert taken.json() == {"bytes": 2 * MIB}

        async def chunked() -> AsyncIterator[bytes]:
            for _ in range(4 * 16):
                yield b"v" * 65536

        assert (await client.post("/files", content=b"v" * (4 * MIB))).status_code == 413
        refused = await client.post("/files", content=chunked())
        assert refused.status_code == 413
        assert "3 MB" in refused.json()["detail"]
        # Other routes keep the service's limit.
        assert (await client.post("/notes", json={"text": "x" * (2 * MIB)})).status_code == 413
    assert calls == ["files"]


def test_sizes_read_as_people_say_them() -> None:
    assert describe_size(200 * MIB) == "200 MB"
    assert describe_size(64 * 1024) == "64 KB"
    assert describe_size(1000) == "1000 bytes"
    assert FORM_OVERHEAD_BYTES == MIB


@pytest.mark.parametrize(
    ("public_url", "secure_cookies", "secure"),
    [
        ("https://returners.example.org", False, True),
        ("HTTPS://returners.example.org", False, True),
        ("http://127.0.0.1:8080", False, False),
        ("", False, False),
        ("http://127.0.0.1:8080", True, True),
    ],
)
def test_cookies_are_secure_whenever_people_use_https(
    public_url: str, secure_cookies: bool, secure: bool
) -> None:
    settings = ServiceSettings(public_url=public_url, secure_cookies=secure_cookies)
    assert settings.cookies_are_secure() is secure


@pytest.mark.parametrize(
    ("public_url", "secure"), [("https://rtw.example", True), ("http://127.0.0.1:8080", False)]
)
async def test_the_session_and_csrf_cookies_are_secure_under_an_https_public_url(
    tmp_path: Path, public_url: str, secure: bool
) -> None:
    async with _client(_app(tmp_path, public_url=public_url)) as client:
        [csrf] = (await client.get("/page")).headers.get_list("set-cookie")
        [session] = (await client.get("/start-session")).headers.get_list("set-cookie")
    assert csrf.startswith("rtw_csrf=")
    assert session.startswith("rtw_session=")
    for cookie in (csrf, session):
        assert ("; secure" in cookie.lower()) is secure, cookie


@pytest.mark.parametrize(("percent", "expected"), [(42.4, 42), (42.6, 43), (-3, 0), (140, 100), (None, 0)])
def test_a_width_is_a_class_not_a_style_attribute(percent: float | None, expected: int) -> None:
    assert width_class(percent) == f"rtw-width-{expected}"
    assert f".rtw-width-{expected}{{width:{expected}%}}" in (STATIC / "rtw.css").read_text()
