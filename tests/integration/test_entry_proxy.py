"""The local entry proxy forwards /<service>/… to the service, and nothing of one caller reaches
another: each request goes with its own cookies only, every Set-Cookie comes back as sent, and
bodies are bounded.

Everything runs on real sockets: the applications service and the proxy each behind uvicorn, and
two or three httpx clients standing for separate browsers."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import httpx
import pytest
import pytest_asyncio
from rtw_applications.app import SERVICE as APPLICATIONS
from rtw_applications.testing import submitted_application
from rtw_platform.auth import Principal, Role, sign_in_link
from rtw_platform.entry_proxy import build_app
from rtw_platform.testing.fixtures import app_for
from rtw_platform.testing.mail import free_port
from rtw_platform.testing.servers import served
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

pytestmark = pytest.mark.integration

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PROXY_LIMIT = 256 * 1024


@dataclass
class Entry:
    """The proxy's address, and the secret the services sign tokens with."""

    url: str
    secret: str


@pytest_asyncio.fixture
async def entry(start_service: Callable[..., Any], open_cohorts: dict[str, str]) -> AsyncIterator[Entry]:
    """The applications service behind the entry proxy; `/gone/…` goes to a port nobody serves."""
    proxy_port = free_port()
    proxy_url = f"http://127.0.0.1:{proxy_port}"
    runtime = await start_service(APPLICATIONS, public_url=proxy_url)
    async with served(app_for(runtime)) as applications:
        targets = {"applications": applications, "gone": f"http://127.0.0.1:{free_port()}"}
        async with served(build_app(targets, max_body_bytes=PROXY_LIMIT), port=proxy_port):
            yield Entry(proxy_url, runtime.settings.token_secret.get_secret_value())


async def apply(client: httpx.AsyncClient, form: dict[str, Any], secret: str) -> tuple[UUID, str]:
    """Send a whole application (as a partner's service: anonymous callers get only a link by
    e-mail); the candidate's id and the application's reference."""
    receipt = await submitted_application(client, secret, form, path="/applications/applications")
    return UUID(receipt["candidate_id"]), receipt["reference"]


async def sign_in(client: httpx.AsyncClient, entry: Entry, candidate_id: UUID) -> None:
    """Sign in as a browser does: open the e-mailed link's page, press Continue."""
    link = sign_in_link(entry.secret, Principal(subject=str(candidate_id), role=Role.CANDIDATE), entry.url)
    path = urlsplit(link).path
    page = await client.get(path)
    assert page.status_code == 200, page.text
    match = CSRF.search(page.text)
    assert match is not None
    done = await client.post(path, data={"csrf_token": match.group(1), "next": ""})
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/applications/my"
    assert "rtw_session" in client.cookies


def browser(entry: Entry) -> httpx.AsyncClient:
    """A separate browser: its own cookie jar, redirects not followed."""
    return httpx.AsyncClient(base_url=entry.url, timeout=30)


async def test_the_entry_proxy_forwards_to_the_service(entry: Entry) -> None:
    async with browser(entry) as client:
        assert (await client.get("/applications/health/ready")).json()["status"] == "ok"
        refused = await client.get("/applications/applications")
        assert refused.status_code == 401  # the service's own answer comes back
        assert (await client.get("/nowhere/x")).status_code == 404
        assert "applications" in (await client.get("/")).text
        query = await client.get("/applications/cohorts", params={"open": "true"})
        assert query.status_code == 200
        assert {c["id"] for c in query.json()} >= {"ict-test"}


async def test_nobody_is_served_with_a_session_another_browser_started(
    entry: Entry, make_application: Callable[..., dict[str, Any]]
) -> None:
    async with browser(entry) as amara, browser(entry) as anonymous, browser(entry) as bola:
        amara_id, amara_ref = await apply(amara, make_application(), entry.secret)
        bola_id, bola_ref = await apply(bola, make_application(given_name="Bola"), entry.secret)
        amara.cookies.clear()
        bola.cookies.clear()

        await sign_in(amara, entry, amara_id)
        mine = await amara.get("/applications/my")
        assert mine.status_code == 200
        assert amara_ref in mine.text

        # A browser with no cookies is a stranger, whoever signed in before it.
        for path in ("/applications/my", "/applications/my/data/download", "/applications/my/data"):
            stranger = await anonymous.get(path)
            assert stranger.status_code == 303, f"{path} answered {stranger.status_code} to a stranger"
            assert stranger.headers["location"].startswith("/applications/account/sign-in")
        assert "rtw_session" not in anonymous.cookies
        admin_page = await anonymous.get("/applications/admin/cohorts")
        assert admin_page.status_code == 303

        # Two people signed in at once each see their own.
        await sign_in(bola, entry, bola_id)
        for client, own, other, who in (
            (amara, amara_ref, bola_ref, amara_id),
            (bola, bola_ref, amara_ref, bola_id),
        ):
            page = await client.get("/applications/my")
            assert own in page.text
            assert other not in page.text
            export = await client.get("/applications/my/data/download")
            assert export.status_code == 200
            assert export.json()["candidate"]["candidate_id"] == str(who)


