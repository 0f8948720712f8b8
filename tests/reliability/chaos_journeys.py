"""The people who act after assessment in the chaos test, through the running services' HTTP APIs:

- before the load, an admin sets matching's weights and registers the training provider, and a
  council (Walsall) signs up, its recruiter signs in from the invitation and posts a vacancy in
  the candidates' area;
- during the load, an admin selects candidates once screening has shortlisted them (an override
  of the final outcome: the same decision the cohort's close would publish), and the training
  provider records every required module of each enrolled candidate, which completes the
  training and issues the certificate.

Matching proposes each selected candidate for the vacancy on its own (MatchProposed). Every
request is retried until it is answered, as a careful client would: the assessment and training
APIs take no idempotency key, so a request whose answer was lost is first checked (was the
candidate selected? was the module recorded?) rather than blindly sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from rtw_applications.testing import TEST_COHORTS
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.testing.links import mailed_link, token_of
from rtw_training.curricula import ICT

from .chaos_support import fetch

COHORT = TEST_COHORTS["ict"]
PROVIDER = "socitm"
WALSALL = "E08000030"
COUNCIL_EMAIL = "recruitment@walsall.example"
MODULE_HOURS = {m.id: m.hours for m in ICT.modules}
REQUIRED_MODULES = tuple(m.id for m in ICT.required_modules)
RETRY_PAUSE_S = 0.5
SELECTION = {
    "stage": "final",
    "outcome": "selected",
    "justification": "Selected for the programme by the admin (chaos test).",
}
#: Matching's weights for the run: the defaults, except that a pair is never proposed again when
#: its score moves (training raises it) and a vacancy keeps up to 200 proposals, so every selected
#: candidate is proposed for the vacancy exactly once and any second MatchProposed is a duplicate.
WEIGHTS = {"version": "chaos-1", "material_change": 100, "proposals_per_vacancy": 200}
VACANCY = {
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
    "salary_band": {"min_pence": 3_200_000, "max_pence": 3_800_000},
    "hours_per_week": 30,
}


@dataclass
class Requests:
    """What one kind of request took: done, retried (ids), failed attempts by cause, refusals."""

    done: set[str] = field(default_factory=set)
    retried: set[str] = field(default_factory=set)
    failures: Counter[str] = field(default_factory=Counter)
    refused: list[str] = field(default_factory=list)

    def failed(self, key: str, cause: str) -> None:
        self.failures[cause] += 1
        self.retried.add(key)


@dataclass
class Council:
    council_id: str
    vacancy_id: str
    people: frozenset[str]  # notifications' recipients for the council: its contact and recruiter


@dataclass
class People:
    """The admin and the training provider at work during the load."""

    assessment_url: str
    training_url: str
    admin: dict[str, str]
    trainer: dict[str, str]
    select_one_in: int
    most_selected: int
    chosen: dict[str, str] = field(default_factory=dict)  # application id -> e-mail
    selections: Requests = field(default_factory=Requests)
    completions: Requests = field(default_factory=Requests)  # keys: "enrolment/module"
    trained: set[str] = field(default_factory=set)  # applications the provider saw completed
    seen: int = 0
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def accepted(self, application_id: str, email: str) -> None:
        """An application was accepted: one in `select_one_in` is to be selected."""
        self.seen += 1
        if self.seen % self.select_one_in or len(self.chosen) >= self.most_selected:
            return
        self.chosen[application_id] = email
        self._spawn(self.select(application_id), f"select-{application_id}")

    def start_training(self) -> None:
        """The training provider starts watching its cohort."""
        self._spawn(self.train(), "train")

    def _spawn(self, work: Any, name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    @property
    def refused(self) -> list[str]:
        return self.selections.refused + self.completions.refused

    async def close(self) -> None:
        self.stop.set()
        for task in list(self.tasks):
            task.cancel()
        for task in list(self.tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # ------------------------------------------------------------------ the admin

    async def select(self, application_id: str) -> None:
        """Select the candidate once assessment has screened them (404 until then)."""
        requests = self.selections
        async with httpx.AsyncClient(base_url=self.assessment_url, timeout=15) as client:
            while not self.stop.is_set():
                try:
                    answer = await client.post(
                        f"/applications/{application_id}/override", json=SELECTION, headers=self.admin
                    )
                except httpx.HTTPError as exc:
                    requests.failed(application_id, type(exc).__name__)
                else:
                    if answer.status_code == 200:
                        break
                    if answer.status_code == 404:  # not screened yet
                        await asyncio.sleep(RETRY_PAUSE_S)
                        continue
                    if answer.status_code < 500:
                        requests.refused.append(f"select {answer.status_code}: {answer.text[:300]}")
                        return
                    requests.failed(application_id, f"HTTP {answer.status_code}")
                await asyncio.sleep(RETRY_PAUSE_S)
                if await self._selected_already(client, application_id):
                    break  # the lost answer was a success: do not select twice
            else:
                return
        requests.done.add(application_id)

    async def _selected_already(self, client: httpx.AsyncClient, application_id: str) -> bool:
        """Whether assessment holds the selection (asked until it answers)."""
        while not self.stop.is_set():
            try:
                answer = await client.get(f"/applications/{application_id}/decisions", headers=self.admin)
            except httpx.HTTPError:
                await asyncio.sleep(RETRY_PAUSE_S)
                continue
            if answer.status_code == 404:
                return False
            if answer.status_code == 200:
                return any(d["stage"] == "final" and d["outcome"] == "selected" for d in answer.json())
            await asyncio.sleep(RETRY_PAUSE_S)
        return False

    # ------------------------------------------------------------------ the training provider

    async def train(self) -> None:
        """Watch the cohort's progress; record each enrolled learner's missing modules."""
        busy: set[str] = set()
        limit = asyncio.Semaphore(6)
        async with httpx.AsyncClient(base_url=self.training_url, timeout=15) as client:
            while not self.stop.is_set():
                with contextlib.suppress(httpx.HTTPError, ValueError):
                    answer = await client.get(f"/cohorts/{COHORT}/progress", headers=self.trainer)
                    if answer.status_code == 200:
                        for row in answer.json():
                            enrolment = row["enrolment_id"]
                            if row["status"] == "completed":
                                self.trained.add(row["application_id"])
                            elif row["status"] == "enrolled" and row["missing"] and enrolment not in busy:
                                busy.add(enrolment)
                                self._spawn(
                                    self._complete(client, limit, busy, enrolment, row["missing"]),
                                    f"train-{enrolment}",
                                )
                await asyncio.sleep(1)

    async def _complete(
        self,
        client: httpx.AsyncClient,
        limit: asyncio.Semaphore,
        busy: set[str],
        enrolment: str,
        modules: list[str],
    ) -> None:
        try:
            async with limit:
                for module in modules:
                    if not await self._complete_module(client, enrolment, module):
                        return
        finally:
            busy.discard(enrolment)

    async def _complete_module(self, client: httpx.AsyncClient, enrolment: str, module: str) -> bool:
        """Record one module; False when the enrolment takes no more (completed already)."""
        requests = self.completions
        key = f"{enrolment}/{module}"
        while not self.stop.is_set():
            try:
                answer = await client.post(
                    f"/enrolments/{enrolment}/modules/{module}/complete",
                    json={"hours": MODULE_HOURS[module]},
                    headers=self.trainer,
                )
            except httpx.HTTPError as exc:
                requests.failed(key, type(exc).__name__)
            else:
                if answer.status_code == 200:
                    requests.done.add(key)
                    return True
                if answer.status_code == 409:  # recorded already: an earlier answer was lost
                    requests.done.add(key)
                    return True
                if answer.status_code == 422 and "completed" in answer.text:
                    requests.done.add(key)  # the last module was recorded: training complete
                    return False
                if answer.status_code < 500:
                    requests.refused.append(f"complete {answer.status_code}: {answer.text[:300]}")
                    return False
                requests.failed(key, f"HTTP {answer.status_code}")
            await asyncio.sleep(RETRY_PAUSE_S)
        return False


def tokens(secret: str) -> tuple[dict[str, str], dict[str, str]]:
    """Headers of an admin and of the training provider's staff."""
    admin = issue_token(secret, Principal("chaos-admin", Role.ADMIN))
    trainer = issue_token(secret, Principal(PROVIDER, Role.TRAINER, provider_id=PROVIDER))
    return {"Authorization": f"Bearer {admin}"}, {"Authorization": f"Bearer {trainer}"}


