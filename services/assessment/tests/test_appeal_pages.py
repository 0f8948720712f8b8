"""Appeals as pages: the candidate's appeal (own application only, once per decision, within 28
days), and the programme admin's list and decision; over HTTP with the in-memory broker and real
PostgreSQL. The browser test (tests/browser/test_appeal_journey.py) drives them end to end."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from rtw_assessment import screening
from rtw_assessment.models import Appeal, Decision
from rtw_contracts import (
    AppealDecided,
    AppealLodged,
    ApplicationSubmittedV2,
    AssessmentScored,
    CareerBreakReason,
)
from rtw_contracts.examples import example
from rtw_contracts.types import CareerBreak
from rtw_platform.auth import Principal, Role, issue_session_token, issue_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.forms import refused as refused_form
from sqlalchemy import text
from sqlmodel import select

pytestmark = pytest.mark.component

COHORT = "ict-appeals"
CSRF = "test-csrf-token"
T0 = datetime(2020, 10, 2, 9, 0, tzinfo=UTC)
GROUNDS = "I have settled status: my share code shows the right to work in the UK."


def signed_in_as(client: httpx.AsyncClient, service: ServiceRuntime, subject: str, role: Role) -> None:
    secret = service.settings.token_secret.get_secret_value()
    client.cookies.set("rtw_session", issue_session_token(secret, Principal(subject=subject, role=role)))
    client.cookies.set("rtw_csrf", CSRF)


def bearer(service: ServiceRuntime, subject: str, role: Role) -> dict[str, str]:
    secret = service.settings.token_secret.get_secret_value()
    return {"Authorization": f"Bearer {issue_token(secret, Principal(subject=subject, role=role))}"}


async def refused(service: ServiceRuntime, **changes: Any) -> ApplicationSubmittedV2:
    """An application screened as not eligible (no right to work) in a fresh cohort."""
    application_id = uuid4()
    values: dict[str, Any] = {
        "event_id": uuid4(),
        "correlation_id": application_id,
        "application_id": application_id,
        "candidate_id": uuid4(),
        "cohort_id": COHORT,
        "submitted_at": T0,
        "years_experience": 8.5,
        "right_to_work": False,
        "career_break": CareerBreak(start=date(2016, 4, 1), end=None, reason=CareerBreakReason.CARING),
    }
    values.update(changes)
    applied = example(ApplicationSubmittedV2, **values)
    async with service.uow_factory() as uow:
        await screening.screen_application(applied, uow)
        await uow.commit()
    return applied


async def outbox(service: ServiceRuntime, event_type: str) -> list[dict[str, Any]]:
    async with service.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM assessment.outbox WHERE event_type = :t ORDER BY id"), {"t": event_type}
        )
        return [dict(row.payload) for row in rows]


async def appeals_of(service: ServiceRuntime, application_id: UUID) -> list[Appeal]:
    async with service.uow_factory() as uow:
        rows = await uow.session.exec(select(Appeal).where(Appeal.application_id == application_id))
        return list(rows.all())


async def decided_days_ago(service: ServiceRuntime, application_id: UUID, days: int, **extra: int) -> None:
    """Move the application's screening decision into the past."""
    async with service.uow_factory() as uow:
        for decision in (
            await uow.session.exec(select(Decision).where(Decision.application_id == application_id))
        ).all():
            decision.decided_at = datetime.now(UTC) - timedelta(days=days, **extra)
            uow.session.add(decision)
        await uow.commit()


def page_text(response: httpx.Response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))


# --------------------------------------------------------------------------- the candidate