async def test_every_set_cookie_comes_back_as_the_service_sent_it() -> None:
    session = "rtw_session=abc; expires=Tue, 01 Dec 2026 10:00:00 GMT; HttpOnly; Path=/; SameSite=lax"
    csrf = "rtw_csrf=def; HttpOnly; Path=/; SameSite=strict"

    async def two_cookies(request: Request) -> Response:
        response = PlainTextResponse("ok")
        response.raw_headers += [(b"set-cookie", session.encode()), (b"set-cookie", csrf.encode())]
        return response

    upstream = Starlette(routes=[Route("/signed-in", two_cookies)])
    async with (
        served(upstream) as target,
        served(build_app({"svc": target})) as proxy,
        httpx.AsyncClient(base_url=proxy) as client,
    ):
        answer = await client.get("/svc/signed-in")
    assert answer.headers.get_list("set-cookie") == [session, csrf]


async def test_the_proxy_answers_413_for_a_body_past_its_limit() -> None:
    received: list[int] = []

    async def upload(request: Request) -> Response:
        received.append(len(await request.body()))
        return JSONResponse({"bytes": received[-1]})

    upstream = Starlette(routes=[Route("/upload", upload, methods=["POST"])])
    async with served(upstream) as target, served(build_app({"svc": target}, max_body_bytes=1000)) as proxy:
        async with httpx.AsyncClient(base_url=proxy) as client:
            fits = await client.post("/svc/upload", content=b"x" * 1000)
            assert fits.json() == {"bytes": 1000}

            declared = await client.post("/svc/upload", content=b"x" * 1001)
            assert declared.status_code == 413
            assert "1000 bytes" in declared.text

            async def chunks() -> AsyncIterator[bytes]:
                for _ in range(10):
                    yield b"y" * 300

            streamed = await client.post("/svc/upload", content=chunks())
            assert streamed.status_code == 413
            assert received == [1000]  # neither big body reached the service whole

            # The proxy is fine afterwards.
            assert (await client.post("/svc/upload", content=b"z")).json() == {"bytes": 1}

        # A declared size past the limit is refused before the body is sent at all.
        assert await send_headers_only(proxy, "/svc/upload", 30 * 1024 * 1024) == 413


async def send_headers_only(base: str, path: str, length: int) -> int:
    """POST with a Content-Length of `length` but send no body; the status line's code."""
    parts = urlsplit(base)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n".encode()
        )
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout=10)
        return int(status_line.split()[1])
    finally:
        writer.close()


async def test_responses_stream_through_and_a_broken_service_gets_a_502_page(entry: Entry) -> None:
    big = b"0123456789" * 500_000  # 5 MB

    async def download(request: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            for start in range(0, len(big), 65536):
                yield big[start : start + 65536]

        return StreamingResponse(body(), media_type="application/octet-stream")

    async def broken(request: Request) -> Response:
        raise RuntimeError("the service fell over")

    upstream = Starlette(routes=[Route("/file", download), Route("/broken", broken)])
    async with served(upstream) as target:
        proxy = build_app({"svc": target, "gone": f"http://127.0.0.1:{free_port()}"})
        async with served(proxy) as url, httpx.AsyncClient(base_url=url) as client:
            assert (await client.get("/svc/file")).content == big
            unreachable = await client.get("/gone/page")
            assert unreachable.status_code == 502
            assert "not answering" in unreachable.text
            assert unreachable.headers["content-type"].startswith("text/html")
            failed = await client.get("/svc/broken")
            assert failed.status_code == 500  # the service's own answer
            # Neither breaks the next request.
            assert (await client.get("/svc/file")).content == big
    async with browser(entry) as client:
        assert (await client.get("/gone/x")).status_code == 502
        assert (await client.get("/applications/health/live")).status_code == 200


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


@pytest.mark.parametrize("hops", [0, 1])
async def test_a_caller_writing_x_forwarded_for_through_the_entry_url_is_still_one_caller(
    start_service: Callable[..., Any], hops: int
) -> None:
    """The proxy and the service run on real servers as `rtw up` runs them, and the browser is on
    127.0.0.1, like the proxy: a server that took X-Forwarded-For from a local peer for the
    caller's address (uvicorn's default) would let each request pass as a new caller. Whatever the
    trusted hops (0 locally, 1 behind Caddy), the caller is the one connection."""
    runtime = await start_service(
        APPLICATIONS, trusted_proxy_hops=hops, link_limit_per_client=2, link_limit_per_address=100
    )
    answers = []
    async with served(app_for(runtime)) as applications:
        proxied = build_app({"applications": applications})
        async with served(proxied) as proxy, httpx.AsyncClient(base_url=proxy, timeout=30) as flooder:
            for i in range(3):
                spoofed = {"X-Forwarded-For": f"198.51.100.{i}", "Forwarded": f"for=198.51.100.{i}"}
                body = {"email": f"someone{i}@example.org"}
                answers.append(await flooder.post("/applications/sign-in", json=body, headers=spoofed))
    assert [a.status_code for a in answers] == [202, 202, 429]


async def test_the_proxys_own_refusals_carry_the_security_headers(entry: Entry) -> None:
    """What the proxy answers itself (a method it does not forward, an unknown service) carries the
    same headers as every page: a browser is told not to frame it or guess its type."""
    async with browser(entry) as client:
        answers = [
            await client.request("TRACE", "/applications/"),
            await client.request("PROPFIND", "/applications/"),
            await client.get("/nowhere/x"),
        ]
    for answer in answers:
        assert answer.status_code in (404, 405), answer.status_code
        assert "frame-ancestors 'none'" in answer.headers.get("content-security-policy", ""), answer
        assert answer.headers.get("x-content-type-options") == "nosniff", answer
        assert answer.headers.get_list("content-security-policy") == [
            answer.headers["content-security-policy"]
        ]
