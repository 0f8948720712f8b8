"""Erasure everywhere, over the real broker with all five services (docs/privacy.md, "What the
end-to-end test proves"). Six returners apply to one cohort and answer equality monitoring; one is
refused for an ongoing career break of 11 whole months; assessment screens the others, closes the
shortlist, takes their second stages (with videos) to two assessors registered through its API,
who score them blind, and closes the cohort with two places and a waiting list of two. The person
is selected, enrolled on training by the selection, proposed to a council (claimed, approved,
signed in from the e-mailed link), interviewed at a time they booked and hired by accepting the
council's offer; a waitlisted applicant is kept out of the pool.
Then the person is erased: every service processes CandidateErased; no API of any service answers
with them, no outbox row or stored row of any schema holds them, their video is gone, every figure
(applications' funnel, reach by region and council, fairness and savings; assessment's funnel;
training's counts; the council's hires) is what it was, and nobody is promoted into their place:
the waiting list is as it was, no new selection is published, nobody new is enrolled or pooled.
On the way it re-proves the issue's rule fixes: a draft keeps the names it was started with, the
phone number is released with the accepted contact, and the council's contact who is also its
first recruiter gets one e-mail per step."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from rtw_applications.app import SERVICE as APPLICATIONS
from rtw_applications.testing import submitted_application
from rtw_assessment.app import SERVICE as ASSESSMENT
from rtw_assessment.domain import default_config
from rtw_contracts import Programme
from rtw_contracts.months import add_months
from rtw_matching.app import SERVICE as MATCHING
from rtw_notifications.app import SERVICE as NOTIFICATIONS
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.erasure import (
    PersonTraces,
    assert_answers_without,
    assert_counts_unchanged,
    outbox_rows_with,
    stored_rows_with,
)
from rtw_platform.testing.fixtures import app_for
from rtw_platform.testing.mail import Mailbox, serve_mailbox
from rtw_platform.testing.waiting import eventually
from rtw_training.app import SERVICE as TRAINING
from sqlalchemy import text

pytestmark = pytest.mark.e2e

WALSALL = "E08000030"
CONTACT = "morag.fairweather@walsall.example"
SALARY = {"min_pence": 3_200_000, "max_pence": 3_800_000}
RECRUITER_LINK = re.compile(r"/matching/recruiters/sign-in/([\w.-]+)")
CANDIDATE_LINK = re.compile(r"/applications/sign-in/([\w.-]+)")
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 4000
CAPACITY, WAITLIST = 2, 2


@dataclass(frozen=True)
class Applicant:
    """One of the cohort: who they are, where they live, how the assessors score them (1-4 on
    every criterion; None for the one refused at screening) and their equality answers."""

    key: str
    given_name: str
    family_name: str
    phone: str
    district: str
    scores: tuple[int, ...] | None
    equality: dict[str, str]


COHORT = (
    # The person: the best second stage, selected, trained, hired, then erased.
    Applicant("person", "Ottoline", "Quarrington", "01632 960 101", "WS1", (4,), {"age_band": "35-44"}),
    Applicant("selected", "Barnaby", "Pettigrew", "01632 960 102", "WS2", (3,), {"age_band": "45-54"}),
    Applicant("waitlisted", "Cressida", "Hollowell", "01632 960 103", "B1", (2,), {"age_band": "35-44"}),
    Applicant("waitlisted2", "Desmond", "Ashcombe", "01632 960 104", "WV1", (2, 1), {"age_band": "25-34"}),
    Applicant("rejected", "Euphemia", "Strand", "01632 960 105", "DY1", (1,), {"age_band": "55-64"}),
    # Out of work since the 1st of the month 11 whole months ago, still: under the 12 months.
    Applicant("ineligible", "Fenwick", "Marlow", "01632 960 106", "LS1", None, {"age_band": "25-34"}),
)


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    yield from serve_mailbox()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def client(runtime: ServiceRuntime) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(runtime)), base_url="http://svc")


async def ok(http: httpx.AsyncClient, path: str, headers: Mapping[str, str]) -> Any:
    answer = await http.get(path, headers=dict(headers))
    assert answer.status_code == 200, f"GET {path}: {answer.status_code} {answer.text}"
    return answer.json()


async def all_published(runtimes: list[ServiceRuntime]) -> bool:
    for runtime in runtimes:
        async with runtime.engine.connect() as conn:
            waiting = await conn.execute(
                text(f"SELECT count(*) FROM {runtime.definition.schema}.outbox WHERE published_at IS NULL")
            )
            if waiting.scalar_one():
                return False
    return True


async def selections_published(assessment: ServiceRuntime) -> dict[str, tuple[str, str, int]]:
    """Every AssessmentScored in assessment's outbox: event id -> (application, outcome, sequence)."""
    async with assessment.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT event_id::text AS event_id, payload FROM assessment.outbox"
                " WHERE event_type = 'AssessmentScored'"
            )
        )
        return {
            row.event_id: (row.payload["application_id"], row.payload["outcome"], row.payload["sequence"])
            for row in rows
        }


