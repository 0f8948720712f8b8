"""The council side of matching over HTTP, with the in-memory broker and real PostgreSQL: sign-up and
sign-in, who may act for which council, proposals when a vacancy is posted, consent gating, search,
saved-search alerts, skill gaps, reach-out to hire, and candidates leaving the pool."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import pytest_asyncio
from faststream.rabbit import TestRabbitBroker
from rtw_contracts import (
    ApplicationSubmitted,
    ApplicationWithdrawn,
    AssessmentScored,
    CandidateErased,
    Event,
    TrainingCompleted,
    TrainingEnrolled,
    TrainingModuleCompleted,
)
from rtw_contracts.examples import example
from rtw_matching.app import SERVICE
from rtw_matching.models import CandidateContact, CandidateProfile, Interview, Offer
from rtw_platform import reference
from rtw_platform.auth import Principal, Role, issue_session_token, issue_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for
from rtw_platform.testing.links import mailed_link, token_of
from rtw_platform.testing.waiting import eventually
from sqlalchemy import text

pytestmark = pytest.mark.component

PUBLIC_URL = "https://matching.rtw.example"
WALSALL, BIRMINGHAM, MANCHESTER = "E08000030", "E08000025", "E08000003"
WESTERN_ISLES = "S12000013"  # Na h-Eileanan Siar (Stornoway)
GIVEN, FAMILY = "Zephyrine", "Quillfeather"
SALARY = {"min_pence": 3_000_000, "max_pence": 3_600_000}
HIRE = {"hired": True, "start_date": "2027-04-06", "hours_per_week": 30, "salary_band": SALARY}


# --------------------------------------------------------------------------- the world


@dataclass(frozen=True)
class Council:
    id: str
    headers: dict[str, str]
    link: str


@dataclass(frozen=True)
class Pooled:
    application: ApplicationSubmitted
    headers: dict[str, str]

    @property
    def ref(self) -> str:
        return str(self.application.application_id)

    @property
    def candidate_id(self) -> str:
        return str(self.application.candidate_id)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def submitted(
    *,
    district: str = "WS1",
    specialisms: tuple[str, ...] = ("data_analyst",),
    skills: dict[str, int] | None = None,
    years: float = 8.5,
    flexible: tuple[str, ...] = ("part_time",),
    travel: int = 25,
    regions: tuple[str, ...] = ("west_midlands",),
    councils: tuple[str, ...] = (),
    earliest: str | None = None,
    phone: str | None = None,
) -> ApplicationSubmitted:
    found = reference.postcode_district(district)
    assert found is not None
    application_id = uuid4()
    held = {"Data visualisation": 3, "Data management": 2} if skills is None else skills
    return example(
        ApplicationSubmitted,
        event_id=uuid4(),
        application_id=application_id,
        correlation_id=application_id,
        candidate_id=uuid4(),
        given_name=GIVEN,
        family_name=FAMILY,
        email=f"zq.{uuid4().hex[:10]}@example.org",
        phone=phone,
        postcode_district=district,
        region=found.region.value,
        years_experience=years,
        specialisms=list(specialisms),
        skills=[{"skill": s, "level": level} for s, level in held.items()],
        work_preferences={
            "flexible_working": list(flexible),
            "max_travel_km": travel,
            "visible_to_regions": list(regions),
            "visible_to_councils": list(councils),
            "earliest_start": earliest,
        },
    )


def selected(
    application: ApplicationSubmitted, outcome: str = "selected", *, sequence: int = 5, **more: Any
) -> AssessmentScored:
    return example(
        AssessmentScored,
        event_id=uuid4(),
        application_id=application.application_id,
        correlation_id=application.application_id,
        candidate_id=application.candidate_id,
        stage="final",
        outcome=outcome,
        sequence=sequence,
        **more,
    )


def promoted(application: ApplicationSubmitted) -> AssessmentScored:
    """A selected candidate left the cohort: the first on the waiting list takes the place (as
    assessment's `promote_from_waitlist` publishes it)."""
    return selected(application, sequence=6, decision_kind="waitlist_promotion")


def about(application: ApplicationSubmitted) -> dict[str, Any]:
    return {
        "event_id": uuid4(),
        "application_id": application.application_id,
        "correlation_id": application.application_id,
        "candidate_id": application.candidate_id,
    }


def vacancy_form(**changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "title": "Data analyst",
        "programme": "ict",
        "specialism": "data_analyst",
        "role": "Data analyst",
        "role_level": "Senior analyst",
        "required_skills": [
            {"skill": "Data visualisation", "level": 3},
            {"skill": "Data management", "level": 2},
        ],
        "base_postcode_districts": ["WS1"],
        "work_mode": "hybrid",
        "flexible_working": ["part_time"],
        "salary_band": SALARY,
        "hours_per_week": 30,
        "closing_date": (datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
    }
    form.update(changes)
    return form


@dataclass
class World:
    service: ServiceRuntime
    http: httpx.AsyncClient

    @property
    def secret(self) -> str:
        return self.service.settings.token_secret.get_secret_value()

    async def deliver(self, *events: Event) -> None:
        for event in events:
            await self.service.broker.publish(
                event.model_dump(mode="json"),
                exchange=self.service.topology.events_exchange,
                routing_key=event.ROUTING_KEY,
            )

    async def outbox(self, event_type: str) -> list[dict[str, Any]]:
        async with self.service.engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT payload FROM matching.outbox WHERE event_type = :t ORDER BY id"),
                {"t": event_type},
            )
            return [row.payload for row in rows]

    @property
    def admin(self) -> dict[str, str]:
        return bearer(issue_token(self.secret, Principal(subject="admin-1", role=Role.ADMIN)))

    async def sign_up(self, gss: str, contact: str = "Morag Fairweather") -> Council:
        """The council is claimed, a programme admin approves the claim, and its contact signs in
        with the link e-mailed on approval."""
        answer = await self.http.post(
            "/councils",
            json={
                "gss_code": gss,
                "contact_name": contact,
                "contact_email": f"{uuid4().hex[:8]}@council.example",
            },
        )
        assert answer.status_code == 201, answer.text
        council_id = answer.json()["council_id"]
        approved = await self.http.post(
            f"/council-claims/{answer.json()['claim_id']}/approve", headers=self.admin
        )
        assert approved.status_code == 200, approved.text
        invited = [e for e in await self.outbox("RecruiterInvited") if e["council_id"] == council_id]
        assert len(invited) == 1
        link = mailed_link(invited[0], self.secret)
        signed_in = await self.http.post("/recruiters/sign-in/token", json={"token": link.rsplit("/", 1)[1]})
        assert signed_in.status_code == 200, signed_in.text
        return Council(council_id, bearer(signed_in.json()["access_token"]), link)

    async def join(self, application: ApplicationSubmitted | None = None, **changes: Any) -> Pooled:
        application = application or submitted(**changes)
        await self.deliver(application, selected(application))
        token = issue_token(
            self.secret, Principal(subject=str(application.candidate_id), role=Role.CANDIDATE)
        )
        return Pooled(application, bearer(token))

    async def post_vacancy(self, council: Council, **changes: Any) -> str:
        answer = await self.http.post(
            f"/councils/{council.id}/vacancies", json=vacancy_form(**changes), headers=council.headers
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["vacancy_id"])

    async def proposals(self, vacancy_id: str) -> list[dict[str, Any]]:
        return [p for p in await self.outbox("MatchProposed") if p["vacancy_id"] == vacancy_id]

    async def search(self, council: Council, **filters: Any) -> dict[str, Any]:
        answer = await self.http.post(f"/councils/{council.id}/search", json=filters, headers=council.headers)
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    async def refs(self, council: Council, **filters: Any) -> list[str]:
        return [r["candidate_ref"] for r in (await self.search(council, **filters))["results"]]

    async def matches(self, council: Council, vacancy_id: str) -> list[dict[str, Any]]:
        answer = await self.http.get(f"/vacancies/{vacancy_id}/matches", headers=council.headers)
        assert answer.status_code == 200, answer.text
        found: list[dict[str, Any]] = answer.json()
        return found

    async def match_id(self, council: Council, vacancy_id: str, who: Pooled) -> str:
        found = [m for m in await self.matches(council, vacancy_id) if m["candidate_ref"] == who.ref]
        assert len(found) == 1, f"{who.ref} is not among the vacancy's matches"
        return str(found[0]["match_id"])


@pytest_asyncio.fixture
async def world(start_service: Callable[..., Any]) -> AsyncIterator[World]:
    runtime: ServiceRuntime = await start_service(
        SERVICE, in_memory_broker=True, relay_enabled=False, public_url=PUBLIC_URL
    )
    async with TestRabbitBroker(runtime.broker):
        transport = httpx.ASGITransport(app=app_for(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://matching") as http:
            yield World(runtime, http)


def assert_pseudonymous(answer: httpx.Response, *people: Pooled) -> None:
    """No name or e-mail address of any of these candidates in a council-facing response."""
    body = answer.text
    for who in people:
        for personal in (who.application.given_name, who.application.family_name, str(who.application.email)):
            assert personal not in body, f"{personal!r} is shown to the council: {body}"
    assert "@" not in body, body


# --------------------------------------------------------------------------- sign-up and sign-in


async def test_the_invitation_link_signs_the_recruiter_in_for_their_council_only(world: World) -> None:
    walsall = await world.sign_up(WALSALL)

    mine = await world.http.get(f"/councils/{walsall.id}", headers=walsall.headers)
    assert mine.status_code == 200, mine.text
    assert mine.json()["name"] == "Walsall"

    link_token = walsall.link.rsplit("/", 1)[1]
    # The link's token signs in; it is not itself an access token.
    as_access = await world.http.get(f"/councils/{walsall.id}", headers=bearer(link_token))
    assert as_access.status_code == 401
    forged = await world.http.post("/recruiters/sign-in/token", json={"token": link_token[:-4] + "AAAA"})
    assert forged.status_code == 403
    access = mine.request.headers["Authorization"].split()[1]
    assert (await world.http.post("/recruiters/sign-in/token", json={"token": access})).status_code == 403


async def test_an_invited_colleague_signs_in_and_acts_for_the_same_council(world: World) -> None:
    walsall = await world.sign_up(WALSALL)
    invited = await world.http.post(
        f"/councils/{walsall.id}/recruiters",
        json={"name": "Colleague", "email": "colleague@walsall.example"},
        headers=walsall.headers,
    )
    assert invited.status_code == 201, invited.text
    links = [
        e
        for e in await world.outbox("RecruiterInvited")
        if e["recruiter_id"] == invited.json()["recruiter_id"]
    ]
    assert len(links) == 1
    signed_in = await world.http.post(
        "/recruiters/sign-in/token", json={"token": token_of(mailed_link(links[0], world.secret))}
    )
    assert signed_in.status_code == 200
    colleague = bearer(signed_in.json()["access_token"])
    assert (await world.http.get(f"/councils/{walsall.id}", headers=colleague)).status_code == 200


async def test_a_recruiters_sign_in_link_works_only_once(world: World) -> None:
    walsall = await world.sign_up(WALSALL)  # uses the link once
    again = await world.http.post("/recruiters/sign-in/token", json={"token": walsall.link.rsplit("/", 1)[1]})
    assert again.status_code == 403


# --------------------------------------------------------------------------- who may act for a council


async def test_recruiters_act_only_for_their_own_council(world: World) -> None:
    walsall = await world.sign_up(WALSALL)
    birmingham = await world.sign_up(BIRMINGHAM)
    somebody = await world.join()
    vacancy_id = await world.post_vacancy(walsall)
    match_id = await world.match_id(walsall, vacancy_id, somebody)
    candidate = somebody.headers
    nobody: dict[str, str] = {}

    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"/councils/{walsall.id}", None),
        ("POST", f"/councils/{walsall.id}/vacancies", vacancy_form()),
        ("POST", f"/councils/{walsall.id}/search", {}),
        ("POST", f"/councils/{walsall.id}/saved-searches", {"name": "all", "filters": {}}),
        ("GET", f"/councils/{walsall.id}/alerts", None),
        ("GET", f"/vacancies/{vacancy_id}/matches", None),
        ("POST", f"/vacancies/{vacancy_id}/shortlist", {"candidate_ref": somebody.ref}),
        ("POST", f"/vacancies/{vacancy_id}/close", None),
        ("POST", f"/matches/{match_id}/reach-out", None),
        ("GET", f"/matches/{match_id}/contact", None),
    ]
    for method, url, body in calls:
        # Another council's things answer as unknown ones do (404), revealing nothing.
        for headers, expected in ((birmingham.headers, 404), (candidate, 404), (nobody, 401)):
            answer = await world.http.request(method, url, json=body, headers=headers)
            assert answer.status_code == expected, f"{method} {url} as {headers or 'nobody'}: {answer.text}"

    # Nothing happened: the vacancy is still open and the match still proposed.
    assert (await world.http.get(f"/councils/{walsall.id}", headers=walsall.headers)).json()["vacancies"] == [
        {"vacancy_id": vacancy_id, "title": "Data analyst", "status": "open", "proposed": 1, "hired": 0}
    ]
    assert [m["status"] for m in await world.matches(walsall, vacancy_id)] == ["proposed"]
    assert await world.outbox("ReachOutSent") == []


# --------------------------------------------------------------------------- proposals


async def test_posting_a_vacancy_proposes_only_pool_members_who_allow_the_council(world: World) -> None:
    walsall = await world.sign_up(WALSALL)
    by_region = await world.join(district="B15")
    by_name = await world.join(district="M1", regions=("north_west",), councils=(WALSALL,))
    elsewhere = await world.join(district="M1", regions=("north_west",))
    birmingham_only = await world.join(district="B15", regions=(), councils=(BIRMINGHAM,))
    not_selected = submitted()
    await world.deliver(not_selected, selected(not_selected, "rejected"))
    only_applied = submitted()
    await world.deliver(only_applied)

    posted = await world.http.post(
        f"/councils/{walsall.id}/vacancies", json=vacancy_form(work_mode="remote"), headers=walsall.headers
    )
    assert posted.status_code == 201, posted.text
    assert posted.json()["candidates_scored"] == 2
    vacancy_id = posted.json()["vacancy_id"]

    proposals = await world.proposals(vacancy_id)
    assert sorted(p["candidate_id"] for p in proposals) == sorted(
        [by_region.candidate_id, by_name.candidate_id]
    )
    for proposal in proposals:
        assert proposal["council_id"] == walsall.id
        assert proposal["score"] >= 55
        assert {f["name"] for f in proposal["factors"]} >= {"role_fit", "skills", "distance"}
    matches = await world.matches(walsall, vacancy_id)
    assert sorted(m["candidate_ref"] for m in matches) == sorted([by_region.ref, by_name.ref])
    assert [m["score"] for m in matches] == sorted((m["score"] for m in matches), reverse=True)

    unseen = {
        elsewhere.ref,
        birmingham_only.ref,
        str(not_selected.application_id),
        str(only_applied.application_id),
    }
    assert set(await world.refs(walsall, radius_km=1000)) == {by_region.ref, by_name.ref}
    assert not unseen & set(await world.refs(walsall, vacancy_id=vacancy_id, sort="score"))


async def test_a_low_score_is_not_proposed(world: World) -> None:
    walsall = await world.sign_up(WALSALL)
    await world.join(specialisms=("project_manager",), skills={}, years=1, travel=1, district="M1")
    vacancy_id = await world.post_vacancy(walsall, work_mode="on_site")
    assert await world.proposals(vacancy_id) == []
    assert await world.matches(walsall, vacancy_id) == []


async def test_a_vacancy_proposes_its_best_candidates_up_to_the_limit(world: World) -> None:
    admin = bearer(issue_token(world.secret, Principal(subject="admin-1", role=Role.ADMIN)))
    saved = await world.http.put("/weights", json={"proposals_per_vacancy": 2}, headers=admin)
    assert saved.status_code == 200, saved.text
    walsall = await world.sign_up(WALSALL)
    best = await world.join(years=10)
    second = await world.join(years=9)
    await world.join(years=6)
    vacancy_id = await world.post_vacancy(walsall)

    proposals = await world.proposals(vacancy_id)
    assert sorted(p["candidate_id"] for p in proposals) == sorted([best.candidate_id, second.candidate_id])
    assert {p["weights_version"] for p in proposals} == {"v1"}

    # A better candidate joining later is proposed and displaces the weakest proposal: the vacancy
    # keeps its best two.
    newcomer = await world.join(years=10, skills={"Data visualisation": 4, "Data management": 4})
    assert [p["candidate_id"] for p in await world.proposals(vacancy_id)][-1] == newcomer.candidate_id
    assert sorted(m["candidate_ref"] for m in await world.matches(walsall, vacancy_id)) == sorted(
        [newcomer.ref, best.ref]
    )
    # The displaced candidate is not proposed again, but a search still finds them to shortlist.
    await world.deliver(second.application.model_copy(update={"event_id": uuid4()}))
    assert len(await world.proposals(vacancy_id)) == 3
    assert second.ref in await world.refs(walsall, vacancy_id=vacancy_id, sort="score")
    shortlisted = await world.http.post(
        f"/vacancies/{vacancy_id}/shortlist", json={"candidate_ref": second.ref}, headers=walsall.headers
    )
    assert shortlisted.status_code == 201, shortlisted.text
    assert {m["candidate_ref"]: m["status"] for m in await world.matches(walsall, vacancy_id)} == {
        newcomer.ref: "proposed",
        best.ref: "proposed",
        second.ref: "shortlisted",
    }


async def test_a_better_candidate_never_displaces_a_proposal_the_council_acted_on(world: World) -> None:
    admin = bearer(issue_token(world.secret, Principal(subject="admin-1", role=Role.ADMIN)))
    assert (await world.http.put("/weights", json={"proposals_per_vacancy": 1}, headers=admin)).is_success
    walsall = await world.sign_up(WALSALL)
    first = await world.join(years=6)
    vacancy_id = await world.post_vacancy(walsall)
    shortlisted = await world.http.post(
        f"/vacancies/{vacancy_id}/shortlist", json={"candidate_ref": first.ref}, headers=walsall.headers
    )
    assert shortlisted.status_code == 201, shortlisted.text

    await world.join(years=10)  # better, but the only place is taken by a shortlisted candidate
    assert [p["candidate_id"] for p in await world.proposals(vacancy_id)] == [first.candidate_id]
    assert [m["candidate_ref"] for m in await world.matches(walsall, vacancy_id)] == [first.ref]


async def test_a_pair_is_proposed_again_only_when_its_score_moves_materially(world: World) -> None:
    walsall = await world.sign_up(WALSALL)
    candidate = await world.join()
    vacancy_id = await world.post_vacancy(
        walsall,
        required_skills=[
            {"skill": "Data visualisation", "level": 3},
            {"skill": "Data management", "level": 2},
            {"skill": "Data engineering", "level": 3},
        ],
    )
    first = await world.proposals(vacancy_id)
    # Role 20 + skills 2/3 of 30 + experience 8.5 + distance 15 + flexible 10 + training 0 + availability 5.
    assert [(p["candidate_id"], p["score"]) for p in first] == [(candidate.candidate_id, 78.5)]

    # The same application and selection again: no second proposal.
    await world.deliver(candidate.application.model_copy(update={"event_id": uuid4()}))
    await world.deliver(selected(candidate.application))
    assert len(await world.proposals(vacancy_id)) == 1

    # Enrolling adds 3 points: the match's score follows, but it is not proposed again.
    enrolled = example(TrainingEnrolled, **about(candidate.application))
    assert sum(1 for m in enrolled.modules if m.required) == 3
    await world.deliver(enrolled)
    assert len(await world.proposals(vacancy_id)) == 1
    assert [m["score"] for m in await world.matches(walsall, vacancy_id)] == [81.5]

    # A module that brings the missing skill to the level needed moves it by 12: proposed again.
    module = example(
        TrainingModuleCompleted,
        **about(candidate.application),
        enrolment_id=enrolled.enrolment_id,
        skills=[{"skill": "Data engineering", "level": 3}],
    )
    await world.deliver(module)
    proposals = await world.proposals(vacancy_id)
    assert [p["score"] for p in proposals] == [78.5, 93.5]
    assert proposals[0]["match_id"] == proposals[1]["match_id"]
    skills = next(f for f in proposals[1]["factors"] if f["name"] == "skills")
    assert skills["points"] == skills["max_points"] == 30
    assert [m["score"] for m in await world.matches(walsall, vacancy_id)] == [93.5]


async def test_a_closed_vacancy_gets_no_more_proposals(world: World) -> None:
    walsall = await world.sign_up(WALSALL)
    vacancy_id = await world.post_vacancy(walsall)
    closed = await world.http.post(f"/vacancies/{vacancy_id}/close", headers=walsall.headers)
    assert closed.json() == {"vacancy_id": vacancy_id, "status": "closed"}
    await world.join()
    assert await world.proposals(vacancy_id) == []
    again = await world.http.post(f"/vacancies/{vacancy_id}/close", headers=walsall.headers)
    assert again.status_code == 409


# --------------------------------------------------------------------------- skill gaps


async def test_a_near_fit_is_told_its_skill_gaps_once_and_again_when_they_change(world: World) -> None:
    walsall = await world.sign_up(WALSALL)
    near = await world.join(specialisms=("project_manager",), years=3, skills={"Data visualisation": 3})
    vacancy_id = await world.post_vacancy(
        walsall,
        required_skills=[
            {"skill": "Data visualisation", "level": 3},
            {"skill": "Data engineering", "level": 3},
            {"skill": "Data architecture", "level": 3},
        ],
    )
    # Role 8 + skills 10 + experience 3 + distance 15 + flexible 10 + availability 5: near, not proposed.
    assert await world.proposals(vacancy_id) == []
    signals = await world.outbox("SkillGapIdentified")
    assert len(signals) == 1
    assert (signals[0]["candidate_id"], signals[0]["vacancy_id"], signals[0]["score"]) == (
        near.candidate_id,
        vacancy_id,
        51,
    )
    assert signals[0]["gaps"] == [
        {"skill": "Data architecture", "required_level": 3, "current_level": None},
        {"skill": "Data engineering", "required_level": 3, "current_level": None},
    ]

    await world.deliver(near.application.model_copy(update={"event_id": uuid4()}))
    assert len(await world.outbox("SkillGapIdentified")) == 1

    module = example(
        TrainingModuleCompleted, **about(near.application), skills=[{"skill": "Data engineering", "level": 1}]
    )
    await world.deliver(module)
    signals = await world.outbox("SkillGapIdentified")
    assert len(signals) == 2
    assert {"skill": "Data engineering", "required_level": 3, "current_level": 1} in signals[1]["gaps"]
    assert await world.proposals(vacancy_id) == []


async def test_a_candidate_far_from_fitting_is_not_sent_skill_gaps(world: World) -> None:
    walsall = await world.sign_up(WALSALL)
    await world.join(specialisms=("project_manager",), skills={}, years=0, travel=1, district="M1")
    await world.post_vacancy(walsall, work_mode="on_site")
    assert await world.outbox("SkillGapIdentified") == []


# --------------------------------------------------------------------------- consent gating


async def test_councils_see_no_name_or_email_until_the_candidate_accepts(world: World) -> None:
    walsall = await world.sign_up(WALSALL)
    saved = await world.http.post(
        f"/councils/{walsall.id}/saved-searches",
        json={"name": "analysts", "filters": {}},
        headers=walsall.headers,
    )
    assert saved.status_code == 201
    candidate = await world.join()
    vacancy_id = await world.post_vacancy(walsall)

    responses = [
        await world.http.post(f"/councils/{walsall.id}/search", json={}, headers=walsall.headers),
        await world.http.post(
            f"/councils/{walsall.id}/search",
            json={"vacancy_id": vacancy_id, "sort": "score"},
            headers=walsall.headers,
        ),
        await world.http.get(f"/councils/{walsall.id}/alerts", headers=walsall.headers),
        await world.http.get(f"/vacancies/{vacancy_id}/matches", headers=walsall.headers),
        await world.http.get(f"/councils/{walsall.id}", headers=walsall.headers),
    ]
    shortlisted = await world.http.post(
        f"/vacancies/{vacancy_id}/shortlist", json={"candidate_ref": candidate.ref}, headers=walsall.headers
    )
    match_id = shortlisted.json()["match_id"]
    responses += [
        shortlisted,
        await world.http.post(f"/matches/{match_id}/reach-out", headers=walsall.headers),
        await world.http.get(f"/matches/{match_id}/contact", headers=walsall.headers),
    ]
    # two searches, alerts, matches, council, shortlist, reach out: served; the contact: not yet.
    assert [a.status_code for a in responses] == [200, 200, 200, 200, 200, 201, 200, 403], [
        a.text for a in responses
    ]
    for answer in responses:
        assert_pseudonymous(answer, candidate)
    # The responses did show the candidate, pseudonymously.
    assert candidate.ref in responses[0].text
    assert candidate.ref in responses[2].text
    assert candidate.ref in responses[3].text
    assert responses[-1].status_code == 403

    accepted = await world.http.post(
        f"/matches/{match_id}/response", json={"response": "accepted"}, headers=candidate.headers
    )
    assert accepted.status_code == 200, accepted.text
    contact = await world.http.get(f"/matches/{match_id}/contact", headers=walsall.headers)
    assert contact.json() == {
        "given_name": GIVEN,
        "family_name": FAMILY,
        "email": str(candidate.application.email),
        "phone": None,  # none was given
    }
    # Released to this council for this match only: search stays pseudonymous.
    assert_pseudonymous(
        await world.http.post(f"/councils/{walsall.id}/search", json={}, headers=walsall.headers), candidate
    )


@pytest.mark.parametrize("phone", ["+44 7700 900 982", None])
async def test_the_phone_given_for_a_council_to_call_is_released_with_the_contact_details(
    world: World, phone: str | None
) -> None:
    walsall = await world.sign_up(WALSALL)
    candidate = await world.join()
    _, contact_given = candidate.application.split()
    # The contact details as applications publishes them (version 2): the phone travels only here.
    await world.deliver(contact_given.model_copy(update={"event_id": uuid4(), "phone": phone}))
    vacancy_id = await world.post_vacancy(walsall)
    match_id = (
        await world.http.post(
            f"/vacancies/{vacancy_id}/shortlist",
            json={"candidate_ref": candidate.ref},
            headers=walsall.headers,
        )
    ).json()["match_id"]
    await world.http.post(f"/matches/{match_id}/reach-out", headers=walsall.headers)
    before = await world.http.get(f"/matches/{match_id}/contact", headers=walsall.headers)
    assert before.status_code == 403
    searched = await world.http.post(f"/councils/{walsall.id}/search", json={}, headers=walsall.headers)
    matches = await world.http.get(f"/vacancies/{vacancy_id}/matches", headers=walsall.headers)
    if phone is not None:
        for answer in (before, searched, matches):
            assert phone not in answer.text

    await world.http.post(
        f"/matches/{match_id}/response", json={"response": "accepted"}, headers=candidate.headers
    )

    contact = await world.http.get(f"/matches/{match_id}/contact", headers=walsall.headers)
    assert contact.status_code == 200, contact.text
    assert contact.json()["phone"] == phone
    assert contact.json()["email"] == str(candidate.application.email)


async def test_the_pool_keeps_no_name_or_email_in_a_profile(world: World) -> None:
    candidate = await world.join()
    async with world.service.uow_factory() as uow:
        profile = await uow.session.get(CandidateProfile, candidate.application.application_id)
    assert profile is not None
    stored = json.dumps(profile.model_dump(mode="json"))
    assert GIVEN not in stored
    assert str(candidate.application.email) not in stored


# --------------------------------------------------------------------------- search


@pytest_asyncio.fixture
async def pool(world: World) -> dict[str, Any]:
    """Walsall, four candidates it may see and two it may not."""
    walsall = await world.sign_up(WALSALL)
    p1 = await world.join(district="WS1", earliest="2027-01-01")
    p2 = await world.join(
        district="B15",
        specialisms=("software_developer",),
        skills={"Programming and build (software engineering)": 3},
        flexible=("hybrid", "part_time"),
    )
    await world.deliver(example(TrainingEnrolled, **about(p2.application)))
    p3 = await world.join(
        district="CV1", skills={"Data visualisation": 2}, flexible=(), earliest="2028-06-01"
    )
    await world.deliver(example(TrainingCompleted, **about(p3.application)))
    p4 = await world.join(
        district="M1",
        specialisms=("security_specialist",),
        skills={"Information security": 3},
        flexible=("remote",),
    )
    await world.join(district="M1", regions=("north_west",))
    await world.deliver(submitted(district="WS2"))
    return {"walsall": walsall, "p": [p1.ref, p2.ref, p3.ref, p4.ref]}


async def test_search_shows_only_visible_pool_members_nearest_the_council_first(
    world: World, pool: dict[str, Any]
) -> None:
    walsall, (p1, p2, p3, p4) = pool["walsall"], pool["p"]
    found = await world.search(walsall)
    assert found["total"] == 4
    assert [r["candidate_ref"] for r in found["results"]] == [p1, p2, p3, p4]
    assert [r["distance_km"] for r in found["results"]] == [2.2, 15.3, 38.5, 99.1]
    assert all(r["score"] is None for r in found["results"])
    assert await world.refs(walsall, near="B15") == [p2, p1, p3, p4]
    assert (await world.refs(walsall, near="M1"))[0] == p4


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"specialisms": ["data_analyst"]}, [0, 2]),
        ({"specialisms": ["software_developer", "security_specialist"]}, [1, 3]),
        ({"skills": [{"skill": "Data visualisation", "level": 3}]}, [0]),
        ({"skills": [{"skill": "Data visualisation", "level": 2}]}, [0, 2]),
        (
            {
                "skills": [
                    {"skill": "Data visualisation", "level": 2},
                    {"skill": "Data management", "level": 2},
                ]
            },
            [0],
        ),
        ({"radius_km": 10}, [0]),
        ({"near": "WS1", "radius_km": 20}, [0, 1]),
        ({"near": "B15", "radius_km": 5}, [1]),
        ({"near": "CV1", "radius_km": 30}, [2, 1]),
        ({"flexible_working": ["hybrid"]}, [1]),
        ({"flexible_working": ["part_time"]}, [0, 1]),
        ({"flexible_working": ["part_time", "hybrid"]}, [1]),
        ({"training_status": ["enrolled"]}, [1]),
        ({"training_status": ["completed"]}, [2]),
        ({"training_status": ["none"]}, [0, 3]),
        ({"training_status": ["enrolled", "completed"]}, [1, 2]),
        ({"available_by": "2027-06-01"}, [0, 1, 3]),
        ({"available_by": "2026-01-01"}, [1, 3]),
        ({"region": "north_west"}, [3]),
        ({"specialisms": ["data_analyst"], "near": "WS1", "radius_km": 20}, [0]),
    ],
)
async def test_search_filters(
    world: World, pool: dict[str, Any], filters: dict[str, Any], expected: list[int]
) -> None:
    refs = pool["p"]
    assert await world.refs(pool["walsall"], **filters) == [refs[i] for i in expected]


