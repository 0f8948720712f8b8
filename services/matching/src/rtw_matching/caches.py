"""What a matching process keeps between runs, owned by one object built in the composition root
(`app.py`) and handed to the use cases that match (no module-level state).

Each is safe to keep because what it holds never changes once written, or is checked against the
database on every run: a vacancy's requirements (only its status changes, and every query checks
the status), the vacancies compiled for the quick score with a set of weights, a programme's open
vacancies (new ones join when first seen, closed ones leave when found closed), the weights the
last candidate was scored with (a guess, checked in the same round trip), and saved weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar
from uuid import UUID

from rtw_platform.uow import UnitOfWork

from . import domain, store
from .profiles import Target, target_of_row
from .settings import CacheLimits

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """A small cache, emptied when full."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        return self.items.get(key)

    def put(self, key: K, value: V) -> V:
        if len(self.items) >= self.size:
            self.items.clear()
        self.items[key] = value
        return value


class OpenVacancies:
    """A programme's open vacancies as this process holds them, by region and by council."""

    def __init__(self) -> None:
        self.by_region: dict[str, dict[UUID, Target]] = {}
        self.by_council: dict[str, dict[UUID, Target]] = {}

    def add(self, target: Target) -> None:
        self.by_region.setdefault(target.vacancy.council_region, {})[target.id] = target
        self.by_council.setdefault(target.vacancy.council_gss, {})[target.id] = target

    def discard(self, target: Target) -> None:
        self.by_region.get(target.vacancy.council_region, {}).pop(target.id, None)
        self.by_council.get(target.vacancy.council_gss, {}).pop(target.id, None)

    def visible_to(self, regions: Sequence[str], councils: Sequence[str]) -> list[Target]:
        """Those at a council in one of `regions`, or one of `councils` (each once)."""
        found: dict[UUID, Target] = {}
        for region in regions:
            found.update(self.by_region.get(region, {}))
        for council in councils:
            found.update(self.by_council.get(council, {}))
        return list(found.values())


def weights_key(weights: domain.Weights) -> tuple[Any, ...]:
    """What identifies a set of weights' numbers (not its version)."""
    return tuple(weights.model_dump(exclude={"version"}).values())


class MatchingCaches:
    """What one matching process keeps between runs (see the module's docstring)."""

    def __init__(self, limits: CacheLimits | None = None) -> None:
        self.limits = limits or CacheLimits()
        #: Vacancies as scored, by id.
        self.targets: BoundedCache[UUID, Target] = BoundedCache(self.limits.vacancies)
        #: Vacancies compiled for `domain.quick_score`, by the weights' numbers and then by id.
        self.scorers: dict[tuple[Any, ...], dict[UUID, domain.Scorer]] = {}
        #: Per programme, the open vacancies this process holds, once it has read them all (the
        #: first time a candidate of the programme is matched).
        self.open: dict[str, OpenVacancies] = {}
        #: The weights the last candidate was scored with (the candidate's path scores with them
        #: before it reads the weights in force, and again if those differ).
        self.last_weights: domain.WeightsInForce | None = None
        #: Weights as saved, parsed (the few versions there are never change once saved).
        self.saved_weights: BoundedCache[str, domain.Weights] = BoundedCache(self.limits.weight_versions)

    # ----------------------------------------------------------------------- compiled vacancies

    def _compiled_with(self, key: tuple[Any, ...]) -> dict[UUID, domain.Scorer]:
        compiled = self.scorers.get(key)
        if compiled is None or len(compiled) >= self.limits.compiled_vacancies:
            if len(self.scorers) >= self.limits.weight_sets:
                self.scorers.clear()
            compiled = self.scorers[key] = {}
        return compiled

    def scorer_for(self, target: Target, weights: domain.Weights) -> domain.Scorer:
        """The vacancy compiled for `domain.quick_score` with these weights (kept)."""
        return self.scorers_for([target], weights)[0]

    def scorers_for(self, targets: Sequence[Target], weights: domain.Weights) -> list[domain.Scorer]:
        """`scorer_for` each of the vacancies."""
        compiled = self._compiled_with(weights_key(weights))
        found = []
        for target in targets:
            s = compiled.get(target.id)
            if s is None:
                s = compiled[target.id] = domain.scorer(target.vacancy, weights)
            found.append(s)
        return found

    # ----------------------------------------------------------------------- vacancies

    async def targets_of(self, uow: UnitOfWork, ids: Sequence[UUID]) -> list[Target]:
        """These vacancies as matching needs them (parsed once per process)."""
        targets = {i: t for i in ids if (t := self.targets.get(i)) is not None}
        missing = [i for i in ids if i not in targets]
        if missing:
            for row in await store.vacancy_rows(uow, missing):
                targets[row[0]] = self._hold(target_of_row(row))
        return [targets[i] for i in ids if i in targets]

    def _hold(self, target: Target) -> Target:
        """Keep a parsed vacancy (and, in `open`, among its programme's)."""
        self.targets.put(target.id, target)
        known = self.open.get(target.vacancy.programme)
        if known is not None:
            known.add(target)
        return target

    async def open_vacancies(self, uow: UnitOfWork, programme: str) -> OpenVacancies:
        """The programme's open vacancies as this process holds them (read them all the first time)."""
        known = self.open.get(programme)
        if known is None:
            known = OpenVacancies()
            for row in await store.open_vacancy_rows(uow, programme):
                known.add(self.targets.get(row[0]) or self.targets.put(row[0], target_of_row(row)))
            self.open[programme] = known
        return known

    # ----------------------------------------------------------------------- weights

    def weights_of(self, saved: str) -> domain.Weights:
        """Weights saved as JSON, parsed (once)."""
        return self.saved_weights.get(saved) or self.saved_weights.put(
            saved, domain.Weights.model_validate_json(saved)
        )
