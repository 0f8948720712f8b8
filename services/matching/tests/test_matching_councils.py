"""Councils' claims over the JSON API, with the in-memory broker and real PostgreSQL: whoever signs
a council up only claims it; a programme admin approves (the council joins and its contact is
e-mailed a sign-in link) or rejects; until then the council sees nobody. Also: other councils'
things answer as unknown ones, every list a caller sends is bounded, and people's names are
checked."""

from __future__ import annotations

import unicodedata
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
import pytest_asyncio
from faststream.rabbit import TestRabbitBroker
from rtw_contracts import ApplicationSubmitted, AssessmentScored
from rtw_contracts.examples import example
from rtw_matching import domain
from rtw_matching.app import SERVICE
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for
from rtw_platform.testing.links import mailed_link, token_of
from sqlalchemy import text

pytestmark = pytest.mark.component

PUBLIC_URL = "https://matching.rtw.example"
WALSALL, BIRMINGHAM = "E08000030", "E08000025"
AWAITING = "awaiting approval by the programme team"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Api:
    runtime: ServiceRuntime
    http: httpx.AsyncClient

    def token(self, role: Role, subject: str = "someone", council_id: str | None = None) -> dict[str, str]:
        secret = self.runtime.settings.token_secret.get_secret_value()
        return bearer(issue_token(secret, Principal(subject=subject, role=role, council_id=council_id)))

    @property
    def admin(self) -> dict[str, str]:
        return self.token(Role.ADMIN, "admin-1")

    async def outbox(self, event_type: str) -> list[dict[str, Any]]:
        async with self.runtime.engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT payload FROM matching.outbox WHERE event_type = :t ORDER BY id"),
                {"t": event_type},
            )
            return [row.payload for row in rows]

    async def claim(
        self, gss: str, email: str, name: str = "Morag Fairweather", **more: Any
    ) -> httpx.Response:
        return await self.http.post(
            "/councils", json={"gss_code": gss, "contact_name": name, "contact_email": email, **more}
        )

    async def approve(self, claim_id: str) -> httpx.Response:
        return await self.http.post(f"/council-claims/{claim_id}/approve", headers=self.admin)

    async def reject(self, claim_id: str, reason: str = "Not a council address") -> httpx.Response:
        return await self.http.post(
            f"/council-claims/{claim_id}/reject", json={"reason": reason}, headers=self.admin
        )

    async def sign_in(self, email: str) -> dict[str, str]:
        """The recruiter signs in with the latest link e-mailed to this address."""
        invited = [e for e in await self.outbox("RecruiterInvited") if e["email"] == email][-1]
        link = mailed_link(invited, self.runtime.settings.token_secret.get_secret_value())
        answer = await self.http.post("/recruiters/sign-in/token", json={"token": token_of(link)})
        assert answer.status_code == 200, answer.text
        return bearer(answer.json()["access_token"])

    async def approved_council(self, gss: str) -> tuple[str, dict[str, str]]:
        email = f"{uuid4().hex[:8]}@council.gov.uk"
        claimed = await self.claim(gss, email)
        assert claimed.status_code == 201, claimed.text
        assert (await self.approve(claimed.json()["claim_id"])).status_code == 200
        return claimed.json()["council_id"], await self.sign_in(email)

    async def claims(self, status: str = "pending") -> list[dict[str, Any]]:
        answer = await self.http.get("/council-claims", params={"status": status}, headers=self.admin)
        assert answer.status_code == 200, answer.text
        found: list[dict[str, Any]] = answer.json()
        return found

    async def join_pool(self) -> str:
        """A selected returner in Walsall who lets West Midlands councils see them; their ref."""
        application_id = uuid4()
        application = example(
            ApplicationSubmitted,
            event_id=uuid4(),
            application_id=application_id,
            correlation_id=application_id,
            candidate_id=uuid4(),
            email=f"zq.{uuid4().hex[:10]}@example.org",
            postcode_district="WS1",
            region="west_midlands",
            specialisms=["data_analyst"],
            skills=[{"skill": "Data visualisation", "level": 3}, {"skill": "Data management", "level": 2}],
            work_preferences={
                "flexible_working": ["part_time"],
                "max_travel_km": 25,
                "visible_to_regions": ["west_midlands"],
                "visible_to_councils": [],
                "earliest_start": None,
            },
        )
        scored = example(
            AssessmentScored,
            event_id=uuid4(),
            application_id=application_id,
            correlation_id=application_id,
            candidate_id=application.candidate_id,
            stage="final",
            outcome="selected",
            sequence=5,
        )
        for event in (application, scored):
            await self.runtime.broker.publish(
                event.model_dump(mode="json"),
                exchange=self.runtime.topology.events_exchange,
                routing_key=event.ROUTING_KEY,
            )
        return str(application_id)


