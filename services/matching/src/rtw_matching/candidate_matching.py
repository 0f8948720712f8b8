"""Matching a new or changed candidate (`match_candidate`) against the open vacancies they could
be seen for: the best pairs proposed, the closest near fits told their skill gaps.

Built for a large pool: pairs are ranked with `domain.quick_scores` (the score's exact total
without its explanations); only the pairs that are proposed, re-scored or signalled are explained
(`domain.Explainer`), and the decisions are written in a few set-based statements
(`proposals.Run`)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from uuid import UUID

from rtw_contracts import Event
from rtw_platform.uow import UnitOfWork

from . import domain, store
from .caches import MatchingCaches
from .models import CandidateProfile
from .profiles import Target, facts_of
from .proposals import Matched, Pair, ProposalBook, Run, Standing

#: Near fits told their skill gaps per candidate scored (their closest vacancies).
GAP_SIGNALS_PER_CANDIDATE = 25


async def match_candidate(
    uow: UnitOfWork, profile: CandidateProfile, *, cause: Event | None, caches: MatchingCaches
) -> Matched:
    """Score a candidate against every open vacancy they could be seen for; propose and signal.

    Two round trips, as a rule: the candidate is scored first against the open vacancies this
    process holds that they allow (with the weights last in force), so that one statement reads
    what they could be seen for, what they were told already, the weights in force and the
    standing proposals of the vacancies they score high enough to be proposed for (no other
    vacancy's can change what is decided); one statement writes the decisions. A vacancy this
    process does not hold yet, or weights changed since, cost a statement more."""
    started = time.perf_counter()
    programme = profile.programme
    facts = facts_of(profile)
    guess = caches.last_weights or domain.DEFAULT_WEIGHTS
    held = await caches.open_vacancies(uow, programme)
    seen = held.visible_to(profile.visible_regions, profile.visible_councils)
    scored = _score_all(caches, facts, seen, guess)
    hopeful = [t.id for t in seen if scored[t.id][0] >= guess.weights.propose_at]
    in_force, targets, book = await candidate_world(uow, profile, caches, hopeful)
    weights = in_force.weights
    if not domain.same_weights(in_force, guess):
        scored = {}
        caches.last_weights = in_force
    visible = {t.id for t in targets}
    for t in seen:
        if t.id not in visible:  # closed (or no longer visible) since this process read it
            held.discard(t)
    fresh = [t for t in targets if t.id not in scored]
    if fresh:  # vacancies not held before, or the weights changed
        scored |= _score_all(caches, facts, fresh, in_force)
        await book.load_weakest(uow, [t.id for t in fresh if scored[t.id][0] >= weights.propose_at])
    totals = [scored[t.id] for t in targets]
    # The candidate's closest near fits are told their gaps.
    near_fit = domain.quick_near_fit
    near = sorted(
        (
            (total, t.id)
            for t, (total, lacks, _) in zip(targets, totals, strict=True)
            if near_fit(total, lacks, weights)
        ),
        key=lambda n: -n[0],
    )
    closest = {vacancy_id for _, vacancy_id in near[:GAP_SIGNALS_PER_CANDIDATE]}
    run = Run(uow, in_force, cause, book)
    application_id, candidate_id = profile.application_id, profile.candidate_id
    for target, (total, lacks, compiled) in zip(targets, totals, strict=True):
        run.consider(
            target,
            facts,
            application_id,
            candidate_id,
            total,
            lacks,
            signal_gaps=target.id in closest,
            compiled=compiled,
        )
    await run.write()
    seconds = time.perf_counter() - started
    return Matched(len(targets), run.proposed, run.displacements, len(run.signals), seconds, len(targets))


def _score_all(
    caches: MatchingCaches, facts: domain.Facts, targets: Sequence[Target], in_force: domain.WeightsInForce
) -> dict[UUID, tuple[float, bool, domain.Scorer]]:
    """The candidate's quick score for each vacancy, whether they lack a skill, and the vacancy
    compiled with these weights."""
    scorers = caches.scorers_for(targets, in_force.weights)
    totals = domain.quick_scores(facts, scorers)
    return {t.id: (total, lacks, s) for t, s, (total, lacks) in zip(targets, scorers, totals, strict=True)}


async def candidate_world(
    uow: UnitOfWork, profile: CandidateProfile, caches: MatchingCaches, hopeful: Sequence[UUID] = ()
) -> tuple[domain.WeightsInForce, list[Target], ProposalBook]:
    """In one round trip: the weights in force, the open vacancies the candidate could be seen
    for (as `store.weights_in_force` and `open_vacancies_visible_to`), the candidate's own pairs
    and signals, and the standing proposals of the `hopeful` vacancies (those the candidate scores
    high enough to be proposed for; others' are loaded with `ProposalBook.load_weakest`)."""
    application_id = profile.application_id
    in_force: domain.WeightsInForce | None = None
    book = ProposalBook()
    ids = []
    for kind, vacancy_id, id_, score, proposed, status, n, value in await store.candidate_world_rows(
        uow, profile, hopeful
    ):
        if kind == store.WORLD_VACANCY:
            ids.append(vacancy_id)
        elif kind == store.WORLD_PAIR:
            book.pairs[(vacancy_id, application_id)] = Pair(id_, score, proposed, status)
        elif kind == store.WORLD_SIGNAL:
            book.signals[(vacancy_id, application_id)] = value
        elif kind == store.WORLD_STANDING:
            book.standing[vacancy_id] = Standing(int(n), [] if score is None else [(score, "", None)])
        else:
            in_force = domain.WeightsInForce(f"v{n}", caches.weights_of(value))
    if in_force is None:
        in_force = domain.DEFAULT_WEIGHTS
    return in_force, await caches.targets_of(uow, ids), book


async def open_vacancies_visible_to(
    uow: UnitOfWork, profile: CandidateProfile, caches: MatchingCaches
) -> list[Target]:
    """Open vacancies of the candidate's profession at councils the candidate allows."""
    return await caches.targets_of(uow, await store.open_vacancy_ids_visible_to(uow, profile))