async def test_the_candidate_sees_why_and_until_when_then_appeals_once(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    applied = await refused(service)
    signed_in_as(client, service, str(applied.candidate_id), Role.CANDIDATE)
    url = f"/my/applications/{applied.application_id}/appeal"

    form = await client.get(url)
    assert form.status_code == 200
    shown = page_text(form)
    assert "Appeal this decision" in shown
    assert "right to work" in shown.lower()
    deadline = (datetime.now(UTC).date() + timedelta(days=28)).strftime("%-d %B %Y")
    assert f"until {deadline}" in shown
    assert "right_to_work" not in form.text  # no codes on the page

    sent = await client.post(url, data={"csrf_token": CSRF, "grounds": GROUNDS})
    assert sent.status_code == 303
    assert sent.headers["location"] == f"{url}?done=lodged"
    after = page_text(await client.get(sent.headers["location"]))
    assert "Your appeal has been sent" in after
    assert "Waiting for a decision" in after
    assert GROUNDS in after
    assert "Send your appeal" not in after

    [lodged] = await outbox(service, "AppealLodged")
    event = AppealLodged.model_validate(lodged)
    assert (event.application_id, event.candidate_id) == (applied.application_id, applied.candidate_id)

    again = await refused_form(client, url, {"csrf_token": CSRF, "grounds": GROUNDS + " Again."})
    assert "You can appeal a decision only once" in page_text(again)
    assert len(await appeals_of(service, applied.application_id)) == 1


async def test_grounds_too_short_are_asked_for_again(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    applied = await refused(service)
    signed_in_as(client, service, str(applied.candidate_id), Role.CANDIDATE)
    url = f"/my/applications/{applied.application_id}/appeal"
    short = await refused_form(client, url, {"csrf_token": CSRF, "grounds": "It is wrong."})
    assert "There is a problem" in short.text
    assert 'href="#grounds"' in short.text  # the summary links to the field
    assert "govuk-error-message" in short.text
    assert "in at least 20 characters" in page_text(short)
    assert ">It is wrong.</textarea>" in short.text  # what was typed is kept
    assert await appeals_of(service, applied.application_id) == []
    # Shown once: a reload shows the form as it is, without the problems.
    again = await client.get(url)
    assert "There is a problem" not in again.text
    assert "It is wrong." not in again.text


async def test_after_the_28th_day_the_page_and_the_api_refuse_clearly(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    late = await refused(service)
    on_time = await refused(service)
    await decided_days_ago(service, late.application_id, 29)
    await decided_days_ago(service, on_time.application_id, 28)

    signed_in_as(client, service, str(late.candidate_id), Role.CANDIDATE)
    url = f"/my/applications/{late.application_id}/appeal"
    shown = page_text(await client.get(url))
    assert "The time to appeal this decision ended on" in shown
    assert "you had 28 days from the decision" in shown
    assert "Send your appeal" not in shown
    posted = await refused_form(client, url, {"csrf_token": CSRF, "grounds": GROUNDS})
    assert "The time to appeal this decision ended on" in page_text(posted)
    api = await client.post(
        "/appeals",
        json={"application_id": str(late.application_id), "grounds": GROUNDS},
        headers=bearer(service, str(late.candidate_id), Role.CANDIDATE),
    )
    assert api.status_code == 409
    assert "The time to appeal this decision ended on" in api.json()["detail"]
    assert await appeals_of(service, late.application_id) == []

    # The 28th day itself is still in time.
    in_time = await client.post(
        "/appeals",
        json={"application_id": str(on_time.application_id), "grounds": GROUNDS},
        headers=bearer(service, str(on_time.candidate_id), Role.CANDIDATE),
    )
    assert in_time.status_code == 201, in_time.text


async def test_another_candidates_application_is_not_found(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    theirs = await refused(service)
    mine = await refused(service)
    signed_in_as(client, service, str(mine.candidate_id), Role.CANDIDATE)
    url = f"/my/applications/{theirs.application_id}/appeal"

    seen = await client.get(url)
    posted = await client.post(url, data={"csrf_token": CSRF, "grounds": GROUNDS})

    assert seen.status_code == 404
    assert "Page not found" in seen.text
    assert "We have no decision on this application that you could appeal" in page_text(seen)
    assert posted.status_code == 404
    assert "We have no decision on this application that you could appeal" in page_text(posted)
    assert await appeals_of(service, theirs.application_id) == []
    assert (await client.get("/my/applications/not-an-id/appeal")).status_code == 404


async def test_the_appeal_page_is_for_signed_in_candidates_only(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    applied = await refused(service)
    url = f"/my/applications/{applied.application_id}/appeal"
    nobody = await client.get(url)
    assert nobody.status_code == 303
    assert nobody.headers["location"].startswith("/applications/account/sign-in?next=")
    signed_in_as(client, service, "admin-1", Role.ADMIN)
    assert (await client.post(url, data={"csrf_token": CSRF, "grounds": GROUNDS})).status_code == 303
    assert await appeals_of(service, applied.application_id) == []


async def test_an_appeal_without_the_forms_token_is_refused(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    applied = await refused(service)
    signed_in_as(client, service, str(applied.candidate_id), Role.CANDIDATE)
    forged = await client.post(
        f"/my/applications/{applied.application_id}/appeal", data={"csrf_token": "forged", "grounds": GROUNDS}
    )
    assert forged.status_code == 400
    assert "Your form could not be sent" in forged.text
    assert await appeals_of(service, applied.application_id) == []


# --------------------------------------------------------------------------- programme admins


async def lodge(client: httpx.AsyncClient, service: ServiceRuntime, applied: ApplicationSubmittedV2) -> str:
    response = await client.post(
        "/appeals",
        json={"application_id": str(applied.application_id), "grounds": GROUNDS},
        headers=bearer(service, str(applied.candidate_id), Role.CANDIDATE),
    )
    assert response.status_code == 201, response.text
    appeal_id: str = response.json()["appeal_id"]
    return appeal_id


async def test_an_admin_lists_and_upholds_an_appeal_and_the_candidate_is_back_in_the_flow(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    applied = await refused(service)
    appeal_id = await lodge(client, service, applied)
    signed_in_as(client, service, "admin-1", Role.ADMIN)

    listed = page_text(await client.get("/admin/appeals"))
    assert "Waiting for a decision (1)" in listed
    assert "I have settled status" in listed
    shown = await client.get(f"/admin/appeals/{appeal_id}")
    assert shown.status_code == 200
    assert "Right to work in the UK No" in page_text(shown)
    assert "right_to_work" not in shown.text

    missing = await refused_form(client, f"/admin/appeals/{appeal_id}", {"csrf_token": CSRF, "reason": "Ok"})
    assert "There is a problem" in missing.text
    assert ">Ok</textarea>" in missing.text  # what was typed is kept
    assert "Select whether you uphold the appeal" in page_text(missing)
    assert "in at least 10 characters" in page_text(missing)

    decided = await client.post(
        f"/admin/appeals/{appeal_id}",
        data={"csrf_token": CSRF, "upheld": "yes", "reason": "Your share code shows the right to work."},
    )
    assert decided.status_code == 303
    assert decided.headers["location"] == "/admin/appeals?done=upheld"
    after = page_text(await client.get(decided.headers["location"]))
    assert "No appeal is waiting for a decision" in after
    assert "Upheld" in after

    [raw] = await outbox(service, "AppealDecided")
    event = AppealDecided.model_validate(raw)
    assert (event.application_id, event.upheld) == (applied.application_id, True)
    assert event.reason == "Your share code shows the right to work."
    latest = AssessmentScored.model_validate((await outbox(service, "AssessmentScored"))[-1])
    assert (latest.outcome, latest.decision_kind) == ("shortlisted", "appeal")
    assert latest.next_step_deadline is not None  # the second stage's deadline

    twice = await refused_form(
        client,
        f"/admin/appeals/{appeal_id}",
        {"csrf_token": CSRF, "upheld": "no", "reason": "Changed my mind."},
    )
    assert "This appeal was already upheld" in page_text(twice)
    assert "Decide the appeal" not in twice.text


async def test_a_dismissed_appeal_is_final_and_shown_to_the_candidate(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    applied = await refused(service)
    appeal_id = await lodge(client, service, applied)
    signed_in_as(client, service, "admin-1", Role.ADMIN)
    decided = await client.post(
        f"/admin/appeals/{appeal_id}",
        data={"csrf_token": CSRF, "upheld": "no", "reason": "The share code given was not valid."},
    )
    assert decided.headers["location"] == "/admin/appeals?done=dismissed"

    signed_in_as(client, service, str(applied.candidate_id), Role.CANDIDATE)
    shown = page_text(await client.get(f"/my/applications/{applied.application_id}/appeal"))
    assert "Not upheld" in shown
    assert "The share code given was not valid." in shown
    assert "This decision is final" in shown
    assert "Send your appeal" not in shown
    again = await refused_form(
        client, f"/my/applications/{applied.application_id}/appeal", {"csrf_token": CSRF, "grounds": GROUNDS}
    )
    assert "That decision is final" in page_text(again)


async def test_only_admins_see_or_decide_appeals(client: httpx.AsyncClient, service: ServiceRuntime) -> None:
    applied = await refused(service)
    appeal_id = await lodge(client, service, applied)
    for subject, role in ((str(applied.candidate_id), Role.CANDIDATE), ("assessor-1", Role.ASSESSOR)):
        signed_in_as(client, service, subject, role)
        assert (await client.get("/admin/appeals")).status_code == 303
        assert (await client.get(f"/admin/appeals/{appeal_id}")).status_code == 303
        posted = await client.post(
            f"/admin/appeals/{appeal_id}",
            data={"csrf_token": CSRF, "upheld": "yes", "reason": "I decide this myself."},
        )
        assert posted.status_code == 303
        assert posted.headers["location"].startswith("/applications/account/staff-sign-in")
    assert [a.status for a in await appeals_of(service, applied.application_id)] == ["open"]


async def test_deciding_without_the_forms_token_is_refused(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    applied = await refused(service)
    appeal_id = await lodge(client, service, applied)
    signed_in_as(client, service, "admin-1", Role.ADMIN)
    forged = await client.post(
        f"/admin/appeals/{appeal_id}",
        data={"csrf_token": "forged", "upheld": "yes", "reason": "Share code checked by the team."},
    )
    assert forged.status_code == 400
    assert [a.status for a in await appeals_of(service, applied.application_id)] == ["open"]
    assert (await client.get(f"/admin/appeals/{uuid4()}")).status_code == 404
    assert (await client.get("/admin/appeals/nonsense")).status_code == 404


async def test_two_appeals_sent_at_once_leave_one_and_a_clear_refusal(service: ServiceRuntime) -> None:
    import asyncio

    from rtw_assessment import appeals
    from rtw_platform.errors import Conflict

    applied = await refused(service)
    me = Principal(subject=str(applied.candidate_id), role=Role.CANDIDATE)
    both_read = asyncio.Barrier(2)

    async def send() -> str:
        async with service.uow_factory() as uow:
            original = uow.session.flush

            async def flush_after_both_read(*args: Any, **kwargs: Any) -> None:
                await both_read.wait()  # both have checked that there is no appeal yet
                await original(*args, **kwargs)

            uow.session.flush = flush_after_both_read  # type: ignore[method-assign]
            try:
                await appeals.lodge_appeal(
                    uow, appeals.AppealIn(application_id=applied.application_id, grounds=GROUNDS), me
                )
            except Conflict as refusal:
                return refusal.message
            return "lodged"

    results = sorted(await asyncio.gather(send(), send()))
    assert results[1] == "lodged"
    assert "You can appeal a decision only once" in results[0]
    assert len(await appeals_of(service, applied.application_id)) == 1


async def test_an_appeal_decided_twice_at_once_is_decided_once(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    import asyncio

    applied = await refused(service)
    appeal_id = await lodge(client, service, applied)
    signed_in_as(client, service, "admin-1", Role.ADMIN)
    answers = await asyncio.gather(
        client.post(
            f"/admin/appeals/{appeal_id}",
            data={"csrf_token": CSRF, "upheld": "yes", "reason": "Your share code shows the right to work."},
        ),
        client.post(
            f"/admin/appeals/{appeal_id}",
            data={"csrf_token": CSRF, "upheld": "no", "reason": "The share code does not match your name."},
        ),
    )

    # Both are answered with a redirect: one to the list (decided), the other back to the appeal,
    # which says why it was not decided again.
    places = sorted(a.headers["location"] for a in answers)
    assert places[0] == f"/admin/appeals/{appeal_id}", places
    assert places[1].startswith("/admin/appeals?done="), places
    assert "This appeal was already" in page_text(await client.get(places[0]))
    assert len(await outbox(service, "AppealDecided")) == 1