async def test_search_sorts_by_score_against_a_vacancy(world: World, pool: dict[str, Any]) -> None:
    walsall, (p1, p2, p3, p4) = pool["walsall"], pool["p"]
    vacancy_id = await world.post_vacancy(walsall)
    found = await world.search(walsall, vacancy_id=vacancy_id, sort="score")
    scores = [r["score"] for r in found["results"]]
    assert scores == sorted(scores, reverse=True)
    refs = [r["candidate_ref"] for r in found["results"]]
    assert sorted(refs) == sorted([p1, p2, p3, p4])
    assert refs[0] == p1
    assert refs.index(p3) < refs.index(p2)  # not the distance order
    assert found["results"][0]["score"] == 88.5
    assert sum(f["points"] for f in found["results"][0]["factors"]) == pytest.approx(88.5)


async def test_search_refuses_what_it_cannot_do(world: World, pool: dict[str, Any]) -> None:
    walsall = pool["walsall"]
    url = f"/councils/{walsall.id}/search"
    assert (await world.http.post(url, json={"sort": "score"}, headers=walsall.headers)).status_code == 422
    assert (await world.http.post(url, json={"near": "ZZ99"}, headers=walsall.headers)).status_code == 422
    birmingham = await world.sign_up(BIRMINGHAM)
    theirs = await world.post_vacancy(birmingham)
    other = await world.http.post(url, json={"vacancy_id": theirs, "sort": "score"}, headers=walsall.headers)
    assert other.status_code == 404


