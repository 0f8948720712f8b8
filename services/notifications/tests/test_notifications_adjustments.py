"""The candidate is told when staff decide their request for reasonable adjustments: in their
language, with a link to the decision, and never what was asked (it may reveal a disability)."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from rtw_contracts import AdjustmentDecided, ApplicationContactGiven
from rtw_contracts.examples import example
from rtw_notifications.memory_store import InMemoryNotificationsStore
from rtw_notifications.use_cases import candidates
from rtw_platform.consumer_failures import NotYetKnown
from rtw_platform.testing.fake_uow import FakeUnitOfWork

from .test_notifications_use_cases import LINKS, PORTAL

pytestmark = pytest.mark.unit
Uow = FakeUnitOfWork[InMemoryNotificationsStore]


async def _known(language: str) -> tuple[Uow, UUID, UUID]:
    uow: Uow = FakeUnitOfWork(InMemoryNotificationsStore())
    candidate_id, application_id = uuid4(), uuid4()
    given = example(
        ApplicationContactGiven,
        event_id=uuid4(),
        candidate_id=candidate_id,
        application_id=application_id,
        preferred_language=language,
    )

    async def contact(e: ApplicationContactGiven, work: Uow) -> None:
        await candidates.contact_given(work, e, LINKS)

    assert await uow.handle(contact, given)
    return uow, candidate_id, application_id


async def _decided(uow: Uow, candidate_id: UUID, application_id: UUID, *, agreed: bool) -> None:
    event = example(
        AdjustmentDecided,
        event_id=uuid4(),
        candidate_id=candidate_id,
        application_id=application_id,
        agreed=agreed,
    )

    async def handler(e: AdjustmentDecided, work: Uow) -> None:
        await candidates.adjustment_decided(work, e, LINKS)

    assert await uow.handle(handler, event)


@pytest.mark.parametrize(
    ("language", "agreed", "words"),
    [
        ("en", True, "We have agreed adjustments"),
        ("en", False, "could not agree it"),
        ("cy", True, "Rydym wedi cytuno ar addasiadau"),
        ("cy", False, "nid oeddem yn gallu ei gytuno"),
    ],
)
async def test_the_candidate_is_told_the_decision_in_their_language_with_a_link(
    language: str, agreed: bool, words: str
) -> None:
    uow, candidate_id, application_id = await _known(language)
    await _decided(uow, candidate_id, application_id, agreed=agreed)

    message = next(d for d in uow.store.deliveries.rows() if d.template == "adjustment_decided")
    assert (message.language, message.status, message.essential) == (language, "pending", True)
    body = message.body_text or ""
    assert words in body
    assert f"{PORTAL}/applications/my/applications/{application_id}/adjustments" in body


async def test_a_decision_on_an_application_not_known_yet_is_retried() -> None:
    uow: Uow = FakeUnitOfWork(InMemoryNotificationsStore())
    event = example(AdjustmentDecided, event_id=uuid4())

    async def handler(e: AdjustmentDecided, work: Uow) -> None:
        await candidates.adjustment_decided(work, e, LINKS)

    with pytest.raises(NotYetKnown):
        await handler(event, uow)
