"""The public eligibility checker page: open cohorts, the configuration in force, the answer and
reasons screening then gives the same facts, every problem at once, nothing kept, no sign-in."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx
import pytest
from rtw_assessment import configuration, lifecycle, screening
from rtw_assessment.domain import default_config
from rtw_contracts import ApplicationSubmittedV2, CareerBreakReason, CohortScheduled, Programme
from rtw_contracts.events.cohorts import cohort_journey
from rtw_contracts.examples import example
from rtw_contracts.types import CareerBreak
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.welsh import untranslated, visible_texts, without_language_switch
from sqlalchemy import text

pytestmark = pytest.mark.component

TODAY = datetime.now(UTC).date()


async def open_cohort(service: ServiceRuntime, cohort_id: str, title: str, programme: Programme) -> None:
    event = CohortScheduled(
        event_id=uuid4(),
        correlation_id=cohort_journey(cohort_id),
        sequence=1,
        cohort_id=cohort_id,
        programme=programme,
        title=title,
        opens_on=TODAY - timedelta(days=5),
        closes_on=TODAY + timedelta(days=30),
        video_required=True,
        changed_at=datetime.now(UTC),
    )
    async with service.uow_factory() as uow:
        await lifecycle.record_schedule(event, uow)
        await uow.commit()


def reasons_on(page: str) -> list[str]:
    found = re.search(r'<ul class="govuk-list govuk-list--bullet" id="reasons">(.*?)</ul>', page, re.S)
    return [html.unescape(r) for r in re.findall(r"<li>(.*?)</li>", found.group(1))] if found else []


async def test_the_checker_answers_as_screening_does_with_the_cohorts_configuration(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    cohort = f"ict-check-{uuid4().hex[:6]}"
    await open_cohort(service, cohort, "ICT returners, spring", Programme.ICT)
    await open_cohort(service, f"sw-check-{uuid4().hex[:6]}", "Social work returners", Programme.SOCIAL_WORK)
    ict = default_config(Programme.ICT)
    stricter = ict.model_copy(
        update={
            "eligibility": ict.eligibility.model_copy(
                update={"version": "ict-rules-9", "min_years_experience": 5}
            )
        }
    )
    async with service.uow_factory() as uow:
        await configuration.save_config(uow, cohort, stricter, "admin-1")

    chooser = await client.get("/eligibility")
    assert chooser.status_code == 200
    assert "rtw_session" not in chooser.headers.get("set-cookie", "")
    assert "ICT returners, spring" in chooser.text
    assert "Social work returners" in chooser.text
    assert "one-way video" in chooser.text

    start = (TODAY.replace(day=1) - timedelta(days=200)).replace(day=1)  # about 6 months
    facts = {
        "cohort": cohort,
        "check": "yes",
        "right_to_work": "no",
        "start-month": str(start.month),
        "start-year": str(start.year),
        "reason": "own_health",
        "years": "3",
    }
    checked = await client.get("/eligibility", params=facts)
    assert checked.status_code == 200, checked.text[:3000]
    assert "You could not apply" in checked.text
    assert "ict-rules-9" in checked.text
    shown = reasons_on(checked.text)
    assert len(shown) == 3

    application_id = uuid4()
    event = example(
        ApplicationSubmittedV2,
        event_id=uuid4(),
        correlation_id=application_id,
        application_id=application_id,
        candidate_id=uuid4(),
        cohort_id=cohort,
        programme=Programme.ICT,
        submitted_at=datetime.now(UTC),
        right_to_work=False,
        career_break=CareerBreak(start=start, end=None, reason=CareerBreakReason.OWN_HEALTH),
        years_experience=3,
        professional_registration=None,
    )
    async with service.uow_factory() as uow:
        await screening.screen_application(event, uow)
        await uow.commit()
    async with service.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT payload FROM assessment.outbox WHERE event_type = 'AssessmentScored'"
                " AND payload->>'application_id' = :a"
            ),
            {"a": str(application_id)},
        )
        decided = [row.payload for row in rows]
    assert len(decided) == 1
    assert [r["message"] for r in decided[0]["reasons"]] == shown

    eligible = await client.get(
        "/eligibility",
        params={**facts, "right_to_work": "yes", "years": "6", "start-year": str(start.year - 3)},
    )
    assert eligible.status_code == 200
    assert "You can apply" in eligible.text
    assert f"/applications/apply/{cohort}" in eligible.text


async def test_the_checker_shows_every_problem_at_once_and_keeps_nothing(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    cohort = f"sw-check-{uuid4().hex[:6]}"
    await open_cohort(service, cohort, "Social work returners", Programme.SOCIAL_WORK)
    asked = await client.get("/eligibility", params={"cohort": cohort})
    assert "Social Work England" in asked.text  # the cohort's rules ask for a registration
    refused = await client.get("/eligibility", params={"cohort": cohort, "check": "yes", "start-month": "13"})
    assert refused.status_code == 400
    summary = refused.text.split('class="govuk-error-summary', 1)[1].split("</ul>", 1)[0]
    assert re.findall(r'href="#([^"]+)"', summary) == [
        "right_to_work",
        "start-month",
        "reason",
        "years",
        "body",
    ]
    unknown = await client.get("/eligibility", params={"cohort": "no-such-cohort", "check": "yes"})
    assert unknown.status_code == 400
    assert 'href="#cohort"' in unknown.text
    async with service.engine.connect() as conn:
        kept = await conn.execute(
            text("SELECT count(*) FROM assessment.candidacies WHERE cohort_id = :c"), {"c": cohort}
        )
        assert kept.scalar_one() == 0


async def test_a_month_of_thousands_of_digits_is_a_problem_not_an_error(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    """Python refuses to read more than 4,300 digits as a number: such a month was a 500."""
    cohort = f"ict-check-{uuid4().hex[:6]}"
    await open_cohort(service, cohort, "ICT returners", Programme.ICT)
    answers = {"cohort": cohort, "check": "yes", "right_to_work": "yes", "reason": "other", "years": "8"}
    for month in ("1" * 5000, "0" * 5000):
        refused = await client.get(
            "/eligibility", params={**answers, "start-month": month, "start-year": "2020"}
        )
        assert refused.status_code == 400
        summary = refused.text.split('class="govuk-error-summary', 1)[1].split("</ul>", 1)[0]
        assert re.findall(r'href="#([^"]+)"', summary) == ["start-month"]
        assert "must be a number from 1 to 12" in summary


async def test_every_problem_on_the_checker_is_in_welsh_on_the_welsh_page(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    """The checker's problems were written in English only (not marked for translation)."""
    cohort = f"sw-check-{uuid4().hex[:6]}"
    await open_cohort(service, cohort, "Social work returners", Programme.SOCIAL_WORK)
    await open_cohort(service, f"ict-check-{uuid4().hex[:6]}", "ICT returners", Programme.ICT)
    wrong = [
        {"check": "yes"},
        {"cohort": "no-such-cohort", "check": "yes"},
        {"cohort": cohort, "check": "yes"},
        {
            "cohort": cohort,
            "check": "yes",
            "start-month": "13",
            "start-year": "2020",
            "end-month": "1",
            "end-year": "20",
            "years": "99",
            "body": "Social Work England",
            "practised-month": "1",
            "practised-year": str(TODAY.year + 1),
        },
    ]
    for answers in wrong:
        english = await client.get("/eligibility", params={**answers, "lang": "en"})
        welsh = await client.get("/eligibility", params={**answers, "lang": "cy"})
        assert english.status_code == welsh.status_code == 400
        problems = visible_texts(english.text.split('class="govuk-error-summary', 1)[1].split("</ul>", 1)[0])
        left = untranslated(without_language_switch(welsh.text), without_language_switch(english.text))
        assert not [text for text in left if text in problems or text.startswith("Error")], left


async def test_the_reasons_are_in_welsh_on_the_welsh_page(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    """The reasons were the rules' English sentences, shown as they were on the Welsh page."""
    cohort = f"ict-check-{uuid4().hex[:6]}"
    await open_cohort(service, cohort, "ICT returners", Programme.ICT)
    start = (TODAY.replace(day=1) - timedelta(days=100)).replace(day=1)  # about 3 months
    answers = {
        "cohort": cohort,
        "check": "yes",
        "right_to_work": "no",
        "start-month": str(start.month),
        "start-year": str(start.year),
        "reason": "caring_for_children",
        "years": "0.5",
    }
    english = reasons_on((await client.get("/eligibility", params={**answers, "lang": "en"})).text)
    welsh = reasons_on((await client.get("/eligibility", params={**answers, "lang": "cy"})).text)
    assert len(english) == len(welsh) == 3
    assert "The programme is open to people with the right to work in the UK." in english
    assert "Mae'r rhaglen ar agor i bobl sydd â'r hawl i weithio yn y DU." in welsh
    assert not set(english) & set(welsh)
    assert any(r.startswith("Mae eich seibiant gyrfa i ofalu am rywun yn ") for r in welsh), welsh
