"""The training service's store: the only module of the service that builds queries.
`TrainingStore` is what the use cases need; `SqlTrainingStore` does it over a unit of work's
session, `memory_store.InMemoryTrainingStore` in memory for their unit tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from rtw_platform.counters import take_next
from rtw_platform.uow import UnitOfWork
from rtw_platform.work import StoreWork, Work
from sqlalchemy import delete, func
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from .models import (
    Certificate,
    CpdRecord,
    Enrolment,
    ErasedEnrolments,
    Learner,
    LmsLearner,
    LmsModule,
    ModuleCorrection,
    ModuleProgress,
    Provider,
    Recommendation,
)


class TrainingStore(Protocol):
    """What the use cases read and write."""

    # learners
    async def learner(self, application_id: UUID) -> Learner | None: ...
    async def learners_of(self, candidate_id: UUID, application_ids: Sequence[UUID]) -> list[Learner]: ...
    async def save_learner(self, learner: Learner) -> None: ...

    # enrolments
    async def enrolment(self, enrolment_id: UUID) -> Enrolment | None: ...
    async def enrolment_of_application(self, application_id: UUID) -> Enrolment | None: ...
    async def enrolments_of_candidate(self, candidate_id: UUID) -> list[Enrolment]: ...
    async def enrolments_of_cohort(self, cohort_id: str) -> list[Enrolment]: ...
    async def enrolments_to_erase(
        self, candidate_id: UUID, application_ids: Sequence[UUID]
    ) -> list[Enrolment]: ...
    async def save_enrolment(self, enrolment: Enrolment) -> None: ...
    async def reread(self, enrolment: Enrolment) -> None: ...
    async def next_sequence(self, enrolment: Enrolment) -> int: ...
    async def status_counts(self, cohort_id: str) -> dict[str, int]: ...
    async def learners_per_cohort(self) -> dict[str, int]: ...

    # progress, corrections and CPD
    async def progress(self, enrolment_id: UUID, module_id: str) -> ModuleProgress | None: ...
    async def progress_of(self, enrolment_ids: Sequence[UUID]) -> list[ModuleProgress]: ...
    async def completed_module_ids(self, enrolment_id: UUID) -> list[str]: ...
    async def has_begun(self, enrolment_id: UUID) -> bool: ...
    async def save_progress(self, progress: ModuleProgress) -> None: ...
    async def add_correction(self, correction: ModuleCorrection) -> None: ...
    async def corrections_of(self, enrolment_id: UUID) -> list[ModuleCorrection]: ...
    async def cpd_entries(self, enrolment_id: UUID) -> list[CpdRecord]: ...
    async def add_cpd(self, entry: CpdRecord) -> None: ...

    # certificates
    async def certificate(self, certificate_id: UUID) -> Certificate | None: ...
    async def certificate_of(self, enrolment_id: UUID) -> Certificate | None: ...
    async def add_certificate(self, certificate: Certificate) -> None: ...

    # providers and their LMS
    async def provider(self, provider_id: str, *, fresh: bool = False) -> Provider | None: ...
    async def providers(self) -> list[Provider]: ...
    async def save_provider(self, provider: Provider) -> None: ...
    async def lms_learner(self, provider_id: str, lms_user_id: str) -> LmsLearner | None: ...
    async def save_lms_learner(self, link: LmsLearner) -> None: ...
    async def lms_module(self, provider_id: str, lms_module_id: str) -> LmsModule | None: ...
    async def save_lms_module(self, link: LmsModule) -> None: ...

    # recommendations
    async def put_recommendation(self, recommendation: Recommendation) -> None: ...
    async def recommendations_of(self, candidate_id: UUID) -> list[Recommendation]: ...

    # erasure
    async def count_erased(self, cohort_id: str, status: str) -> None: ...
    async def delete_records(self, candidate_id: UUID, enrolment_ids: Sequence[UUID]) -> None: ...


TrainingWork = Work[TrainingStore]


class SqlTrainingStore:
    """The store over a session (PostgreSQL)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ------------------------------------------------------------------ learners

    async def learner(self, application_id: UUID) -> Learner | None:
        return await self.session.get(Learner, application_id)

    async def learners_of(self, candidate_id: UUID, application_ids: Sequence[UUID]) -> list[Learner]:
        """The person's learners, and those of the applications named (known to be theirs)."""
        rows = await self.session.exec(
            select(Learner).where(
                or_(
                    col(Learner.candidate_id) == candidate_id,
                    col(Learner.application_id).in_(application_ids),
                )
            )
        )
        return list(rows.all())

    async def save_learner(self, learner: Learner) -> None:
        self.session.add(learner)

    # ------------------------------------------------------------------ enrolments

    async def enrolment(self, enrolment_id: UUID) -> Enrolment | None:
        return await self.session.get(Enrolment, enrolment_id)

    async def enrolment_of_application(self, application_id: UUID) -> Enrolment | None:
        rows = await self.session.exec(select(Enrolment).where(Enrolment.application_id == application_id))
        return rows.first()

    async def enrolments_of_candidate(self, candidate_id: UUID) -> list[Enrolment]:
        """Oldest first."""
        rows = await self.session.exec(
            select(Enrolment)
            .where(Enrolment.candidate_id == candidate_id)
            .order_by(col(Enrolment.enrolled_at))
        )
        return list(rows.all())

    async def enrolments_of_cohort(self, cohort_id: str) -> list[Enrolment]:
        """Oldest first."""
        rows = await self.session.exec(
            select(Enrolment).where(Enrolment.cohort_id == cohort_id).order_by(col(Enrolment.enrolled_at))
        )
        return list(rows.all())

    async def enrolments_to_erase(
        self, candidate_id: UUID, application_ids: Sequence[UUID]
    ) -> list[Enrolment]:
        rows = await self.session.exec(
            select(Enrolment).where(
                or_(
                    col(Enrolment.candidate_id) == candidate_id,
                    col(Enrolment.application_id).in_(application_ids),
                )
            )
        )
        return list(rows.all())

    async def save_enrolment(self, enrolment: Enrolment) -> None:
        self.session.add(enrolment)

    async def reread(self, enrolment: Enrolment) -> None:
        """The enrolment as the database now holds it (after taking a lock)."""
        await self.session.refresh(enrolment)

    async def next_sequence(self, enrolment: Enrolment) -> int:
        """The enrolment's next event number, counted in the database (see rtw_platform.counters)."""
        self.session.add(enrolment)
        return await take_next(self.session, enrolment, "sequence")

    async def status_counts(self, cohort_id: str) -> dict[str, int]:
        """The cohort's enrolments by status, erased ones (counted without them) included."""
        counts: dict[str, int] = {}
        live = await self.session.exec(
            select(Enrolment.status, func.count())
            .where(Enrolment.cohort_id == cohort_id)
            .group_by(col(Enrolment.status))
        )
        erased = await self.session.exec(
            select(ErasedEnrolments.status, ErasedEnrolments.count).where(
                ErasedEnrolments.cohort_id == cohort_id
            )
        )
        for status, count in [*live.all(), *erased.all()]:
            counts[status] = counts.get(status, 0) + count
        return counts

    async def learners_per_cohort(self) -> dict[str, int]:
        rows = await self.session.exec(
            select(Enrolment.cohort_id, func.count()).group_by(col(Enrolment.cohort_id))
        )
        return dict(rows.all())

    # ------------------------------------------------------------------ progress, corrections and CPD

    async def progress(self, enrolment_id: UUID, module_id: str) -> ModuleProgress | None:
        return await self.session.get(ModuleProgress, (enrolment_id, module_id))

    async def progress_of(self, enrolment_ids: Sequence[UUID]) -> list[ModuleProgress]:
        if not enrolment_ids:
            return []
        rows = await self.session.exec(
            select(ModuleProgress).where(col(ModuleProgress.enrolment_id).in_(enrolment_ids))
        )
        return list(rows.all())

    async def completed_module_ids(self, enrolment_id: UUID) -> list[str]:
        rows = await self.session.exec(
            select(ModuleProgress.module_id).where(
                ModuleProgress.enrolment_id == enrolment_id, ModuleProgress.status == "completed"
            )
        )
        return list(rows.all())

    async def has_begun(self, enrolment_id: UUID) -> bool:
        """Any module started or finished, or any CPD."""
        progress = (
            await self.session.exec(
                select(ModuleProgress.module_id).where(ModuleProgress.enrolment_id == enrolment_id)
            )
        ).first()
        cpd = (
            await self.session.exec(select(CpdRecord.id).where(CpdRecord.enrolment_id == enrolment_id))
        ).first()
        return progress is not None or cpd is not None

    async def save_progress(self, progress: ModuleProgress) -> None:
        self.session.add(progress)
        await self.session.flush()

    async def add_correction(self, correction: ModuleCorrection) -> None:
        self.session.add(correction)

    async def corrections_of(self, enrolment_id: UUID) -> list[ModuleCorrection]:
        """Oldest first."""
        rows = await self.session.exec(
            select(ModuleCorrection)
            .where(ModuleCorrection.enrolment_id == enrolment_id)
            .order_by(col(ModuleCorrection.corrected_at))
        )
        return list(rows.all())

    async def cpd_entries(self, enrolment_id: UUID) -> list[CpdRecord]:
        """By day."""
        rows = await self.session.exec(
            select(CpdRecord).where(CpdRecord.enrolment_id == enrolment_id).order_by(col(CpdRecord.day))
        )
        return list(rows.all())

    async def add_cpd(self, entry: CpdRecord) -> None:
        self.session.add(entry)
        await self.session.flush()

    # ------------------------------------------------------------------ certificates

    async def certificate(self, certificate_id: UUID) -> Certificate | None:
        return await self.session.get(Certificate, certificate_id)

    async def certificate_of(self, enrolment_id: UUID) -> Certificate | None:
        rows = await self.session.exec(select(Certificate).where(Certificate.enrolment_id == enrolment_id))
        return rows.first()

    async def add_certificate(self, certificate: Certificate) -> None:
        self.session.add(certificate)
        await self.session.flush()

    # ------------------------------------------------------------------ providers and their LMS

    async def provider(self, provider_id: str, *, fresh: bool = False) -> Provider | None:
        """`fresh`: as the database holds it now (after taking a lock), not as first read."""
        return await self.session.get(Provider, provider_id, populate_existing=fresh)

    async def providers(self) -> list[Provider]:
        """By name."""
        rows = await self.session.exec(select(Provider).order_by(col(Provider.name), col(Provider.id)))
        return list(rows.all())

    async def save_provider(self, provider: Provider) -> None:
        self.session.add(provider)

    async def lms_learner(self, provider_id: str, lms_user_id: str) -> LmsLearner | None:
        return await self.session.get(LmsLearner, (provider_id, lms_user_id))

    async def save_lms_learner(self, link: LmsLearner) -> None:
        self.session.add(link)

    async def lms_module(self, provider_id: str, lms_module_id: str) -> LmsModule | None:
        return await self.session.get(LmsModule, (provider_id, lms_module_id))

    async def save_lms_module(self, link: LmsModule) -> None:
        self.session.add(link)

    # ------------------------------------------------------------------ recommendations

    async def put_recommendation(self, recommendation: Recommendation) -> None:
        """One per (candidate, vacancy): the latest replaces the gaps, modules and time."""
        statement = insert(Recommendation).values(
            candidate_id=recommendation.candidate_id,
            application_id=recommendation.application_id,
            vacancy_id=recommendation.vacancy_id,
            gaps=recommendation.gaps,
            modules=recommendation.modules,
            created_at=recommendation.created_at,
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["candidate_id", "vacancy_id"],
                set_={k: statement.excluded[k] for k in ("gaps", "modules", "created_at")},
            )
        )

    async def recommendations_of(self, candidate_id: UUID) -> list[Recommendation]:
        """Newest first."""
        rows = await self.session.exec(
            select(Recommendation)
            .where(Recommendation.candidate_id == candidate_id)
            .order_by(col(Recommendation.created_at).desc())
        )
        return list(rows.all())

    # ------------------------------------------------------------------ erasure

    async def count_erased(self, cohort_id: str, status: str) -> None:
        """One more erased enrolment of the cohort with that status."""
        counter = insert(ErasedEnrolments).values(cohort_id=cohort_id, status=status, count=1)
        await self.session.execute(
            counter.on_conflict_do_update(
                index_elements=["cohort_id", "status"],
                set_={"count": ErasedEnrolments.__table__.c.count + 1},  # type: ignore[attr-defined]
            )
        )

    async def delete_records(self, candidate_id: UUID, enrolment_ids: Sequence[UUID]) -> None:
        """The enrolments with their progress, corrections, CPD, LMS links and certificates; the
        person's certificates and recommendations."""
        for table, column in (
            (ModuleProgress, ModuleProgress.enrolment_id),
            (ModuleCorrection, ModuleCorrection.enrolment_id),
            (CpdRecord, CpdRecord.enrolment_id),
            (LmsLearner, LmsLearner.enrolment_id),
            (Certificate, Certificate.enrolment_id),
            (Enrolment, Enrolment.id),
        ):
            if enrolment_ids:
                await self.session.execute(delete(table).where(col(column).in_(enrolment_ids)))
        await self.session.execute(delete(Certificate).where(col(Certificate.candidate_id) == candidate_id))
        await self.session.execute(
            delete(Recommendation).where(col(Recommendation.candidate_id) == candidate_id)
        )


def work_of(uow: UnitOfWork) -> TrainingWork:
    """The platform's unit of work with this service's store over its session."""
    return StoreWork(uow, SqlTrainingStore(uow.session))
