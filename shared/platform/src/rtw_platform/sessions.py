"""Signing out ends the session everywhere, at once, and for good.

A browser's session cookie holds a signed token with a random session id (`sid`, see
`auth.issue_session_token`); the same cookie is read by every service behind the entry proxy.
Signing out (on any service) records the id in that service's `revoked_sessions` table and
publishes `SessionEnded` through its outbox, in one transaction; every service consumes the event
into its own table (no service reads another's schema). Each process keeps the revoked ids in
memory (`RevokedSessions`), so a page costs no query to check them: loaded from the table at
start-up (a restart forgets nothing), added to at once by a sign-out in this process, and
refreshed from the table every second (what the consumer or another replica recorded). Until the
first load succeeds, no session is accepted. Rows and ids are forgotten an hour after the session
would have expired anyway (its token is refused by then).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from uuid import UUID

from rtw_contracts import SessionEnded
from sqlalchemy import TextClause, text

from .auth import Session
from .logging import get_logger
from .messaging import Subscription
from .uow import UnitOfWork, UnitOfWorkFactory

log = get_logger(__name__)

#: Revoked sessions are remembered this long after they would have expired (clock skew between
#: the services and the database must stay well under it).
KEEP_AFTER_EXPIRY = timedelta(hours=1)
#: A poll reads the rows recorded since the last one it saw, less this margin (a transaction may
#: commit a little after its rows' `recorded_at`).
RECORDING_LAG = timedelta(minutes=1)
#: How long one read of the table may take before it counts as failed (and is tried again).
REFRESH_TIMEOUT_S = 10.0


class RevokedSessions:
    """The ids of the sessions signed out of, as this process knows them (no I/O)."""

    def __init__(self) -> None:
        self._until: dict[UUID, datetime] = {}
        self.loaded = False

    def admits(self, session_id: UUID) -> bool:
        """True unless the session was revoked, or the revoked ids have not been loaded yet."""
        return self.loaded and session_id not in self._until

    def remember(self, session_id: UUID, expires_at: datetime) -> None:
        """Refuse this session from now on."""
        self._until[session_id] = expires_at

    def loaded_from(self, rows: Iterable[tuple[UUID, datetime]]) -> None:
        """Add every (session id, expiry) read from the table; the revoked ids are now known."""
        for session_id, expires_at in rows:
            self._until[session_id] = expires_at
        self.loaded = True

    def forget_expired(self, now: datetime) -> None:
        """Forget the sessions whose tokens are refused anyway."""
        for session_id, expires_at in list(self._until.items()):
            if expires_at + KEEP_AFTER_EXPIRY < now:
                del self._until[session_id]

    def __len__(self) -> int:
        return len(self._until)


@functools.cache
def _record_statement(schema: str) -> TextClause:
    return text(
        f"INSERT INTO {schema}.revoked_sessions (session_id, expires_at)"
        " VALUES (:session_id, :expires_at) ON CONFLICT (session_id) DO NOTHING"
    )


async def record_revocation(uow: UnitOfWork, session_id: UUID, expires_at: datetime) -> None:
    """Write the revocation in the unit of work's transaction (once: a repeat changes nothing)."""
    await uow.session.execute(
        _record_statement(uow.schema), {"session_id": session_id, "expires_at": expires_at}
    )


async def record_session_ended(event: SessionEnded, uow: UnitOfWork) -> None:
    """Refuse the ended session's cookie here too (every replica reads it within a second)."""
    await record_revocation(uow, event.session_id, event.expires_at)


SESSION_ENDED = Subscription(SessionEnded, record_session_ended, "record_session_ended")
"""Every service lists this subscription: a session signed out of anywhere ends here too."""


