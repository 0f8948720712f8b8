"""Assessors correct their own scorecards until scoring closes; admins resolve disagreements between
assessors (a third assessor, or moderation with a reason); an open disagreement blocks selection.
Over HTTP (the pages and the API) with the in-memory broker and real PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from rtw_assessment import screening, second_stage
from rtw_assessment.domain import default_config
from rtw_assessment.models import Assessor, Assignment, Calibration, Candidacy, ConflictOfInterest, Scorecard
from rtw_contracts import (
    ApplicationSubmittedV2,
    AssessmentScored,
    CareerBreakReason,
    Programme,
    SecondStageSubmitted,
)
from rtw_contracts.examples import example
from rtw_contracts.types import CareerBreak, SecondStageAnswer
from rtw_platform.auth import Principal, Role, issue_session_token, issue_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.forms import refused as refused_form
from sqlalchemy import text
from sqlmodel import select

pytestmark = pytest.mark.component

COHORT = "ict-calibration"
CSRF = "test-csrf-token"
T0 = datetime(2020, 10, 2, 9, 0, tzinfo=UTC)
RUBRIC = default_config(Programme.ICT).rubric
CRITERIA = [c.id for c in RUBRIC.criteria]
CALIBRATION = f"/admin/cohorts/{COHORT}/calibration"


def api_as(service: ServiceRuntime, subject: str, role: Role) -> dict[str, str]:
    secret = service.settings.token_secret.get_secret_value()
    return {"Authorization": f"Bearer {issue_token(secret, Principal(subject=subject, role=role))}"}


def pages_as(client: httpx.AsyncClient, service: ServiceRuntime, subject: str, role: Role) -> None:
    secret = service.settings.token_secret.get_secret_value()
    client.cookies.set("rtw_session", issue_session_token(secret, Principal(subject=subject, role=role)))
    client.cookies.set("rtw_csrf", CSRF)


async def candidate_with_second_stage(service: ServiceRuntime, *assessors: str) -> ApplicationSubmittedV2:
    """A shortlisted ICT candidate whose second stage went to two of the given assessors."""
    application_id = uuid4()
    applied = example(
        ApplicationSubmittedV2,
        event_id=uuid4(),
        correlation_id=application_id,
        application_id=application_id,
        candidate_id=uuid4(),
        cohort_id=COHORT,
        submitted_at=T0,
        years_experience=8.5,
        career_break=CareerBreak(start=date(2016, 4, 1), end=None, reason=CareerBreakReason.CARING),
    )
    async with service.uow_factory() as uow:
        for assessor_id in assessors:
            if await uow.session.get(Assessor, assessor_id) is None:
                uow.session.add(
                    Assessor(
                        id=assessor_id,
                        display_name=assessor_id,
                        programmes=["ict"],
                        created_at=datetime.now(UTC),
                    )
                )
        await screening.screen_application(applied, uow)
        await uow.commit()
    event = example(
        SecondStageSubmitted,
        event_id=uuid4(),
        correlation_id=application_id,
        application_id=application_id,
        candidate_id=applied.candidate_id,
        cohort_id=COHORT,
        submitted_at=T0 + timedelta(days=3),
        answers=[SecondStageAnswer(question_id="ict-change", answer="Cloud hosting; I am retraining.")],
    )
    async with service.uow_factory() as uow:
        await second_stage.record_second_stage(event, uow)
        await uow.commit()
    return applied


async def assignments_of(service: ServiceRuntime, application_id: UUID) -> list[Assignment]:
    async with service.uow_factory() as uow:
        rows = await uow.session.exec(
            select(Assignment)
            .where(Assignment.application_id == application_id)
            .order_by(Assignment.assessor_id)
        )
        return list(rows.all())


def card(value: int, recommendation: str) -> dict[str, Any]:
    return {"scores": dict.fromkeys(CRITERIA, value), "recommendation": recommendation}


def form(value: int, recommendation: str, **extra: str) -> dict[str, str]:
    return {
        "csrf_token": CSRF,
        **{f"scores-{c}": str(value) for c in CRITERIA},
        "recommendation": recommendation,
        **extra,
    }


async def send(
    client: httpx.AsyncClient, service: ServiceRuntime, assignment: Assignment, body: dict[str, Any]
) -> None:
    sent = await client.post(
        f"/assessor/assignments/{assignment.id}/scorecard",
        json=body,
        headers=api_as(service, assignment.assessor_id, Role.ASSESSOR),
    )
    assert sent.status_code == 201, sent.text


async def second_stage_decisions(service: ServiceRuntime, application_id: UUID) -> list[AssessmentScored]:
    async with service.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM assessment.outbox WHERE event_type = 'AssessmentScored' ORDER BY id")
        )
        events = [AssessmentScored.model_validate(row.payload) for row in rows]
    return [e for e in events if e.application_id == application_id and e.stage == "second_stage"]


async def candidacy_of(service: ServiceRuntime, application_id: UUID) -> Candidacy:
    async with service.uow_factory() as uow:
        found = await uow.session.get(Candidacy, application_id)
        assert found is not None
        return found


async def calibration_of(service: ServiceRuntime, application_id: UUID) -> Calibration | None:
    async with service.uow_factory() as uow:
        return await uow.session.get(Calibration, application_id)


async def disagreeing(
    client: httpx.AsyncClient, service: ServiceRuntime, *assessors: str
) -> ApplicationSubmittedV2:
    """A candidate one assessor scored strong yes and the other strong no."""
    applied = await candidate_with_second_stage(service, *assessors)
    first, second = [a for a in await assignments_of(service, applied.application_id)][:2]
    await send(client, service, first, card(4, "strong_yes"))
    await send(client, service, second, card(1, "strong_no"))
    return applied


# --------------------------------------------------------------------------- assessors


async def test_an_assessor_corrects_their_scorecard_and_the_candidate_is_scored_again(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    applied = await candidate_with_second_stage(service, "a1", "a2")
    mine, theirs = await assignments_of(service, applied.application_id)
    await send(client, service, theirs, card(3, "yes"))
    pages_as(client, service, "a1", Role.ASSESSOR)
    page = await client.get(f"/queue/{mine.id}")
    assert "How has technology in your field changed during your break" in page.text
    sent = await client.post(f"/queue/{mine.id}/scorecard", data=form(3, "yes"))
    assert sent.headers["location"] == "/queue?done=scored"
    [first] = await second_stage_decisions(service, applied.application_id)
    assert first.score == pytest.approx(200 / 3, abs=0.01)

    changed = await client.post(
        f"/queue/{mine.id}/scorecard", data=form(4, "strong_yes", comments="Re-read.")
    )

    assert (changed.status_code, changed.headers["location"]) == (303, "/queue?done=changed")
    assert "Your scorecard has been changed." in (await client.get(changed.headers["location"])).text
    decisions = await second_stage_decisions(service, applied.application_id)
    assert [d.score for d in decisions] == [first.score, pytest.approx((200 / 3 + 100) / 2, abs=0.01)]
    async with service.uow_factory() as uow:
        kept = await uow.session.get(Scorecard, mine.id)
    assert kept is not None
    assert (kept.recommendation, kept.comments, kept.changes) == ("strong_yes", "Re-read.", 1)
    again = await client.get(f"/queue/{mine.id}")
    assert "You last changed this scorecard on" in again.text
    assert 'value="strong_yes" checked' in again.text


async def test_an_assessor_sees_and_changes_only_their_own_scorecards(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    applied = await candidate_with_second_stage(service, "a1", "a2")
    mine, theirs = await assignments_of(service, applied.application_id)
    await send(client, service, mine, card(3, "yes"))
    await send(client, service, theirs, card(3, "yes"))
    pages_as(client, service, "a2", Role.ASSESSOR)

    seen = await client.get(f"/queue/{mine.id}")
    changed = await client.post(f"/queue/{mine.id}/scorecard", data=form(1, "strong_no"))
    api = await client.put(
        f"/assessor/assignments/{mine.id}/scorecard",
        json=card(1, "strong_no"),
        headers=api_as(service, "a2", Role.ASSESSOR),
    )

    assert seen.status_code == changed.status_code == api.status_code == 404
    assert "There is no such assignment in your queue." in changed.text
    async with service.uow_factory() as uow:
        kept = await uow.session.get(Scorecard, mine.id)
    assert kept is not None
    assert (kept.recommendation, kept.changes) == ("yes", 0)


async def test_a_scorecard_change_needs_the_forms_csrf_token(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    applied = await candidate_with_second_stage(service, "a1", "a2")
    mine, _ = await assignments_of(service, applied.application_id)
    await send(client, service, mine, card(3, "yes"))
    pages_as(client, service, "a1", Role.ASSESSOR)

    forged = await client.post(f"/queue/{mine.id}/scorecard", data=form(1, "strong_no", csrf_token="forged"))

    assert forged.status_code == 400
    async with service.uow_factory() as uow:
        kept = await uow.session.get(Scorecard, mine.id)
    assert kept is not None
    assert (kept.recommendation, kept.changes) == ("yes", 0)


async def test_after_selection_closes_scoring_a_scorecard_cannot_change(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    applied = await candidate_with_second_stage(service, "a1", "a2")
    mine, theirs = await assignments_of(service, applied.application_id)
    await send(client, service, mine, card(3, "yes"))
    await send(client, service, theirs, card(3, "yes"))
    closed = await client.post(f"/cohorts/{COHORT}/close", headers=api_as(service, "admin-1", Role.ADMIN))
    assert closed.status_code == 200, closed.text
    pages_as(client, service, "a1", Role.ASSESSOR)

    page_url = f"/queue/{mine.id}"
    page = await client.get(page_url)
    refused = await refused_form(client, f"/queue/{mine.id}/scorecard", form(1, "strong_no"), page=page_url)
    api = await client.put(
        f"/assessor/assignments/{mine.id}/scorecard",
        json=card(1, "strong_no"),
        headers=api_as(service, "a1", Role.ASSESSOR),
    )

    assert page.status_code == 200
    assert "Scoring for cohort ict-calibration closed on" in page.text
    assert "<form" not in page.text.split('id="scorecard"')[1]  # my scores, to read only
    assert api.status_code == 409
    summary = refused.text.split('class="govuk-error-summary', 1)[1].split("</div>", 2)[:2]
    assert "scorecards can no longer be sent or changed" in "".join(summary)  # said as the problem
    assert "scorecards can no longer be sent or changed" in api.json()["detail"]
    async with service.uow_factory() as uow:
        kept = await uow.session.get(Scorecard, mine.id)
    assert kept is not None
    assert (kept.recommendation, kept.changes) == ("yes", 0)


async def test_a_scorecard_sent_twice_at_once_is_saved_once_and_the_other_is_told(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    applied = await candidate_with_second_stage(service, "a1", "a2")
    mine, _ = await assignments_of(service, applied.application_id)
    pages_as(client, service, "a1", Role.ASSESSOR)

    answers = await asyncio.gather(
        *(client.post(f"/queue/{mine.id}/scorecard", data=form(3, "yes")) for _ in range(4))
    )

    assert [a.status_code for a in answers] == [303] * 4
    places = sorted(a.headers["location"] for a in answers)
    assert places == [f"/queue/{mine.id}"] * 3 + ["/queue?done=scored"], places  # one saved, 3 told
    refused = await client.get(f"/queue/{mine.id}")
    assert "change it instead" in refused.text.split('class="govuk-error-summary', 1)[1].split("</ul>")[0]
    async with service.uow_factory() as uow:
        kept = await uow.session.get(Scorecard, mine.id)
    assert kept is not None
    assert kept.changes == 0


async def test_a_retired_assessor_still_signed_in_sees_and_changes_nothing(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    applied = await candidate_with_second_stage(service, "a1", "a2")
    mine, _ = await assignments_of(service, applied.application_id)
    await send(client, service, mine, card(3, "yes"))
    retired = await client.put(
        "/assessors/a1",
        json={"id": "a1", "display_name": "a1", "programmes": ["ict"], "active": False},
        headers=api_as(service, "admin-1", Role.ADMIN),
    )
    assert retired.status_code == 200, retired.text
    pages_as(client, service, "a1", Role.ASSESSOR)  # a session from before they were retired

    queue = await client.get("/queue")
    seen = await client.get(f"/queue/{mine.id}")
    changed = await client.post(f"/queue/{mine.id}/scorecard", data=form(1, "strong_no"))
    api = await client.put(
        f"/assessor/assignments/{mine.id}/scorecard",
        json=card(1, "strong_no"),
        headers=api_as(service, "a1", Role.ASSESSOR),
    )

    assert queue.status_code == seen.status_code == changed.status_code == api.status_code == 403
    assert "retired" in changed.text
    async with service.uow_factory() as uow:
        kept = await uow.session.get(Scorecard, mine.id)
    assert kept is not None
    assert (kept.recommendation, kept.changes) == ("yes", 0)


# --------------------------------------------------------------------------- calibration


async def test_an_open_disagreement_blocks_selection_forced_or_not(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    applied = await disagreeing(client, service, "a1", "a2")
    found = await calibration_of(service, applied.application_id)
    assert found is not None
    assert found.status == "open"
    admin = api_as(service, "admin-1", Role.ADMIN)

    api = await client.post(f"/cohorts/{COHORT}/close?force=true", headers=admin)
    pages_as(client, service, "admin-1", Role.ADMIN)
    # refused as the API refuses it: 303 back to the selection page, which says why
    page = await refused_form(
        client,
        f"/admin/cohorts/{COHORT}/close",
        {"csrf_token": CSRF, "force": "yes"},
        page=f"/admin/cohorts/{COHORT}/selection",
    )

    assert api.status_code == 409
    assert api.json()["detail"].startswith("1 disagreement between assessors is still open")
    assert "There is a problem" in page.text
    assert 'href="#force"' in page.text
    assert "1 disagreement between assessors is still open" in page.text
    assert (await candidacy_of(service, applied.application_id)).selection_outcome is None
    cohort = await client.get(f"/admin/cohorts/{COHORT}")
    assert "1 disagreement between assessors is still open" in cohort.text
    listed = await client.get(CALIBRATION)
    assert listed.status_code == 200
    assert "strong no against strong yes" in listed.text
    assert len(
        re.findall(r'<td [^>]*class="govuk-table__cell govuk-table__cell--numeric"[^>]*>4</td>', listed.text)
    ) == len(CRITERIA)
    assert len(
        re.findall(r'<td [^>]*class="govuk-table__cell govuk-table__cell--numeric"[^>]*>1</td>', listed.text)
    ) == len(CRITERIA)


async def test_a_third_assessor_without_a_conflict_settles_a_disagreement(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    applied = await disagreeing(client, service, "a1", "a2", "a3", "a4")
    async with service.uow_factory() as uow:
        # a3 knows the candidate; a4 is free (a1 and a2 have scored already)
        uow.session.add(
            ConflictOfInterest(
                assessor_id="a3",
                candidate_id=applied.candidate_id,
                reason="Former colleague",
                declared_by="a3",
                declared_at=datetime.now(UTC),
            )
        )
        await uow.commit()
    pages_as(client, service, "admin-1", Role.ADMIN)
    url = f"{CALIBRATION}/{applied.application_id}/third-assessor"

    asked = await client.post(url, data={"csrf_token": CSRF})

    assert asked.status_code == 303
    assert "who=a4" in asked.headers["location"]
    third = next(a for a in await assignments_of(service, applied.application_id) if a.assessor_id == "a4")
    assert third.status == "pending"
    found = await calibration_of(service, applied.application_id)
    assert found is not None
    assert (found.status, found.third_assignment_id) == ("third_asked", third.id)
    again = await refused_form(client, url, {"csrf_token": CSRF}, page=CALIBRATION)
    assert "Only an open disagreement can go to a third assessor." in again.text
    still = await client.post(f"/cohorts/{COHORT}/close", headers=api_as(service, "admin-1", Role.ADMIN))
    assert still.status_code == 409  # waiting for the third scorecard

    await send(client, service, third, card(3, "yes"))

    found = await calibration_of(service, applied.application_id)
    assert found is not None
    assert found.status == "settled_by_third"
    decisions = await second_stage_decisions(service, applied.application_id)
    assert decisions[-1].score == pytest.approx((100 + 200 / 3) / 2, abs=0.01)  # the closest two
    closed = await client.post(f"/cohorts/{COHORT}/close", headers=api_as(service, "admin-1", Role.ADMIN))
    assert closed.status_code == 200, closed.text


async def test_a_third_assessor_asked_twice_at_once_is_asked_once(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    applied = await disagreeing(client, service, "a1", "a2")
    await candidate_with_second_stage(service, "a3", "a4")  # two more ICT assessors, one free of it
    pages_as(client, service, "admin-1", Role.ADMIN)
    url = f"{CALIBRATION}/{applied.application_id}/third-assessor"

    answers = await asyncio.gather(*(client.post(url, data={"csrf_token": CSRF}) for _ in range(3)))

    # All are answered with a redirect to the calibration page: one asked, two with the reason.
    places = sorted(a.headers.get("location", str(a.status_code)) for a in answers)
    assert places[:2] == [CALIBRATION] * 2, places
    assert places[2].startswith(f"{CALIBRATION}?done=third"), places
    assert "Only an open disagreement can go to a third assessor." in (await client.get(CALIBRATION)).text
    assert len(await assignments_of(service, applied.application_id)) == 3


async def test_with_no_free_assessor_the_admin_is_told_to_add_one_or_moderate(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    applied = await disagreeing(client, service, "a1", "a2")
    pages_as(client, service, "admin-1", Role.ADMIN)

    refused = await refused_form(
        client,
        f"{CALIBRATION}/{applied.application_id}/third-assessor",
        {"csrf_token": CSRF},
        page=CALIBRATION,
    )

    assert "No active assessor of this programme is free" in refused.text
    found = await calibration_of(service, applied.application_id)
    assert found is not None
    assert found.status == "open"


async def test_a_moderated_outcome_with_its_reason_is_what_selection_uses(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    applied = await disagreeing(client, service, "a1", "a2")
    pages_as(client, service, "admin-1", Role.ADMIN)
    url = f"{CALIBRATION}/{applied.application_id}/moderation"
    page = await client.get(url)
    assert page.status_code == 200
    assert "checked" not in page.text

    no_reason = await refused_form(client, url, form(2, "no", reason=""))
    assert 'value="2" checked' in no_reason.text  # what was chosen is kept
    assert 'href="#reason"' in no_reason.text
    assert (await calibration_of(service, applied.application_id)).status == "open"  # type: ignore[union-attr]

    done = await client.post(url, data=form(2, "no", reason="The answers lack any current practice."))

    assert (done.status_code, done.headers["location"]) == (303, f"{CALIBRATION}?done=moderated")
    found = await calibration_of(service, applied.application_id)
    assert found is not None
    assert (found.status, found.resolved_by) == ("moderated", "admin-1")
    assert found.moderation_reason == "The answers lack any current practice."
    moderated = (await second_stage_decisions(service, applied.application_id))[-1]
    assert moderated.decision_kind == "override"
    assert moderated.score == pytest.approx(100 / 3, abs=0.01)
    candidacy = await candidacy_of(service, applied.application_id)
    assert candidacy.second_stage_score == pytest.approx(100 / 3, abs=0.01)
    listed = await client.get(f"{CALIBRATION}?done=moderated")
    assert "The moderated scores are recorded" in listed.text
    assert "The answers lack any current practice." in listed.text
    # an assessor's later correction does not undo the moderation
    first = (await assignments_of(service, applied.application_id))[0]
    changed = await client.put(
        f"/assessor/assignments/{first.id}/scorecard",
        json=card(4, "strong_yes"),
        headers=api_as(service, first.assessor_id, Role.ASSESSOR),
    )
    assert changed.status_code == 200
    assert (await candidacy_of(service, applied.application_id)).second_stage_score == pytest.approx(
        100 / 3, abs=0.01
    )

    closed = await client.post(f"/cohorts/{COHORT}/close", headers=api_as(service, "admin-1", Role.ADMIN))

    assert closed.status_code == 200, closed.text
    final = await client.get(
        f"/applications/{applied.application_id}/decisions", headers=api_as(service, "admin-1", Role.ADMIN)
    )
    last = final.json()[-1]
    assert last["inputs"]["second_stage_score"] == pytest.approx(100 / 3, abs=0.01)


async def test_calibration_is_for_admins_and_its_actions_need_the_forms_csrf_token(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    applied = await disagreeing(client, service, "a1", "a2", "a3")
    base = f"{CALIBRATION}/{applied.application_id}"
    pages_as(client, service, "a1", Role.ASSESSOR)
    for attempt in (
        client.get(CALIBRATION),
        client.get(f"{base}/moderation"),
        client.post(f"{base}/third-assessor", data={"csrf_token": CSRF}),
        client.post(f"{base}/moderation", data=form(2, "no", reason="An assessor moderating.")),
    ):
        response = await attempt
        assert response.status_code == 303
        assert "staff-sign-in" in response.headers["location"]
    api = await client.get(f"/cohorts/{COHORT}/calibration", headers=api_as(service, "a1", Role.ASSESSOR))
    assert api.status_code == 403

    pages_as(client, service, "admin-1", Role.ADMIN)
    forged_third = await client.post(f"{base}/third-assessor", data={"csrf_token": "forged"})
    forged_moderation = await client.post(
        f"{base}/moderation", data=form(2, "no", reason="A forged moderation.", csrf_token="forged")
    )
    assert forged_third.status_code == forged_moderation.status_code == 400
    found = await calibration_of(service, applied.application_id)
    assert found is not None
    assert (found.status, found.third_assignment_id, found.moderated_score) == ("open", None, None)
    unknown = await client.get(f"{CALIBRATION}/{uuid4()}/moderation")
    malformed = await client.get(f"{CALIBRATION}/not-an-id/moderation")
    assert unknown.status_code == malformed.status_code == 404
    assert "There is no such disagreement in this cohort." in malformed.text


async def test_a_third_assessor_who_knows_the_candidate_gives_the_disagreement_back_to_the_admin(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    applied = await disagreeing(client, service, "a1", "a2", "a3")
    admin = api_as(service, "admin-1", Role.ADMIN)
    asked = await client.post(
        f"/cohorts/{COHORT}/calibration/{applied.application_id}/third-assessor", headers=admin
    )
    assert asked.json() == {"assessor_id": "a3"}
    third = next(a for a in await assignments_of(service, applied.application_id) if a.assessor_id == "a3")

    declared = await client.post(
        f"/assessor/assignments/{third.id}/conflict",
        json={"reason": "We worked together."},
        headers=api_as(service, "a3", Role.ASSESSOR),
    )

    assert declared.status_code == 200, declared.text
    found = await calibration_of(service, applied.application_id)
    assert found is not None
    assert (found.status, found.third_assignment_id) == ("open", None)
    listed = (await client.get(f"/cohorts/{COHORT}/calibration", headers=admin)).json()
    assert listed["open"] == 1
    assert (await client.post(f"/cohorts/{COHORT}/close", headers=admin)).status_code == 409


async def test_a_correction_that_makes_the_assessors_agree_resolves_the_disagreement(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    applied = await disagreeing(client, service, "a1", "a2")
    _, strong_no = (await assignments_of(service, applied.application_id))[:2]
    pages_as(client, service, strong_no.assessor_id, Role.ASSESSOR)

    corrected = await client.post(f"/queue/{strong_no.id}/scorecard", data=form(4, "yes"))

    assert corrected.headers["location"] == "/queue?done=changed"
    found = await calibration_of(service, applied.application_id)
    assert found is not None
    assert (found.status, found.resolved_by) == ("agreed", "assessment")
    assert (await candidacy_of(service, applied.application_id)).second_stage_score == 100
    again = await client.post(f"/queue/{strong_no.id}/scorecard", data=form(1, "strong_no"))
    assert again.status_code == 303
    found = await calibration_of(service, applied.application_id)
    assert found is not None
    assert (found.status, found.resolved_by) == ("open", None)  # disagreeing again


async def test_scorecards_that_score_one_criterion_only_are_scored_not_refused(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    """Every criterion but one at the lowest: that criterion is the whole score, and its share,
    worked out from a rounded maximum, must not come out above 1 (it did: a 500)."""
    applied = await candidate_with_second_stage(service, "a1", "a2")
    first, second = await assignments_of(service, applied.application_id)
    lopsided = {"scores": {c: (2 if n == 0 else 1) for n, c in enumerate(CRITERIA)}, "recommendation": "yes"}
    await send(client, service, first, lopsided)
    await send(client, service, second, lopsided)
    decisions = await second_stage_decisions(service, applied.application_id)
    assert decisions, "no second-stage decision was published"
    assert all(0 <= factor.share <= 1 for d in decisions for factor in d.breakdown)
