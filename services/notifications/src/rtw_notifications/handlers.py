"""Events the notifications service consumes: one line each, over a use case.

`Handlers` is bound to the process's links (settings) by the composition root (app.py). Each
handler keeps the name it always had: the name is the inbox key of the messages it handled."""

from __future__ import annotations

from rtw_contracts import (
    AdjustmentDecided,
    AppealDecided,
    ApplicationContactGiven,
    ApplicationSubmitted,
    ApplicationWithdrawn,
    AssessmentScored,
    AssessorChanged,
    CandidateErased,
    CandidateHired,
    CandidateSignInRequestedV2,
    CouncilClaimRejected,
    CouncilRegistered,
    InterviewInvited,
    InterviewSlotsProposed,
    MatchProposed,
    MatchResponded,
    OfferAnswered,
    OfferMade,
    ReachOutSent,
    RecruiterInvitedV2,
    SecondStageSubmitted,
    SelectionReopened,
    TrainingCompleted,
    TrainingEnrolled,
    TrainingProviderChanged,
    VacancyPosted,
)
from rtw_platform.messaging import Subscription
from rtw_platform.sessions import SESSION_ENDED
from rtw_platform.uow import UnitOfWork

from .links import Links
from .store import work_of
from .use_cases import candidates, councils, erasure, staff


class Unbound(RuntimeError):
    """A handler of the listing (topology, docs) was called: only bound handlers run."""


class Handlers:
    """The subscriptions' handlers, bound to the links of one process (None: listed only)."""

    def __init__(self, links: Links | None = None) -> None:
        self._links = links

    @property
    def links(self) -> Links:
        if self._links is None:
            raise Unbound("notifications' handlers run bound to the settings (app.bind_subscriptions)")
        return self._links

    # candidates
    async def application_submitted_v1(self, event: ApplicationSubmitted, uow: UnitOfWork) -> None:
        await candidates.application_submitted_v1(work_of(uow), event, self.links)

    async def contact_given(self, event: ApplicationContactGiven, uow: UnitOfWork) -> None:
        await candidates.contact_given(work_of(uow), event, self.links)

    async def sign_in_requested(self, event: CandidateSignInRequestedV2, uow: UnitOfWork) -> None:
        await candidates.sign_in_requested(work_of(uow), event, self.links)

    async def assessment_scored(self, event: AssessmentScored, uow: UnitOfWork) -> None:
        await candidates.assessment_scored(work_of(uow), event, self.links)

    async def selection_reopened(self, event: SelectionReopened, uow: UnitOfWork) -> None:
        await candidates.selection_reopened(work_of(uow), event, self.links)

    async def appeal_decided(self, event: AppealDecided, uow: UnitOfWork) -> None:
        await candidates.appeal_decided(work_of(uow), event, self.links)

    async def second_stage_submitted(self, event: SecondStageSubmitted, uow: UnitOfWork) -> None:
        await candidates.second_stage_submitted(work_of(uow), event, self.links)

    async def adjustment_decided(self, event: AdjustmentDecided, uow: UnitOfWork) -> None:
        await candidates.adjustment_decided(work_of(uow), event, self.links)

    async def application_withdrawn(self, event: ApplicationWithdrawn, uow: UnitOfWork) -> None:
        await candidates.application_withdrawn(work_of(uow), event, self.links)

    async def candidate_erased(self, event: CandidateErased, uow: UnitOfWork) -> None:
        await erasure.forget_candidate(work_of(uow), event)

    async def training_enrolled(self, event: TrainingEnrolled, uow: UnitOfWork) -> None:
        await candidates.training_enrolled(work_of(uow), event, self.links)

    async def training_completed(self, event: TrainingCompleted, uow: UnitOfWork) -> None:
        await candidates.training_completed(work_of(uow), event, self.links)

    # councils
    async def council_registered(self, event: CouncilRegistered, uow: UnitOfWork) -> None:
        await councils.council_registered(work_of(uow), event, self.links)

    async def council_claim_rejected(self, event: CouncilClaimRejected, uow: UnitOfWork) -> None:
        await councils.council_claim_rejected(work_of(uow), event, self.links)

    async def recruiter_invited(self, event: RecruiterInvitedV2, uow: UnitOfWork) -> None:
        await councils.recruiter_invited(work_of(uow), event, self.links)

    async def vacancy_posted(self, event: VacancyPosted, uow: UnitOfWork) -> None:
        await councils.vacancy_posted(work_of(uow), event)

    async def match_proposed(self, event: MatchProposed, uow: UnitOfWork) -> None:
        await councils.match_proposed(work_of(uow), event, self.links)

    async def reach_out_sent(self, event: ReachOutSent, uow: UnitOfWork) -> None:
        await councils.reach_out_sent(work_of(uow), event, self.links)

    async def match_responded(self, event: MatchResponded, uow: UnitOfWork) -> None:
        await councils.match_responded(work_of(uow), event, self.links)

    async def interview_invited(self, event: InterviewInvited, uow: UnitOfWork) -> None:
        await councils.interview_invited(work_of(uow), event, self.links)

    async def interview_slots_proposed(self, event: InterviewSlotsProposed, uow: UnitOfWork) -> None:
        await councils.interview_slots_proposed(work_of(uow), event, self.links)

    async def offer_made(self, event: OfferMade, uow: UnitOfWork) -> None:
        await councils.offer_made(work_of(uow), event, self.links)

    async def offer_answered(self, event: OfferAnswered, uow: UnitOfWork) -> None:
        await councils.offer_answered(work_of(uow), event, self.links)

    async def candidate_hired(self, event: CandidateHired, uow: UnitOfWork) -> None:
        await councils.candidate_hired(work_of(uow), event, self.links)


