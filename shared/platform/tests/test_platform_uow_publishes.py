"""A unit of work refuses an event its service does not list among what it publishes: the
service's publishing exchange is bound to `rtw.events` for the listed keys only, so such an event
would be written, relayed, and reach no subscriber (CandidatePreferencesChanged was lost so)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from rtw_contracts import ApplicationWithdrawn, CandidateErased
from rtw_contracts.examples import example
from rtw_platform.testing.probe import REGISTRY
from rtw_platform.uow import UnitOfWork

pytestmark = pytest.mark.unit

SESSION: Any = object()  # publishing only queues the event: the session is not used


def withdrawn() -> ApplicationWithdrawn:
    return example(ApplicationWithdrawn, event_id=uuid4())


def test_a_listed_event_is_queued() -> None:
    uow = UnitOfWork(SESSION, REGISTRY.metadata, publishes=frozenset({ApplicationWithdrawn.ROUTING_KEY}))
    event = withdrawn()
    uow.publish(event)
    assert uow.pending_events == (event,)


def test_an_event_the_service_does_not_publish_is_refused_and_nothing_is_queued() -> None:
    uow = UnitOfWork(SESSION, REGISTRY.metadata, publishes=frozenset({ApplicationWithdrawn.ROUTING_KEY}))
    with pytest.raises(ValueError, match=r"candidate\.erased\.v1 is not among the events"):
        uow.publish(withdrawn(), example(CandidateErased))
    assert uow.pending_events == ()


def test_without_a_list_anything_is_queued() -> None:
    uow = UnitOfWork(SESSION, REGISTRY.metadata)
    uow.publish(example(CandidateErased))
    assert len(uow.pending_events) == 1
