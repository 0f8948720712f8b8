"""Proposals and skill-gap signals: what stands already for the pairs at hand (`ProposalBook`)
and one matching run's decisions (`Run`), written at the end in a few statements.

A vacancy keeps at most `proposals_per_vacancy` standing proposals: a better candidate arriving
later displaces the weakest proposal nobody has acted on yet (status `displaced`; the council can
still find and shortlist that candidate in a search).
"""

from __future__ import annotations

import bisect
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from rtw_contracts import Event, MatchProposed, SkillGapIdentified, caused_by
from rtw_platform.uow import UnitOfWork

from . import domain, store
from .domain import DISPLACEABLE, NOT_STANDING
from .profiles import Target


@dataclass(slots=True)
class Pair:
    """A match row already made for a vacancy and candidate."""

    id: UUID
    score: float
    proposed_score: float | None
    status: str


@dataclass(slots=True)
class Standing:
    """A vacancy's standing proposals: how many, and those that can be displaced, weakest first,
    as (score, tie-break, match id); a match id of None stands for "the weakest one", found when
    the displacement is written."""

    count: int = 0
    displaceable: list[tuple[float, str, UUID | None]] = field(default_factory=list)

    def weakest(self) -> float | None:
        return self.displaceable[0][0] if self.displaceable else None

    def rescore(self, match_id: UUID, score: float) -> None:
        for i, (_, _, found) in enumerate(self.displaceable):
            if found == match_id:
                del self.displaceable[i]
                self.add(score, match_id)
                return

    def add(self, score: float, match_id: UUID) -> None:
        bisect.insort(self.displaceable, (score, match_id.hex, match_id))


@dataclass
class ProposalBook:
    """What was already proposed and signalled, loaded for the pairs at hand."""

    pairs: dict[tuple[UUID, UUID], Pair] = field(default_factory=dict)  # (vacancy, application)
    standing: dict[UUID, Standing] = field(default_factory=dict)
    signals: dict[tuple[UUID, UUID], str] = field(default_factory=dict)  # gaps key

    async def load_pairs(self, uow: UnitOfWork, *, vacancy: UUID | None, application: UUID | None) -> None:
        for v, a, id_, score, proposed, status in await store.pair_rows(
            uow, vacancy=vacancy, application=application
        ):
            self.pairs[(v, a)] = Pair(id_, score, proposed, status)

    async def load_standing(self, uow: UnitOfWork, vacancy_ids: list[UUID]) -> None:
        for vacancy_id in vacancy_ids:
            self.standing.setdefault(vacancy_id, Standing())
        if not vacancy_ids:
            return
        for vacancy_id, match_id, score, status in await store.standing_rows(uow, vacancy_ids):
            standing = self.standing[vacancy_id]
            standing.count += 1
            if status == DISPLACEABLE:
                standing.displaceable.append((score, match_id.hex, match_id))
        for standing in self.standing.values():
            standing.displaceable.sort()

    async def load_weakest(self, uow: UnitOfWork, vacancy_ids: list[UUID]) -> None:
        """How many proposals stand on each vacancy and the weakest score that could give way
        (kept as a proposal of unknown id: the write displaces the weakest it finds)."""
        if not vacancy_ids:
            return
        for vacancy_id, n, weakest in await store.weakest_rows(uow, vacancy_ids):
            self.standing[vacancy_id] = Standing(int(n), [] if weakest is None else [(weakest, "", None)])

    async def load_signals(self, uow: UnitOfWork, pairs: list[tuple[UUID, UUID]]) -> None:
        if not pairs:
            return
        for v, a, key in await store.signal_rows(uow, pairs):
            self.signals[(v, a)] = key


@dataclass(frozen=True)
class Matched:
    """What one matching run did: `scored` candidates or vacancies considered, of which `ranked`
    were scored in Python (a re-match leaves the rest to PostgreSQL's ranking)."""

    scored: int
    proposed: int
    displaced: int
    signalled: int
    seconds: float
    ranked: int = 0


