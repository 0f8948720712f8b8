"""Who may have published an event (rtw_platform.publishers): the producer's broker user, from
configuration; a replayed dead letter keeps the user it first arrived with."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from faststream.rabbit import RabbitExchange
from rtw_contracts import AssessmentScored, SessionEnded
from rtw_platform.consumer_failures import (
    DEAD_LETTER_USER_HEADER,
    PUBLISHED_BY_HEADER,
    ConsumerFailurePolicy,
    PermanentFailure,
)
from rtw_platform.dlq import _first_publisher
from rtw_platform.publishers import PublisherUsers, UnexpectedPublisher, amqp_user
from rtw_platform.settings import ServiceSettings

pytestmark = pytest.mark.unit

USERS = PublisherUsers("rtw-{service}", {"matching": "matching-prod"}, own="rtw-training")


def test_the_broker_user_of_an_amqp_url() -> None:
    assert amqp_user("amqp://rtw-assessment:s%40cret@rabbitmq:5672/rtw") == "rtw-assessment"
    assert amqp_user("amqp://ext%2Dteam:x@h/") == "ext-team"
    assert amqp_user("amqp://rabbitmq:5672/") == "guest"  # no user: the client's default


def test_each_service_publishes_as_its_configured_user() -> None:
    assert USERS.user_of("assessment") == "rtw-assessment"
    assert USERS.user_of("matching") == "matching-prod"
    assert USERS.expected(AssessmentScored) == {"rtw-assessment"}
    # session.ended.v1 (producer `platform`) is published by every service
    assert "rtw-notifications" in USERS.expected(SessionEnded)
    assert "matching-prod" in USERS.expected(SessionEnded)


def test_only_the_producers_user_is_believed() -> None:
    USERS.check(AssessmentScored, "rtw-assessment", None)
    for forger in ("rtw-training", "guest", None):
        with pytest.raises(UnexpectedPublisher, match=r"assessment\.scored\.v1 was published by"):
            USERS.check(AssessmentScored, forger, None)
    assert issubclass(UnexpectedPublisher, PermanentFailure)  # dead-lettered at once


def test_a_replay_is_believed_for_the_user_it_first_came_from_and_only_from_the_replayer() -> None:
    # Training (this consumer) dead-lettered it, recording the user it had checked.
    recorded = {PUBLISHED_BY_HEADER: "rtw-assessment", DEAD_LETTER_USER_HEADER: "rtw-training"}
    USERS.check(AssessmentScored, "rtw-dead-letters", recorded)
    with pytest.raises(UnexpectedPublisher):
        USERS.check(
            AssessmentScored,
            "rtw-dead-letters",
            {PUBLISHED_BY_HEADER: "rtw-training", DEAD_LETTER_USER_HEADER: "rtw-training"},
        )
    with pytest.raises(UnexpectedPublisher):
        USERS.check(AssessmentScored, "rtw-training", recorded)  # the header alone proves nothing


def test_a_replay_is_believed_only_as_far_as_whoever_put_the_letter_in_its_dlq_vouches() -> None:
    claimed = {PUBLISHED_BY_HEADER: "rtw-assessment"}
    # The broker dead-lettered the original (user_id kept), or a replay (the dead-letter user).
    for recorder in ("rtw-assessment", "rtw-dead-letters"):
        USERS.check(AssessmentScored, "rtw-dead-letters", {**claimed, DEAD_LETTER_USER_HEADER: recorder})
    # Another service put a letter with a forged header in training's DLQ through rtw.dlx.
    forged = {**claimed, DEAD_LETTER_USER_HEADER: "rtw-applications"}
    assert USERS.published_by("rtw-dead-letters", forged) == "rtw-applications"
    with pytest.raises(UnexpectedPublisher, match="published by broker user 'rtw-applications'"):
        USERS.check(AssessmentScored, "rtw-dead-letters", forged)
    # Anonymously, or by a replay of before the dead-letter user was recorded: nobody vouches.
    for nobody in (
        {**claimed, DEAD_LETTER_USER_HEADER: ""},
        claimed,
        {**claimed, DEAD_LETTER_USER_HEADER: b""},
    ):
        with pytest.raises(UnexpectedPublisher, match="'unknown"):
            USERS.check(AssessmentScored, "rtw-dead-letters", nobody)
    # Bytes, as AMQP may deliver header values.
    raw = {PUBLISHED_BY_HEADER: b"rtw-assessment", DEAD_LETTER_USER_HEADER: b"rtw-training"}
    assert USERS.published_by("rtw-dead-letters", raw) == "rtw-assessment"


def test_with_one_user_shared_by_all_a_message_without_a_claim_is_its_user_ids() -> None:
    shared = PublisherUsers("guest", own="guest")  # local runs: every service, and replays, as guest
    shared.check(AssessmentScored, "guest", None)
    shared.check(AssessmentScored, "guest", {DEAD_LETTER_USER_HEADER: "guest"})
    assert shared.published_by("guest", {PUBLISHED_BY_HEADER: "x", DEAD_LETTER_USER_HEADER: "guest"}) == "x"


def test_unset_every_service_publishes_as_this_services_own_user() -> None:
    settings = ServiceSettings(amqp_url="amqp://shared:pw@h/")
    assert settings.publishers().expected(AssessmentScored) == {"shared"}
    assert settings.publishers().own == "shared"
    configured = ServiceSettings(publisher_user="rtw-{service}", publisher_users={"assessment": "a"})
    assert configured.publishers().expected(AssessmentScored) == {"a"}


class _Broker:
    def __init__(self) -> None:
        self.headers: list[dict[str, Any]] = []

    async def publish(self, body: bytes, **kwargs: Any) -> None:
        self.headers.append(kwargs["headers"])


def _delivered(user_id: str | None, headers: dict[str, Any] | None = None) -> Any:
    raw = SimpleNamespace(
        headers=headers,
        user_id=user_id,
        routing_key="assessment.scored.v1",
        body=b"{}",
        message_id="m-1",
        correlation_id=None,
        content_type="application/json",
        timestamp=None,
    )

    async def ack() -> None:
        return None

    return SimpleNamespace(raw_message=raw, ack=ack)


async def _dead_lettered(publishers: PublisherUsers | None, message: Any) -> dict[str, Any]:
    policy = ConsumerFailurePolicy(
        service="training", dead_letter_exchange=RabbitExchange("dlx"), delivery_limit=3
    )
    broker = _Broker()
    policy.broker = broker  # type: ignore[assignment]
    policy.publishers = publishers
    await policy.dead_letter(message, "training.assessment-scored", PermanentFailure("no"), 1)
    [headers] = broker.headers
    return headers


async def test_a_dead_letter_records_who_first_published_it_even_when_a_replay_fails_again() -> None:
    first = await _dead_lettered(USERS, _delivered("rtw-assessment"))
    assert first[PUBLISHED_BY_HEADER] == "rtw-assessment"
    # The replay (published by the dead-letter user) fails again: still the first publisher.
    again = await _dead_lettered(
        USERS, _delivered("rtw-dead-letters", {PUBLISHED_BY_HEADER: "rtw-assessment"})
    )
    assert again[PUBLISHED_BY_HEADER] == "rtw-assessment"
    # Without a publisher configuration (unit set-ups), the message's own user.
    assert (await _dead_lettered(None, _delivered("guest")))[PUBLISHED_BY_HEADER] == "guest"
    assert (await _dead_lettered(None, _delivered(None)))[PUBLISHED_BY_HEADER] == ""


def _dead_letter(user_id: str | None, headers: dict[str, Any]) -> Any:
    return SimpleNamespace(user_id=user_id, headers=headers)


def test_a_dead_letters_first_publisher_for_its_replay() -> None:
    death = {"x-death": [{"count": 1}]}
    # Dead-lettered by the broker as it arrived (past its delivery limit): its own user.
    assert _first_publisher(_dead_letter("rtw-assessment", death), "rtw-dead-letters") == "rtw-assessment"
    assert _first_publisher(_dead_letter(None, death), "rtw-dead-letters") == ""
    # A replay the broker dead-lettered again: the user recorded with it, not the replayer.
    replayed = {**death, PUBLISHED_BY_HEADER: b"rtw-assessment"}
    assert (
        _first_publisher(_dead_letter("rtw-dead-letters", replayed), "rtw-dead-letters") == "rtw-assessment"
    )
    # Dead-lettered by the consuming service (published as itself): the user it recorded.
    recorded = {PUBLISHED_BY_HEADER: "rtw-assessment"}
    assert _first_publisher(_dead_letter("rtw-training", recorded), "rtw-dead-letters") == "rtw-assessment"
    assert _first_publisher(_dead_letter("rtw-training", {}), "rtw-dead-letters") == ""