async def test_search_pages_through_every_result_once(world: World, pool: dict[str, Any]) -> None:
    walsall = pool["walsall"]
    pages = [await world.search(walsall, page=n, page_size=3) for n in (1, 2, 3)]
    assert [p["total"] for p in pages] == [4, 4, 4]
    assert [len(p["results"]) for p in pages] == [3, 1, 0]
    assert [r["candidate_ref"] for p in pages for r in p["results"]] == pool["p"]


async def test_an_island_council_finds_its_own_islanders_nearby(world: World) -> None:
    # Stornoway's council once saw its own HS1 candidates 272 km away (its centre was misplaced).
    western_isles = await world.sign_up(WESTERN_ISLES)
    islander = await world.join(district="HS1", regions=("scotland",))
    await world.join(district="EH1", regions=("scotland",))

    found = await world.search(western_isles)

    nearest = found["results"][0]
    assert (nearest["candidate_ref"], nearest["distance_km"] < 25) == (islander.ref, True)
    assert await world.refs(western_isles, radius_km=25) == [islander.ref]


# --------------------------------------------------------------------------- saved searches


async def test_a_saved_search_alerts_once_for_each_candidate_who_comes_to_match_it(world: World) -> None:
    walsall = await world.sign_up(WALSALL)
    already = await world.join()
    saved = await world.http.post(
        f"/councils/{walsall.id}/saved-searches",
        json={"name": "Analysts nearby", "filters": {"specialisms": ["data_analyst"], "radius_km": 30}},
        headers=walsall.headers,
    )
    assert saved.status_code == 201, saved.text
    alerts_url = f"/councils/{walsall.id}/alerts"
    assert (await world.http.get(alerts_url, headers=walsall.headers)).json() == []

    newcomer = await world.join(district="B15")
    await world.join(specialisms=("software_developer",))  # does not match
    await world.join(regions=("north_west",))  # may not be seen
    await world.join(district="CV1")  # too far
    alerts = (await world.http.get(alerts_url, headers=walsall.headers)).json()
    assert alerts == [{"saved_search_id": saved.json()["saved_search_id"], "candidate_ref": newcomer.ref}]
    assert already.ref not in json.dumps(alerts)
    assert (await world.http.get(alerts_url, headers=walsall.headers)).json() == []


