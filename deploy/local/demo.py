"""The demo's cohort, played through the demo's own platform over its HTTP APIs (`make demo`
starts that platform, on a database and vhost of its own: demo_platform.py, then runs this).

About 170 candidates apply (Faker en_GB names, real postcode districts across every region, a mix
of career breaks, experience and specialisms; some ineligible), the best 44 are shortlisted and
send second stages with small videos, three assessors score them, 20 are selected and a waiting
list kept, the selected train to a certificate, councils sign up and post vacancies, the
platform matches, recruiters reach out, candidates answer and some are hired. At the end: the
funnel, reach, fairness and savings as the platform's own reports answer them (demo_reports.py),
and the e-mails its notifications service sent.

Each run uses a fresh cohort, so running it twice works.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from demo_reports import fetch_reports, print_reports  # deploy/local/demo_reports.py
from demo_story import (
    StoryFailed,
    adjustment_agreed,
    guaranteed_opt_in,
    interview_to_hire,
    shortlisted_line,
)  # deploy/local/demo_story.py
from faker import Faker
from rich.console import Console
from rich.progress import Progress
from rtw_contracts import IctSpecialism
from rtw_platform import reference
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.settings import ServiceSettings

# A terminal's own width; a log or pipe gets room for the reports' widest table.
console = Console(width=None if sys.stdout.isatty() else 120)
URLS = {
    "applications": "http://127.0.0.1:8001",
    "assessment": "http://127.0.0.1:8002",
    "matching": "http://127.0.0.1:8003",
    "notifications": "http://127.0.0.1:8004",
    "training": "http://127.0.0.1:8005",
}
APPLICANTS, SHORTLIST, CAPACITY, WAITLIST = 170, 44, 20, 5
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + os.urandom(20_000)
SPECIALISMS = [
    "software_developer",
    "data_analyst",
    "it_technical_support",
    "project_manager",
    "security_specialist",
]


def skills_of(specialism: str) -> list[str]:
    """The framework skills the specialism's roles need (what applicants rate themselves on)."""
    return sorted(reference.skills_for_roles(tuple(IctSpecialism(specialism).ddat_roles)))


def token(role: Role, subject: str, **scope: str) -> dict[str, str]:
    secret = ServiceSettings().token_secret.get_secret_value()
    return {"Authorization": f"Bearer {issue_token(secret, Principal(subject=subject, role=role, **scope))}"}


def subject_of(access_token: str) -> str:
    payload = access_token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


