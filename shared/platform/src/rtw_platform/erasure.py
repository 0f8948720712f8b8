"""Erasure: what every service does when a candidate exercises the right to erasure.

The applications service erases its own records and publishes CandidateErased
(`candidate.erased.v1`: the candidate's id and every application id). Every service that holds
anything about candidates subscribes to it, and the contract (docs/privacy.md) is:

1. **The service's own part** (its `ServiceErasure` handler, in the unit of work it is given):
   delete or anonymise everything it holds that names or describes the person, or that the
   person wrote, so that afterwards none of its APIs, pages or exports answers with them: an
   erased application or candidate answers as an unknown one (404). It keeps only what its counts
   need, without the person (a tombstone row with outcomes and no inputs, or an anonymous
   counter), so that every report gives the same numbers before and after. Erasure after
   selection frees no place and promotes nobody. Events about the person that arrive later
   (another queue may be behind) change nothing: the tombstone keeps the application's id for that.
2. **The platform's part**, done by `ServiceRuntime` around that handler for every service (see
   `with_platform_erasure`), in the same transaction: every row of the service's outbox about the
   person (published or not, found by its indexed `subject_id`) is deleted, and every dead letter
   of the service's queues that mentions the person's ids is deleted from its DLQ.

The inbox holds only `(event_id, handler)`: nothing to erase there. Published outbox rows of
everyone are deleted after `RTW_OUTBOX_KEEP_PUBLISHED_DAYS` (7) by the relay.

The applications service publishes CandidateErased and does not consume it: its erasure use case
calls `erase_from_outbox` itself, before it publishes the event (which names the person's ids and
must go out), and `erase_dead_letters` for its own queues.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from uuid import UUID

from rtw_contracts import CandidateErased
from sqlalchemy import text

from . import dlq
from .messaging import Subscription
from .uow import UnitOfWork

ServiceErasure = Callable[[CandidateErased, UnitOfWork], Awaitable[None]]
"""A service's own part of erasure: deletes or anonymises its rows about the person in the unit
of work (which the platform commits), keeping anonymous counts; publishes nothing about them."""


@dataclass(frozen=True)
class ErasedPerson:
    """The ids by which the services know an erased candidate."""

    candidate_id: UUID
    application_ids: tuple[UUID, ...]

    @classmethod
    def of(cls, event: CandidateErased) -> ErasedPerson:
        """The person a CandidateErased names."""
        return cls(event.candidate_id, tuple(event.application_ids))

    @property
    def ids(self) -> list[str]:
        """Every id, as text (the candidate's first)."""
        return [str(self.candidate_id), *(str(a) for a in self.application_ids)]


async def erase_from_outbox(
    uow: UnitOfWork,
    candidate_id: UUID | None,
    *,
    correlation_ids: Sequence[UUID] = (),
    mentions: Sequence[str] = (),
) -> int:
    """Delete every row of the service's outbox about a person, published or not (in the unit of
    work's transaction); how many. A row is about them when its subject is `candidate_id`, its
    correlation id is one of `correlation_ids` (their applications), or its payload mentions one
    of `mentions` (case-insensitive: their e-mail address, for events written before the subject
    column). Events written later in the same unit of work (at its commit) are kept: that is how
    applications still publishes CandidateErased itself."""
    ids = [str(i) for i in correlation_ids]
    needles = [m.lower() for m in mentions if m]
    result = await uow.session.execute(
        text(
            f"DELETE FROM {uow.schema}.outbox WHERE subject_id = :subject"
            " OR correlation_id = ANY(CAST(:ids AS uuid[]))"
            " OR EXISTS (SELECT 1 FROM unnest(CAST(:needles AS text[])) AS needle"
            " WHERE strpos(lower(payload::text), needle) > 0)"
        ),
        {"subject": candidate_id, "ids": ids, "needles": needles},
    )
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class DeadLetterEraser:
    """Deletes an erased person's dead letters from one service's DLQs."""

    amqp_url: str
    queues: tuple[str, ...]
    """The service's consumed queues (their DLQs are `<queue>.dlq`)."""
    limit: int = 10_000
    """Messages read at most per DLQ."""

    async def __call__(self, person: ErasedPerson) -> int:
        """How many dead letters were deleted."""
        return await erase_dead_letters(self.amqp_url, self.queues, person, limit=self.limit)


async def erase_dead_letters(
    amqp_url: str, queues: Iterable[str], person: ErasedPerson, *, limit: int = 10_000
) -> int:
    """Delete every dead letter of `queues` whose body or correlation id holds one of the person's
    ids; the others stay in their DLQ, in order. How many were deleted."""
    return await dlq.erase(amqp_url, queues, person.ids, limit=limit)


def with_platform_erasure(
    subscription: Subscription, *, dead_letters: Callable[[ErasedPerson], Awaitable[int]] | None
) -> Subscription:
    """The subscription as the runtime registers it: a CandidateErased handler is followed, in
    the same transaction, by the platform's part (the person's outbox rows, then their dead
    letters). Other subscriptions are returned as they are. The subscription keeps its inbox key."""
    if subscription.event is not CandidateErased:
        return subscription
    service_part = subscription.handler

    async def erase(event: CandidateErased, uow: UnitOfWork) -> None:
        await service_part(event, uow)
        await erase_from_outbox(uow, event.candidate_id)
        if dead_letters is not None:
            # Outside the transaction, but harmless to repeat if the commit then fails.
            await dead_letters(ErasedPerson.of(event))

    functools.update_wrapper(erase, service_part)
    return Subscription(subscription.event, erase, subscription.key)
