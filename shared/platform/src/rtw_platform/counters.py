"""A service's own counter on a row (an aggregate's `sequence`, where the producer numbers its
events: `SEQUENCE_SET_BY_PRODUCER`), advanced in the database, not in Python.

`row.counter += 1` reads the number the row had when this transaction loaded it: two transactions
changing one aggregate at once both load n and both announce n + 1. `take_next` instead runs
`UPDATE … SET counter = counter + 1 … RETURNING counter`: PostgreSQL locks the row and, if another
transaction holds it, waits for that one to end and adds to the number it committed. So the numbers
of one aggregate are each given once, without gaps (a rolled-back transaction gives its number back)
and in the order the transactions commit, whatever they read before.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

__all__ = ["take_next"]


async def take_next(session: AsyncSession, row: Any, counter: str) -> int:
    """Add one to `row`'s `counter` column in the database (locking the row until the transaction
    ends) and return the new number, which `row.counter` then holds as well."""
    model = type(row)
    state = inspect(row)
    if state.pending:
        await session.flush()  # a new row: written first, so that there is a row to count on
    mapper = state.mapper
    keys = [mapper.get_property_by_column(column).key for column in mapper.primary_key]
    column = getattr(model, counter)
    statement = (
        update(model)
        .where(*(getattr(model, key) == getattr(row, key) for key in keys))
        .values({counter: column + 1})
        .returning(column)
        .execution_options(synchronize_session=False)
    )
    number = int((await session.execute(statement)).scalar_one())
    set_committed_value(row, counter, number)
    return number