async def wait_for(what: str, probe: Any, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := await probe():
            return result
        await asyncio.sleep(0.5)
    raise SystemExit(f"demo: gave up waiting for {what}")


def applicant(fake: Faker, rng: random.Random, cohort: str, districts: list[str]) -> dict[str, Any]:
    specialism = rng.choice(SPECIALISMS)
    reason = rng.choices(["caring", "caring_covid_unemployed", "long_term_unemployed"], [0.7, 0.15, 0.15])[0]
    start = datetime.now(UTC).date() - timedelta(days=rng.randint(200, 3000))
    form: dict[str, Any] = {
        "cohort_id": cohort,
        "given_name": fake.first_name(),
        "family_name": fake.last_name(),
        "email": f"{fake.user_name()}.{rng.randint(1000, 9999)}@example.org",
        "phone": "01632 960 " + f"{rng.randint(0, 999):03d}",
        "preferred_language": "cy" if rng.random() < 0.05 else "en",
        "postcode_district": rng.choice(districts),
        "right_to_work": rng.random() > 0.04,
        "career_break": {"start": start.strftime("%Y-%m"), "end": None, "reason": reason},
        "years_experience": round(rng.uniform(0.5, 22), 1),
        "specialisms": [specialism],
        "skills": [
            {"skill": s, "level": rng.randint(1, 4)}
            for s in rng.sample(skills_of(specialism), k=min(6, len(skills_of(specialism))))
        ],
        "work_preferences": {
            "flexible_working": rng.sample(
                ["part_time", "job_share", "compressed_hours", "term_time", "remote", "hybrid"],
                k=rng.randint(0, 2),
            ),
            "max_travel_km": rng.choice([15, 25, 40, 60]),
            "visible_to_regions": [],
            "visible_to_councils": [],
            "earliest_start": (datetime.now(UTC).date() + timedelta(days=rng.randint(30, 120))).isoformat(),
        },
        "privacy_notice_version": "2026-09",
        "consent_to_processing": True,
    }
    if rng.random() < 0.85:  # the equality-monitoring questions are optional
        form["equality_monitoring"] = equality_answers(rng)
    region = reference.postcode_district(form["postcode_district"]).region.value  # type: ignore[union-attr]
    form["work_preferences"]["visible_to_regions"] = [region]
    return form


def equality_answers(rng: random.Random) -> dict[str, str]:
    """Optional equality-monitoring answers (what the fairness report groups people by)."""

    def pick(weights: dict[str, float]) -> str:
        return rng.choices(list(weights), list(weights.values()))[0]

    return {
        "sex": pick({"female": 0.72, "male": 0.24, "other": 0.01, "prefer_not_to_say": 0.03}),
        "age_band": pick(
            {"25-34": 0.22, "35-44": 0.38, "45-54": 0.28, "55-64": 0.1, "prefer_not_to_say": 0.02}
        ),
        "ethnicity": pick(
            {
                "white": 0.78,
                "asian": 0.09,
                "black": 0.05,
                "mixed": 0.03,
                "other": 0.02,
                "prefer_not_to_say": 0.03,
            }
        ),
        "disability": pick({"yes": 0.14, "no": 0.8, "prefer_not_to_say": 0.06}),
        "caring": pick({"yes": 0.7, "no": 0.27, "prefer_not_to_say": 0.03}),
    }


async def main() -> int:
    rng = random.Random()
    fake = Faker("en_GB")
    admin = token(Role.ADMIN, "demo-admin")
    async with httpx.AsyncClient(timeout=30) as http:
        for name, url in URLS.items():
            try:
                ready = await http.get(f"{url}/health/consuming")
            except httpx.HTTPError:
                ready = None
            if ready is None or ready.status_code != 200:
                console.print(
                    f"[red]{name} is not running at {url}: `make demo` starts the demo's own platform[/red]"
                )
                return 1
        today = datetime.now(UTC).date()
        cohort = f"ict-demo-{datetime.now(UTC):%Y%m%d%H%M%S}"
        console.rule(f"Cohort {cohort}")
        await http.put(
            f"{URLS['applications']}/cohorts/{cohort}",
            headers=admin,
            json={
                "id": cohort,
                "programme": "ict",
                "title": "Return to Work - ICT (demo)",
                "opens_on": (today - timedelta(days=7)).isoformat(),
                "closes_on": (today + timedelta(days=60)).isoformat(),
            },
        )
        config = await http.get(f"{URLS['assessment']}/cohorts/ict-test/config", headers=admin)
        from rtw_assessment.domain import default_config
        from rtw_contracts import Programme

        settings = default_config(Programme.ICT).model_copy(
            update={
                "shortlist_threshold": None,
                "shortlist_size": SHORTLIST,
                "capacity": CAPACITY,
                "waitlist_size": WAITLIST,
            }
        )
        assert (
            await http.put(
                f"{URLS['assessment']}/cohorts/{cohort}/config",
                headers=admin,
                json=settings.model_dump(mode="json"),
            )
        ).status_code == 200
        del config

        districts = sorted(reference.postcode_districts())
        candidates: dict[str, dict[str, Any]] = {}
        with Progress(console=console) as progress:
            task = progress.add_task("candidates apply", total=APPLICANTS)
            for _ in range(APPLICANTS):
                form = applicant(fake, rng, cohort, districts)
                # Sent as a partner's service would (an admin's token): an anonymous caller is only
                # told that a link was e-mailed. Each candidate then acts with the token their
                # e-mailed sign-in link would give them.
                receipt = await http.post(f"{URLS['applications']}/applications", json=form, headers=admin)
                if receipt.status_code == 201:
                    body = receipt.json()
                    signed_in = token(Role.CANDIDATE, body["candidate_id"])["Authorization"].split()[1]
                    candidates[body["application_id"]] = {"token": signed_in, "form": form}
                else:
                    console.print(
                        f"[yellow]an application was refused: {receipt.json().get('detail')}[/yellow]"
                    )
                progress.advance(task)

        # One more applies as people do (a draft, the e-mailed link), declares a disability and
        # opts into the guaranteed second stage (Disability Confident).
        form = applicant(fake, rng, cohort, districts) | {"right_to_work": True}
        guaranteed, guaranteed_token, lines = await guaranteed_opt_in(
            http,
            URLS["applications"],
            ServiceSettings().token_secret.get_secret_value(),
            form=form,
            maildir=Path(os.environ.get("RTW_MAILDIR", "var/demo/mail")),
        )
        candidates[guaranteed] = {"token": guaranteed_token, "form": form}
        for line in lines:
            console.print(line)

        async def screened() -> dict[str, Any] | None:
            funnel = (await http.get(f"{URLS['assessment']}/cohorts/{cohort}/funnel", headers=admin)).json()
            return funnel if funnel.get("applications") == len(candidates) else None

        await wait_for("screening", screened)
        await http.post(f"{URLS['assessment']}/cohorts/{cohort}/shortlist", headers=admin)
        for number in range(1, 4):
            await http.put(
                f"{URLS['assessment']}/assessors/demo-assessor-{number}",
                headers=admin,
                json={"id": f"demo-assessor-{number}", "display_name": fake.name(), "programmes": ["ict"]},
            )

        async def invited() -> list[str] | None:
            found = []
            for application_id, who in candidates.items():
                view = (
                    await http.get(
                        f"{URLS['applications']}/applications/{application_id}",
                        headers={"Authorization": f"Bearer {who['token']}"},
                    )
                ).json()
                if view.get("status") == "shortlisted":
                    found.append(application_id)
            return found if len(found) >= min(SHORTLIST, 1) else None

        shortlisted = await wait_for("invitations", invited)
        console.print(await shortlisted_line(http, URLS["applications"], guaranteed, guaranteed_token))
        answers = {
            "ict-problem": "I rebuilt a repairs booking service for tenants.",
            "ict-change": "Cloud hosting and continuous delivery; I am retraining.",
            "ict-council": "Public service matters to me.",
        }
        # One candidate asks for written answers instead of the one-way video; an admin agrees.
        adjusted = next(a for a in shortlisted if a != guaranteed)
        for line in await adjustment_agreed(
            http,
            URLS["applications"],
            ServiceSettings().token_secret.get_secret_value(),
            application_id=adjusted,
            candidate_id=subject_of(candidates[adjusted]["token"]),
            candidate_token=candidates[adjusted]["token"],
            answers=answers,
        ):
            console.print(line)
        with Progress(console=console) as progress:
            task = progress.add_task("second stages", total=len(shortlisted))
            for application_id in shortlisted:
                if application_id == adjusted:
                    progress.advance(task)
                    continue  # sent above, as written answers
                if rng.random() < 0.05:
                    progress.advance(task)
                    continue  # some drop out
                await http.post(
                    f"{URLS['applications']}/applications/{application_id}/second-stage",
                    data={"answers": json.dumps(answers)},
                    files={"video": ("video.mp4", MP4, "video/mp4")},
                    headers={"Authorization": f"Bearer {candidates[application_id]['token']}"},
                )
                progress.advance(task)
        await asyncio.sleep(3)
        with Progress(console=console) as progress:
            task = progress.add_task("assessors score", total=None)
            for number in range(1, 4):
                assessor = token(Role.ASSESSOR, f"demo-assessor-{number}")
                for item in (await http.get(f"{URLS['assessment']}/assessor/queue", headers=assessor)).json():
                    if item["status"] != "pending" or item["cohort_id"] != cohort:
                        continue
                    blind = (
                        await http.get(
                            f"{URLS['assessment']}/assessor/assignments/{item['assignment_id']}",
                            headers=assessor,
                        )
                    ).json()
                    scores = {c["id"]: rng.randint(2, 4) for c in blind["rubric"]["criteria"]}
                    await http.post(
                        f"{URLS['assessment']}/assessor/assignments/{item['assignment_id']}/scorecard",
                        headers=assessor,
                        json={"scores": scores, "recommendation": rng.choice(["yes", "strong_yes", "no"])},
                    )
                    progress.advance(task)
        calibration = (
            await http.get(f"{URLS['assessment']}/cohorts/{cohort}/calibration", headers=admin)
        ).json()
        for disputed in calibration["disagreements"]:  # the programme team moderates disagreements
            if disputed["status"] == "open":
                await http.post(
                    f"{URLS['assessment']}/cohorts/{cohort}/calibration/{disputed['application_id']}/moderation",
                    headers=admin,
                    json={
                        "scores": dict.fromkeys(disputed["scorecards"][0]["scores"], 3),
                        "reason": "The panel settled on the middle view.",
                    },
                )
        await http.post(f"{URLS['assessment']}/cohorts/{cohort}/close?force=true", headers=admin)

        async def selected() -> list[str] | None:
            chosen = []
            for application_id, who in candidates.items():
                view = (
                    await http.get(
                        f"{URLS['applications']}/applications/{application_id}",
                        headers={"Authorization": f"Bearer {who['token']}"},
                    )
                ).json()
                if view.get("status") in ("selected", "enrolled"):
                    chosen.append(application_id)
            return chosen if len(chosen) >= CAPACITY else None

        places = await wait_for("selection", selected)
        await http.put(
            f"{URLS['training']}/providers/socitm",
            headers=admin,
            json={"id": "socitm", "name": "Socitm", "cohorts": [cohort]},
        )
        trainer = token(Role.TRAINER, "socitm", provider_id="socitm")
        from rtw_training.curricula import ICT

        with Progress(console=console) as progress:
            task = progress.add_task("training", total=len(places))
            for application_id in places:
                candidate_id = subject_of(candidates[application_id]["token"])
                mine = await wait_for(
                    "enrolment",
                    lambda cid=candidate_id, tok=candidates[application_id]["token"]: _enrolment(
                        http, cid, tok
                    ),
                )
                for module in ICT.required_modules:
                    await http.post(
                        f"{URLS['training']}/enrolments/{mine['enrolment_id']}/modules/{module.id}/complete",
                        headers=trainer,
                        json={"hours": module.hours},
                    )
                progress.advance(task)

        councils = rng.sample([c for c in reference.councils().values() if c.nation == "England"], 12)
        hires = 0
        hired_people: set[str] = set()  # each person is hired once, by one council
        interviewed = False  # the first accepted match goes through slots, a booking and an offer
        with Progress(console=console) as progress:
            task = progress.add_task("councils recruit", total=len(councils))
            for council in councils:
                signed = await http.post(
                    f"{URLS['matching']}/councils",
                    json={
                        "gss_code": council.gss_code,
                        "contact_name": fake.name(),
                        "contact_email": f"hr.{council.gss_code.lower()}@example.org",
                        "specialisms_needed": ["software_developer", "data_analyst"],
                        "flexible_working_offered": ["hybrid", "part_time"],
                    },
                )
                if signed.status_code != 201:
                    progress.advance(task)
                    continue  # signed up in an earlier demo run
                council_id = signed.json()["council_id"]
                # A sign-up is a claim: the programme team approves it before the council searches.
                approved = await http.post(
                    f"{URLS['matching']}/council-claims/{signed.json()['claim_id']}/approve",
                    headers=token(Role.ADMIN, "demo-admin"),
                )
                approved.raise_for_status()
                recruiter = token(Role.RECRUITER, f"demo-{council.gss_code}", council_id=council_id)
                vacancy = await http.post(
                    f"{URLS['matching']}/councils/{council_id}/vacancies",
                    headers=recruiter,
                    json={
                        "title": "Software developer",
                        "programme": "ict",
                        "specialism": "software_developer",
                        "role": "Software developer",
                        "role_level": "Developer",
                        "required_skills": [
                            {"skill": "Programming and build (software engineering)", "level": 3},
                            {"skill": "User focus", "level": 2},
                        ],
                        "work_mode": "hybrid",
                        "flexible_working": ["part_time", "hybrid"],
                        "salary_band": {"min_pence": 3_200_000, "max_pence": 3_900_000},
                        "hours_per_week": 37,
                        "closing_date": (today + timedelta(days=30)).isoformat(),
                    },
                )
                vacancy_id = vacancy.json()["vacancy_id"]
                found = await http.post(
                    f"{URLS['matching']}/councils/{council_id}/search",
                    headers=recruiter,
                    json={"sort": "score", "vacancy_id": vacancy_id, "radius_km": 150},
                )
                results = [
                    r for r in found.json().get("results", []) if r["candidate_ref"] not in hired_people
                ]
                for result in results[:2]:
                    listed = await http.post(
                        f"{URLS['matching']}/vacancies/{vacancy_id}/shortlist",
                        headers=recruiter,
                        json={"candidate_ref": result["candidate_ref"]},
                    )
                    if listed.status_code != 201:
                        continue
                    match_id = listed.json()["match_id"]
                    await http.post(f"{URLS['matching']}/matches/{match_id}/reach-out", headers=recruiter)
                    who = candidates.get(result["candidate_ref"])
                    if who is None:
                        continue
                    answer = "accepted" if rng.random() < 0.8 else "declined"
                    await http.post(
                        f"{URLS['matching']}/matches/{match_id}/response",
                        headers={"Authorization": f"Bearer {who['token']}"},
                        json={"response": answer},
                    )
                    if answer == "accepted" and not interviewed:
                        interviewed = True
                        for line in await interview_to_hire(
                            http,
                            URLS["matching"],
                            match_id=match_id,
                            recruiter=recruiter,
                            candidate_id=subject_of(who["token"]),
                            candidate_token=who["token"],
                            maildir=Path(os.environ.get("RTW_MAILDIR", "var/demo/mail")),
                            today=today,
                        ):
                            console.print(line)
                        hires += 1
                        hired_people.add(result["candidate_ref"])
                        break
                    if answer == "accepted" and hires < 8:
                        await http.post(
                            f"{URLS['matching']}/matches/{match_id}/interview",
                            headers=recruiter,
                            json={"at": (datetime.now(UTC) + timedelta(days=7)).isoformat()},
                        )
                        hired = await http.post(
                            f"{URLS['matching']}/matches/{match_id}/outcome",
                            headers=recruiter,
                            json={
                                "hired": True,
                                "start_date": (today + timedelta(days=45)).isoformat(),
                                "hours_per_week": 30,
                                "salary_band": {"min_pence": 3_200_000, "max_pence": 3_900_000},
                            },
                        )
                        if hired.status_code == 200:
                            hires += 1
                            hired_people.add(result["candidate_ref"])
                            break
                progress.advance(task)

        # The reports count what the applications service has heard: wait (a minute at most) until
        # it has heard of the last steps, the certificates and the hires. Every number printed is
        # the reports'.
        deadline = time.monotonic() + 60
        reports = await fetch_reports(http, URLS["applications"], cohort, admin)
        while not caught_up(reports, trained=len(places), hires=hires, hired=len(hired_people)):
            if time.monotonic() > deadline:
                console.print("[yellow]The reports have not heard of every step yet; as they stand:[/yellow]")
                break
            await asyncio.sleep(1)
            reports = await fetch_reports(http, URLS["applications"], cohort, admin)
        console.rule(f"Cohort {cohort}, as the platform reports it")
        assessment = await http.get(f"{URLS['assessment']}/cohorts/{cohort}/funnel", headers=admin)
        print_reports(console, reports, assessment.json())
        sent = (
            await http.get(
                f"{URLS['notifications']}/deliveries",
                params={"status": "sent", "page_size": 1},
                headers=admin,
            )
        ).json()["total"]
        console.print(
            f"E-mails: the notifications service has sent {sent} in the demo's platform, every demo run "
            f"together (delivery log: {URLS['notifications']}/deliveries); the demo's mail catcher keeps "
            f"them in {os.environ.get('RTW_MAILDIR', 'var/demo/mail')}/new."
        )
        _print_pages()
    return 0


def caught_up(reports: dict[str, dict[str, Any]], *, trained: int, hires: int, hired: int) -> bool:
    """Whether the reports count at least the certificates, hires and hired people the demo made
    (the funnel counts people, the savings hires)."""
    people: dict[str, int] = {step["step"]: step["people"] for step in reports["funnel"]["steps"]}
    savings_hires: int = reports["savings"]["total"]["hires"]
    return people["trained"] >= trained and people["hired"] >= hired and savings_hires >= hires


def _print_pages() -> None:
    """Where to look at the demo in a browser, with single-use sign-in links for the staff."""
    from rtw_platform.auth import sign_in_link

    entry = os.environ.get("RTW_PUBLIC_URL", "http://127.0.0.1:8080").rstrip("/")
    secret = ServiceSettings().token_secret.get_secret_value()

    def link(role: Role, subject: str) -> str:
        return sign_in_link(secret, Principal(subject=subject, role=role), entry)

    console.rule("In a browser")
    console.print(
        f"Candidates start at {entry}/applications/ ; councils sign up at {entry}/matching/councils/sign-up"
    )
    console.print(
        f"Programme admin (cohorts, funnel, reports, dead letters; councils' claims at {entry}/matching/admin/councils), one use, 30 minutes:\n{link(Role.ADMIN, 'demo-admin')}"
    )


async def _enrolment(http: httpx.AsyncClient, candidate_id: str, access_token: str) -> dict[str, Any] | None:
    mine = (
        await http.get(
            f"{URLS['training']}/candidates/{candidate_id}/training",
            headers={"Authorization": f"Bearer {access_token}"},
        )
    ).json()
    return mine["enrolments"][0] if mine.get("enrolments") else None


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except StoryFailed as failed:
        console.print(f"[red]demo: {failed}[/red]")
        sys.exit(1)
