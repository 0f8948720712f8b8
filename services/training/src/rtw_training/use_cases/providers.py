"""Training providers: registering them, changing their name and cohorts, retiring them (admins).

Every change publishes TrainingProviderChanged (the provider and whether its trainers may sign in,
no address), so that notifications, which holds the trainers' addresses and makes sign-in links,
sends a link only to a trainer of an active provider."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import NAMESPACE_URL, uuid5

from rtw_contracts import TrainingProviderChanged
from rtw_platform.errors import Conflict, NotFound

from ..models import Provider
from ..store import TrainingWork


@dataclass(frozen=True)
class ProviderRow:
    """A provider as the admin's list shows it: with how many learners its cohorts have."""

    id: str
    name: str
    cohorts: list[str]
    active: bool
    learners: int
    lms: bool


async def list_providers(work: TrainingWork) -> list[ProviderRow]:
    """Every provider, by name, with the learners enrolled in its cohorts."""
    providers = await work.store.providers()
    per_cohort = await work.store.learners_per_cohort()
    return [
        ProviderRow(
            p.id,
            p.name,
            list(p.cohorts),
            p.active,
            sum(per_cohort.get(c, 0) for c in p.cohorts),
            bool(p.lms_secret),
        )
        for p in providers
    ]


async def get_provider(work: TrainingWork, provider_id: str) -> Provider:
    """A provider, or a refusal saying there is none."""
    provider = await work.store.provider(provider_id)
    if provider is None:
        raise NotFound(f"There is no training provider with the id {provider_id}.")
    return provider


async def save_provider(
    work: TrainingWork,
    provider_id: str,
    name: str,
    cohorts: Sequence[str],
    *,
    lms_secret: str | None = None,
    active: bool | None = None,
    new: bool = False,
) -> Provider:
    """Add or change a provider (`new`: refuse an id already registered; `active` None: as it is).
    Changes to one provider run one after the other (the same id registered twice at once: once)."""
    await work.lock(f"training.provider:{provider_id}")
    provider = await work.store.provider(provider_id, fresh=True)
    if provider is not None and new:
        raise Conflict(
            f"There is already a training provider with the id {provider_id} ({provider.name}). "
            "Choose another id, or change that provider in the list."
        )
    now = datetime.now(UTC)
    if provider is None:
        provider = Provider(id=provider_id, name=name, cohorts=[], active=True, created_at=now)
    provider.name = name
    provider.cohorts = list(dict.fromkeys(cohorts))
    if lms_secret is not None:
        provider.lms_secret = lms_secret
    if active is not None:
        provider.active = active
    await work.store.save_provider(provider)
    work.publish(_changed(provider, now))
    await work.commit()
    return provider


async def set_active(work: TrainingWork, provider_id: str, active: bool) -> Provider:
    """Retire a provider (its trainers can no longer sign in or see learners) or reactivate it."""
    provider = await get_provider(work, provider_id)
    return await save_provider(work, provider_id, provider.name, provider.cohorts, active=active)


def _changed(provider: Provider, now: datetime) -> TrainingProviderChanged:
    return TrainingProviderChanged(
        correlation_id=uuid5(NAMESPACE_URL, f"rtw:provider:{provider.id}"),
        provider_id=provider.id,
        name=provider.name,
        cohorts=provider.cohorts,
        active=provider.active,
        changed_at=now,
    )
