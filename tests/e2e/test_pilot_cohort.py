"""A cohort shaped like the 2016 pilot (169 registered → 44 second stage → 20 selected), played
through the real applications and assessment services over RabbitMQ and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from rtw_applications.app import SERVICE as APPLICATIONS
from rtw_applications.testing import application_form, submitted_application
from rtw_assessment.app import SERVICE as ASSESSMENT
from rtw_assessment.domain import default_config
from rtw_assessment.models import Candidacy, Decision
from rtw_contracts import Programme
from rtw_platform import reference
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for
from rtw_platform.testing.waiting import eventually
from sqlmodel import select

pytestmark = pytest.mark.e2e

APPLICANTS = 170
SHORTLIST = 44
CAPACITY = 20
WAITLIST = 5
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 4000
SKILLS = [
    "Programming and build (software engineering)",
    "Systems design",
    "Modern development standards",
    "Systems integration",
    "User focus",
    "Prototyping",
    "Information security",
    "Service support",
]


def applicant(rng: random.Random, index: int, districts: list[str]) -> dict[str, Any]:
    """A generated applicant; about one in six fails a gate."""
    gate = rng.random()
    form = application_form(
        email=f"pilot.{index}@example.org",
        given_name=f"Candidate{index}",
        postcode_district=rng.choice(districts),
        years_experience=round(rng.uniform(2, 20), 1),
        specialisms=rng.sample(["software_developer", "data_analyst", "security_specialist"], k=1),
        skills=[{"skill": s, "level": rng.randint(1, 4)} for s in rng.sample(SKILLS, k=rng.randint(3, 8))],
    )
    if "software_developer" not in form["specialisms"]:
        form["specialisms"].append("software_developer")
    if gate < 0.06:
        form["right_to_work"] = False
    elif gate < 0.12:
        form["career_break"] = {"start": "2025-06", "end": "2025-12", "reason": "caring"}
    elif gate < 0.17:
        form["years_experience"] = 1.5
    return form


async def test_a_pilot_sized_cohort_selects_twenty_with_every_decision_explained(
    start_service: Callable[..., Any], open_cohorts: dict[str, str], tmp_path: Path
) -> None:
    store = f"file://{tmp_path}"
    applications: ServiceRuntime = await start_service(APPLICATIONS, file_store_url=store)
    assessment: ServiceRuntime = await start_service(ASSESSMENT, file_store_url=store)
    secret = assessment.settings.token_secret.get_secret_value()
    admin = {"Authorization": f"Bearer {issue_token(secret, Principal('lga-admin', Role.ADMIN))}"}
    cohort = open_cohorts["ict"]
    rng = random.Random(2016)
    districts = rng.sample(sorted(reference.postcode_districts()), 400)

    apps_http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_for(applications)), base_url="http://a"
    )
    assess_http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_for(assessment)), base_url="http://b"
    )
    async with apps_http, assess_http:
        config = default_config(Programme.ICT).model_copy(
            update={
                "shortlist_size": SHORTLIST,
                "shortlist_threshold": None,
                "capacity": CAPACITY,
                "waitlist_size": WAITLIST,
            }
        )
        put = await assess_http.put(
            f"/cohorts/{cohort}/config", json=config.model_dump(mode="json"), headers=admin
        )
        assert put.status_code == 200, put.text
        config_version = put.json()["version"]
        assert config_version == 1  # the cohort's first configuration: no defaults were saved before it

        tokens: dict[str, str] = {}
        for index in range(APPLICANTS):
            receipt = await submitted_application(apps_http, secret, applicant(rng, index, districts))
            tokens[receipt["application_id"]] = receipt["access_token"]

        async def all_screened() -> bool:
            funnel = (await assess_http.get(f"/cohorts/{cohort}/funnel", headers=admin)).json()
            return bool(funnel["applications"] == APPLICANTS)

        await eventually(all_screened, timeout=90, what="every application to be screened")
        closed = await assess_http.post(f"/cohorts/{cohort}/shortlist", headers=admin)
        assert closed.status_code == 200, closed.text
        assert closed.json()["shortlisted"] == SHORTLIST

        async def shortlisted_ids() -> list[str]:
            ids = []
            for application_id, token in tokens.items():
                view = (
                    await apps_http.get(
                        f"/applications/{application_id}", headers={"Authorization": f"Bearer {token}"}
                    )
                ).json()
                if view["status"] == "shortlisted":
                    ids.append(application_id)
            return ids if len(ids) == SHORTLIST else []

        invited = await eventually(shortlisted_ids, timeout=60, what="44 invitations in the journeys")
        answers = {
            "ict-problem": "I rebuilt a council's repairs booking service.",
            "ict-change": "Cloud and continuous delivery; I am retraining.",
            "ict-council": "Public service matters to me.",
        }
        for application_id in invited:
            sent = await apps_http.post(
                f"/applications/{application_id}/second-stage",
                data={"answers": json.dumps(answers)},
                files={"video": ("v.mp4", MP4, "video/mp4")},
                headers={"Authorization": f"Bearer {tokens[application_id]}"},
            )
            assert sent.status_code == 201, sent.text

        for number in range(1, 4):
            body = {"id": f"assessor-{number}", "display_name": f"Assessor {number}", "programmes": ["ict"]}
            assert (
                await assess_http.put(f"/assessors/assessor-{number}", json=body, headers=admin)
            ).status_code == 200

        async def all_assigned() -> bool:
            funnel = (await assess_http.get(f"/cohorts/{cohort}/funnel", headers=admin)).json()
            return bool(
                funnel["second_stage_submitted"] == SHORTLIST
                and funnel["pending_assignments"] == 2 * SHORTLIST
            )

        await eventually(all_assigned, timeout=60, what="two assessors for every second stage")
        loads: Counter[int] = Counter()
        for number in range(1, 4):
            token = issue_token(secret, Principal(f"assessor-{number}", Role.ASSESSOR))
            assessor = {"Authorization": f"Bearer {token}"}
            queue = (await assess_http.get("/assessor/queue", headers=assessor)).json()
            loads[number] = len(queue)
            for item in queue:
                blind = await assess_http.get(
                    f"/assessor/assignments/{item['assignment_id']}", headers=assessor
                )
                text = blind.text.lower()
                assert re.search(r"candidate\d", text) is None  # no name
                assert "@example.org" not in text
                assert "career_break" not in text
                scores = {c["id"]: rng.randint(1, 4) for c in blind.json()["rubric"]["criteria"]}
                card = {"scores": scores, "recommendation": "yes"}
                sent = await assess_http.post(
                    f"/assessor/assignments/{item['assignment_id']}/scorecard", json=card, headers=assessor
                )
                assert sent.status_code == 201, sent.text
        assert sum(loads.values()) == 2 * SHORTLIST
        assert max(loads.values()) - min(loads.values()) <= 1  # spread evenly

        # random scorecards disagree now and then: each open disagreement blocks selection until
        # the programme team moderates it
        calibration = (await assess_http.get(f"/cohorts/{cohort}/calibration", headers=admin)).json()
        for disputed in calibration["disagreements"]:
            if disputed["status"] == "open":
                moderated = await assess_http.post(
                    f"/cohorts/{cohort}/calibration/{disputed['application_id']}/moderation",
                    json={
                        "scores": dict.fromkeys(disputed["scorecards"][0]["scores"], 3),
                        "reason": "Panel view.",
                    },
                    headers=admin,
                )
                assert moderated.status_code == 200, moderated.text
        closed = await assess_http.post(f"/cohorts/{cohort}/close", headers=admin)
        assert closed.status_code == 200, closed.text
        assert closed.json() == {
            "selected": CAPACITY,
            "waitlisted": WAITLIST,
            "rejected": SHORTLIST - CAPACITY - WAITLIST,
        }

        async def journeys_final() -> Counter[str]:
            statuses: Counter[str] = Counter()
            for application_id, token in tokens.items():
                view = (
                    await apps_http.get(
                        f"/applications/{application_id}", headers={"Authorization": f"Bearer {token}"}
                    )
                ).json()
                statuses[view["status"]] += 1
            return (
                statuses
                if statuses["selected"] == CAPACITY
                and statuses["rejected"] == SHORTLIST - CAPACITY - WAITLIST
                else Counter()
            )

        statuses = await eventually(journeys_final, timeout=60, what="the outcomes in every journey")
    assert statuses["waitlisted"] == WAITLIST
    assert statuses["ineligible"] > 0
    assert statuses["ineligible"] + statuses["not_shortlisted"] + SHORTLIST == APPLICANTS

    async with assessment.uow_factory() as uow:
        candidacies = (await uow.session.exec(select(Candidacy).where(Candidacy.cohort_id == cohort))).all()
        decisions = (await uow.session.exec(select(Decision).where(Decision.cohort_id == cohort))).all()
    assert len(candidacies) == APPLICANTS
    assert {d.application_id for d in decisions} == {c.application_id for c in candidacies}
    for decision in decisions:  # every decision explained, with the versions it used
        assert decision.config_version == config_version  # the one the admin saved, never defaults
        assert decision.rule_set_version
        if decision.outcome == "ineligible":
            assert decision.reasons
            assert all(r["message"] for r in decision.reasons)
        else:
            assert decision.breakdown
            assert all(f["explanation"] for f in decision.breakdown)
    selected = sorted(
        (c for c in candidacies if c.selection_outcome == "selected"), key=lambda c: c.rank or 0
    )
    waitlisted = [c for c in candidacies if c.selection_outcome == "waitlisted"]
    assert min(c.final_score or 0 for c in selected) >= max(c.final_score or 0 for c in waitlisted)
    await asyncio.sleep(0)