class SessionRevocations:
    """One process's part: ends sessions, and keeps its `RevokedSessions` up to date."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        service: str,
        schema: str,
        *,
        poll_interval_s: float = 1.0,
        full_reload_every_s: float = 600.0,
        refresh_timeout_s: float = REFRESH_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """`clock` and `sleep` (seconds) time the polls and the full reloads: a test passes its
        own to run them without waiting."""
        self.revoked = RevokedSessions()
        self._uow_factory = uow_factory
        self._service = service
        self._schema = schema
        self._poll_interval_s = poll_interval_s
        self._full_reload_every_s = full_reload_every_s
        self._refresh_timeout_s = refresh_timeout_s
        self._clock = clock
        self._sleep = sleep
        self._seen_until: datetime | None = None
        self._task: asyncio.Task[None] | None = None
        self._failing = False

    async def end(self, session: Session) -> None:
        """Sign the session out everywhere: recorded and announced in one transaction, refused
        by this process at once."""
        async with self._uow_factory() as uow:
            await record_revocation(uow, session.id, session.expires_at)
            uow.publish(
                SessionEnded(
                    correlation_id=session.id,
                    producer=self._service,
                    session_id=session.id,
                    expires_at=session.expires_at,
                )
            )
            await uow.commit()
        self.revoked.remember(session.id, session.expires_at)

    async def start(self) -> None:
        """Load the revoked sessions (retried in the background if the database is away), then
        keep reading what others record."""
        await self._refresh_or_log(full=True)
        self._task = asyncio.create_task(self._keep_refreshing(), name=f"revoked-sessions-{self._service}")

    async def stop(self) -> None:
        """Stop refreshing."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def refresh(self, *, full: bool = False) -> None:
        """Read the revocations recorded since the last read (all unexpired ones when `full`, or
        before the first successful read); a full read also purges the long-expired rows."""
        since = None if full or self._seen_until is None else self._seen_until - RECORDING_LAG
        condition = "expires_at > now() - CAST(:keep AS interval)"
        parameters: dict[str, object] = {"keep": KEEP_AFTER_EXPIRY}
        if since is not None:
            condition += " AND recorded_at > :since"
            parameters["since"] = since
        async with self._uow_factory.engine.connect() as connection:
            rows = (
                await connection.execute(
                    text(
                        f"SELECT session_id, expires_at, recorded_at FROM {self._schema}.revoked_sessions"
                        f" WHERE {condition}"
                    ),
                    parameters,
                )
            ).all()
            if full:
                await connection.execute(
                    text(
                        f"DELETE FROM {self._schema}.revoked_sessions"
                        " WHERE expires_at < now() - CAST(:keep AS interval)"
                    ),
                    {"keep": KEEP_AFTER_EXPIRY},
                )
                await connection.commit()
        self.revoked.loaded_from((row.session_id, row.expires_at) for row in rows)
        latest = max((row.recorded_at for row in rows), default=None)
        if latest is not None and (self._seen_until is None or latest > self._seen_until):
            self._seen_until = latest
        if full:
            self.revoked.forget_expired(datetime.now(UTC))

    async def _refresh_or_log(self, *, full: bool) -> None:
        try:
            # Bounded: an unreachable database must not hold up start-up or the next poll.
            # (`asyncio.timeout`, not `wait_for`: on 3.11 `wait_for` loses a cancel that lands as
            # the read completes, and `stop()` then waited for ever on a poll that never ended.)
            async with asyncio.timeout(self._refresh_timeout_s):
                await self.refresh(full=full)
        except Exception as exc:
            if not self._failing:  # once per outage, not every second
                log.warning("revoked_sessions_unreadable", error=repr(exc), loaded=self.revoked.loaded)
            self._failing = True
        else:
            if self._failing:
                log.info("revoked_sessions_readable_again")
            self._failing = False

    async def _keep_refreshing(self) -> None:
        last_full = self._clock()
        while True:
            await self._sleep(self._poll_interval_s)
            full = self._clock() - last_full >= self._full_reload_every_s
            await self._refresh_or_log(full=full)
            if full:
                last_full = self._clock()