# The staff directory: whether an assessor or a provider's trainers may be sent a link.


async def assessor_changed(event: AssessorChanged, uow: UnitOfWork) -> None:
    await staff.assessor_changed(work_of(uow), event)


async def provider_changed(event: TrainingProviderChanged, uow: UnitOfWork) -> None:
    await staff.provider_changed(work_of(uow), event)


def subscriptions(handlers: Handlers) -> tuple[Subscription, ...]:
    """What the service consumes, and with which handler."""
    return (
        Subscription(ApplicationContactGiven, handlers.contact_given, "contact_given"),
        # Drained until v1 retires.
        Subscription(ApplicationSubmitted, handlers.application_submitted_v1, "application_submitted_v1"),
        # The link is made here: the v1 sign-in and invitation events, which carried it, are read
        # by nobody (docs/events.md).
        Subscription(CandidateSignInRequestedV2, handlers.sign_in_requested, "sign_in_requested"),
        Subscription(AssessmentScored, handlers.assessment_scored, "assessment_scored"),
        Subscription(SelectionReopened, handlers.selection_reopened, "selection_reopened"),
        Subscription(AppealDecided, handlers.appeal_decided, "appeal_decided"),
        Subscription(SecondStageSubmitted, handlers.second_stage_submitted, "second_stage_submitted"),
        Subscription(ApplicationWithdrawn, handlers.application_withdrawn, "application_withdrawn"),
        Subscription(CandidateErased, handlers.candidate_erased, "candidate_erased"),
        Subscription(TrainingEnrolled, handlers.training_enrolled, "training_enrolled"),
        Subscription(TrainingCompleted, handlers.training_completed, "training_completed"),
        Subscription(CouncilRegistered, handlers.council_registered, "council_registered"),
        Subscription(CouncilClaimRejected, handlers.council_claim_rejected, "council_claim_rejected"),
        Subscription(RecruiterInvitedV2, handlers.recruiter_invited, "recruiter_invited"),
        Subscription(VacancyPosted, handlers.vacancy_posted, "vacancy_posted"),
        Subscription(MatchProposed, handlers.match_proposed, "match_proposed"),
        Subscription(ReachOutSent, handlers.reach_out_sent, "reach_out_sent"),
        Subscription(MatchResponded, handlers.match_responded, "match_responded"),
        Subscription(InterviewInvited, handlers.interview_invited, "interview_invited"),
        Subscription(CandidateHired, handlers.candidate_hired, "candidate_hired"),
        # The staff directory: whether an assessor or a provider's trainers may be sent a link.
        Subscription(AssessorChanged, assessor_changed, "assessor_changed"),
        Subscription(TrainingProviderChanged, provider_changed, "provider_changed"),
        # Interviews and offers.
        Subscription(InterviewSlotsProposed, handlers.interview_slots_proposed, "interview_slots_proposed"),
        Subscription(OfferMade, handlers.offer_made, "offer_made"),
        Subscription(OfferAnswered, handlers.offer_answered, "offer_answered"),
        # Reasonable adjustments: the candidate is told a request was decided (not what it was).
        Subscription(AdjustmentDecided, handlers.adjustment_decided, "adjustment_decided"),
        SESSION_ENDED,  # a session signed out of anywhere ends here too
    )
