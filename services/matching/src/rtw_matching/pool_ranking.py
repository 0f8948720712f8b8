"""Re-matching a vacancy against the pool (`match_vacancy`): PostgreSQL ranks the pool by a bound
of the score (`store.score_bound_sql`) and sends the best rows first; each is scored exactly
(`domain.quick_score`) and the best are proposed, the closest near fits told their skill gaps."""

from __future__ import annotations

import math
import time
from typing import Any
from uuid import UUID

from rtw_contracts import Event
from rtw_platform.uow import UnitOfWork

from . import domain, store
from .models import Vacancy
from .profiles import target_of
from .proposals import Matched, ProposalBook, Run

#: Near fits told their skill gaps per new vacancy (the closest ones; the pool can be large).
GAP_SIGNALS_PER_VACANCY = 25

#: Pool rows fetched in the first batch when re-matching (more follow only if these do not settle
#: the best proposals and the closest near fits).
FIRST_BATCH = 200


async def match_vacancy(uow: UnitOfWork, vacancy: Vacancy, *, cause: Event | None) -> Matched:
    """Rank the pool against a vacancy; propose the best, tell the closest near fits their gaps.

    PostgreSQL ranks the pool by a bound of each candidate's score (`store.score_bound_sql`) and sends
    the highest first, in batches; each row is scored exactly (`domain.quick_score`) and the
    pairs are decided best first, as if the whole pool had been scored, stopping as soon as no
    row still unsent could be proposed or be among the closest near fits."""
    started = time.perf_counter()
    in_force = await store.weights_in_force(uow)
    weights = in_force.weights
    target = target_of(vacancy)
    compiled = domain.scorer(target.vacancy, weights)
    book = ProposalBook()
    await book.load_pairs(uow, vacancy=vacancy.id, application=None)
    await book.load_standing(uow, [vacancy.id])
    standing = book.standing[vacancy.id]
    run = Run(uow, in_force, cause, book)
    quick = domain.quick_score
    bound_at, pool_at = len(store.POOL_COLUMNS), len(store.POOL_COLUMNS) + 1

    pending: list[tuple[float, bool, Any]] = []
    decided: set[UUID] = set()
    near_fits = 0
    pool = ranked = 0

    def decide(total: float, lacks: bool, row: Any) -> None:
        nonlocal near_fits
        application_id = row[store.APPLICATION]
        decided.add(application_id)
        signal = near_fits < GAP_SIGNALS_PER_VACANCY and domain.quick_near_fit(total, lacks, weights)
        near_fits += signal
        run.consider(
            target,
            row,
            application_id,
            row[store.CANDIDATE],
            total,
            lacks,
            signal_gaps=signal,
            compiled=compiled,
        )

    def settled(frontier: float) -> bool:
        """No row scoring at most `frontier` can be proposed or be a closest near fit."""
        weakest = standing.weakest()
        proposals_over = frontier < weights.propose_at or (
            standing.count >= weights.proposals_per_vacancy and (weakest is None or frontier <= weakest)
        )
        near_fits_over = near_fits >= GAP_SIGNALS_PER_VACANCY or frontier < weights.near_fit_at
        return proposals_over and near_fits_over

    offset, batch = 0, FIRST_BATCH
    signals_loaded: set[UUID] = set()
    while True:
        # The last batch takes all the rest.
        limit = batch if offset + batch <= FIRST_BATCH * 21 else None
        rows = await store.ranked_pool(uow, vacancy, compiled, offset=offset, limit=limit)
        ranked += len(rows)
        if rows:
            pool = int(rows[0][pool_at])
        exhausted = limit is None or len(rows) < limit
        frontier = -math.inf if exhausted else float(rows[-1][bound_at])
        for row in rows:
            total, lacks = quick(compiled, row)
            pending.append((total, lacks, row))
        pending.sort(key=lambda item: -item[0])
        ready = [p for p in pending if p[0] > frontier]
        pending = pending[len(ready) :]
        # The gaps already signalled for the near fits among these rows.
        fresh = [r[store.APPLICATION] for t, lacks, r in ready if domain.quick_near_fit(t, lacks, weights)]
        await book.load_signals(uow, [(vacancy.id, a) for a in fresh if a not in signals_loaded])
        signals_loaded.update(fresh)
        for total, lacks, row in ready:
            decide(total, lacks, row)
        if exhausted or settled(frontier):
            break
        offset, batch = offset + batch, batch * 4

    # Pairs made before for this vacancy are re-scored whatever their rank.
    others = [a for _, a in book.pairs if a not in decided]
    if others:
        made_rows = await store.pool_rows_of(uow, vacancy, others)
        ranked += len(made_rows)
        for row in made_rows:
            total, lacks = quick(compiled, row)
            run.consider(
                target,
                row,
                row[store.APPLICATION],
                row[store.CANDIDATE],
                total,
                lacks,
                signal_gaps=False,
                compiled=compiled,
            )
    await run.write()
    seconds = time.perf_counter() - started
    return Matched(pool, run.proposed, run.displacements, len(run.signals), seconds, ranked)