async def test_a_saved_searchs_alerts_are_switched_off_and_on_and_it_is_deleted_only_by_its_council(
    world: World,
) -> None:
    walsall = await world.sign_up(WALSALL)
    birmingham = await world.sign_up(BIRMINGHAM)
    searches = f"/councils/{walsall.id}/saved-searches"
    saved = await world.http.post(
        searches,
        json={"name": "Analysts", "filters": {"specialisms": ["data_analyst"]}},
        headers=walsall.headers,
    )
    saved_id = saved.json()["saved_search_id"]
    [listed] = (await world.http.get(searches, headers=walsall.headers)).json()
    assert (listed["saved_search_id"], listed["name"], listed["alerts_on"]) == (saved_id, "Analysts", True)
    alerts_url = f"/councils/{walsall.id}/alerts"
    one = f"{searches}/{saved_id}"

    # Another council's recruiter: as unknown as a missing search; their own list is empty.
    for method, body in (("PATCH", {"alerts_on": False}), ("DELETE", None)):
        other = await world.http.request(method, one, json=body, headers=birmingham.headers)
        assert other.status_code == 404, other.text
    theirs = await world.http.get(f"/councils/{birmingham.id}/saved-searches", headers=birmingham.headers)
    assert theirs.json() == []
    assert (await world.http.get(searches, headers=birmingham.headers)).status_code == 404

    off = await world.http.patch(one, json={"alerts_on": False}, headers=walsall.headers)
    assert off.json() == {"saved_search_id": saved_id, "alerts_on": False}
    while_off = await world.join()
    assert (await world.http.get(alerts_url, headers=walsall.headers)).json() == []
    await world.http.patch(one, json={"alerts_on": True}, headers=walsall.headers)
    assert (await world.http.get(alerts_url, headers=walsall.headers)).json() == []  # the new baseline
    after = await world.join()
    alerts = (await world.http.get(alerts_url, headers=walsall.headers)).json()
    assert alerts == [{"saved_search_id": saved_id, "candidate_ref": after.ref}]
    assert while_off.ref not in json.dumps(alerts)

    deleted = await world.http.delete(one, headers=walsall.headers)
    assert deleted.status_code == 204
    assert (await world.http.get(searches, headers=walsall.headers)).json() == []
    assert (await world.http.delete(one, headers=walsall.headers)).status_code == 404


