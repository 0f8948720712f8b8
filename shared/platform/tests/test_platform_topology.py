"""Each service's exchanges and queues, declared in one place."""

from __future__ import annotations

import pytest
from faststream.rabbit import ExchangeType, QueueType
from rtw_contracts import ApplicationSubmitted, AssessmentScored
from rtw_platform.topology import Topology

pytestmark = pytest.mark.unit


def test_exchanges_are_durable_and_named_under_the_prefix() -> None:
    topology = Topology("assessment", "t123.")

    events = topology.events_exchange
    dlx = topology.dead_letter_exchange

    assert (events.name, events.type, events.durable) == (
        "t123.rtw.events",
        ExchangeType.TOPIC,
        True,
    )
    assert (dlx.name, dlx.type, dlx.durable) == ("t123.rtw.dlx.assessment", ExchangeType.DIRECT, True)
    own = topology.publish_exchange
    assert (own.name, own.type, own.durable) == ("t123.rtw.publish.assessment", ExchangeType.TOPIC, True)


def test_without_a_prefix_the_names_are_the_platforms() -> None:
    topology = Topology("assessment")
    assert topology.events_exchange.name == "rtw.events"
    assert topology.dead_letter_exchange.name == "rtw.dlx.assessment"
    assert topology.publish_exchange.name == "rtw.publish.assessment"
    assert topology.queue_name(ApplicationSubmitted) == "assessment.application-submitted"


def test_a_consumed_queue_is_a_durable_quorum_queue_bound_by_the_events_routing_key() -> None:
    queue = Topology("assessment", "t123.").queue(ApplicationSubmitted)

    assert queue.name == "t123.assessment.application-submitted"
    assert queue.arguments["x-queue-type"] == QueueType.QUORUM.value
    assert queue.durable is True
    assert queue.routing_key == ApplicationSubmitted.ROUTING_KEY


def test_a_failing_message_is_dead_lettered_at_least_once_to_its_own_dlq_after_the_limit() -> None:
    topology = Topology("matching", "t9.", delivery_limit=7)
    queue = topology.queue(AssessmentScored)
    arguments = queue.arguments

    assert arguments["x-delivery-limit"] == 7
    assert arguments["x-dead-letter-exchange"] == "t9.rtw.dlx.matching"  # its own
    assert arguments["x-dead-letter-routing-key"] == "t9.matching.assessment-scored"
    assert arguments["x-dead-letter-strategy"] == "at-least-once"
    # At-least-once dead-lettering needs reject-publish overflow.
    assert arguments["x-overflow"] == "reject-publish"


def test_the_default_delivery_limit_is_five() -> None:
    assert Topology("training").queue(AssessmentScored).arguments["x-delivery-limit"] == 5


def test_the_dlq_is_classic_durable_and_bound_by_its_source_queues_name() -> None:
    topology = Topology("matching", "t9.")
    source = topology.queue_name(AssessmentScored)

    dlq = topology.dead_letter_queue(source)

    assert dlq.name == "t9.matching.assessment-scored.dlq"
    assert dlq.durable is True
    assert dlq.arguments["x-queue-type"] == "classic"
    assert dlq.routing_key == source
    assert source == topology.queue(AssessmentScored).arguments["x-dead-letter-routing-key"]


def test_services_consuming_one_event_get_separate_queues() -> None:
    names = {Topology(s, "p.").queue_name(AssessmentScored) for s in ("matching", "training")}
    assert names == {"p.matching.assessment-scored", "p.training.assessment-scored"}
