"""The assessor's and the programme admin's pages, over HTTP with the in-memory broker and real
PostgreSQL (the browser tests drive the same pages through the whole platform)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import httpx
import pytest
from rtw_assessment import screening, second_stage
from rtw_assessment.configuration import config_in_force
from rtw_assessment.domain import default_config
from rtw_assessment.models import Assessor, Assignment
from rtw_contracts import (
    AdjustmentKind,
    ApplicationSubmittedV2,
    CareerBreakReason,
    Programme,
    SecondStageSubmitted,
)
from rtw_contracts.examples import example
from rtw_contracts.types import CareerBreak, SecondStageAnswer
from rtw_platform.auth import Principal, Role, issue_session_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.forms import refused
from rtw_platform.testing.welsh import without_language_switch
from sqlmodel import select

pytestmark = pytest.mark.component

COHORT = "ict-pages"
CSRF = "test-csrf-token"
T0 = datetime(2020, 10, 2, 9, 0, tzinfo=UTC)
ICT = default_config(Programme.ICT)


def signed_in_as(client: httpx.AsyncClient, service: ServiceRuntime, subject: str, role: Role) -> None:
    secret = service.settings.token_secret.get_secret_value()
    client.cookies.set("rtw_session", issue_session_token(secret, Principal(subject=subject, role=role)))
    client.cookies.set("rtw_csrf", CSRF)


async def submission_with_two_assessors(
    service: ServiceRuntime, **second_stage_values: Any
) -> ApplicationSubmittedV2:
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
        for number in (1, 2):
            uow.session.add(
                Assessor(
                    id=f"assessor-{number}",
                    display_name=f"Assessor {number}",
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
        submitted_at=T0,
        answers=[SecondStageAnswer(question_id="ict-problem", answer="I rebuilt a repairs service.")],
        **second_stage_values,
    )
    async with service.uow_factory() as uow:
        await second_stage.record_second_stage(event, uow)
        await uow.commit()
    return applied


async def assignment_of(service: ServiceRuntime, assessor_id: str) -> Assignment:
    async with service.uow_factory() as uow:
        return (await uow.session.exec(select(Assignment).where(Assignment.assessor_id == assessor_id))).one()


async def test_pages_need_the_right_person_signed_in(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    nobody = await client.get("/queue")
    assert nobody.status_code == 303
    assert nobody.headers["location"].startswith("/applications/account/staff-sign-in?next=")
    signed_in_as(client, service, "assessor-1", Role.ASSESSOR)
    assessor_on_admin = await client.get("/admin")
    assert assessor_on_admin.status_code == 303
    signed_in_as(client, service, "admin-1", Role.ADMIN)
    forged = await client.post(f"/admin/cohorts/{COHORT}/configuration", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    assert "could not be sent" in forged.text


async def test_an_assessor_scores_a_blind_submission(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await submission_with_two_assessors(service)
    assignment = await assignment_of(service, "assessor-1")
    signed_in_as(client, service, "assessor-1", Role.ASSESSOR)

    queue = await client.get("/queue")
    assert queue.status_code == 200
    assert f'href="/queue/{assignment.id}"' in queue.text
    assert "You have 1 submission to score" in queue.text

    blind = await client.get(f"/queue/{assignment.id}")
    assert blind.status_code == 200
    assert "I rebuilt a repairs service." in blind.text
    for personal in ("Zebedee", "Quartermaine", "@example.org", "2016"):
        assert personal not in blind.text

    others = (await assignment_of(service, "assessor-2")).id
    other = await client.get(f"/queue/{others}")
    unknown = await client.get(f"/queue/{uuid4()}")
    assert other.status_code == unknown.status_code == 404  # as if there were none
    assert "There is no such assignment in your queue." in other.text
    # the same page (but for the language switch, which links to this very address)
    assert without_language_switch(other.text) == without_language_switch(unknown.text)
    for page in (f"/queue/{others}/scorecard", f"/queue/{others}/conflict"):
        assert (await client.get(page)).status_code == 404

    url = f"/queue/{assignment.id}/scorecard"
    moved = await client.get(url)  # the scorecard is on the submission's page
    assert (moved.status_code, moved.headers["location"]) == (303, f"/queue/{assignment.id}#scorecard")
    form = await client.get(f"/queue/{assignment.id}")
    assert form.status_code == 200
    # the evidence under its question, and the scorecard with this criterion's own anchors
    assert "Tell us about a technical problem you solved for the people who used your service." in form.text
    assert "Answer to question" not in form.text
    assert "Solid hands-on work in the specialism" in form.text
    assert form.text.count('type="radio"') == 4 * len(ICT.rubric.criteria) + 4
    assert "checked" not in form.text  # nothing chosen for the assessor
    assert re.search(r'<textarea[^>]*name="comments"[^>]*></textarea>', form.text)  # empty, not "None"

    page = f"/queue/{assignment.id}"
    partial = await refused(client, url, {"csrf_token": CSRF, "scores-technical_depth": "3"}, page=page)
    assert "There is a problem" in partial.text
    assert 'href="#scores-problem_solving"' in partial.text
    assert 'href="#recommendation"' in partial.text
    assert 'href="#scores-technical_depth"' not in partial.text
    assert 'value="3" checked' in partial.text  # what was chosen is kept

    # Declaring a conflict without saying how is asked again, on its own page.
    conflict = f"/queue/{assignment.id}/conflict"
    vague = await refused(client, conflict, {"csrf_token": CSRF, "reason": "Me"})
    assert "Say how you know the candidate in at least 5 characters." in vague.text
    assert ">Me</textarea>" in vague.text
    assert "There is a problem" not in (await client.get(conflict)).text  # shown once

    full = {f"scores-{c.id}": "3" for c in ICT.rubric.criteria}
    sent = await client.post(
        url, data={"csrf_token": CSRF, **full, "recommendation": "yes", "comments": "Clear."}
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == "/queue?done=scored"
    after = await client.get(sent.headers["location"])
    assert "Your scorecard has been sent." in after.text
    assert (await assignment_of(service, "assessor-1")).status == "submitted"
    mine = await client.get(f"/queue/{assignment.id}")  # my scorecard, as I sent it
    assert mine.text.count("checked") == len(ICT.rubric.criteria) + 1
    assert "Save changes to my scorecard" in mine.text
    assert ">Clear.</textarea>" in mine.text


async def test_adjusted_evidence_is_shown_as_such_with_the_written_answers_on_the_same_rubric(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await submission_with_two_assessors(
        service,
        video=None,
        adjustments=[AdjustmentKind.WRITTEN_ALTERNATIVE_TO_VIDEO],
        written_alternative="I want to bring my service design skills back to my council.",
    )
    assignment = await assignment_of(service, "assessor-1")
    signed_in_as(client, service, "assessor-1", Role.ASSESSOR)

    page = await client.get(f"/queue/{assignment.id}")

    assert page.status_code == 200
    assert 'id="adjusted-evidence"' in page.text
    assert "Written answers instead of the video." in page.text
    assert "Score it on the same rubric" in page.text
    assert "I want to bring my service design skills back to my council." in page.text
    assert "No video was sent." in page.text
    # the rubric is the cohort's own, unchanged for adjusted evidence
    assert page.text.count('type="radio"') == 4 * len(ICT.rubric.criteria) + 4


async def test_evidence_without_adjustments_says_nothing_of_them(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await submission_with_two_assessors(service)
    assignment = await assignment_of(service, "assessor-1")
    signed_in_as(client, service, "assessor-1", Role.ASSESSOR)

    page = await client.get(f"/queue/{assignment.id}")

    assert "adjusted-evidence" not in page.text
    assert "written-alternative" not in page.text


async def test_an_admin_changes_capacity_as_a_new_version_and_sees_the_funnel(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await submission_with_two_assessors(service)
    signed_in_as(client, service, "admin-1", Role.ADMIN)

    cohorts = await client.get("/admin")
    assert cohorts.status_code == 200
    assert f'href="/admin/cohorts/{COHORT}"' in cohorts.text

    url = f"/admin/cohorts/{COHORT}/configuration"
    form = await client.get(url)
    assert 'name="capacity"' in form.text
    fields = {
        "csrf_token": CSRF,
        "capacity": "12",
        "waitlist_size": "3",
        "shortlist_rule": "threshold",
        "shortlist_threshold": "50",
        "second_stage_days": "14",
        "window_opens_on-day": "1",
        "window_opens_on-month": "9",
        "window_opens_on-year": "2020",
    }
    wrong = await refused(client, url, {**fields, "capacity": "lots", "window_closes_on-day": "31"})
    assert re.search(r'<input[^>]*name="capacity"[^>]*value="lots"', wrong.text)  # what was typed is kept
    assert 'href="#capacity"' in wrong.text
    assert 'href="#window_closes_on-day"' in wrong.text
    assert re.search(r'<input[^>]*name="score_gap"[^>]*value="25"', form.text)
    out_of_range = await refused(client, url, {**fields, "recommendation_spread": "4", "score_gap": ""})
    assert 'href="#recommendation_spread"' in out_of_range.text
    assert 'href="#score_gap"' in out_of_range.text
    saved = await client.post(url, data=fields)  # a form without the calibration fields keeps them
    assert saved.status_code == 303
    calibrated = await client.post(url, data={**fields, "recommendation_spread": "3", "score_gap": "40"})
    assert calibrated.status_code == 303
    async with service.uow_factory() as uow:
        in_force = await config_in_force(uow, COHORT)
    assert in_force is not None
    assert (in_force.version, in_force.config.capacity, in_force.config.waitlist_size) == (3, 12, 3)
    assert in_force.config.window_opens_on == date(2020, 9, 1)
    assert in_force.config.rubric == ICT.rubric.model_copy(
        update={"recommendation_spread": 3, "score_gap": 40}
    )
    page = await client.get(saved.headers["location"])
    assert "Configuration in force: version 3" in page.text
    assert "admin-1" in page.text  # the history names who saved it

    funnel = await client.get("/admin/funnel")
    assert funnel.status_code == 200
    assert 'class="rtw-bar rtw-width-100"' in funnel.text
    assert "Second stage sent: 1" in funnel.text


async def test_closing_shortlisting_twice_goes_back_to_the_cohort_saying_why(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    """Post/redirect/get for a refusal of the use case too: the second close (Back, then the
    button again) is answered 303 back to the cohort's page, which says why, and a reload of that
    page sends nothing again."""
    await submission_with_two_assessors(service)
    signed_in_as(client, service, "admin-1", Role.ADMIN)
    cohort = f"/admin/cohorts/{COHORT}"
    shortlist = f"{cohort}/shortlist"
    threshold = await refused(client, shortlist, {"csrf_token": CSRF}, page=cohort)
    assert "There is a problem" in threshold.text
    assert "there is no shortlist to close" in threshold.text
    assert 'href="#main-content"' in threshold.text  # a problem with the whole form

    fields = {
        "csrf_token": CSRF,
        "capacity": "12",
        "waitlist_size": "3",
        "shortlist_rule": "size",
        "shortlist_size": "1",
        "second_stage_days": "14",
        "window_opens_on-day": "1",
        "window_opens_on-month": "9",
        "window_opens_on-year": "2020",
    }
    assert (await client.post(f"{cohort}/configuration", data=fields)).status_code == 303
    closed = await client.post(shortlist, data={"csrf_token": CSRF})
    assert closed.status_code == 303
    assert closed.headers["location"] == f"{cohort}?done=shortlisted"
    assert "Shortlisting closed on" in (await client.get(closed.headers["location"])).text

    again = await refused(client, shortlist, {"csrf_token": CSRF}, page=cohort)
    assert "There is a problem" in again.text
    assert f"Shortlisting of cohort {COHORT} is already closed" in again.text
    reloaded = await client.get(cohort)  # the page shown next forgets the problem
    assert "There is a problem" not in reloaded.text

    forged = await client.post(shortlist, data={"csrf_token": "forged"})
    assert forged.status_code == 400
    assert "could not be sent" in forged.text
    unknown = await client.post("/admin/cohorts/no-such-cohort/shortlist", data={"csrf_token": CSRF})
    assert unknown.status_code == 404
    signed_in_as(client, service, "assessor-1", Role.ASSESSOR)
    assessor = await client.post(shortlist, data={"csrf_token": CSRF})
    assert assessor.status_code == 303
    assert "sign-in" in assessor.headers["location"]