# --------------------------------------------------------------------------- who is in the pool


async def test_the_waiting_list_is_not_in_the_pool_until_promoted(world: World) -> None:
    """Councils connect with returners developing their skills through the programme: those
    selected, and those promoted from the waiting list, never the waiting list itself."""
    walsall = await world.sign_up(WALSALL)
    saved = await world.http.post(
        f"/councils/{walsall.id}/saved-searches",
        json={"name": "everyone", "filters": {}},
        headers=walsall.headers,
    )
    assert saved.status_code == 201, saved.text
    alerts_url = f"/councils/{walsall.id}/alerts"
    vacancy_id = await world.post_vacancy(walsall)
    waiting = submitted()
    await world.deliver(waiting, selected(waiting, "waitlisted"))  # joins after the vacancy
    chosen = await world.join(district="B15")
    waiting_ref = str(waiting.application_id)

    assert await world.refs(walsall) == [chosen.ref]
    assert [p["candidate_id"] for p in await world.proposals(vacancy_id)] == [chosen.candidate_id]
    second = await world.post_vacancy(walsall, title="Another data analyst")  # the pool matched at once
    assert [p["candidate_id"] for p in await world.proposals(second)] == [chosen.candidate_id]
    alerts = (await world.http.get(alerts_url, headers=walsall.headers)).json()
    assert [a["candidate_ref"] for a in alerts] == [chosen.ref]
    refused = await world.http.post(
        f"/vacancies/{vacancy_id}/shortlist", json={"candidate_ref": waiting_ref}, headers=walsall.headers
    )
    assert refused.status_code == 404
    assert await world.outbox("SkillGapIdentified") == []

    await world.deliver(promoted(waiting))

    assert sorted(await world.refs(walsall)) == sorted([chosen.ref, waiting_ref])
    for vacancy in (vacancy_id, second):
        proposed = [p["candidate_id"] for p in await world.proposals(vacancy)]
        assert proposed == [chosen.candidate_id, str(waiting.candidate_id)]
    alerts = (await world.http.get(alerts_url, headers=walsall.headers)).json()
    assert [a["candidate_ref"] for a in alerts] == [waiting_ref]


async def test_a_waitlisted_outcome_that_arrives_before_the_application_keeps_them_out(world: World) -> None:
    walsall = await world.sign_up(WALSALL)
    vacancy_id = await world.post_vacancy(walsall)
    waiting = submitted()
    await world.deliver(selected(waiting, "waitlisted"), waiting)
    assert await world.refs(walsall) == []
    assert await world.proposals(vacancy_id) == []
    await world.deliver(promoted(waiting))
    assert await world.refs(walsall) == [str(waiting.application_id)]


# --------------------------------------------------------------------------- reach-out to hire


async def test_from_proposal_to_hire_with_each_step_out_of_order_refused(world: World) -> None:
    walsall = await world.sign_up(WALSALL)
    birmingham = await world.sign_up(BIRMINGHAM)
    candidate = await world.join()
    someone_else = await world.join(district="B15")
    vacancy_id = await world.post_vacancy(walsall)
    match_id = await world.match_id(walsall, vacancy_id, candidate)
    council = walsall.headers

    early = await world.http.post(f"/matches/{match_id}/reach-out", headers=council)
    assert early.status_code == 409
    assert "Shortlist" in early.json()["detail"]

    shortlisted = await world.http.post(
        f"/vacancies/{vacancy_id}/shortlist", json={"candidate_ref": candidate.ref}, headers=council
    )
    assert shortlisted.status_code == 201
    assert shortlisted.json() == {"match_id": match_id, "status": "shortlisted"}
    twice = await world.http.post(
        f"/vacancies/{vacancy_id}/shortlist", json={"candidate_ref": candidate.ref}, headers=council
    )
    assert twice.status_code == 409

    # The candidate hears nothing of a mere proposal or shortlisting.
    assert (
        await world.http.get(f"/candidates/{candidate.candidate_id}/matches", headers=candidate.headers)
    ).json() == []

    reached = await world.http.post(f"/matches/{match_id}/reach-out", headers=council)
    assert reached.json() == {"match_id": match_id, "status": "reached_out"}
    sent = await world.outbox("ReachOutSent")
    assert [(e["match_id"], e["candidate_id"], e["council_id"]) for e in sent] == [
        (match_id, candidate.candidate_id, walsall.id)
    ]

    assert (await world.http.get(f"/matches/{match_id}/contact", headers=council)).status_code == 403
    assert (
        await world.http.post(
            f"/matches/{match_id}/interview",
            json={"at": "2027-03-01T10:00:00Z", "place": "Civic Centre, room 2"},
            headers=council,
        )
    ).status_code == 409
    assert (
        await world.http.post(f"/matches/{match_id}/outcome", json=HIRE, headers=council)
    ).status_code == 409

    mine = (
        await world.http.get(f"/candidates/{candidate.candidate_id}/matches", headers=candidate.headers)
    ).json()
    assert [(m["match_id"], m["council"], m["vacancy"], m["status"]) for m in mine] == [
        (match_id, "Walsall", "Data analyst", "reached_out")
    ]
    snooping = await world.http.get(
        f"/candidates/{candidate.candidate_id}/matches", headers=someone_else.headers
    )
    unknown = await world.http.get(f"/candidates/{uuid4()}/matches", headers=someone_else.headers)
    assert (snooping.status_code, snooping.json()) == (404, unknown.json())

    accept = {"response": "accepted"}
    for headers, expected in ((someone_else.headers, 404), (council, 403)):
        refused = await world.http.post(f"/matches/{match_id}/response", json=accept, headers=headers)
        assert refused.status_code == expected
    assert await world.outbox("MatchResponded") == []
    accepted = await world.http.post(f"/matches/{match_id}/response", json=accept, headers=candidate.headers)
    assert accepted.json() == {"match_id": match_id, "status": "accepted"}
    assert (
        await world.http.post(
            f"/matches/{match_id}/response", json={"response": "declined"}, headers=candidate.headers
        )
    ).status_code == 409
    responded = await world.outbox("MatchResponded")
    assert [(e["match_id"], e["response"]) for e in responded] == [(match_id, "accepted")]

    contact = await world.http.get(f"/matches/{match_id}/contact", headers=council)
    assert contact.json()["email"] == str(candidate.application.email)
    assert (
        await world.http.get(f"/matches/{match_id}/contact", headers=birmingham.headers)
    ).status_code == 404

    interview = await world.http.post(
        f"/matches/{match_id}/interview",
        json={"at": "2027-03-01T10:00:00Z", "place": "Civic Centre, room 2"},
        headers=council,
    )
    assert interview.json() == {"match_id": match_id, "status": "interviewing"}

    no_start = await world.http.post(
        f"/matches/{match_id}/outcome", json={**HIRE, "start_date": None}, headers=council
    )
    assert no_start.status_code == 422
    assert await world.outbox("CandidateHired") == []
    hired = await world.http.post(f"/matches/{match_id}/outcome", json=HIRE, headers=council)
    assert hired.json() == {"match_id": match_id, "status": "hired"}

    events = await world.outbox("CandidateHired")
    assert len(events) == 1
    assert (events[0]["match_id"], events[0]["application_id"], events[0]["start_date"]) == (
        match_id,
        candidate.ref,
        "2027-04-06",
    )
    assert events[0]["salary_band"] == SALARY
    vacancies = (await world.http.get(f"/councils/{walsall.id}", headers=council)).json()["vacancies"]
    assert [(v["vacancy_id"], v["status"]) for v in vacancies] == [(vacancy_id, "filled")]
    mine = (
        await world.http.get(f"/candidates/{candidate.candidate_id}/matches", headers=candidate.headers)
    ).json()
    assert [m["status"] for m in mine] == ["hired"]
    assert (
        await world.http.post(f"/matches/{match_id}/outcome", json={"hired": False}, headers=council)
    ).status_code == 409