def gaps_key(missing: Sequence[tuple[str, int, int]]) -> str:
    """What identifies a set of skill gaps (the same gaps are not signalled twice): the SHA-256
    of the gaps as JSON with sorted keys (`json.dumps(..., sort_keys=True)` of each gap's
    `current_level` or null, `required_level` and `skill`), written out directly."""
    body = ", ".join(
        f'{{"current_level": {held or "null"}, "required_level": {needed}, "skill": {_json_string(skill)}}}'
        for skill, needed, held in missing
    )
    return hashlib.sha256(f"[{body}]".encode()).hexdigest()


#: How `json.dumps` writes a string (ASCII only, escaped).
_json_string = json.encoder.encode_basestring_ascii


@dataclass
class Run:
    """One matching run: the decisions taken, written at the end in a few statements."""

    uow: UnitOfWork
    in_force: domain.WeightsInForce
    cause: Event | None
    book: ProposalBook
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    new_matches: list[tuple[Any, ...]] = field(default_factory=list)
    rescores: list[dict[str, Any]] = field(default_factory=list)
    reproposals: list[dict[str, Any]] = field(default_factory=list)
    displaced: list[UUID] = field(default_factory=list)
    displaced_weakest: list[UUID] = field(default_factory=list)  # vacancies
    signals: list[tuple[UUID, UUID, str]] = field(default_factory=list)
    proposed: int = 0
    #: The last candidate explained, with their explainer (a run explains one candidate's pairs
    #: together, or one pair per candidate).
    _explaining: tuple[UUID, domain.Explainer] | None = None

    def explainer(self, application_id: UUID, facts: Sequence[Any]) -> domain.Explainer:
        """The candidate's explainer (a new one for each new candidate)."""
        if self._explaining is None or self._explaining[0] != application_id:
            self._explaining = (application_id, domain.Explainer(facts, self.in_force.weights))
        return self._explaining[1]

    @property
    def displacements(self) -> int:
        return len(self.displaced) + len(self.displaced_weakest)

    def proposes(self, target: Target, application_id: UUID, total: float) -> bool:
        """Would this pair be proposed now (decided on the quick score)?"""
        pair = self.book.pairs.get((target.id, application_id))
        standing = self.book.standing.get(target.id) or Standing()
        previous = pair.proposed_score if pair is not None else None
        stands = pair is not None and previous is not None and pair.status not in NOT_STANDING
        return domain.should_propose(
            total, previous, self.in_force.weights, standing.weakest(), standing.count, standing=stands
        )

    def consider(
        self,
        target: Target,
        facts: Sequence[Any],
        application_id: UUID,
        candidate_id: UUID,
        total: float,
        lacks: bool,
        *,
        signal_gaps: bool,
        compiled: domain.Scorer | None = None,
    ) -> None:
        """Record what this pair calls for: a new score, a proposal, its skill gaps (`compiled`:
        the vacancy compiled with the weights in force, if at hand)."""
        weights = self.in_force.weights
        pair = self.book.pairs.get((target.id, application_id))
        if pair is None and total < weights.propose_at and not signal_gaps:
            return  # nothing made before, nothing to propose or signal
        rescored = pair is not None and abs(pair.score - total) > 1e-9
        propose = self.proposes(target, application_id, total)
        near = signal_gaps and domain.quick_near_fit(total, lacks, weights)
        if rescored or propose:
            match = self.explainer(application_id, facts).explain(target.vacancy, compiled)
            factors = match.factor_rows
            if propose:
                self._propose(target, application_id, candidate_id, pair, match, factors)
            elif pair is not None:
                self._rescore(target, pair, match.score, factors)
        if near:
            self._signal(target, application_id, candidate_id, total, facts[4] or {}, compiled)

    def _rescore(self, target: Target, pair: Pair, score: float, factors: Any) -> None:
        pair.score = score
        self.rescores.append(
            {
                "m_id": pair.id,
                "m_score": score,
                "m_factors": factors,
                "m_version": self.in_force.version,
                "m_updated": self.now,
            }
        )
        standing = self.book.standing.get(target.id)
        if standing is not None and pair.status == DISPLACEABLE and pair.proposed_score is not None:
            standing.rescore(pair.id, score)

    def _propose(
        self,
        target: Target,
        application_id: UUID,
        candidate_id: UUID,
        pair: Pair | None,
        match: domain.Match,
        factors: Any,
    ) -> None:
        standing = self.book.standing.setdefault(target.id, Standing())
        was_standing = (
            pair is not None and pair.proposed_score is not None and pair.status not in NOT_STANDING
        )
        if pair is None:
            pair = Pair(uuid4(), match.score, match.score, DISPLACEABLE)
            self.book.pairs[(target.id, application_id)] = pair
            self.new_matches.append(
                (pair.id, target.id, target.council_id, application_id, candidate_id, match.score, factors)
            )
        else:
            if pair.status == "displaced":
                pair.status = DISPLACEABLE
            pair.score = pair.proposed_score = match.score
            self.reproposals.append(
                {
                    "m_id": pair.id,
                    "m_score": match.score,
                    "m_factors": factors,
                    "m_version": self.in_force.version,
                    "m_updated": self.now,
                    "m_status": pair.status,
                }
            )
        if was_standing:
            if pair.status == DISPLACEABLE:
                standing.rescore(pair.id, match.score)
        else:
            standing.count += 1
            # Keep the best: the weakest proposal nobody acted on gives way to a better one.
            limit = self.in_force.weights.proposals_per_vacancy
            while (
                standing.count > limit and standing.displaceable and standing.displaceable[0][0] < match.score
            ):
                _, _, loser = standing.displaceable.pop(0)
                if loser is None:
                    self.displaced_weakest.append(target.id)
                    standing.count -= 1
                    continue
                self.displaced.append(loser)
                for found in self.book.pairs.values():
                    if found.id == loser:
                        found.status = "displaced"
                        break
                standing.count -= 1
            if pair.status == DISPLACEABLE:
                standing.add(match.score, pair.id)
        self.proposed += 1
        self.uow.publish(
            MatchProposed(
                **self._envelope(application_id),
                match_id=pair.id,
                vacancy_id=target.id,
                council_id=target.council_id,
                candidate_id=candidate_id,
                application_id=application_id,
                score=match.score,
                factors=factors,  # the rows, validated as the event's ScoreFactor models
                weights_version=self.in_force.version,
                proposed_at=self.now,
            )
        )

    def _signal(
        self,
        target: Target,
        application_id: UUID,
        candidate_id: UUID,
        score: float,
        skills: dict[str, int],
        compiled: domain.Scorer | None = None,
    ) -> None:
        if compiled is not None:  # the required skills, sorted by name
            get = skills.get
            missing = tuple((k, n, get(k, 0)) for k, n in compiled.skills if get(k, 0) < n)
        else:
            missing = domain.missing_skills(target.vacancy.required_skills, skills)
        if not missing:
            return
        key = gaps_key(missing)
        if self.book.signals.get((target.id, application_id)) == key:
            return
        self.book.signals[(target.id, application_id)] = key
        self.signals.append((application_id, target.id, key))
        self.uow.publish(
            SkillGapIdentified(
                **self._envelope(application_id),
                candidate_id=candidate_id,
                application_id=application_id,
                vacancy_id=target.id,
                council_id=target.council_id,
                # As `domain.gaps_of` makes them, validated as the event's SkillGap models.
                gaps=[
                    {"skill": skill, "required_level": needed, "current_level": held or None}
                    for skill, needed, held in missing
                ],
                score=score,
                identified_at=self.now,
            )
        )

    def _envelope(self, application_id: UUID) -> dict[str, Any]:
        return dict(caused_by(self.cause)) if self.cause else {"correlation_id": application_id}

    async def write(self) -> None:
        """Write the run's decisions."""
        await store.write_decisions(
            self.uow,
            now=self.now,
            version=self.in_force.version,
            displaced_weakest=self.displaced_weakest,
            new_matches=self.new_matches,
            signals=self.signals,
            displaced=self.displaced,
            rescores=self.rescores,
            reproposals=self.reproposals,
        )
