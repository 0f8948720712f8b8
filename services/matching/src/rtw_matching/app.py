"""Composition root of the matching service."""

from __future__ import annotations

from rtw_contracts import (
    CandidateHired,
    CouncilClaimRejected,
    CouncilRegistered,
    MatchProposed,
    MatchResponded,
    ReachOutSent,
    RecruiterInvitedV2,
    SessionEnded,
    SkillGapIdentified,
    VacancyPosted,
)
from rtw_platform.service import ServiceDefinition

from .api import router
from .caches import MatchingCaches
from .handlers import subscriptions
from .models import REGISTRY
from .settings import CacheLimits, MatchingSettings
from .web import router as pages

SERVICE = ServiceDefinition(
    name="matching",
    title="Matching",
    description="Councils, vacancies, the consent-gated talent pool and explainable matches.",
    registry=REGISTRY,
    package_file=__file__,
    # What matching keeps between runs: one object, owned here, handed to the handlers that match.
    subscriptions=subscriptions(MatchingCaches(CacheLimits())),
    publishes=(
        CouncilRegistered,
        CouncilClaimRejected,
        RecruiterInvitedV2,
        VacancyPosted,
        MatchProposed,
        ReachOutSent,
        MatchResponded,
        CandidateHired,
        SkillGapIdentified,
        SessionEnded,
    ),
    routers=(pages, router),  # pages first: /councils/sign-up is not a council's id
    default_port=8003,
    settings_class=MatchingSettings,
)