def vacancy(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Data analyst",
        "programme": "ict",
        "specialism": "data_analyst",
        "role": "Data analyst",
        "role_level": "Senior analyst",
        "required_skills": [{"skill": "Data visualisation", "level": 3}],
        "base_postcode_districts": ["WS1"],
        "work_mode": "hybrid",
        "flexible_working": ["part_time"],
        "salary_band": {"min_pence": 3_000_000, "max_pence": 3_600_000},
        "hours_per_week": 30,
        "closing_date": (datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
    }
    body.update(changes)
    return body


@pytest_asyncio.fixture
async def api(start_service: Callable[..., Any]) -> AsyncIterator[Api]:
    runtime: ServiceRuntime = await start_service(
        SERVICE, in_memory_broker=True, relay_enabled=False, public_url=PUBLIC_URL
    )
    async with TestRabbitBroker(runtime.broker):
        transport = httpx.ASGITransport(app=app_for(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://matching") as http:
            yield Api(runtime, http)


# --------------------------------------------------------------------------- claims


async def test_a_claimed_council_sees_nobody_until_an_admin_approves_its_claim(api: Api) -> None:
    await api.join_pool()
    claimed = await api.claim(WALSALL, "recruiter@freemail.example", specialisms_needed=["data_analyst"])
    assert claimed.status_code == 201, claimed.text
    assert claimed.json()["status"] == "pending"
    council_id = claimed.json()["council_id"]
    # Nothing is announced and no sign-in link is sent for a mere claim.
    assert await api.outbox("CouncilRegistered") == []
    assert await api.outbox("RecruiterInvited") == []

    # Even someone holding a recruiter's token for the council (a recruiter of a council that
    # signed up before claims were checked) sees nobody and changes nothing.
    pending = api.token(Role.RECRUITER, "early-recruiter", council_id)
    refused = [
        await api.http.post(f"/councils/{council_id}/search", json={}, headers=pending),
        await api.http.post(f"/councils/{council_id}/vacancies", json=vacancy(), headers=pending),
        await api.http.post(
            f"/councils/{council_id}/saved-searches", json={"name": "all", "filters": {}}, headers=pending
        ),
        await api.http.get(f"/councils/{council_id}/alerts", headers=pending),
        await api.http.post(
            f"/councils/{council_id}/recruiters",
            json={"name": "A Colleague", "email": "colleague@freemail.example"},
            headers=pending,
        ),
    ]
    for answer in refused:
        assert answer.status_code == 403, answer.text
        assert AWAITING in answer.json()["detail"]
    own = await api.http.get(f"/councils/{council_id}", headers=pending)
    assert own.status_code == 200
    assert own.json()["status"] == "pending"
    assert await api.outbox("RecruiterInvited") == []

    # The admin sees the claim with the contact's domain, flagged as not a council's.
    [waiting] = await api.claims()
    assert waiting["claim_id"] == claimed.json()["claim_id"]
    assert (waiting["council"], waiting["contact_domain"]) == ("Walsall", "freemail.example")
    assert waiting["government_domain"] is False

    approved = await api.approve(waiting["claim_id"])
    assert approved.status_code == 200, approved.text
    registered = await api.outbox("CouncilRegistered")
    assert [(e["council_id"], e["contact_email"], e["specialisms_needed"]) for e in registered] == [
        (council_id, "recruiter@freemail.example", ["data_analyst"])
    ]
    recruiter = await api.sign_in("recruiter@freemail.example")
    found = await api.http.post(f"/councils/{council_id}/search", json={}, headers=recruiter)
    assert found.status_code == 200, found.text
    assert found.json()["total"] == 1
    assert (
        await api.http.post(f"/councils/{council_id}/search", json={}, headers=pending)
    ).status_code == 200
    [decided] = await api.claims("approved")
    assert decided["council_status"] == "approved"


async def test_an_approved_council_cannot_be_claimed_again_and_rival_claims_are_rejected(api: Api) -> None:
    first = await api.claim(WALSALL, "morag@walsall.gov.uk")
    rival = await api.claim(WALSALL, "someone@elsewhere.example", "Someone Else")
    repeated = await api.claim(WALSALL, "Morag@walsall.gov.uk")
    assert [a.status_code for a in (first, rival, repeated)] == [201, 201, 201]
    assert len({first.json()["council_id"], rival.json()["council_id"]}) == 1
    assert repeated.json()["claim_id"] == first.json()["claim_id"]  # the same claim, not a new one
    waiting = {c["contact_domain"]: c for c in await api.claims()}
    assert set(waiting) == {"walsall.gov.uk", "elsewhere.example"}
    assert waiting["walsall.gov.uk"]["government_domain"] is True
    assert waiting["walsall.gov.uk"]["domain_names_council"] is True

    assert (await api.approve(first.json()["claim_id"])).status_code == 200
    again = await api.claim(WALSALL, "third@elsewhere.example", "Third Person")
    assert again.status_code == 409, again.text
    assert "Walsall is already on the programme" in again.json()["detail"]
    assert await api.claims() == []
    [lost] = [c for c in await api.claims("rejected") if c["claim_id"] == rival.json()["claim_id"]]
    assert "Another claim for Walsall was approved" in lost["reason"]
    [told] = await api.outbox("CouncilClaimRejected")
    assert (told["claim_id"], told["contact_email"]) == (
        rival.json()["claim_id"],
        "someone@elsewhere.example",
    )
    assert (await api.approve(rival.json()["claim_id"])).status_code == 409
    assert (await api.approve(first.json()["claim_id"])).status_code == 409
    assert (await api.approve(str(uuid4()))).status_code == 404
    assert len(await api.outbox("CouncilRegistered")) == 1


async def test_a_council_takes_at_most_a_few_waiting_claims(api: Api) -> None:
    for n in range(5):
        assert (await api.claim(WALSALL, f"person{n}@example.org")).status_code == 201
    too_many = await api.claim(WALSALL, "person5@example.org")
    assert too_many.status_code == 409
    assert "5 claims waiting" in too_many.json()["detail"]


async def test_a_rejected_claim_gives_the_council_nothing_and_it_can_be_claimed_anew(api: Api) -> None:
    claimed = await api.claim(WALSALL, "impostor@freemail.example")
    claim_id = claimed.json()["claim_id"]
    council_id = claimed.json()["council_id"]
    no_reason = await api.http.post(
        f"/council-claims/{claim_id}/reject", json={"reason": ""}, headers=api.admin
    )
    assert no_reason.status_code == 422
    rejected = await api.reject(claim_id, "Not a Walsall Council address")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    assert (await api.reject(claim_id)).status_code == 409
    assert (await api.approve(claim_id)).status_code == 409

    holder = api.token(Role.RECRUITER, "impostor", council_id)
    refused = await api.http.post(f"/councils/{council_id}/search", json={}, headers=holder)
    assert refused.status_code == 403
    assert "not approved" in refused.json()["detail"]
    assert (await api.http.get(f"/councils/{council_id}", headers=holder)).json()["status"] == "rejected"
    assert await api.outbox("CouncilRegistered") == []
    assert await api.outbox("RecruiterInvited") == []
    [decided] = await api.claims("rejected")
    assert decided["reason"] == "Not a Walsall Council address"
    [told] = await api.outbox("CouncilClaimRejected")
    assert (told["contact_email"], told["name"], told["reason"]) == (
        "impostor@freemail.example",
        "Walsall",
        "Not a Walsall Council address",
    )

    real = await api.claim(WALSALL, "recruitment@walsall.gov.uk")
    assert real.status_code == 201
    assert real.json()["council_id"] == council_id
    assert (await api.approve(real.json()["claim_id"])).status_code == 200
    assert (await api.http.post(f"/councils/{council_id}/search", json={}, headers=holder)).status_code == 200


async def test_only_programme_admins_see_and_decide_claims(api: Api) -> None:
    claim_id = (await api.claim(WALSALL, "morag@walsall.gov.uk")).json()["claim_id"]
    _, recruiter = await api.approved_council(BIRMINGHAM)
    for headers, expected in (
        (recruiter, 403),
        (api.token(Role.RECRUITER, "x", (await api.claim(WALSALL, "b@x.example")).json()["council_id"]), 403),
        (api.token(Role.CANDIDATE, str(uuid4())), 403),
        (api.token(Role.ASSESSOR), 403),
        ({}, 401),
    ):
        for method, path, body in (
            ("GET", "/council-claims", None),
            ("POST", f"/council-claims/{claim_id}/approve", None),
            ("POST", f"/council-claims/{claim_id}/reject", {"reason": "no"}),
        ):
            answer = await api.http.request(method, path, json=body, headers=headers)
            assert answer.status_code == expected, f"{method} {path}: {answer.text}"
    assert {c["claim_id"] for c in await api.claims()} >= {claim_id}
    assert len(await api.outbox("CouncilRegistered")) == 1  # Birmingham's only


# --------------------------------------------------------------------------- other councils' things


async def test_another_councils_things_answer_exactly_as_unknown_ones(api: Api) -> None:
    ref = await api.join_pool()
    walsall_id, walsall = await api.approved_council(WALSALL)
    birmingham_id, birmingham = await api.approved_council(BIRMINGHAM)
    posted = await api.http.post(f"/councils/{walsall_id}/vacancies", json=vacancy(), headers=walsall)
    vacancy_id = posted.json()["vacancy_id"]
    matches = await api.http.get(f"/vacancies/{vacancy_id}/matches", headers=walsall)
    [match] = [m for m in matches.json() if m["candidate_ref"] == ref]
    match_id = match["match_id"]
    unknown = str(uuid4())
    pairs = [
        ("GET", "/councils/{}", walsall_id, None),
        ("POST", "/councils/{}/search", walsall_id, {}),
        ("POST", "/councils/{}/vacancies", walsall_id, vacancy()),
        ("POST", "/councils/{}/recruiters", walsall_id, {"name": "Spy Person", "email": "spy@x.example"}),
        ("GET", "/vacancies/{}/matches", vacancy_id, None),
        ("POST", "/vacancies/{}/shortlist", vacancy_id, {"candidate_ref": ref}),
        ("POST", "/vacancies/{}/fill", vacancy_id, None),
        ("POST", "/matches/{}/reach-out", match_id, None),
        ("GET", "/matches/{}/contact", match_id, None),
        ("POST", "/matches/{}/interview", match_id, {"at": "2027-03-01T10:00:00Z", "place": "Civic Centre"}),
        ("POST", "/matches/{}/outcome", match_id, {"hired": False}),
    ]
    for method, path, theirs, body in pairs:
        other = await api.http.request(method, path.format(theirs), json=body, headers=birmingham)
        missing = await api.http.request(method, path.format(unknown), json=body, headers=birmingham)
        assert other.status_code == 404, f"{method} {path}: {other.text}"
        assert (other.status_code, other.json()) == (missing.status_code, missing.json()), path
    # A search scored against another council's vacancy finds no such vacancy either.
    scored = await api.http.post(
        f"/councils/{birmingham_id}/search",
        json={"vacancy_id": vacancy_id, "sort": "score"},
        headers=birmingham,
    )
    as_unknown = await api.http.post(
        f"/councils/{birmingham_id}/search", json={"vacancy_id": unknown, "sort": "score"}, headers=birmingham
    )
    assert (scored.status_code, scored.json()) == (404, as_unknown.json())
    assert [
        m["status"] for m in (await api.http.get(f"/vacancies/{vacancy_id}/matches", headers=walsall)).json()
    ] == ["proposed"]


# --------------------------------------------------------------------------- bounds


async def test_every_list_a_caller_sends_is_bounded(api: Api) -> None:
    council_id, recruiter = await api.approved_council(WALSALL)
    skill = {"skill": "Data visualisation", "level": 1}
    too_long: list[tuple[str, dict[str, Any], str]] = [
        (f"/councils/{council_id}/search", {"skills": [skill] * 8000}, "skills"),
        (f"/councils/{council_id}/search", {"skills": [skill] * 17000}, "skills"),
        (f"/councils/{council_id}/search", {"specialisms": ["data_analyst"] * 5000}, "specialisms"),
        (f"/councils/{council_id}/search", {"flexible_working": ["part_time"] * 5000}, "flexible_working"),
        (f"/councils/{council_id}/search", {"training_status": ["none"] * 5000}, "training_status"),
        (
            f"/councils/{council_id}/saved-searches",
            {"name": "many", "filters": {"skills": [skill] * 8000}},
            "filters.skills",
        ),
        (
            f"/councils/{council_id}/vacancies",
            vacancy(flexible_working=["part_time"] * 5000),
            "flexible_working",
        ),
        (f"/councils/{council_id}/vacancies", vacancy(required_skills=[skill] * 8000), "required_skills"),
    ]
    for path, body, field in too_long:
        answer = await api.http.post(path, json=body, headers=recruiter)
        assert answer.status_code == 422, f"{path} {field}: {answer.status_code} {answer.text[:300]}"
        problems = {e["field"]: e["message"] for e in answer.json()["errors"]}
        assert field in problems, problems
        assert "at most" in problems[field], problems
    signing_up = await api.claim(
        BIRMINGHAM, "b@birmingham.gov.uk", flexible_working_offered=["remote"] * 17000
    )
    assert signing_up.status_code == 422
    assert "at most 7" in signing_up.text
    assert (
        await api.claim(BIRMINGHAM, "b@birmingham.gov.uk", specialisms_needed=["data_analyst"] * 50)
    ).status_code == 422
    # Within the bounds, the same filters are answered.
    within = await api.http.post(
        f"/councils/{council_id}/search", json={"skills": [skill] * 30}, headers=recruiter
    )
    assert within.status_code == 200, within.text


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Morag Fairweather", "Morag Fairweather"),
        ("  Siân   O'Neill-Jones ", "Siân O'Neill-Jones"),
        (unicodedata.normalize("NFD", "Zoë Ångström"), "Zoë Ångström"),
        ("李小龍", "李小龍"),
        ("Ng", "Ng"),
    ],
)
def test_a_name_is_kept_nfc_normalised_and_trimmed(typed: str, kept: str) -> None:
    assert domain.person_name(typed) == kept
    assert unicodedata.is_normalized("NFC", domain.person_name(typed))
    assert domain.person_name_problem(typed) is None


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("12345", "at least one letter"),
        ("-- --", "at least one letter"),
        ("Morag\u202eriewhtaeF", "Remove the hidden characters"),  # right-to-left override
        ("Morag\u2066Admin\u2069", "U+2066"),  # left-to-right isolate
        ("Mor\u200bag", "U+200B"),  # zero-width space
        ("\ufeffMorag", "U+FEFF"),  # byte-order mark
        ("Morag\nFairweather", "U+000A"),
        ("Morag\x00", "U+0000"),
        ("M" * 201, "200 characters or fewer"),
    ],
)
def test_a_name_without_a_letter_or_with_hidden_characters_is_refused(typed: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        domain.person_name(typed)
    found = domain.person_name_problem(typed)
    assert found is not None
    assert found[0].isupper()


async def test_contacts_and_recruiters_names_are_checked_and_kept_normalised(api: Api) -> None:
    for name in ("1234", "Morag\u202eriewhtaeF", "Mor\u200bag Fairweather"):
        refused = await api.claim(WALSALL, "morag@walsall.gov.uk", name)
        assert refused.status_code == 422, name
        assert refused.json()["errors"][0]["field"] == "contact_name"
    decomposed = unicodedata.normalize("NFD", "Zoë Brontë")
    claimed = await api.claim(WALSALL, "zoe@walsall.gov.uk", decomposed)
    assert claimed.status_code == 201
    [claim] = await api.claims()
    assert claim["contact_name"] == "Zoë Brontë"
    assert (await api.approve(claim["claim_id"])).status_code == 200
    [invited] = await api.outbox("RecruiterInvited")
    assert invited["name"] == "Zoë Brontë"

    recruiter = await api.sign_in("zoe@walsall.gov.uk")
    council_id = claimed.json()["council_id"]
    for name in ("42", "Colleague\u2067"):
        refused = await api.http.post(
            f"/councils/{council_id}/recruiters",
            json={"name": name, "email": "c@walsall.gov.uk"},
            headers=recruiter,
        )
        assert refused.status_code == 422, name
    invited_colleague = await api.http.post(
        f"/councils/{council_id}/recruiters",
        json={"name": unicodedata.normalize("NFD", "Anaïs Colleague"), "email": "c@walsall.gov.uk"},
        headers=recruiter,
    )
    assert invited_colleague.status_code == 201
    assert (await api.outbox("RecruiterInvited"))[-1]["name"] == "Anaïs Colleague"


# --------------------------------------------------------------------------- domains


@pytest.mark.parametrize(
    ("domain_name", "council", "government", "names"),
    [
        ("walsall.gov.uk", "Walsall", True, True),
        ("cityofyork.gov.uk", "York", True, True),
        ("ards.gov.uk", "Ely", True, False),  # too short a word to tell
        ("birmingham.gov.uk", "Birmingham", True, True),
        ("hr.manchester.gov.uk", "Manchester", True, True),
        ("cardiff.gov.wales", "Cardiff", True, True),
        ("cyngor.llyw.cymru", "Cardiff", True, False),
        ("walsall.gov.uk", "Birmingham", True, False),
        ("walsall-gov.uk", "Walsall", False, True),
        ("gov.uk.walsall.example", "Walsall", False, True),
        ("gmail.com", "Walsall", False, False),
        # Another council's address sharing a word with this one's name is not its own.
        ("southtyneside.gov.uk", "North Tyneside", True, False),
        ("northyorks.gov.uk", "North Tyneside", True, False),
        ("eastsussex.gov.uk", "West Sussex", True, False),
        ("westberks.gov.uk", "West Sussex", True, False),
        ("eastriding.gov.uk", "East Lindsey", True, False),
        # Every word of the name, or its first five letters, is there.
        ("northyorks.gov.uk", "North Yorkshire", True, True),
        ("westberks.gov.uk", "West Berkshire", True, True),
        ("brighton-hove.gov.uk", "Brighton and Hove", True, True),
        ("stoke.gov.uk", "Stoke-on-Trent", True, True),
    ],
)
def test_a_claims_domain_is_judged_against_the_council(
    domain_name: str, council: str, government: bool, names: bool
) -> None:
    assert domain.is_government_domain(domain_name) is government
    assert domain.domain_names_council(domain_name, council) is names


def test_the_domain_of_an_address_is_its_part_after_the_last_at() -> None:
    assert domain.email_domain("Morag.F@Walsall.GOV.uk") == "walsall.gov.uk"
    assert domain.email_domain("no-at-sign") == ""