async def accepted_match(
    world: World, council: Council, vacancy_id: str, candidate: Pooled, message: str | None = None
) -> str:
    """Shortlist, reach out (with the council's message, if any) and have the candidate accept:
    the match's id."""
    match_id = (
        await world.http.post(
            f"/vacancies/{vacancy_id}/shortlist",
            json={"candidate_ref": candidate.ref},
            headers=council.headers,
        )
    ).json()["match_id"]
    reached = await world.http.post(
        f"/matches/{match_id}/reach-out",
        json={"message": message} if message else None,
        headers=council.headers,
    )
    assert reached.status_code == 200, reached.text
    accepted = await world.http.post(
        f"/matches/{match_id}/response", json={"response": "accepted"}, headers=candidate.headers
    )
    assert accepted.json()["status"] == "accepted", accepted.text
    return str(match_id)


async def test_a_vacancy_that_asks_for_an_interview_hires_only_after_one(world: World) -> None:
    walsall = await world.sign_up(WALSALL)
    candidate, other = await world.join(), await world.join()
    vacancy_id = await world.post_vacancy(walsall, interview_required=True)
    match_id = await accepted_match(world, walsall, vacancy_id, candidate)

    early = await world.http.post(f"/matches/{match_id}/outcome", json=HIRE, headers=walsall.headers)

    assert early.status_code == 409
    assert early.json()["detail"] == (
        "This vacancy asks for an interview: record the interview before recording a hire."
    )
    assert await world.outbox("CandidateHired") == []
    interview = await world.http.post(
        f"/matches/{match_id}/interview",
        json={"at": "2027-03-01T10:00:00Z", "place": "Civic Centre, room 2"},
        headers=walsall.headers,
    )
    assert interview.json()["status"] == "interviewing"
    hired = await world.http.post(f"/matches/{match_id}/outcome", json=HIRE, headers=walsall.headers)
    assert hired.json() == {"match_id": match_id, "status": "hired"}
    assert [e["match_id"] for e in await world.outbox("CandidateHired")] == [match_id]

    # Deciding not to hire needs no interview (the candidate may have found other work).
    second = await world.post_vacancy(walsall, interview_required=True)
    not_hired = await world.http.post(
        f"/matches/{await accepted_match(world, walsall, second, other)}/outcome",
        json={"hired": False},
        headers=walsall.headers,
    )
    assert not_hired.json()["status"] == "not_hired"


async def test_a_vacancy_that_asks_for_no_interview_hires_without_one(world: World) -> None:
    walsall = await world.sign_up(WALSALL)
    candidate = await world.join()
    vacancy_id = await world.post_vacancy(walsall)  # interview_required defaults to False
    match_id = await accepted_match(world, walsall, vacancy_id, candidate)

    hired = await world.http.post(f"/matches/{match_id}/outcome", json=HIRE, headers=walsall.headers)

    assert hired.json() == {"match_id": match_id, "status": "hired"}


async def test_a_declined_reach_out_releases_nothing(world: World) -> None:
    walsall = await world.sign_up(WALSALL)
    candidate = await world.join()
    vacancy_id = await world.post_vacancy(walsall)
    match_id = (
        await world.http.post(
            f"/vacancies/{vacancy_id}/shortlist",
            json={"candidate_ref": candidate.ref},
            headers=walsall.headers,
        )
    ).json()["match_id"]
    await world.http.post(f"/matches/{match_id}/reach-out", headers=walsall.headers)
    declined = await world.http.post(
        f"/matches/{match_id}/response", json={"response": "declined"}, headers=candidate.headers
    )
    assert declined.json()["status"] == "declined"
    assert (await world.http.get(f"/matches/{match_id}/contact", headers=walsall.headers)).status_code == 403
    assert (
        await world.http.post(
            f"/matches/{match_id}/interview",
            json={"at": "2027-03-01T10:00:00Z", "place": "Civic Centre, room 2"},
            headers=walsall.headers,
        )
    ).status_code == 409
    assert [(e["response"]) for e in await world.outbox("MatchResponded")] == ["declined"]


async def test_a_candidate_found_in_a_search_can_be_shortlisted_but_not_an_invisible_one(
    world: World,
) -> None:
    walsall = await world.sign_up(WALSALL)
    vacancy_id = await world.post_vacancy(walsall)
    found = await world.join(specialisms=("project_manager",), skills={}, years=1)  # below the threshold
    hidden = await world.join(regions=("north_west",))
    assert await world.proposals(vacancy_id) == []
    assert found.ref in await world.refs(walsall)

    shortlisted = await world.http.post(
        f"/vacancies/{vacancy_id}/shortlist", json={"candidate_ref": found.ref}, headers=walsall.headers
    )
    assert shortlisted.status_code == 201
    assert [(m["candidate_ref"], m["status"]) for m in await world.matches(walsall, vacancy_id)] == [
        (found.ref, "shortlisted")
    ]
    refused = await world.http.post(
        f"/vacancies/{vacancy_id}/shortlist", json={"candidate_ref": hidden.ref}, headers=walsall.headers
    )
    assert refused.status_code == 404


# --------------------------------------------------------------------------- leaving the pool


async def test_a_withdrawn_candidate_leaves_the_pool_search_and_matches(world: World) -> None:
    walsall = await world.sign_up(WALSALL)
    leaving = await world.join()
    staying = await world.join(district="B15")
    vacancy_id = await world.post_vacancy(walsall)
    match_id = await world.match_id(walsall, vacancy_id, leaving)

    await world.deliver(example(ApplicationWithdrawn, **about(leaving.application)))

    assert await world.refs(walsall) == [staying.ref]
    assert [m["candidate_ref"] for m in await world.matches(walsall, vacancy_id)] == [staying.ref]
    assert (
        await world.http.post(f"/matches/{match_id}/reach-out", headers=walsall.headers)
    ).status_code == 404
    refused = await world.http.post(
        f"/vacancies/{vacancy_id}/shortlist", json={"candidate_ref": leaving.ref}, headers=walsall.headers
    )
    assert refused.status_code == 404
    # A new vacancy does not propose them, nor does a later selection bring them back.
    await world.deliver(selected(leaving.application))
    second = await world.post_vacancy(walsall, title="Another data analyst")
    assert [p["candidate_id"] for p in await world.proposals(second)] == [staying.candidate_id]
    assert await world.refs(walsall) == [staying.ref]