def _ok(response: httpx.Response, *expected: int) -> dict[str, Any]:
    assert response.status_code in (expected or (200,)), f"{response.request.url}: {response.text}"
    body: dict[str, Any] = response.json()
    return body


async def prepare(
    http: httpx.AsyncClient,
    database_url: str,
    *,
    matching_url: str,
    training_url: str,
    admin: dict[str, str],
    secret: str,
) -> Council:
    """Before the load: weights, the training provider, a council with an open vacancy."""
    _ok(await http.put(f"{matching_url}/weights", json=WEIGHTS, headers=admin))
    provider = {"id": PROVIDER, "name": "Socitm", "cohorts": [COHORT]}
    _ok(await http.put(f"{training_url}/providers/{PROVIDER}", json=provider, headers=admin))
    signed_up = _ok(
        await http.post(
            f"{matching_url}/councils",
            json={
                "gss_code": WALSALL,
                "contact_name": "Morag Fairweather",
                "contact_email": COUNCIL_EMAIL,
                "specialisms_needed": ["software_developer"],
                "flexible_working_offered": ["part_time", "hybrid"],
            },
        ),
        201,
    )
    council_id = signed_up["council_id"]
    # A sign-up is a claim: the programme admin approves it, and the contact is invited.
    _ok(await http.post(f"{matching_url}/council-claims/{signed_up['claim_id']}/approve", headers=admin))
    # The contact signs in from the invitation link (as notifications makes and e-mails it).
    [invited] = await fetch(
        database_url, "SELECT payload FROM matching.outbox WHERE event_type = 'RecruiterInvited'"
    )
    payload = invited["payload"] if isinstance(invited["payload"], dict) else json.loads(invited["payload"])
    link = mailed_link(payload, secret)
    signed_in = _ok(
        await http.post(f"{matching_url}/recruiters/sign-in/token", json={"token": token_of(link)})
    )
    recruiter = {"Authorization": f"Bearer {signed_in['access_token']}"}
    closing = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    posted = _ok(
        await http.post(
            f"{matching_url}/councils/{council_id}/vacancies",
            json={**VACANCY, "closing_date": closing},
            headers=recruiter,
        ),
        201,
    )
    # Notifications knows the council's people and the vacancy before any proposal is made.
    deadline = time.monotonic() + 60
    while True:
        people = await fetch(
            database_url, f"SELECT id::text FROM notifications.people WHERE council_id = '{council_id}'"
        )
        vacancies = await fetch(database_url, "SELECT id FROM notifications.vacancies")
        if len(people) == 2 and vacancies:
            break
        assert time.monotonic() < deadline, "notifications never heard of the council and its vacancy"
        await asyncio.sleep(0.25)
    return Council(council_id, posted["vacancy_id"], frozenset(p["id"] for p in people))
