"""The training store in memory, for the use cases' unit tests (with the testing kit's
`FakeUnitOfWork`): the same answers as `store.SqlTrainingStore`, no database. Its tables roll
back with the fake unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from rtw_platform.testing.fake_uow import InMemoryStore, InMemoryTable

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


class InMemoryTrainingStore(InMemoryStore):
    """Rows by key, as the tables hold them."""

    def __init__(self) -> None:
        self.learners: InMemoryTable[UUID, Learner] = InMemoryTable()
        self.enrolments: InMemoryTable[UUID, Enrolment] = InMemoryTable()
        self.module_progress: InMemoryTable[tuple[UUID, str], ModuleProgress] = InMemoryTable()
        self.corrections: InMemoryTable[UUID, ModuleCorrection] = InMemoryTable()
        self.cpd: InMemoryTable[UUID, CpdRecord] = InMemoryTable()
        self.certificates: InMemoryTable[UUID, Certificate] = InMemoryTable()
        self.providers_: InMemoryTable[str, Provider] = InMemoryTable()
        self.lms_learners: InMemoryTable[tuple[str, str], LmsLearner] = InMemoryTable()
        self.lms_modules: InMemoryTable[tuple[str, str], LmsModule] = InMemoryTable()
        self.recommendations: InMemoryTable[tuple[UUID, UUID], Recommendation] = InMemoryTable()
        self.erased: InMemoryTable[tuple[str, str], ErasedEnrolments] = InMemoryTable()

    # ------------------------------------------------------------------ learners

    async def learner(self, application_id: UUID) -> Learner | None:
        return self.learners.get(application_id)

    async def learners_of(self, candidate_id: UUID, application_ids: Sequence[UUID]) -> list[Learner]:
        return [
            x for x in self.learners if x.candidate_id == candidate_id or x.application_id in application_ids
        ]

    async def save_learner(self, learner: Learner) -> None:
        self.learners.put(learner.application_id, learner)

    # ------------------------------------------------------------------ enrolments

    async def enrolment(self, enrolment_id: UUID) -> Enrolment | None:
        return self.enrolments.get(enrolment_id)

    async def enrolment_of_application(self, application_id: UUID) -> Enrolment | None:
        return next((e for e in self.enrolments if e.application_id == application_id), None)

    async def enrolments_of_candidate(self, candidate_id: UUID) -> list[Enrolment]:
        return sorted(
            (e for e in self.enrolments if e.candidate_id == candidate_id), key=lambda e: e.enrolled_at
        )

    async def enrolments_of_cohort(self, cohort_id: str) -> list[Enrolment]:
        return sorted((e for e in self.enrolments if e.cohort_id == cohort_id), key=lambda e: e.enrolled_at)

    async def enrolments_to_erase(
        self, candidate_id: UUID, application_ids: Sequence[UUID]
    ) -> list[Enrolment]:
        return [
            e
            for e in self.enrolments
            if e.candidate_id == candidate_id or e.application_id in application_ids
        ]

    async def save_enrolment(self, enrolment: Enrolment) -> None:
        self.enrolments.put(enrolment.id, enrolment)

    async def reread(self, enrolment: Enrolment) -> None:
        held = self.enrolments.get(enrolment.id)
        if held is not None and held is not enrolment:
            for name in Enrolment.model_fields:
                setattr(enrolment, name, getattr(held, name))
            self.enrolments.put(enrolment.id, enrolment)

    async def next_sequence(self, enrolment: Enrolment) -> int:
        enrolment.sequence += 1
        self.enrolments.put(enrolment.id, enrolment)
        return enrolment.sequence

    async def status_counts(self, cohort_id: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for enrolment in self.enrolments:
            if enrolment.cohort_id == cohort_id:
                counts[enrolment.status] = counts.get(enrolment.status, 0) + 1
        for erased in self.erased:
            if erased.cohort_id == cohort_id:
                counts[erased.status] = counts.get(erased.status, 0) + erased.count
        return counts

    async def learners_per_cohort(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for enrolment in self.enrolments:
            counts[enrolment.cohort_id] = counts.get(enrolment.cohort_id, 0) + 1
        return counts

    # ------------------------------------------------------------------ progress, corrections and CPD

    async def progress(self, enrolment_id: UUID, module_id: str) -> ModuleProgress | None:
        return self.module_progress.get((enrolment_id, module_id))

    async def progress_of(self, enrolment_ids: Sequence[UUID]) -> list[ModuleProgress]:
        return [p for p in self.module_progress if p.enrolment_id in enrolment_ids]

    async def completed_module_ids(self, enrolment_id: UUID) -> list[str]:
        return [
            p.module_id
            for p in self.module_progress
            if p.enrolment_id == enrolment_id and p.status == "completed"
        ]

    async def has_begun(self, enrolment_id: UUID) -> bool:
        return any(p.enrolment_id == enrolment_id for p in self.module_progress) or any(
            c.enrolment_id == enrolment_id for c in self.cpd
        )

    async def save_progress(self, progress: ModuleProgress) -> None:
        self.module_progress.put((progress.enrolment_id, progress.module_id), progress)

    async def add_correction(self, correction: ModuleCorrection) -> None:
        self.corrections.put(correction.id, correction)

    async def corrections_of(self, enrolment_id: UUID) -> list[ModuleCorrection]:
        return sorted(
            (c for c in self.corrections if c.enrolment_id == enrolment_id), key=lambda c: c.corrected_at
        )

    async def cpd_entries(self, enrolment_id: UUID) -> list[CpdRecord]:
        return sorted((c for c in self.cpd if c.enrolment_id == enrolment_id), key=lambda c: c.day)

    async def add_cpd(self, entry: CpdRecord) -> None:
        self.cpd.put(entry.id, entry)

    # ------------------------------------------------------------------ certificates

    async def certificate(self, certificate_id: UUID) -> Certificate | None:
        return self.certificates.get(certificate_id)

    async def certificate_of(self, enrolment_id: UUID) -> Certificate | None:
        return next((c for c in self.certificates if c.enrolment_id == enrolment_id), None)

    async def add_certificate(self, certificate: Certificate) -> None:
        self.certificates.put(certificate.id, certificate)

    # ------------------------------------------------------------------ providers and their LMS

    async def provider(self, provider_id: str, *, fresh: bool = False) -> Provider | None:
        return self.providers_.get(provider_id)

    async def providers(self) -> list[Provider]:
        return sorted(self.providers_, key=lambda p: (p.name, p.id))

    async def save_provider(self, provider: Provider) -> None:
        self.providers_.put(provider.id, provider)

    async def lms_learner(self, provider_id: str, lms_user_id: str) -> LmsLearner | None:
        return self.lms_learners.get((provider_id, lms_user_id))

    async def save_lms_learner(self, link: LmsLearner) -> None:
        self.lms_learners.put((link.provider_id, link.lms_user_id), link)

    async def lms_module(self, provider_id: str, lms_module_id: str) -> LmsModule | None:
        return self.lms_modules.get((provider_id, lms_module_id))

    async def save_lms_module(self, link: LmsModule) -> None:
        self.lms_modules.put((link.provider_id, link.lms_module_id), link)

    # ------------------------------------------------------------------ recommendations

    async def put_recommendation(self, recommendation: Recommendation) -> None:
        key = (recommendation.candidate_id, recommendation.vacancy_id)
        held = self.recommendations.get(key)
        if held is None:
            self.recommendations.put(key, recommendation)
        else:
            held.gaps, held.modules, held.created_at = (
                recommendation.gaps,
                recommendation.modules,
                recommendation.created_at,
            )

    async def recommendations_of(self, candidate_id: UUID) -> list[Recommendation]:
        mine = [r for r in self.recommendations if r.candidate_id == candidate_id]
        return sorted(mine, key=lambda r: r.created_at, reverse=True)

    # ------------------------------------------------------------------ erasure

    async def count_erased(self, cohort_id: str, status: str) -> None:
        held = self.erased.get((cohort_id, status))
        if held is None:
            self.erased.put(
                (cohort_id, status), ErasedEnrolments(cohort_id=cohort_id, status=status, count=1)
            )
        else:
            held.count += 1

    async def delete_records(self, candidate_id: UUID, enrolment_ids: Sequence[UUID]) -> None:
        for key, progress in self.module_progress.items():
            if progress.enrolment_id in enrolment_ids:
                self.module_progress.delete(key)
        for correction_id, correction in self.corrections.items():
            if correction.enrolment_id in enrolment_ids:
                self.corrections.delete(correction_id)
        for entry_id, entry in self.cpd.items():
            if entry.enrolment_id in enrolment_ids:
                self.cpd.delete(entry_id)
        for link_key, link in self.lms_learners.items():
            if link.enrolment_id in enrolment_ids:
                self.lms_learners.delete(link_key)
        for cert_key, certificate in self.certificates.items():
            if certificate.enrolment_id in enrolment_ids or certificate.candidate_id == candidate_id:
                self.certificates.delete(cert_key)
        for enrolment_id in enrolment_ids:
            self.enrolments.delete(enrolment_id)
        for rec_key, recommendation in self.recommendations.items():
            if recommendation.candidate_id == candidate_id:
                self.recommendations.delete(rec_key)
