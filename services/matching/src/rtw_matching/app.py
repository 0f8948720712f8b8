"""Composition root of the matching service."""

from __future__ import annotations

from collections.abc import Sequence

from rtw_contracts import (
    CandidateHired,
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
    SessionEnded,
    SkillGapIdentified,
    VacancyPosted,
)
from rtw_platform.messaging import Subscription
from rtw_platform.service import ServiceDefinition
from rtw_platform.settings import ServiceSettings

from .api import router
from .caches import MatchingCaches
from .handlers import subscriptions
from .models import REGISTRY
from .settings import CacheLimits, MatchingSettings, matching_settings
from .web import router as pages


def bind_subscriptions(settings: ServiceSettings) -> Sequence[Subscription]:
    """The pool's handlers, with caches of this process's own, sized by its settings."""
    return subscriptions(MatchingCaches(matching_settings(settings).cache_limits()))


SERVICE = ServiceDefinition(
    name="matching",
    title="Matching",
    description="Councils, vacancies, the consent-gated talent pool and explainable matches.",
    registry=REGISTRY,
    package_file=__file__,
    # Listed for the topology, the registry and the docs; each process binds its own caches, sized
    # by its settings (RTW_CACHE_*), and hands them to the handlers that match.
    subscriptions=subscriptions(MatchingCaches(CacheLimits())),
    bind_subscriptions=bind_subscriptions,
    publishes=(
        CouncilRegistered,
        CouncilClaimRejected,
        RecruiterInvitedV2,
        VacancyPosted,
        MatchProposed,
        ReachOutSent,
        MatchResponded,
        InterviewSlotsProposed,
        InterviewInvited,
        OfferMade,
        OfferAnswered,
        CandidateHired,
        SkillGapIdentified,
        SessionEnded,
    ),
    routers=(pages, router),  # pages first: /councils/sign-up is not a council's id
    default_port=8003,
    settings_class=MatchingSettings,
)