async def consumed_by(runtimes: list[ServiceRuntime], event_ids: set[str]) -> bool:
    """Whether every one of these events has been handled by every one of these services."""
    for runtime in runtimes:
        async with runtime.engine.connect() as conn:
            seen = await conn.execute(
                text(
                    f"SELECT DISTINCT event_id::text FROM {runtime.definition.schema}.inbox"
                    " WHERE event_id::text = ANY(:ids)"
                ),
                {"ids": sorted(event_ids)},
            )
            if len(seen.all()) < len(event_ids):
                return False
    return True


def ongoing_break_of_eleven_whole_months() -> dict[str, Any]:
    """A break that started on the 1st of the month 11 months before this one and goes on."""
    started = add_months(datetime.now(UTC).date().replace(day=1), -11)
    return {"start": started.strftime("%Y-%m"), "end": None, "reason": "long_term_unemployed"}


async def test_an_erased_hire_is_gone_from_every_service_every_figure_stays_and_nobody_is_promoted(
    start_service: Callable[..., Any],
    make_application: Callable[..., dict[str, Any]],
    mailbox: Mailbox,
    tmp_path: Path,
) -> None:
    store = f"file://{tmp_path}"
    applications: ServiceRuntime = await start_service(APPLICATIONS, file_store_url=store)
    assessment: ServiceRuntime = await start_service(ASSESSMENT, file_store_url=store)
    training: ServiceRuntime = await start_service(TRAINING)
    matching: ServiceRuntime = await start_service(MATCHING)
    notifications: ServiceRuntime = await start_service(
        NOTIFICATIONS, smtp_port=mailbox.port, dispatch_interval_s=0.1
    )
    runtimes = [applications, assessment, training, matching, notifications]
    secret = applications.settings.token_secret.get_secret_value()
    admin = bearer(issue_token(secret, Principal(subject="admin-1", role=Role.ADMIN)))
    assessors = {
        f"assessor-{n}": bearer(issue_token(secret, Principal(f"assessor-{n}", Role.ASSESSOR)))
        for n in (1, 2)
    }
    apps, assess, train, match, notify = (client(r) for r in runtimes)
    async with apps, assess, train, match, notify:
        # A council is claimed, approved, and its contact signs in from the e-mailed link.
        signed_up = await match.post(
            "/councils",
            json={
                "gss_code": WALSALL,
                "contact_name": "Morag Fairweather",
                "contact_email": CONTACT,
                "specialisms_needed": ["software_developer"],
                "flexible_working_offered": ["part_time", "hybrid"],
            },
        )
        assert signed_up.status_code == 201, signed_up.text
        council_id = signed_up.json()["council_id"]
        approved = await match.post(f"/council-claims/{signed_up.json()['claim_id']}/approve", headers=admin)
        assert approved.status_code == 200, approved.text
        mails = await mailbox.wait_for(CONTACT, count=2, timeout=30)
        [link] = [found for found in (RECRUITER_LINK.search(m.text) for m in mails) if found]
        signed_in = await match.post("/recruiters/sign-in/token", json={"token": link.group(1)})
        assert signed_in.status_code == 200, signed_in.text
        council = bearer(signed_in.json()["access_token"])

        provider = {"id": "socitm", "name": "Socitm", "cohorts": ["ict-test"]}
        assert (await train.put("/providers/socitm", json=provider, headers=admin)).status_code == 200

        # The cohort's configuration: the best five eligible shortlisted, two places, two waiting.
        cohort = make_application()["cohort_id"]
        config = default_config(Programme.ICT).model_copy(
            update={
                "shortlist_size": 5,
                "shortlist_threshold": None,
                "capacity": CAPACITY,
                "waitlist_size": WAITLIST,
            }
        )
        put = await assess.put(
            f"/cohorts/{cohort}/config", json=config.model_dump(mode="json"), headers=admin
        )
        assert put.status_code == 200, put.text
        for assessor_id in assessors:
            body = {"id": assessor_id, "display_name": assessor_id.title(), "programmes": ["ict"]}
            assert (
                await assess.put(f"/assessors/{assessor_id}", json=body, headers=admin)
            ).status_code == 200

        # A draft started with names keeps them (the sign-in link comes by e-mail).
        drafter = f"wilhelmina.{uuid4().hex[:8]}@example.org"
        started = await apps.post(
            "/applications/drafts",
            json={"cohort_id": cohort, "email": drafter, "given_name": "Wilhelmina", "family_name": "Drafte"},
        )
        assert started.status_code == 202, started.text
        [draft_mail] = await mailbox.wait_for(drafter, timeout=30)
        draft_link = CANDIDATE_LINK.search(draft_mail.text)
        assert draft_link, draft_mail.text
        exchanged = await apps.post("/sign-in/token", json={"token": draft_link.group(1)})
        assert exchanged.status_code == 200, exchanged.text
        draft = await apps.post(
            "/candidates/me/applications",
            json={"cohort_id": cohort},
            headers=bearer(exchanged.json()["access_token"]),
        )
        assert draft.status_code == 201, draft.text
        assert (draft.json()["answers"]["given_name"], draft.json()["answers"]["family_name"]) == (
            "Wilhelmina",
            "Drafte",
        )

        # Six apply (a partner's service, with an admin's token), each answering equality monitoring.
        forms: dict[str, dict[str, Any]] = {}
        receipts: dict[str, dict[str, Any]] = {}
        words = {a.key: f"{a.key}-words-{uuid4().hex[:10]}" for a in COHORT}
        for applicant in COHORT:
            form = make_application(
                given_name=applicant.given_name,
                family_name=applicant.family_name,
                email=f"{applicant.given_name.lower()}.{uuid4().hex[:8]}@example.org",
                phone=applicant.phone,
                postcode_district=applicant.district,
            )
            if applicant.scores is None:
                form["career_break"] = ongoing_break_of_eleven_whole_months()
            receipt = await submitted_application(apps, secret, form)
            answered = await apps.put(
                f"/applications/{receipt['application_id']}/equality-monitoring",
                json={"sex": "female", "ethnicity": "white", "disability": "no", **applicant.equality},
                headers=bearer(receipt["access_token"]),
            )
            assert answered.status_code == 204, answered.text
            forms[applicant.key], receipts[applicant.key] = form, receipt
        app_id = {key: r["application_id"] for key, r in receipts.items()}
        cand_id = {key: r["candidate_id"] for key, r in receipts.items()}
        token = {key: bearer(r["access_token"]) for key, r in receipts.items()}
        form = forms["person"]
        candidate = token["person"]
        candidate_id, application_id = cand_id["person"], app_id["person"]
        reference = receipts["person"]["reference"]

        async def statuses() -> dict[str, str]:
            return {
                key: (await ok(apps, f"/applications/{app_id[key]}", token[key]))["status"] for key in app_id
            }

        async def all_screened() -> bool:
            funnel = await ok(assess, f"/cohorts/{cohort}/funnel", admin)
            return bool(funnel["applications"] == len(COHORT))

        await eventually(all_screened, timeout=60, what="every application screened")
        # The ongoing break is 11 whole months as of today: refused, saying so.
        refused = await ok(assess, f"/applications/{app_id['ineligible']}/decisions", admin)
        assert [d["outcome"] for d in refused] == ["ineligible"], refused
        screened = refused[0]
        assert [r["code"] for r in screened["reasons"]] == ["career_break_too_short"], screened
        assert "is 11 months; the programme is for 12 months or more" in screened["reasons"][0]["message"]

        shortlisting = await assess.post(f"/cohorts/{cohort}/shortlist", headers=admin)
        assert shortlisting.status_code == 200, shortlisting.text
        assert shortlisting.json() == {"shortlisted": 5, "not_shortlisted": 0}

        async def shortlisted() -> dict[str, str]:
            now = await statuses()
            return now if Counter(now.values())["shortlisted"] == 5 else {}

        assert (await eventually(shortlisted, timeout=30, what="five shortlisted"))[
            "ineligible"
        ] == "ineligible"

        # Second stages, each with its own words and its own video.
        for applicant in COHORT:
            if applicant.scores is None:
                continue
            answers = {
                "ict-problem": f"I rebuilt a council's repairs booking service ({words[applicant.key]}).",
                "ict-change": "Cloud and continuous delivery; I am retraining.",
                "ict-council": "Public service matters to me.",
            }
            video = MP4 + words[applicant.key].encode()
            sent = await apps.post(
                f"/applications/{app_id[applicant.key]}/second-stage",
                data={"answers": json.dumps(answers)},
                files={"video": ("v.mp4", video, "video/mp4")},
                headers=token[applicant.key],
            )
            assert sent.status_code == 201, sent.text

        async def all_assigned() -> bool:
            funnel = await ok(assess, f"/cohorts/{cohort}/funnel", admin)
            return bool(funnel["second_stage_submitted"] == 5 and funnel["pending_assignments"] == 10)

        await eventually(all_assigned, timeout=30, what="two assessors for every second stage")

        # The assessors score blind: each submission is known by its words alone.
        by_words = {words[a.key]: a for a in COHORT}
        person_assignment: tuple[str, dict[str, str]] | None = None
        opinion = f"about-them-{uuid4().hex[:10]}"
        for assessor in assessors.values():
            for item in await ok(assess, "/assessor/queue", assessor):
                blind = await ok(assess, f"/assessor/assignments/{item['assignment_id']}", assessor)
                [applicant] = [a for w, a in by_words.items() if w in blind["answers"]["ict-problem"]]
                assert applicant.given_name not in json.dumps(blind)
                assert applicant.scores is not None
                criteria = [c["id"] for c in blind["rubric"]["criteria"]]
                scores = {
                    c: applicant.scores[min(i, len(applicant.scores) - 1)] for i, c in enumerate(criteria)
                }
                comments = f"Clear and current ({opinion})." if applicant.key == "person" else ""
                card = {"scores": scores, "recommendation": "yes", "comments": comments}
                scored = await assess.post(
                    f"/assessor/assignments/{item['assignment_id']}/scorecard", json=card, headers=assessor
                )
                assert scored.status_code == 201, scored.text
                if applicant.key == "person":
                    person_assignment = (f"/assessor/assignments/{item['assignment_id']}", assessor)
        assert person_assignment is not None

        closed = await assess.post(f"/cohorts/{cohort}/close", headers=admin)
        assert closed.status_code == 200, closed.text
        assert closed.json() == {"selected": 2, "waitlisted": 2, "rejected": 1}

        # The selection, as each journey shows it (the selected go straight on to training).
        final = {
            "person": "enrolled",
            "selected": "enrolled",
            "waitlisted": "waitlisted",
            "waitlisted2": "waitlisted",
            "rejected": "rejected",
            "ineligible": "ineligible",
        }
        seen: list[dict[str, str]] = []

        async def outcomes() -> bool:
            seen.append(await statuses())
            return seen[-1] == final

        try:
            await eventually(outcomes, timeout=30, what="the outcomes in every journey")
        except AssertionError as timed_out:
            raise AssertionError(f"the journeys show {seen[-1]}, not {final}") from timed_out

        # The selection enrols the person on training (TrainingEnrolled, from the real flow).
        async def enrolled() -> dict[str, Any]:
            mine = await ok(train, f"/candidates/{candidate_id}/training", candidate)
            return mine["enrolments"][0] if mine.get("enrolments") else {}

        enrolment: dict[str, Any] = await eventually(enrolled, timeout=30, what="the enrolment on training")

        async def enrolments_of(key: str) -> list[Any]:
            answer = await train.get(f"/candidates/{cand_id[key]}/training", headers=admin)
            assert answer.status_code in (200, 404), answer.text
            return list(answer.json().get("enrolments") or []) if answer.status_code == 200 else []

        async def pool() -> set[str]:
            found = await match.post(f"/councils/{council_id}/search", json={}, headers=council)
            assert found.status_code == 200, found.text
            return {r["candidate_ref"] for r in found.json()["results"]}

        async def both_selected_in_the_pool() -> bool:
            return {app_id["person"], app_id["selected"]} <= await pool()

        await eventually(both_selected_in_the_pool, timeout=30, what="the selected two in Walsall's pool")
        await eventually(lambda: all_published(runtimes), timeout=30, what="every outbox published")
        outcomes_sent = set(await selections_published(assessment))
        await eventually(
            lambda: consumed_by([training, matching], outcomes_sent),
            timeout=30,
            what="every outcome consumed by training and matching",
        )
        # The pool holds the selected, not the waiting list (nor the rejected or the refused).
        assert await pool() == {app_id["person"], app_id["selected"]}
        assert await enrolments_of("waitlisted") == []

        # The council posts a vacancy, shortlists, reaches out; the candidate accepts; a hire.
        posted = await match.post(
            f"/councils/{council_id}/vacancies",
            json={
                "title": "Software developer",
                "programme": "ict",
                "specialism": "software_developer",
                "role": "Software developer",
                "role_level": "Senior developer",
                "required_skills": [
                    {"skill": "Programming and build (software engineering)", "level": 3},
                    {"skill": "Systems design", "level": 3},
                ],
                "base_postcode_districts": ["WS1"],
                "work_mode": "hybrid",
                "flexible_working": ["part_time"],
                "salary_band": SALARY,
                "hours_per_week": 30,
                "closing_date": (datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
            },
            headers=council,
        )
        assert posted.status_code == 201, posted.text
        vacancy_id = posted.json()["vacancy_id"]

        async def proposed() -> list[dict[str, Any]]:
            return [
                m
                for m in await ok(match, f"/vacancies/{vacancy_id}/matches", council)
                if m["candidate_ref"] == application_id
            ]

        await eventually(proposed, timeout=30, what="the candidate proposed for the vacancy")
        shortlisted_match = await match.post(
            f"/vacancies/{vacancy_id}/shortlist", json={"candidate_ref": application_id}, headers=council
        )
        assert shortlisted_match.status_code == 201, shortlisted_match.text
        match_id = shortlisted_match.json()["match_id"]
        reached = await match.post(f"/matches/{match_id}/reach-out", headers=council)
        assert reached.status_code == 200, reached.text
        accepted = await match.post(
            f"/matches/{match_id}/response", json={"response": "accepted"}, headers=candidate
        )
        assert accepted.status_code == 200, accepted.text
        contact = await ok(match, f"/matches/{match_id}/contact", council)
        # The council has their details, the phone they gave for a council to call among them.
        assert (contact["given_name"], contact["family_name"], contact["email"], contact["phone"]) == (
            form["given_name"],
            form["family_name"],
            form["email"],
            form["phone"],
        )
        # They book an interview from the times proposed (the council records feedback on it), and
        # are hired by accepting the council's offer: interviews, offers and the interview noted
        # for its reminder are among what erasure must leave nothing of.
        at = (datetime.now(UTC) + timedelta(days=9)).replace(microsecond=0)
        proposal = await match.post(
            f"/matches/{match_id}/interview-slots",
            json={"slots": [{"starts_at": at.isoformat(), "place": "Civic Centre, room 2"}]},
            headers=council,
        )
        assert proposal.status_code == 201, proposal.text
        interview_id = proposal.json()["interview_id"]
        booked = await match.post(f"/interviews/{interview_id}/booking", json={"slot": 0}, headers=candidate)
        assert booked.status_code == 200, booked.text
        feedback = {"ratings": dict.fromkeys(("skills", "experience", "communication", "values"), 4)}
        recorded = await match.put(
            f"/interviews/{interview_id}/feedback",
            json={**feedback, "recommendation": "offer", "notes": "Strong on data."},
            headers=council,
        )
        assert recorded.status_code == 200, recorded.text
        offer = {"salary_pence": 3_300_000, "start_date": "2027-04-06", "hours_per_week": 30}
        offered = await match.post(f"/matches/{match_id}/offer", json=offer, headers=council)
        assert offered.status_code == 201, offered.text
        hired = await match.post(
            f"/offers/{offered.json()['offer_id']}/response", json={"response": "accepted"}, headers=candidate
        )
        assert hired.json()["status"] == "accepted", hired.text

        async def journey_shows_hired() -> bool:
            view = await ok(apps, f"/applications/{application_id}", candidate)
            return bool(view.get("label") == "Hired")

        await eventually(journey_shows_hired, timeout=30, what="the hire in the candidate's journey")

        async def delivered_to_them() -> bool:
            log = await ok(notify, f"/deliveries?recipient_id={candidate_id}", admin)
            return "interview_invited" in {d["template"] for d in log["items"]}

        await eventually(delivered_to_them, timeout=30, what="a message delivered to the candidate")

        # The council's contact is also its first recruiter: one e-mail per step to the address.
        async def council_mail() -> Counter[tuple[str, str]]:
            async with notifications.engine.connect() as conn:
                rows = await conn.execute(
                    text(
                        "SELECT event_id::text AS event_id, template FROM notifications.deliveries"
                        " WHERE lower(to_address) = :a"
                    ),
                    {"a": CONTACT},
                )
                mail = Counter((row.event_id, row.template) for row in rows)
            wanted = {"council_registered", "recruiter_invited", "match_proposed", "candidate_answer"}
            return mail if wanted <= {template for _, template in mail} else Counter()

        council_messages = await eventually(council_mail, timeout=30, what="the council's messages")
        assert set(council_messages.values()) == {1}, f"the council's contact got copies: {council_messages}"
        await eventually(lambda: all_published(runtimes), timeout=30, what="every outbox published")

        # Every service served them: their own answers, as them and as staff.
        served: list[tuple[httpx.AsyncClient, str, Mapping[str, str]]] = [
            (apps, f"/candidates/{candidate_id}/export", candidate),
            (apps, f"/candidates/{candidate_id}/export", admin),
            (apps, f"/applications/{application_id}", candidate),
            (apps, f"/applications/{application_id}", admin),
            (assess, f"/applications/{application_id}/decisions", admin),
            (assess, f"/applications/{application_id}/decisions", candidate),
            (assess, *person_assignment),
            (train, f"/candidates/{candidate_id}/training", candidate),
            (train, f"/candidates/{candidate_id}/training", admin),
            (train, f"/cohorts/{cohort}/progress", admin),
            (match, f"/candidates/{candidate_id}/matches", candidate),
            (match, f"/vacancies/{vacancy_id}/matches", council),
            (match, f"/matches/{match_id}/contact", council),
            (notify, f"/deliveries?recipient_id={candidate_id}", admin),
            (notify, "/deliveries", admin),
        ]
        traces = PersonTraces.of(
            candidate_id,
            application_id,
            match_id,
            enrolment["enrolment_id"],
            reference,
            form["email"],
            form["given_name"],
            form["family_name"],
            form["phone"],
            words["person"],
            opinion,
        )
        before_answers = [
            (await http.get(path, headers=dict(headers))).text for http, path, headers in served
        ]
        # Each answer named them before (assessment's decisions name nobody: it is blind).
        for (_, path, _), answer in zip(served, before_answers, strict=True):
            assert traces.found_in(answer) or path.endswith("/decisions"), f"GET {path} did not name them"
        assert [p for p in tmp_path.rglob("*") if p.is_file() and words["person"].encode() in p.read_bytes()]

        async def figures() -> dict[str, Any]:
            found: dict[str, Any] = {}
            for report in ("funnel", "reach", "fairness", "savings"):
                found[f"applications {report}"] = await ok(
                    apps, f"/reports/{report}?cohort_id={cohort}", admin
                )
                found[f"applications {report} csv"] = (
                    await apps.get(f"/reports/{report}?cohort_id={cohort}&format=csv", headers=admin)
                ).text
            found["assessment funnel"] = await ok(assess, f"/cohorts/{cohort}/funnel", admin)
            found["training counts"] = await ok(train, f"/cohorts/{cohort}/counts", admin)
            view = await ok(match, f"/councils/{council_id}", council)
            found["council hires"] = view["hires"]
            found["council vacancies"] = view["vacancies"]
            return found

        before = await figures()
        # The figures are the cohort's, not empty ones.
        assert before["council hires"] == 1
        assert before["training counts"]["enrolled"] == 2
        assert before["assessment funnel"]["selection"] == {"selected": 2, "waitlisted": 2, "rejected": 1}
        steps = {s["step"]: s["people"] for s in before["applications funnel"]["steps"]}
        assert (
            steps["started"],
            steps["submitted"],
            steps["eligible"],
            steps["selected"],
            steps["hired"],
        ) == (
            7,
            6,
            5,
            2,
            1,
        )
        reach = before["applications reach"]
        assert reach["per_region"]["west_midlands"] == {"applicants": 5, "selected": 2, "hired": 1}
        assert reach["per_region"]["yorkshire_and_the_humber"] == {"applicants": 1}
        assert reach["per_council"]["Walsall"] == {"applicants": 2, "selected": 2, "hired": 1}
        assert reach["per_council"]["Birmingham"] == {"applicants": 1}
        fairness = {(r["step"], r["group"]): r for r in before["applications fairness"]["sex"]}
        assert fairness[("selected", "female")]["people"] == 6
        assert fairness[("selected", "female")]["pass_rate"] == round(2 / 6, 4)
        assert fairness[("hired", "female")]["pass_rate"] == round(1 / 6, 4)
        assert before["applications savings"]["total"]["hires"] == 1

        # What a promotion would change: the waiting list's outcomes, decisions and enrolments.
        others = [key for key in app_id if key != "person"]

        async def the_others() -> dict[str, Any]:
            return {
                "outcomes published": sorted(
                    outcome
                    for outcome in (await selections_published(assessment)).values()
                    if outcome[0] != application_id
                ),
                "decisions": {
                    key: await ok(assess, f"/applications/{app_id[key]}/decisions", admin) for key in others
                },
                "journeys": {
                    key: (await ok(apps, f"/applications/{app_id[key]}", token[key]))["status"]
                    for key in others
                },
                "enrolments": {key: len(await enrolments_of(key)) for key in others},
            }

        others_before = await the_others()
        assert others_before["enrolments"] == {
            "selected": 1,
            "waitlisted": 0,
            "waitlisted2": 0,
            "rejected": 0,
            "ineligible": 0,
        }

        # They are erased (an admin acts on their request).
        erased = await apps.post(f"/candidates/{candidate_id}/erasure", headers=admin)
        assert erased.status_code == 200, erased.text
        async with applications.engine.connect() as conn:
            event_id = (
                await conn.execute(
                    text(
                        "SELECT event_id::text FROM applications.outbox WHERE event_type = 'CandidateErased'"
                        " AND payload->>'candidate_id' = :c"
                    ),
                    {"c": candidate_id},
                )
            ).scalar_one()
        await eventually(
            lambda: consumed_by(runtimes[1:], {event_id}),
            timeout=60,
            what="CandidateErased processed by every service",
        )
        await eventually(lambda: all_published(runtimes), timeout=30, what="every outbox published")
        # Whatever assessment published since (a promotion would be an AssessmentScored) has
        # reached training and matching before they are asked.
        outcomes_sent = set(await selections_published(assessment))
        await eventually(
            lambda: consumed_by([training, matching], outcomes_sent),
            timeout=30,
            what="every outcome consumed by training and matching",
        )

        # (1) Nobody was promoted into their place: the waiting list waits, no new outcome was
        # published, nobody new is enrolled, the pool has only the other selected candidate.
        others_after = await the_others()
        assert others_after == others_before, "erasure changed what the others were given"
        assert await pool() == {app_id["selected"]}
        after = await figures()
        assert after["assessment funnel"]["selection"] == {"selected": 2, "waitlisted": 2, "rejected": 1}
        assert after["training counts"]["enrolled"] == 2  # theirs, counted without them; nobody new

        # (2) Every figure is what it was.
        assert_counts_unchanged(before, after)

        # (3) No API of any service answers with them; their decisions (blind, so without their
        # name) and their blind submission answer as for an unknown id.
        for http, path, headers in served:
            await assert_answers_without(http, traces, [(path, headers)])
        for path, headers in [
            (f"/applications/{application_id}/decisions", admin),
            (f"/applications/{application_id}/decisions", candidate),
            person_assignment,
        ]:
            gone = await assess.get(path, headers=headers)
            assert gone.status_code == 404, f"GET {path}: {gone.status_code} {gone.text}"

        # (4) No outbox row, and no stored row, of any schema holds them (applications keeps
        # the CandidateErased row, by id only, until the relay's purge); their video is gone.
        for runtime in runtimes:
            rows = await outbox_rows_with(runtime, traces)
            if runtime is applications:
                rows = [r for r in rows if not r.startswith("CandidateErased:")]
            assert rows == [], f"{runtime.definition.schema}.outbox still holds them: {rows}"
        their_words = PersonTraces.of(
            form["email"],
            form["given_name"],
            form["family_name"],
            form["phone"],
            reference,
            words["person"],
            opinion,
        )
        for runtime in runtimes:
            stored = await stored_rows_with(runtime, their_words)
            assert stored == [], f"{runtime.definition.schema} still stores them: {stored}"
        # Their interviews (the council's feedback on them), offers and the interview noted for its
        # reminder are rows that name them by id only, which the search above does not look for.
        for runtime, table in (
            (matching, "interviews"),
            (matching, "offers"),
            (notifications, "interview_notes"),
        ):
            async with runtime.engine.connect() as conn:
                left = await conn.execute(
                    text(f"SELECT count(*) FROM {runtime.definition.schema}.{table} WHERE candidate_id = :c"),
                    {"c": candidate_id},
                )
                assert left.scalar_one() == 0, f"{table} still holds their rows"
        assert not [
            p for p in tmp_path.rglob("*") if p.is_file() and words["person"].encode() in p.read_bytes()
        ]
