"""Numbering events per aggregate in the outbox write: the `sequence` subscribers order by.

Every contract names the aggregate whose changes its `sequence` counts (`SEQUENCE_OF`, with the
fields naming the instance, `SEQUENCE_KEY`). Where the producing service does not count them
itself (`SEQUENCE_SET_BY_PRODUCER`), the unit of work numbers each event from a counter row per
aggregate in the service's `event_sequences` table, in the transaction that writes the outbox. The
upsert locks that row until the transaction ends, so concurrent transactions changing one
aggregate take their numbers one after the other, in commit order: strictly increasing, never
the same twice. The counter row is keyed by a SHA-256 digest of the aggregate's ids, not the ids
themselves: once a person is erased, nothing left in it names them.
"""

from __future__ import annotations

import functools
import hashlib
from collections import Counter
from collections.abc import Sequence

from rtw_contracts import Event
from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["aggregate_of", "number_events"]


def aggregate_of(event: Event) -> tuple[str, str] | None:
    """`(aggregate, key)` whose counter numbers `event`, or None if it needs no number from the
    outbox (the producer set it, or counts this aggregate itself)."""
    if event.sequence is not None or event.SEQUENCE_SET_BY_PRODUCER:
        return None
    key = "|".join(str(getattr(event, field)) for field in event.SEQUENCE_KEY)
    return event.SEQUENCE_OF, hashlib.sha256(key.encode()).hexdigest()


@functools.cache
def _take_numbers(schema: str) -> TextClause:
    """Add each aggregate's count of new events to its counter (created at 0), returning the new
    last number; rows are taken in a fixed order so that two transactions never deadlock."""
    return text(
        f"INSERT INTO {schema}.event_sequences AS s (aggregate, aggregate_key, last)"
        " SELECT u.aggregate, u.aggregate_key, u.n"
        " FROM unnest(CAST(:aggregates AS text[]), CAST(:keys AS text[]), CAST(:counts AS bigint[]))"
        " AS u(aggregate, aggregate_key, n) ORDER BY u.aggregate, u.aggregate_key"
        " ON CONFLICT (aggregate, aggregate_key) DO UPDATE SET last = s.last + EXCLUDED.last"
        " RETURNING s.aggregate, s.aggregate_key, s.last"
    )


async def number_events(session: AsyncSession, schema: str, events: Sequence[Event]) -> list[Event]:
    """`events` with `sequence` set on each that the outbox numbers, in their order (one statement
    for all aggregates, none when no event needs a number)."""
    aggregates = [aggregate_of(event) for event in events]
    counts = Counter(aggregate for aggregate in aggregates if aggregate is not None)
    if not counts:
        return list(events)
    ordered = sorted(counts)
    rows = await session.execute(
        _take_numbers(schema),
        {
            "aggregates": [aggregate for aggregate, _ in ordered],
            "keys": [key for _, key in ordered],
            "counts": [counts[aggregate] for aggregate in ordered],
        },
    )
    next_number = {(row[0], row[1]): int(row[2]) - counts[(row[0], row[1])] + 1 for row in rows}
    numbered: list[Event] = []
    for event, aggregate in zip(events, aggregates, strict=True):
        if aggregate is None:
            numbered.append(event)
            continue
        numbered.append(event.model_copy(update={"sequence": next_number[aggregate]}))
        next_number[aggregate] += 1
    return numbered
