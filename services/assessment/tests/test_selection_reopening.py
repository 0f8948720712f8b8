"""Selection you can see and undo, over HTTP with the in-memory broker and real PostgreSQL: the
ranked list before confirming, confirming, reopening within the window with a reason (each
decision taken back by SelectionReopened), refusal after it, and a new selection publishing new
decisions with higher sequence numbers. Pages are refused to other roles and to forged forms."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from rtw_assessment import screening, second_stage, selection
from rtw_assessment.domain import default_config
from rtw_assessment.models import (
    Assignment,
    Candidacy,
    CohortClosure,
    ConflictOfInterest,
    SelectionReopening,
)
from rtw_contracts import (
    ApplicationSubmittedV2,
    ApplicationWithdrawn,
    AssessmentScored,
    CareerBreakReason,
    Programme,
    SecondStageSubmitted,
    SelectionReopened,
)
from rtw_contracts.examples import example
from rtw_contracts.types import CareerBreak, SecondStageAnswer
from rtw_platform.auth import Principal, Role, issue_session_token, issue_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.forms import refused as refused_form
from rtw_platform.uow import UnitOfWork
from sqlalchemy import text, update
from sqlmodel import select

pytestmark = pytest.mark.component

COHORT = "ict-reopen"
T0 = datetime(2020, 10, 2, 9, 0, tzinfo=UTC)
ICT = default_config(Programme.ICT)
CRITERIA = [c.id for c in ICT.rubric.criteria]
CSRF = "test-csrf-token"
REASON = "Two scorecards were entered against the wrong candidates."
SELECTION = f"/admin/cohorts/{COHORT}/selection"


# --------------------------------------------------------------------------- helpers


def bearer(service: ServiceRuntime, subject: str, role: Role) -> dict[str, str]:
    secret = service.settings.token_secret.get_secret_value()
    return {"Authorization": f"Bearer {issue_token(secret, Principal(subject=subject, role=role))}"}


def admin(service: ServiceRuntime) -> dict[str, str]:
    return bearer(service, "admin-1", Role.ADMIN)


def pages_as(client: httpx.AsyncClient, service: ServiceRuntime, subject: str, role: Role) -> None:
    secret = service.settings.token_secret.get_secret_value()
    client.cookies.set("rtw_session", issue_session_token(secret, Principal(subject=subject, role=role)))
    client.cookies.set("rtw_csrf", CSRF)


async def configure(client: httpx.AsyncClient, service: ServiceRuntime, **changes: Any) -> None:
    body = {**ICT.model_dump(mode="json"), **changes}
    response = await client.put(f"/cohorts/{COHORT}/config", json=body, headers=admin(service))
    assert response.status_code == 200, response.text


async def add_assessors(client: httpx.AsyncClient, service: ServiceRuntime, *ids: str) -> None:
    for assessor_id in ids:
        response = await client.put(
            f"/assessors/{assessor_id}",
            json={"id": assessor_id, "display_name": f"Assessor {assessor_id}", "programmes": ["ict"]},
            headers=admin(service),
        )
        assert response.status_code == 200, response.text


async def candidates(service: ServiceRuntime, count: int) -> list[ApplicationSubmittedV2]:
    applied = []
    for i in range(count):
        application_id = uuid4()
        event = example(
            ApplicationSubmittedV2,
            event_id=uuid4(),
            correlation_id=application_id,
            application_id=application_id,
            candidate_id=uuid4(),
            cohort_id=COHORT,
            submitted_at=T0 + timedelta(minutes=i),
            years_experience=8.5,
            career_break=CareerBreak(start=date(2016, 4, 1), end=None, reason=CareerBreakReason.CARING),
        )
        second = example(
            SecondStageSubmitted,
            event_id=uuid4(),
            correlation_id=application_id,
            application_id=application_id,
            candidate_id=event.candidate_id,
            cohort_id=COHORT,
            submitted_at=T0 + timedelta(days=5),
            answers=[SecondStageAnswer(question_id="ict-problem", answer="I rebuilt a repairs service.")],
        )
        async with service.uow_factory() as uow:
            await screening.screen_application(event, uow)
            await uow.commit()
        async with service.uow_factory() as uow:
            await second_stage.record_second_stage(second, uow)
            await uow.commit()
        applied.append(event)
    return applied


async def score(
    client: httpx.AsyncClient, service: ServiceRuntime, applied: ApplicationSubmittedV2, *values: int
) -> None:
    async with service.uow_factory() as uow:
        mine = (
            await uow.session.exec(
                select(Assignment).where(
                    Assignment.application_id == applied.application_id, Assignment.status == "pending"
                )
            )
        ).all()
    for assignment, value in zip(mine, values, strict=True):
        response = await client.post(
            f"/assessor/assignments/{assignment.id}/scorecard",
            json={"scores": dict.fromkeys(CRITERIA, value), "recommendation": "yes"},
            headers=bearer(service, assignment.assessor_id, Role.ASSESSOR),
        )
        assert response.status_code == 201, response.text


async def scored_cohort(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> tuple[ApplicationSubmittedV2, ApplicationSubmittedV2, ApplicationSubmittedV2]:
    """Three fully scored candidates, best first, for 1 place and 1 on the waiting list."""
    await configure(client, service, capacity=1, waitlist_size=1)
    await add_assessors(client, service, "a1", "a2")
    top, middle, bottom = await candidates(service, 3)
    await score(client, service, top, 4, 4)
    await score(client, service, middle, 3, 3)
    await score(client, service, bottom, 2, 2)
    return top, middle, bottom


async def outbox(service: ServiceRuntime, event_type: str) -> list[dict[str, Any]]:
    async with service.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM assessment.outbox WHERE event_type = :t ORDER BY id"), {"t": event_type}
        )
        return [dict(row.payload) for row in rows]


async def finals(service: ServiceRuntime) -> list[AssessmentScored]:
    events = [AssessmentScored.model_validate(p) for p in await outbox(service, "AssessmentScored")]
    return [e for e in events if e.stage == "final"]


async def reopened(service: ServiceRuntime) -> list[SelectionReopened]:
    return [SelectionReopened.model_validate(p) for p in await outbox(service, "SelectionReopened")]


async def confirmed_hours_ago(service: ServiceRuntime, hours: float) -> None:
    """Move the confirmation of the cohort's selection into the past."""
    async with service.uow_factory() as uow:
        await uow.session.execute(
            update(CohortClosure)
            .where(CohortClosure.cohort_id == COHORT, CohortClosure.step == "selection")  # type: ignore[arg-type]
            .values(closed_at=datetime.now(UTC) - timedelta(hours=hours))
        )
        await uow.commit()