async def test_an_erased_candidate_is_gone_from_the_pool_and_their_details_from_the_council(
    world: World,
) -> None:
    walsall = await world.sign_up(WALSALL)
    erased = await world.join()
    staying = await world.join(district="B15")
    vacancy_id = await world.post_vacancy(walsall)
    match_id = await world.match_id(walsall, vacancy_id, erased)
    await world.http.post(
        f"/vacancies/{vacancy_id}/shortlist", json={"candidate_ref": erased.ref}, headers=walsall.headers
    )
    await world.http.post(f"/matches/{match_id}/reach-out", headers=walsall.headers)
    await world.http.post(
        f"/matches/{match_id}/response", json={"response": "accepted"}, headers=erased.headers
    )
    assert (await world.http.get(f"/matches/{match_id}/contact", headers=walsall.headers)).status_code == 200

    await world.deliver(
        example(
            CandidateErased,
            event_id=uuid4(),
            correlation_id=erased.application.application_id,
            candidate_id=erased.application.candidate_id,
            application_ids=[erased.application.application_id],
        )
    )

    assert await world.refs(walsall) == [staying.ref]
    assert [m["candidate_ref"] for m in await world.matches(walsall, vacancy_id)] == [staying.ref]
    assert (await world.http.get(f"/matches/{match_id}/contact", headers=walsall.headers)).status_code == 404
    # Their subject-access part answers as for an unknown id (nothing is held about them).
    assert (
        await world.http.get(f"/candidates/{erased.candidate_id}/matches", headers=erased.headers)
    ).status_code == 404
    async with world.service.uow_factory() as uow:
        assert await uow.session.get(CandidateProfile, erased.application.application_id) is None
        assert await uow.session.get(CandidateContact, erased.application.candidate_id) is None
    second = await world.post_vacancy(walsall, title="Another data analyst")
    assert [p["candidate_id"] for p in await world.proposals(second)] == [staying.candidate_id]


def erasure_of(who: Pooled) -> CandidateErased:
    return example(
        CandidateErased,
        event_id=uuid4(),
        correlation_id=who.application.application_id,
        candidate_id=who.application.candidate_id,
        application_ids=[who.application.application_id],
    )


async def council_counts(world: World, council: Council) -> dict[str, Any]:
    """The numbers a council sees: its hires, and each vacancy's status, proposals and hires."""
    answer = await world.http.get(f"/councils/{council.id}", headers=council.headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return {
        "hires": body["hires"],
        **{
            v["vacancy_id"]: (v["status"], v["proposed"], v["hired"])
            for v in sorted(body["vacancies"], key=lambda v: v["vacancy_id"])
        },
    }


async def rows_naming(world: World, traces: list[str]) -> list[str]:
    """Rows of matching's tables holding any of the traces (the inbox, the outbox — erased by the
    platform's part of erasure — and the departures tombstone, which keeps the id to refuse late
    events, aside)."""
    found: list[str] = []
    async with world.service.engine.connect() as conn:
        tables = await conn.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'matching'"
                " AND tablename NOT IN ('inbox', 'outbox', 'departures', 'alembic_version')"
            )
        )
        for (table,) in tables.all():
            rows = await conn.execute(text(f'SELECT t::text AS row FROM matching."{table}" t'))
            found += [f"{table}: {r.row}" for r in rows if any(t.lower() in r.row.lower() for t in traces)]
    return found


async def test_erasing_a_hired_candidate_leaves_nothing_of_them_and_every_count_as_it_was(
    world: World,
) -> None:
    walsall = await world.sign_up(WALSALL)
    saved = await world.http.post(
        f"/councils/{walsall.id}/saved-searches", json={"name": "all", "filters": {}}, headers=walsall.headers
    )
    assert saved.status_code == 201
    application = submitted(phone="01632 960 417").model_copy(
        update={"given_name": "Ottoline", "family_name": "Brackenridge"}
    )
    erased = await world.join(application)
    staying = await world.join(district="B15")
    assert len((await world.http.get(f"/councils/{walsall.id}/alerts", headers=walsall.headers)).json()) == 2
    vacancy_id = await world.post_vacancy(walsall)
    match_id = await accepted_match(
        world, walsall, vacancy_id, erased, message="We would like you in the Marrowfield team."
    )
    invited = await world.http.post(
        f"/matches/{match_id}/interview",
        json={"at": "2027-03-01T10:00:00Z", "place": "Quillon House, room 7"},
        headers=walsall.headers,
    )
    assert invited.status_code == 200, invited.text
    assert (await world.http.post(f"/matches/{match_id}/outcome", json=HIRE, headers=walsall.headers)).json()[
        "status"
    ] == "hired"
    second = await world.post_vacancy(walsall, title="Another data analyst")  # both proposed
    assert len(await world.proposals(second)) == 2
    before = await council_counts(world, walsall)
    assert before["hires"] == 1
    assert before[vacancy_id] == ("filled", 2, 1)
    assert before[second] == ("open", 2, 0)
    held = await rows_naming(world, ["Marrowfield", "Quillon House"])
    assert [row.split(":")[0] for row in held] == ["matches"]  # kept with the match, and only there

    await world.deliver(erasure_of(erased))

    assert await council_counts(world, walsall) == before
    traces = [
        erased.ref[:8],  # pages show "Returner 1A2B3C4D"
        erased.candidate_id,
        match_id,
        "Ottoline",
        "Brackenridge",
        str(application.email),
        "01632 960 417",
        "Marrowfield",  # the council's message with its reach-out
        "Quillon House",  # where the interview was
    ]

    def assert_without(where: str, answer: httpx.Response) -> None:
        assert answer.status_code in (200, 404), f"{where}: {answer.status_code} {answer.text}"
        held = [t for t in traces if t.lower() in answer.text.lower()]
        assert not held, f"{where} still answers with the erased person: {held}"

    council = walsall.headers
    api = {
        "candidate's matches": await world.http.get(
            f"/candidates/{erased.candidate_id}/matches", headers=erased.headers
        ),
        "contact": await world.http.get(f"/matches/{match_id}/contact", headers=council),
        "council": await world.http.get(f"/councils/{walsall.id}", headers=council),
        "search": await world.http.post(f"/councils/{walsall.id}/search", json={}, headers=council),
        "alerts": await world.http.get(f"/councils/{walsall.id}/alerts", headers=council),
        **{
            f"matches of {v}": await world.http.get(f"/vacancies/{v}/matches", headers=council)
            for v in (vacancy_id, second)
        },
    }
    for where, answer in api.items():
        assert_without(where, answer)
    assert api["candidate's matches"].status_code == 404  # as for an unknown id
    assert api["contact"].status_code == 404
    assert [m["candidate_ref"] for m in api[f"matches of {second}"].json()] == [staying.ref]

    secret = world.secret
    recruiter = issue_session_token(secret, Principal("recruiter-1", Role.RECRUITER, council_id=walsall.id))
    candidate = issue_session_token(secret, Principal(erased.candidate_id, Role.CANDIDATE))
    for token, paths in (
        (
            recruiter,
            [
                "/council",
                f"/council/vacancies/{vacancy_id}",
                f"/council/vacancies/{second}",
                "/council/shortlist",
                f"/council/matches/{match_id}",
                f"/council/candidates/{erased.ref}?vacancy_id={vacancy_id}",
                "/council/search",
            ],
        ),
        (candidate, ["/my/interest"]),
    ):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app_for(world.service)),
            base_url="https://matching",
            cookies={"rtw_session": token},
        ) as pages:
            for path in paths:
                assert_without(path, await pages.get(path))

    assert await rows_naming(world, traces) == []
    # A late event about them (another queue was behind) brings nothing back.
    await world.deliver(selected(erased.application, sequence=9))
    assert await rows_naming(world, traces) == []
    assert await council_counts(world, walsall) == before


async def test_a_candidate_who_leaves_frees_their_place_among_the_proposals(world: World) -> None:
    admin = bearer(issue_token(world.secret, Principal(subject="admin-1", role=Role.ADMIN)))
    assert (
        await world.http.put("/weights", json={"proposals_per_vacancy": 1}, headers=admin)
    ).status_code == 200
    walsall = await world.sign_up(WALSALL)
    leaving = await world.join(years=10)
    vacancy_id = await world.post_vacancy(walsall)
    assert [p["candidate_id"] for p in await world.proposals(vacancy_id)] == [leaving.candidate_id]
    await world.deliver(example(ApplicationWithdrawn, **about(leaving.application)))
    assert await world.matches(walsall, vacancy_id) == []

    newcomer = await world.join(years=6)  # scores 86, well above the threshold

    assert newcomer.candidate_id in [p["candidate_id"] for p in await world.proposals(vacancy_id)]
    assert [m["candidate_ref"] for m in await world.matches(walsall, vacancy_id)] == [newcomer.ref]


async def test_an_erasure_that_overtakes_the_application_keeps_the_candidate_out(world: World) -> None:
    walsall = await world.sign_up(WALSALL)
    application = submitted()
    await world.deliver(
        example(
            CandidateErased,
            event_id=uuid4(),
            correlation_id=application.application_id,
            candidate_id=application.candidate_id,
            application_ids=[application.application_id],
        )
    )
    await world.deliver(application, selected(application))

    assert str(application.application_id) not in await world.refs(walsall)
    async with world.service.uow_factory() as uow:
        assert await uow.session.get(CandidateContact, application.candidate_id) is None


