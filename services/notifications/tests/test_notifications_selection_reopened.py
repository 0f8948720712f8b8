"""SelectionReopened: each affected candidate gets one e-mail, in their language, saying their
decision is being looked at again, through a real SMTP server (real PostgreSQL, in-memory
broker)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from rtw_contracts import ApplicationContactGiven, SelectionReopened
from rtw_contracts.examples import example

pytestmark = pytest.mark.component

PORTAL = "http://127.0.0.1:8080"


def contact(application_id: UUID, candidate_id: UUID, email: str, language: str, reference: str) -> Any:
    return example(
        ApplicationContactGiven,
        event_id=uuid4(),
        application_id=application_id,
        candidate_id=candidate_id,
        reference=reference,
        given_name="Priya" if language == "en" else "Nia",
        email=email,
        preferred_language=language,
    )


def reopening(application_id: UUID, candidate_id: UUID, outcome: str) -> SelectionReopened:
    return example(
        SelectionReopened,
        event_id=uuid4(),
        correlation_id=application_id,
        application_id=application_id,
        candidate_id=candidate_id,
        withdrawn_outcome=outcome,
        reopened_at=datetime.now(UTC),
    )


async def test_each_candidate_is_told_once_in_their_language_that_the_decision_is_looked_at_again(
    service: Any, smtp_server: Any
) -> None:
    tag = uuid4().hex[:8]
    number = int(tag, 16) % 1_000_000
    people = [
        (uuid4(), uuid4(), f"priya.{tag}@example.org", "en", f"RTW-ICT-{number:06d}1", "selected"),
        (uuid4(), uuid4(), f"nia.{tag}@example.org", "cy", f"RTW-ICT-{number:06d}2", "rejected"),
    ]
    for application_id, candidate_id, email, language, reference, _ in people:
        await service.deliver(contact(application_id, candidate_id, email, language, reference))
    for application_id, candidate_id, _, _, _, outcome in people:
        event = reopening(application_id, candidate_id, outcome)
        await service.deliver(event)
        await service.deliver(event)  # redelivered: still one message

    (en_app, en_id, en_email, _, en_ref, _), (_cy_app, cy_id, cy_email, _, cy_ref, _) = people
    english = (await smtp_server.wait_for(en_email, count=2))[-1]
    assert english.subject == "Your decision for Return to Work - ICT is being looked at again"
    assert english.text.startswith("Dear Priya,")
    assert en_ref in english.text
    assert "Until we write again, the decision we sent you about a place does not stand." in english.text
    assert f"{PORTAL}/applications/my/applications/{en_app}" in english.text
    welsh = (await smtp_server.wait_for(cy_email, count=2))[-1]
    assert welsh.subject.startswith("Mae'r penderfyniad ar gyfer")
    assert "yn cael ei ailystyried" in welsh.subject
    assert welsh.text.startswith("Annwyl Nia,")
    assert cy_ref in welsh.text
    for candidate_id in (en_id, cy_id):
        told = [
            d
            for d in await service.wait_for_status("sent", recipient_id=candidate_id)
            if d.template == "selection_reopened"
        ]
        assert len(told) == 1
        assert told[0].essential