def cells(html: str) -> Iterator[list[str]]:
    """The ranked list's rows, each as its cells' text."""
    table = html.split('class="govuk-table rtw-ranked-list"', 1)[1].split("</table>", 1)[0]
    for row in re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", table, re.S)[1:]:
        yield [
            re.sub(r"<[^>]+>|\s+", " ", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]


# --------------------------------------------------------------------------- use cases (API)


async def test_reopening_takes_back_every_decision_and_a_new_selection_decides_with_higher_sequences(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    top, middle, bottom = await scored_cohort(client, service)
    assert (await client.post(f"/cohorts/{COHORT}/close", headers=admin(service))).status_code == 200
    first = {e.application_id: e for e in await finals(service)}
    assert [first[a.application_id].outcome for a in (top, middle, bottom)] == [
        "selected",
        "waitlisted",
        "rejected",
    ]

    done = await client.post(f"/cohorts/{COHORT}/reopen", json={"reason": REASON}, headers=admin(service))

    assert done.status_code == 200, done.text
    assert done.json() == {"decisions_taken_back": 3}
    taken_back = {e.application_id: e for e in await reopened(service)}
    assert set(taken_back) == {top.application_id, middle.application_id, bottom.application_id}
    for applied in (top, middle, bottom):
        event = taken_back[applied.application_id]
        decided = first[applied.application_id]
        assert event.withdrawn_outcome == decided.outcome
        assert event.sequence == (decided.sequence or 0) + 1
        assert (event.cohort_id, event.candidate_id, event.correlation_id) == (
            COHORT,
            applied.candidate_id,
            applied.application_id,
        )
    async with service.uow_factory() as uow:
        assert await uow.session.get(CohortClosure, (COHORT, "selection")) is None
        kept = (await uow.session.exec(select(SelectionReopening))).one()
        rows = (await uow.session.exec(select(Candidacy).where(Candidacy.cohort_id == COHORT))).all()
    assert (kept.reason, kept.reopened_by, kept.decisions_taken_back) == (REASON, "admin-1", 3)
    assert kept.closed_at == taken_back[top.application_id].selection_closed_at
    assert {(c.selection_outcome, c.rank) for c in rows} == {(None, None)}
    funnel = (await client.get(f"/cohorts/{COHORT}/funnel", headers=admin(service))).json()
    assert funnel["selection"] == {}

    # A scorecard is corrected (here: more places) and selection confirmed again.
    await configure(client, service, capacity=2, waitlist_size=0)
    again = await client.post(f"/cohorts/{COHORT}/close", headers=admin(service))

    assert again.json() == {"selected": 2, "waitlisted": 0, "rejected": 1}
    second = {e.application_id: e for e in (await finals(service))[3:]}
    assert [second[a.application_id].outcome for a in (top, middle, bottom)] == [
        "selected",
        "selected",
        "rejected",
    ]
    for applied in (top, middle, bottom):
        assert (second[applied.application_id].sequence or 0) > (
            taken_back[applied.application_id].sequence or 0
        )
    funnel = (await client.get(f"/cohorts/{COHORT}/funnel", headers=admin(service))).json()
    assert funnel["selection"] == {"selected": 2, "rejected": 1}


async def test_reopening_is_refused_after_the_window_without_a_reason_or_before_confirming(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await scored_cohort(client, service)
    url = f"/cohorts/{COHORT}/reopen"
    not_yet = await client.post(url, json={"reason": REASON}, headers=admin(service))
    assert not_yet.status_code == 409
    assert "not confirmed" in not_yet.json()["detail"]
    assert (await client.post(f"/cohorts/{COHORT}/close", headers=admin(service))).status_code == 200

    no_reason = await client.post(url, json={"reason": "fix"}, headers=admin(service))
    assert no_reason.status_code == 422
    assert "at least 20 characters" in no_reason.text
    assessor = await client.post(url, json={"reason": REASON}, headers=bearer(service, "a1", Role.ASSESSOR))
    assert assessor.status_code == 403

    await confirmed_hours_ago(service, 24.01)
    too_late = await client.post(url, json={"reason": REASON}, headers=admin(service))

    assert too_late.status_code == 409
    assert "can no longer be reopened" in too_late.json()["detail"]
    assert "24 hours" in too_late.json()["detail"]
    assert await reopened(service) == []
    async with service.uow_factory() as uow:
        assert await uow.session.get(CohortClosure, (COHORT, "selection")) is not None

    unknown = await client.post(
        "/cohorts/no-such-cohort/reopen", json={"reason": REASON}, headers=admin(service)
    )
    assert unknown.status_code == 404
    too_long = await client.post(
        f"/cohorts/{'x' * 200}/reopen", json={"reason": REASON}, headers=admin(service)
    )
    assert too_long.status_code == 404
    for body in ({}, {"reason": REASON, "extra": 1}, {"reason": "x" * 2001}, {"reason": None}):
        assert (await client.post(url, json=body, headers=admin(service))).status_code == 422


async def test_the_window_is_the_one_configured_when_selection_was_confirmed(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await scored_cohort(client, service)
    await configure(client, service, capacity=1, waitlist_size=1, reopen_hours=2)
    assert (await client.post(f"/cohorts/{COHORT}/close", headers=admin(service))).status_code == 200
    await configure(client, service, capacity=1, waitlist_size=1, reopen_hours=48)  # after confirming
    await confirmed_hours_ago(service, 3)

    refused = await client.post(f"/cohorts/{COHORT}/reopen", json={"reason": REASON}, headers=admin(service))

    assert refused.status_code == 409
    assert "for 2 hours" in refused.json()["detail"]


async def test_withdrawn_candidates_keep_their_outcome_and_are_not_told_again(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    top, middle, _ = await scored_cohort(client, service)
    assert (await client.post(f"/cohorts/{COHORT}/close", headers=admin(service))).status_code == 200
    async with service.uow_factory() as uow:
        await selection.record_withdrawal(
            example(
                ApplicationWithdrawn,
                event_id=uuid4(),
                correlation_id=top.application_id,
                application_id=top.application_id,
                candidate_id=top.candidate_id,
                cohort_id=COHORT,
            ),
            uow,
        )
        await uow.commit()

    done = await client.post(f"/cohorts/{COHORT}/reopen", json={"reason": REASON}, headers=admin(service))

    assert done.json() == {"decisions_taken_back": 2}
    taken_back = {e.application_id: e.withdrawn_outcome for e in await reopened(service)}
    assert top.application_id not in taken_back
    assert taken_back[middle.application_id] == "selected"  # promoted when the top one withdrew


async def test_a_selection_blocker_refuses_confirming_even_when_forced(
    client: httpx.AsyncClient, service: ServiceRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    await scored_cohort(client, service)

    async def open_disagreement(uow: UnitOfWork, cohort_id: str) -> str | None:
        return f"A disagreement in cohort {cohort_id} is still open: settle it first."

    monkeypatch.setattr(selection, "SELECTION_BLOCKERS", [open_disagreement])
    refused = await client.post(f"/cohorts/{COHORT}/close?force=true", headers=admin(service))

    assert refused.status_code == 409
    assert refused.json()["detail"] == f"A disagreement in cohort {COHORT} is still open: settle it first."
    assert await finals(service) == []
    pages_as(client, service, "admin-1", Role.ADMIN)
    page = await client.get(SELECTION)
    assert "settle it first" in page.text


# --------------------------------------------------------------------------- pages


async def test_an_admin_sees_the_ranked_list_confirms_reopens_with_a_reason_and_confirms_again(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    top, middle, bottom = await scored_cohort(client, service)
    async with service.uow_factory() as uow:
        uow.session.add(
            ConflictOfInterest(
                assessor_id="a3",
                candidate_id=middle.candidate_id,
                reason="Worked together in 2015.",
                declared_by="admin-1",
                declared_at=datetime.now(UTC),
            )
        )
        await uow.commit()
    pages_as(client, service, "admin-1", Role.ADMIN)

    cohort = await client.get(f"/admin/cohorts/{COHORT}")
    assert f'href="{SELECTION}"' in cohort.text
    before = await client.get(SELECTION)

    assert before.status_code == 200
    assert "Nothing is decided or sent until you confirm" in before.text
    rows = list(cells(before.text))
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("1", str(top.application_id), "Selected"),
        ("2", str(middle.application_id), "Waiting list"),
        ("3", str(bottom.application_id), "Not selected"),
    ]
    assert rows[0][3] == "100" or float(rows[0][3]) > float(rows[1][3])
    assert "1 conflict of interest declared" in rows[1][6]
    assert await finals(service) == []  # seeing the list decides nothing

    confirmed = await client.post(f"/admin/cohorts/{COHORT}/close", data={"csrf_token": CSRF})
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == f"{SELECTION}?done=closed"
    after = await client.get(confirmed.headers["location"])
    assert "Selection is confirmed" in after.text
    assert "You can reopen selection until" in after.text
    assert "24 hours after it was confirmed" in after.text
    assert [r[2] for r in cells(after.text)] == ["Selected", "Waiting list", "Not selected"]
    assert len(await finals(service)) == 3

    short = await refused_form(
        client, f"/admin/cohorts/{COHORT}/reopen", {"csrf_token": CSRF, "reason": "oops"}, page=SELECTION
    )
    assert 'href="#reason"' in short.text
    assert re.search(r'<textarea[^>]*name="reason"[^>]*>oops</textarea>', short.text)  # as typed
    assert "at least 20 characters" in short.text
    assert await reopened(service) == []

    done = await client.post(f"/admin/cohorts/{COHORT}/reopen", data={"csrf_token": CSRF, "reason": REASON})
    assert done.status_code == 303
    assert done.headers["location"] == f"{SELECTION}?done=reopened"
    page = await client.get(done.headers["location"])
    assert "Selection is reopened" in page.text
    assert "Confirm selection" in page.text
    assert REASON in page.text  # the history of reopenings
    assert len(await reopened(service)) == 3

    again = await client.post(f"/admin/cohorts/{COHORT}/close", data={"csrf_token": CSRF})
    assert again.status_code == 303
    assert len(await finals(service)) == 6


async def test_after_the_window_the_page_explains_and_refuses_reopening(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await scored_cohort(client, service)
    assert (await client.post(f"/cohorts/{COHORT}/close", headers=admin(service))).status_code == 200
    await confirmed_hours_ago(service, 25)
    pages_as(client, service, "admin-1", Role.ADMIN)

    page = await client.get(SELECTION)
    assert "can no longer be reopened" in page.text
    assert 'name="reason"' not in page.text
    refused = await refused_form(
        client, f"/admin/cohorts/{COHORT}/reopen", {"csrf_token": CSRF, "reason": REASON}, page=SELECTION
    )

    assert "There is a problem" in refused.text
    assert 'href="#reason"' in refused.text
    assert "can no longer be reopened" in refused.text
    assert await reopened(service) == []
    assert "There is a problem" not in (await client.get(SELECTION)).text  # a reload sends nothing


async def test_the_selection_pages_need_an_admin_and_a_genuine_form(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await scored_cohort(client, service)
    for role in (Role.ASSESSOR, Role.TRAINER):
        pages_as(client, service, "someone", role)
        assert (await client.get(SELECTION)).status_code == 303
        for action in ("close", "reopen"):
            sent = await client.post(
                f"/admin/cohorts/{COHORT}/{action}", data={"csrf_token": CSRF, "reason": REASON}
            )
            assert sent.status_code == 303
            assert "sign-in" in sent.headers["location"]
    assert await finals(service) == []

    pages_as(client, service, "admin-1", Role.ADMIN)
    forged = await client.post(f"/admin/cohorts/{COHORT}/close", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    assert await finals(service) == []
    assert (await client.post(f"/admin/cohorts/{COHORT}/close", data={"csrf_token": CSRF})).status_code == 303
    forged = await client.post(
        f"/admin/cohorts/{COHORT}/reopen", data={"csrf_token": "forged", "reason": REASON}
    )
    assert forged.status_code == 400
    assert await reopened(service) == []
    unknown = await client.get("/admin/cohorts/no-such-cohort/selection")
    assert unknown.status_code == 404


async def test_confirming_or_reopening_twice_at_once_is_done_once(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    import asyncio

    await scored_cohort(client, service)
    pages_as(client, service, "admin-1", Role.ADMIN)

    confirms = await asyncio.gather(
        *(client.post(f"/admin/cohorts/{COHORT}/close", data={"csrf_token": CSRF}) for _ in range(2))
    )
    assert [a.status_code for a in confirms] == [303, 303], [a.text[-300:] for a in confirms]
    assert sorted(a.headers["location"] for a in confirms) == [SELECTION, f"{SELECTION}?done=closed"]
    told = await client.get(SELECTION)  # the second is told why, on the page (no form left for it)
    assert "There is a problem" in told.text
    assert 'href="#main-content"' in told.text
    assert "already closed" in told.text
    assert len(await finals(service)) == 3

    reopens = await asyncio.gather(
        *(
            client.post(f"/admin/cohorts/{COHORT}/reopen", data={"csrf_token": CSRF, "reason": REASON})
            for _ in range(2)
        )
    )
    assert [a.status_code for a in reopens] == [303, 303], [a.text[-300:] for a in reopens]
    assert sorted(a.headers["location"] for a in reopens) == [SELECTION, f"{SELECTION}?done=reopened"]
    told = await client.get(SELECTION)
    assert "there is nothing to reopen" in told.text
    assert len(await reopened(service)) == 3  # one reopening: one event per candidate taken back