async def test_a_withdrawal_that_overtakes_the_application_keeps_the_candidate_out(world: World) -> None:
    walsall = await world.sign_up(WALSALL)
    application = submitted()
    await world.deliver(example(ApplicationWithdrawn, **about(application)))
    await world.deliver(application, selected(application))
    assert str(application.application_id) not in await world.refs(walsall)


async def test_training_that_overtakes_the_application_counts_once_the_application_arrives(
    world: World,
) -> None:
    application = submitted()
    enrolled = example(TrainingEnrolled, **about(application))
    with contextlib.suppress(Exception):
        await world.deliver(enrolled)  # before the application (another queue): retried, not dropped
    await world.deliver(application, selected(application))
    await world.deliver(enrolled)  # the broker's redelivery
    async with world.service.uow_factory() as uow:
        profile = await uow.session.get(CandidateProfile, application.application_id)
    assert profile is not None
    assert profile.training_status == "enrolled"


async def test_every_event_of_a_match_is_numbered_in_the_order_of_its_changes(world: World) -> None:
    walsall = await world.sign_up(WALSALL)
    candidate = await world.join()
    vacancy_id = await world.post_vacancy(walsall)
    match_id = await world.match_id(walsall, vacancy_id, candidate)
    council = walsall.headers
    shortlist = {"candidate_ref": candidate.ref}
    assert (
        await world.http.post(f"/vacancies/{vacancy_id}/shortlist", json=shortlist, headers=council)
    ).status_code == 201
    assert (await world.http.post(f"/matches/{match_id}/reach-out", headers=council)).status_code == 200
    accept = {"response": "accepted"}
    answer = await world.http.post(f"/matches/{match_id}/response", json=accept, headers=candidate.headers)
    assert answer.status_code == 200
    assert (
        await world.http.post(f"/matches/{match_id}/outcome", json=HIRE, headers=council)
    ).status_code == 200

    told = [
        (kind, event["sequence"])
        for kind in ("MatchProposed", "ReachOutSent", "MatchResponded", "CandidateHired")
        for event in await world.outbox(kind)
        if event["match_id"] == match_id
    ]
    assert told == [("MatchProposed", 1), ("ReachOutSent", 2), ("MatchResponded", 3), ("CandidateHired", 4)]
    for kind in ("VacancyPosted", "CouncilRegistered", "RecruiterInvited"):
        assert [event["sequence"] for event in await world.outbox(kind)] == [1], kind


async def test_invitations_sent_at_once_to_one_recruiter_are_numbered_one_after_the_other(
    world: World,
) -> None:
    walsall = await world.sign_up(WALSALL)
    colleague = {"name": "Colleague", "email": "colleague@walsall.example"}
    first = await world.http.post(
        f"/councils/{walsall.id}/recruiters", json=colleague, headers=walsall.headers
    )
    assert first.status_code == 201, first.text
    recruiter_id = first.json()["recruiter_id"]

    again = await asyncio.gather(
        *(
            world.http.post(f"/councils/{walsall.id}/recruiters", json=colleague, headers=walsall.headers)
            for _ in range(3)  # within the rate limit on invitations
        )
    )

    assert [answer.status_code for answer in again] == [201] * 3, again[0].text
    assert {answer.json()["recruiter_id"] for answer in again} == {recruiter_id}
    numbers = [
        e["sequence"] for e in await world.outbox("RecruiterInvited") if e["recruiter_id"] == recruiter_id
    ]
    assert numbers == [1, 2, 3, 4]  # in the order written: no number twice, none skipped


async def test_erasing_one_candidate_leaves_the_other_candidates_as_they_were(world: World) -> None:
    walsall = await world.sign_up(WALSALL)
    # Ids on both sides of the erased one's: a query that compared them by order would take one.
    before, erased, after = (
        UUID(f"{digit * 8}-{digit * 4}-4{digit * 3}-8{digit * 3}-{digit * 12}") for digit in "159"
    )
    pooled = {
        candidate_id: await world.join(submitted().model_copy(update={"candidate_id": candidate_id}))
        for candidate_id in (before, erased, after)
    }
    vacancy_id = await world.post_vacancy(walsall)
    assert len(await world.proposals(vacancy_id)) == 3
    # Each has an interview and an offer (rows as the interview pages leave them).
    async with world.service.uow_factory() as uow:
        now = datetime.now(UTC)
        for candidate_id in (before, erased, after):
            match_id, council_id = uuid4(), UUID(walsall.id)
            owner: dict[str, Any] = {
                "match_id": match_id,
                "council_id": council_id,
                "candidate_id": candidate_id,
            }
            uow.session.add(
                Interview(**owner, stage=1, minutes=45, slots=[], status="proposed", proposed_at=now)
            )
            uow.session.add(
                Offer(
                    **owner,
                    salary_pence=3_200_000,
                    start_date=now.date(),
                    hours_per_week=30,
                    contract="permanent",
                    status="made",
                    made_at=now,
                )
            )
        await uow.commit()

    await world.deliver(erasure_of(pooled[erased]))

    async with world.service.engine.connect() as conn:
        tables = (
            "candidate_profiles",
            "candidate_contacts",
            "assessment_outcomes",
            "matches",
            "interviews",
            "offers",
        )
        for table in tables:
            rows = await conn.execute(text(f"SELECT candidate_id FROM matching.{table}"))
            assert sorted({row.candidate_id for row in rows}) == [before, after], table


async def test_erasing_two_candidates_of_one_vacancy_adds_both_to_its_counts_and_no_hire_that_was_not(
    world: World,
) -> None:
    walsall = await world.sign_up(WALSALL)
    hired, accepted = await world.join(), await world.join(district="B15")
    vacancy_id = await world.post_vacancy(walsall)
    assert len(await world.proposals(vacancy_id)) == 2
    hired_match = await accepted_match(world, walsall, vacancy_id, hired)
    await accepted_match(world, walsall, vacancy_id, accepted)  # accepted, not (yet) hired
    outcome = await world.http.post(f"/matches/{hired_match}/outcome", json=HIRE, headers=walsall.headers)
    assert outcome.json()["status"] == "hired", outcome.text
    before = await council_counts(world, walsall)
    assert before[vacancy_id] == ("filled", 2, 1)

    await world.deliver(erasure_of(accepted))  # the vacancy's first tally
    assert await council_counts(world, walsall) == before
    await world.deliver(erasure_of(hired))  # added to it
    assert await council_counts(world, walsall) == before


async def test_erasing_someone_hired_without_a_proposal_keeps_the_hire_counted(world: World) -> None:
    walsall = await world.sign_up(WALSALL)
    # A low score: found in a search, never proposed (test_a_low_score_is_not_proposed).
    found = await world.join(specialisms=("project_manager",), skills={}, years=1, travel=1, district="M1")
    # Two vacancies: on the first (in the order erasure takes them) they only accepted, on the
    # second they were hired; the first counts for nothing, and must not stop the second's hire.
    first, second = sorted(
        [await world.post_vacancy(walsall, work_mode="on_site") for _ in range(2)], key=UUID
    )
    assert await world.proposals(first) == await world.proposals(second) == []
    await accepted_match(world, walsall, first, found)
    match_id = await accepted_match(world, walsall, second, found)
    outcome = await world.http.post(f"/matches/{match_id}/outcome", json=HIRE, headers=walsall.headers)
    assert outcome.json()["status"] == "hired", outcome.text
    before = await council_counts(world, walsall)
    assert before[second] == ("filled", 0, 1)

    await world.deliver(erasure_of(found))

    assert await council_counts(world, walsall) == before


async def test_an_erasure_waits_for_the_lock_on_each_of_the_persons_applications(world: World) -> None:
    """Changes to one application's profile run one at a time (`pool.one_at_a_time`): an erasure
    waits while another transaction holds the application's lock."""
    leaving = await world.join()
    key = f"matching.profile:{leaving.application.application_id}"
    async with world.service.engine.connect() as holder:
        await holder.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})
        erasing = asyncio.create_task(world.deliver(erasure_of(leaving)))

        async def waiting() -> bool | None:
            async with world.service.engine.connect() as conn:
                found = await conn.execute(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                    )
                )
                return found.scalar_one() > 0 or None

        await eventually(waiting, timeout=10, what="the erasure to wait for the application's lock")
        assert not erasing.done()
        await holder.rollback()
    await erasing
    async with world.service.engine.connect() as conn:
        left = await conn.execute(text("SELECT count(*) FROM matching.candidate_profiles"))
        assert left.scalar_one() == 0
