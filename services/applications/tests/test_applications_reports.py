"""Programme insight against a generated cohort whose right answers are known in advance."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import pytest_asyncio
from faststream.rabbit import TestRabbitBroker
from rtw_applications.app import SERVICE
from rtw_applications.testing import submitted_application
from rtw_contracts import (
    AssessmentScored,
    CandidateHired,
    CouncilRegistered,
    Event,
    VacancyPosted,
    WithdrawalReason,
)
from rtw_contracts.examples import example
from rtw_platform.auth import Principal, Role, issue_session_token, issue_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for

pytestmark = pytest.mark.component

COUNCIL = uuid4()
HOURS = 30
# Per hire: (agency £30 - employed £15.71) x 30 hours x 46 weeks + £24,000 (low estimate).
LOW_PER_HIRE = (3000 - 1571) * HOURS * 46 + 2_400_000
HIGH_PER_HIRE = (3500 - 1571) * HOURS * 46 + 2_400_000


@pytest_asyncio.fixture
async def service(
    start_service: Callable[..., Any], open_cohorts: dict[str, str], tmp_path: Any
) -> AsyncIterator[tuple[ServiceRuntime, httpx.AsyncClient]]:
    runtime = await start_service(
        SERVICE, in_memory_broker=True, relay_enabled=False, file_store_url=f"file://{tmp_path}"
    )
    async with TestRabbitBroker(runtime.broker):
        transport = httpx.ASGITransport(app=app_for(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://a") as client:
            yield runtime, client


async def deliver(runtime: ServiceRuntime, event: Event) -> None:
    await runtime.broker.publish(
        event.model_dump(mode="json"),
        exchange=runtime.topology.events_exchange,
        routing_key=event.ROUTING_KEY,
    )


def decision(
    application_id: str, candidate_id: UUID, outcome: str, stage: str, at: datetime, **more: Any
) -> AssessmentScored:
    return example(
        AssessmentScored,
        event_id=uuid4(),
        application_id=UUID(application_id),
        candidate_id=candidate_id,
        cohort_id="ict-test",
        stage=stage,
        outcome=outcome,
        decided_at=at,
        next_step_deadline=None,
        **more,
    )


async def test_reports_match_a_cohort_with_known_answers(
    service: tuple[ServiceRuntime, httpx.AsyncClient], make_application: Callable[..., dict[str, Any]]
) -> None:
    runtime, client = service
    secret = runtime.settings.token_secret.get_secret_value()
    admin = {"Authorization": f"Bearer {issue_token(secret, Principal('admin', Role.ADMIN))}"}
    start = datetime.now(UTC) - timedelta(days=30)
    # 12 women (9 shortlisted), 8 men (4 shortlisted), 3 who answered "other" (a group too small
    # to show); 3 applicants live in London, the rest in the West Midlands; 1 ineligible man.
    people: list[tuple[str, UUID, str]] = []
    plan = (
        [("female", i < 9) for i in range(12)]
        + [("male", i < 4) for i in range(8)]
        + [("other", True) for _ in range(3)]
    )
    for index, (sex, shortlisted) in enumerate(plan):
        district = "E1" if index < 3 else "WS1"
        region = "london" if index < 3 else "west_midlands"
        form = make_application(
            postcode_district=district, equality_monitoring={"sex": sex, "age_band": "35-44"}
        )
        form["work_preferences"] = {**form["work_preferences"], "visible_to_regions": [region]}
        receipt = await submitted_application(client, secret, form)
        people.append((receipt["application_id"], UUID(receipt["candidate_id"]), sex))
        application_id, candidate_id, _ = people[-1]
        if sex == "male" and index == 19:
            await deliver(
                runtime,
                decision(
                    application_id,
                    candidate_id,
                    "ineligible",
                    "screening",
                    start + timedelta(days=2),
                    reasons=[{"code": "insufficient_experience", "message": "Needs 2 years."}],
                ),
            )
            continue
        outcome = "shortlisted" if shortlisted else "not_shortlisted"
        await deliver(
            runtime, decision(application_id, candidate_id, outcome, "screening", start + timedelta(days=2))
        )
    # Two of the shortlisted women are selected and hired (30 hours a week).
    await deliver(
        runtime,
        example(
            CouncilRegistered,
            event_id=uuid4(),
            council_id=COUNCIL,
            gss_code="E08000030",
            name="Walsall",
            region="west_midlands",
        ),
    )
    for application_id, candidate_id, _ in people[3:5]:
        await deliver(
            runtime, decision(application_id, candidate_id, "selected", "final", start + timedelta(days=10))
        )
        await deliver(
            runtime,
            example(
                CandidateHired,
                event_id=uuid4(),
                match_id=uuid4(),
                application_id=UUID(application_id),
                candidate_id=candidate_id,
                council_id=COUNCIL,
                hours_per_week=HOURS,
                hired_at=start + timedelta(days=20),
            ),
        )
    # Two vacancies: one near the selected candidates (Walsall), one far away (Newcastle, on site).
    near, far = uuid4(), uuid4()
    await deliver(
        runtime,
        example(
            VacancyPosted,
            event_id=uuid4(),
            vacancy_id=near,
            council_id=COUNCIL,
            work_mode="on_site",
            base_postcode_districts=["WS1"],
        ),
    )
    await deliver(
        runtime,
        example(
            VacancyPosted,
            event_id=uuid4(),
            vacancy_id=far,
            council_id=COUNCIL,
            work_mode="on_site",
            base_postcode_districts=["NE1"],
        ),
    )
    # One withdraws.
    withdrawer = people[6]
    token = issue_token(secret, Principal(str(withdrawer[1]), Role.CANDIDATE))
    await client.post(
        f"/applications/{withdrawer[0]}/withdraw",
        json={"reason": WithdrawalReason.FOUND_WORK.value},
        headers={"Authorization": f"Bearer {token}"},
    )

    funnel = (await client.get("/reports/funnel?cohort_id=ict-test", headers=admin)).json()
    steps = {s["step"]: s["people"] for s in funnel["steps"]}
    assert steps["submitted"] == 23
    assert steps["eligible"] == 22
    assert steps["shortlisted"] == 9 + 4 + 3
    assert steps["selected"] == 2
    assert steps["hired"] == 2
    assert funnel["drop_off"]["ineligibility_reasons"] == {"insufficient_experience": 1}
    assert funnel["drop_off"]["withdrawal_reasons"] == {"found_work": 1}
    hired_wait = next(s for s in funnel["steps"] if s["step"] == "selected")["median_days_to_next"]
    assert hired_wait is None  # selected → trained did not happen

    reach = (await client.get("/reports/reach?cohort_id=ict-test", headers=admin)).json()
    assert reach["share_outside_london_and_south_east"] == round(20 / 23, 4)
    assert reach["per_region"]["london"]["applicants"] == 3
    assert reach["per_region"]["west_midlands"]["hired"] == 2
    assert reach["councils_signed_up_per_region"] == {"west_midlands": 1}
    assert reach["vacancies_with_no_candidate_within_travel_distance"] == [str(far)]

    fairness = (await client.get("/reports/fairness?cohort_id=ict-test", headers=admin)).json()
    shortlisting = {r["group"]: r for r in fairness["sex"] if r["step"] == "shortlisted"}
    assert shortlisting["female"]["pass_rate"] == 0.75
    assert shortlisting["male"]["pass_rate"] == 0.5
    assert shortlisting["female"]["below_four_fifths"] is False
    assert shortlisting["male"]["ratio_to_highest"] == round(0.5 / 0.75, 4)
    assert shortlisting["male"]["below_four_fifths"] is True
    assert shortlisting["other"]["people"] == "fewer than 5"
    assert shortlisting["other"]["pass_rate"] is None
    assert "application_id" not in json.dumps(fairness)  # never a per-person view

    savings = (await client.get("/reports/savings?cohort_id=ict-test", headers=admin)).json()
    assert savings["total"] == {"hires": 2, "low_pence": 2 * LOW_PER_HIRE, "high_pence": 2 * HIGH_PER_HIRE}
    assert savings["per_council"]["Walsall"]["hires"] == 2
    assert savings["assumptions"]["employed_hourly_pence"] == 1571
    custom = (
        await client.get("/reports/savings?cohort_id=ict-test&recruitment_cost_pence=0", headers=admin)
    ).json()
    assert custom["total"]["low_pence"] == 2 * (LOW_PER_HIRE - 2_400_000)
    await the_reports_page_works_out_savings_with_the_admins_assumptions(runtime)

    csv_text = (await client.get("/reports/funnel?cohort_id=ict-test&format=csv", headers=admin)).text
    assert csv_text.splitlines()[0] == "step,people,median_days_to_next"
    assert (await client.get("/reports/funnel")).status_code == 401
    assert (await client.get("/reports/nonsense", headers=admin)).status_code == 422

    # Erasing a hired candidate leaves every count as it was.
    erased = people[3]
    token = issue_token(secret, Principal(str(erased[1]), Role.CANDIDATE))
    assert (
        await client.post(f"/candidates/{erased[1]}/erasure", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 200
    assert (await client.get("/reports/funnel?cohort_id=ict-test", headers=admin)).json()["steps"] == funnel[
        "steps"
    ]
    assert (await client.get("/reports/savings?cohort_id=ict-test", headers=admin)).json()[
        "total"
    ] == savings["total"]
    after = (await client.get("/reports/fairness?cohort_id=ict-test", headers=admin)).json()
    assert after == fairness


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("recruitment_cost_pence=-5", "recruitment_cost_pence", "greater than or equal to 0"),
        ("agency_hourly_low_pence=-1", "agency_hourly_low_pence", "greater than or equal to 0"),
        ("employed_hourly_pence=100000000000000000000000", "employed_hourly_pence", "less than or equal"),
        ("recruitment_cost_pence=100000001", "recruitment_cost_pence", "less than or equal"),
        (
            "agency_hourly_low_pence=4000&agency_hourly_high_pence=3000",
            "agency_hourly_high_pence",
            "low and the high",
        ),
        ("employed_hourly_pence=ten", "employed_hourly_pence", "integer"),
        ("programme=astronaut", "programme", "ict"),
        (f"cohort_id={'x' * 65}", "cohort_id", "at most 64"),
    ],
)
async def test_report_assumptions_and_filters_out_of_range_get_422_naming_them(
    service: tuple[ServiceRuntime, httpx.AsyncClient], query: str, field: str, words: str
) -> None:
    runtime, client = service
    secret = runtime.settings.token_secret.get_secret_value()
    admin = {"Authorization": f"Bearer {issue_token(secret, Principal('admin', Role.ADMIN))}"}
    for report in ("savings", "funnel"):
        answer = await client.get(f"/reports/{report}?{query}", headers=admin)
        assert answer.status_code == 422, (report, answer.text)
        problems = {e["field"]: e["message"] for e in answer.json()["errors"]}
        assert field in problems, problems
        assert words in problems[field], problems
    fine = await client.get("/reports/savings?recruitment_cost_pence=0&programme=ict", headers=admin)
    assert fine.status_code == 200


async def the_reports_page_works_out_savings_with_the_admins_assumptions(runtime: ServiceRuntime) -> None:
    """On the reports page an admin changes the savings assumptions (in pounds) and sees the
    estimate worked out with them, as the API's query does; mistakes are shown beside the boxes."""
    secret = runtime.settings.token_secret.get_secret_value()
    base = "/admin/reports?cohort_id=ict-test&programme="
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_for(runtime)), base_url="http://a"
    ) as page:
        # Only an admin sees it.
        page.cookies.set("rtw_session", issue_session_token(secret, Principal("c-1", Role.CANDIDATE)))
        assert (await page.get(base)).status_code == 303
        page.cookies.set("rtw_session", issue_session_token(secret, Principal("admin", Role.ADMIN)))
        standard = await page.get(base)
        assert standard.status_code == 200
        assert f"£{round(2 * LOW_PER_HIRE / 100):,}" in standard.text
        assert 'value="15.71"' in standard.text  # the standard assumptions fill the boxes

        changed = await page.get(
            base + "&agency_low=£30&agency_high=35.00&employed=15.71&weeks=46&recruitment=0"
        )
        assert changed.status_code == 200, changed.text
        assert f"£{round(2 * (LOW_PER_HIRE - 2_400_000) / 100):,}" in changed.text
        assert "use the assumptions you entered" in changed.text

        wrong = await page.get(base + "&agency_low=30&agency_high=20&employed=lots&weeks=60&recruitment=")
        assert wrong.status_code == 400
        for message in (
            "The agency&#39;s high hourly cost must not be less than its low one",
            "Enter the returner&#39;s hourly cost as an amount of money",
            "Enter the working weeks a year",
            "Enter the recruitment cost avoided, in pounds",
        ):
            assert message in wrong.text
        assert 'href="#agency_high"' in wrong.text
        assert f"£{round(2 * LOW_PER_HIRE / 100):,}" in wrong.text  # the standard estimate meanwhile


@pytest.mark.unit
def test_a_step_reached_before_the_one_it_follows_waits_no_days_not_negative_ones() -> None:
    """Matching can come before the certificate: the wait from "trained" to "matched" is then
    nothing, never a negative number of days (the demo printed "-0.0")."""
    from rtw_applications.reports import Person, funnel

    day = datetime(2026, 11, 2, tzinfo=UTC)
    people = [
        Person(
            application_id=uuid4(),
            programme="ict",
            cohort_id="ict-test",
            region=None,
            district=None,
            max_travel_km=None,
            reached={"trained": day + timedelta(hours=hours), "matched": day},
            codes={},
        )
        for hours in (1, 2, 30)
    ]
    waits = {s["step"]: s["median_days_to_next"] for s in funnel(people)["steps"]}
    assert waits["trained"] == 0
    assert str(waits["trained"]) == "0.0"
