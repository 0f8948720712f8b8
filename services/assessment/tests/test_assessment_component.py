"""Assessment with the in-memory broker and real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest
from faststream.rabbit import RabbitQueue, TestRabbitBroker
from rtw_assessment.app import SERVICE
from rtw_assessment.models import Candidacy, Decision
from rtw_contracts import ApplicationSubmittedV2, AssessmentScored
from rtw_contracts.examples import example
from rtw_platform.testing.waiting import eventually
from sqlmodel import select

pytestmark = pytest.mark.component


async def test_a_submitted_application_is_screened_and_the_decision_published(
    start_service: Callable[..., Any],
) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)

    observer_queue = RabbitQueue("observer", routing_key=AssessmentScored.ROUTING_KEY)

    @runtime.broker.subscriber(  # type: ignore[untyped-decorator]
        observer_queue, exchange=runtime.topology.events_exchange
    )
    async def observe(event: AssessmentScored) -> None:
        """Watch what assessment publishes."""

    async with TestRabbitBroker(runtime.broker) as broker:
        submitted = example(
            ApplicationSubmittedV2,
            event_id=uuid4(),
            application_id=uuid4(),
            right_to_work=False,
        )
        await broker.publish(
            submitted.model_dump(mode="json"),
            exchange=runtime.topology.events_exchange,
            routing_key=ApplicationSubmittedV2.ROUTING_KEY,
        )
        async with runtime.uow_factory() as uow:
            candidacy = await uow.session.get(Candidacy, submitted.application_id)
            decision = (
                await uow.session.exec(
                    select(Decision).where(Decision.application_id == submitted.application_id)
                )
            ).one()
        assert candidacy is not None
        assert candidacy.screening_outcome == "ineligible"
        assert decision.outcome == "ineligible"
        assert decision.reasons[0]["code"] == "no_right_to_work"
        assert decision.config_version == 1
        assert decision.rule_set_version == "ict-rules-1"

        async def relayed() -> bool:
            return bool(observe.mock.called)

        await eventually(relayed, what="the decision to be relayed from the outbox")
        observe.mock.assert_called_once()
        published = AssessmentScored.model_validate(observe.mock.call_args.args[0])
        assert published.application_id == submitted.application_id
        assert published.causation_id == submitted.event_id
        assert published.correlation_id == submitted.correlation_id
