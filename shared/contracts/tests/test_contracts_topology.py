"""Topology names, with and without a test prefix."""

from __future__ import annotations

import pytest
from rtw_contracts import ApplicationSubmitted, SecondStageSubmitted, SkillGapIdentified
from rtw_contracts.topology import (
    DEAD_LETTER_EXCHANGE,
    DELIVERY_LIMIT,
    EVENTS_EXCHANGE,
    dead_letter_exchange_name,
    dead_letter_queue_name,
    exchange_name,
    kebab,
    publish_exchange_name,
    queue_name,
)

pytestmark = pytest.mark.unit


def test_constants() -> None:
    assert EVENTS_EXCHANGE == "rtw.events"
    assert DEAD_LETTER_EXCHANGE == "rtw.dlx"
    assert DELIVERY_LIMIT == 5


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ApplicationSubmitted", "application-submitted"),
        ("SecondStageSubmitted", "second-stage-submitted"),
        ("ICTReportReady", "ict-report-ready"),
        ("ApplicationSubmittedV2", "application-submitted-v2"),
        ("skill_gap identified", "skill-gap-identified"),
        ("simple", "simple"),
    ],
)
def test_kebab(name: str, expected: str) -> None:
    assert kebab(name) == expected


def test_names_without_prefix() -> None:
    assert exchange_name(EVENTS_EXCHANGE) == "rtw.events"
    assert dead_letter_exchange_name("training") == "rtw.dlx.training"
    assert publish_exchange_name("training") == "rtw.publish.training"
    assert queue_name("assessment", ApplicationSubmitted) == "assessment.application-submitted"
    assert queue_name("training", SkillGapIdentified) == "training.skill-gap-identified"
    queue = queue_name("assessment", SecondStageSubmitted)
    assert queue == "assessment.second-stage-submitted"
    assert dead_letter_queue_name(queue) == "assessment.second-stage-submitted.dlq"


def test_names_with_prefix() -> None:
    prefix = "t3f9a1c2."
    assert exchange_name(EVENTS_EXCHANGE, prefix) == "t3f9a1c2.rtw.events"
    assert dead_letter_exchange_name("assessment", prefix) == "t3f9a1c2.rtw.dlx.assessment"
    assert publish_exchange_name("assessment", prefix) == "t3f9a1c2.rtw.publish.assessment"
    queue = queue_name("assessment", ApplicationSubmitted, prefix)
    assert queue == "t3f9a1c2.assessment.application-submitted"
    assert dead_letter_queue_name(queue) == "t3f9a1c2.assessment.application-submitted.dlq"
