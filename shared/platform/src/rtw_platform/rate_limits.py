"""Limits on requests that send an e-mail or make a sign-in link, counted in the service's database.

Each endpoint that e-mails someone (a sign-in link, a council's sign-up, an invitation) counts the
request against two fixed windows: one per e-mail address (5 an hour by default) and one per client
(20 every 10 minutes). Past either, the request is refused with `TooManyRequests` (429 and
`Retry-After`) before anything is sent. The counters live in a table of the service's own schema
(see `RateLimitWindow`-style tables: `key` primary key, `window_started_at`, `hits`,
`expires_at`), so every replica shares them and a restart forgets nothing.

Privacy: the table holds only keyed hashes (HMAC with the token secret) of the address and of the
client's IP address. Every request is counted, whether or not the address is known, so the limit
answers the same for both.

The client is the TCP peer (`request.client.host`). Behind proxies that append the caller's
address to `X-Forwarded-For` (Caddy, the local entry proxy, an ingress), set
`RTW_TRUSTED_PROXY_HOPS` to how many there are: the client is then the right-most address that
no trusted proxy added. With 0 (the default) the header is ignored, as anyone can write it.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from pydantic import BaseModel, Field
from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert

from .errors import TooManyRequests
from .uow import UnitOfWork


class LinkLimitSettings(BaseModel):
    """`RTW_*` settings of the limits on e-mailed links; mix into a service's settings class."""

    link_limit_per_address: int = Field(
        default=5, ge=1, description="E-mails with links one address may be sent per address window."
    )
    link_limit_address_window_s: int = Field(default=3600, ge=1, le=7 * 24 * 3600)
    link_limit_per_client: int = Field(
        default=20, ge=1, description="Requests for e-mailed links one client may make per client window."
    )
    link_limit_client_window_s: int = Field(default=600, ge=1, le=7 * 24 * 3600)
    trusted_proxy_hops: int = Field(
        default=0,
        ge=0,
        le=5,
        description="How many proxies in front of the service append the caller to X-Forwarded-For "
        "(0: use the connection's address and ignore the header).",
    )


@dataclass(frozen=True)
class Limit:
    """At most `count` requests per `window` for one key of `scope`."""

    scope: str
    count: int
    window: timedelta


def client_address(request: Request, trusted_proxy_hops: int = 0) -> str:
    """The caller's IP address: the right-most X-Forwarded-For entry that none of the
    `trusted_proxy_hops` proxies in front of us added; the connection's peer when there are none."""
    peer = request.client.host if request.client else "unknown"
    if trusted_proxy_hops <= 0:
        return peer
    forwarded = [
        part.strip()
        for header in request.headers.getlist("x-forwarded-for")
        for part in header.split(",")
        if part.strip()
    ]
    # The hops: every X-Forwarded-For entry, then the peer (the last proxy itself). The last
    # `trusted_proxy_hops` of them are our proxies; the one before is who called the first proxy.
    hops = [*forwarded, peer]
    return hops[max(len(hops) - 1 - trusted_proxy_hops, 0)]


def _key(secret: str, scope: str, value: str) -> str:
    return hmac.new(secret.encode(), f"{scope}\x00{value}".encode(), hashlib.sha256).hexdigest()


def _window_start(now: datetime, window: timedelta) -> datetime:
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


async def count_request(
    uow: UnitOfWork,
    windows: type[Any],
    counted: Sequence[tuple[Limit, str]],
    *,
    secret: str,
    now: datetime | None = None,
) -> None:
    """Count one request against each (limit, value) and commit; raise TooManyRequests, saying
    when to try again, if any limit is now exceeded. `windows` is the service's counter table;
    only keyed hashes of the values are stored. Expired windows are deleted as we go."""
    now = now or datetime.now(UTC)
    table = windows.__table__
    retry_after = 0
    # A fixed order of keys, so that concurrent requests lock the same rows in the same order.
    for limit, value in sorted(counted, key=lambda pair: pair[0].scope):
        started = _window_start(now, limit.window)
        ends = started + limit.window
        inserting = insert(table).values(
            key=_key(secret, limit.scope, value), window_started_at=started, hits=1, expires_at=ends
        )
        current = table.c.window_started_at == inserting.excluded.window_started_at
        upsert = inserting.on_conflict_do_update(
            index_elements=["key"],
            set_={
                # A new window starts counting afresh; within one, each request adds one.
                "hits": case((current, table.c.hits + 1), else_=1),
                "window_started_at": inserting.excluded.window_started_at,
                "expires_at": inserting.excluded.expires_at,
            },
        ).returning(table.c.hits)
        hits = (await uow.session.execute(upsert)).scalar_one()
        if hits > limit.count:
            retry_after = max(retry_after, math.ceil((ends - now).total_seconds()))
    expired = select(table.c.key).where(table.c.expires_at < now).limit(100)
    await uow.session.execute(delete(table).where(table.c.key.in_(expired)))
    await uow.commit()
    if retry_after:
        raise TooManyRequests(_wait_message(retry_after), retry_after=retry_after)


def _wait_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    wait = "1 minute" if minutes == 1 else f"{minutes} minutes"
    return (
        f"You have asked for several e-mails with links in a short time. Wait {wait} before asking "
        "again. A link already sent to you still works until it expires: check your inbox and spam folder."
    )


async def limit_link_request(
    request: Request, uow: UnitOfWork, windows: type[Any], email: str | None
) -> None:
    """Count a request that will e-mail a link (to `email`, if given) against the limits per
    address and per client of the service's settings (`LinkLimitSettings`); raise TooManyRequests
    past either. Call it before the use case, for every such request, known address or not."""
    settings = request.app.state.settings
    counted = [
        (
            Limit(
                "link-client",
                settings.link_limit_per_client,
                timedelta(seconds=settings.link_limit_client_window_s),
            ),
            client_address(request, settings.trusted_proxy_hops),
        )
    ]
    if email:
        counted.append(
            (
                Limit(
                    "link-address",
                    settings.link_limit_per_address,
                    timedelta(seconds=settings.link_limit_address_window_s),
                ),
                email.strip().lower(),
            )
        )
    await count_request(uow, windows, counted, secret=settings.token_secret.get_secret_value())
