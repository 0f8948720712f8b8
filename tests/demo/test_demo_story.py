"""The demo's story tells of a reasonable adjustment (asked for on the candidate's page, agreed on
the admin's, the second stage then sent as written answers) and of an interview booked, an offer
accepted and the hire that follows, each step asked of the platform as demo_story.py drives it
(here a stand-in for the services that answers as they do and records what was asked)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from uuid import uuid4

import httpx
import pytest
from demo_story import (
    StoryFailed,
    adjustment_agreed,
    calendar_mails,
    guaranteed_opt_in,
    interview_to_hire,
    shortlisted_line,
)
from rtw_platform.auth import Role, verify_session_token

pytestmark = pytest.mark.unit

SECRET = "a-test-secret-that-is-long-enough-for-hmac-0123456789"
APPLICATION, CANDIDATE, REQUEST = str(uuid4()), str(uuid4()), str(uuid4())
MATCH, INTERVIEW, OFFER = str(uuid4()), str(uuid4()), str(uuid4())


class Applications:
    """The applications service's adjustment pages and second stage, as far as the story goes."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str, dict[str, list[str]], dict[str, str]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        cookies = dict(c.split("=", 1) for c in request.headers.get("cookie", "").split("; ") if c)
        form = parse_qs(request.content.decode()) if request.method == "POST" else {}
        if request.headers.get("content-type", "").startswith("multipart/"):
            form = {"multipart": [request.content.decode(errors="replace")]}
        self.asked.append((request.method, request.url.path, form, cookies))
        path = request.url.path
        if path == f"/my/applications/{APPLICATION}/adjustments":
            return httpx.Response(303, headers={"location": f"{path}?sent=yes"})
        if path == "/admin/adjustments":
            card = (
                f'<div id="request-{uuid4()}"><h3>ICT-2026-0001 · demo</h3></div>'
                f'<div id="request-{REQUEST}"><h3>ICT-2026-0042 · demo</h3></div>'
            )
            return httpx.Response(200, text=f"<h2>Waiting for a decision</h2>{card}<h2>Decided</h2>")
        if path == f"/admin/adjustments/{REQUEST}":
            return httpx.Response(303, headers={"location": "/admin/adjustments?decided=x"})
        if path == f"/applications/{APPLICATION}":
            return httpx.Response(200, json={"reference": "ICT-2026-0042", "status": "shortlisted"})
        if path == f"/applications/{APPLICATION}/second-stage":
            return httpx.Response(
                201, json={"status": "received", "submitted_at": "2026-12-05T04:00:00+00:00"}
            )
        return httpx.Response(404, json={"detail": "not found"})


async def test_the_adjustment_is_asked_for_agreed_and_the_second_stage_sent_as_written_answers() -> None:
    service = Applications()
    async with httpx.AsyncClient(transport=httpx.MockTransport(service), base_url="http://apps") as http:
        lines = await adjustment_agreed(
            http,
            "http://apps",
            SECRET,
            application_id=APPLICATION,
            candidate_id=CANDIDATE,
            candidate_token="candidate-token",
            answers={"ict-problem": "An answer."},
        )
    story = "\n".join(lines)
    assert "ICT-2026-0042 asked for written answers instead of the one-way video" in story
    assert "an admin agreed it" in story
    assert "sent the second stage as written answers, no video" in story
    assert len(lines) == 3  # one line a step

    asked, decided = service.asked[0], service.asked[3]
    # The candidate's page, posted as their browser would: their session, the CSRF token twice.
    assert asked[1] == f"/my/applications/{APPLICATION}/adjustments"
    assert asked[2]["kinds"] == ["written_alternative_to_video"]
    assert asked[2]["csrf_token"] == [asked[3]["rtw_csrf"]]
    session = verify_session_token(SECRET, asked[3]["rtw_session"])
    assert (session.principal.subject, session.principal.role) == (CANDIDATE, Role.CANDIDATE)
    # The admin agrees the request of this candidate's application (not another one waiting).
    assert decided[1] == f"/admin/adjustments/{REQUEST}"
    assert decided[2]["decision"] == ["agreed"]
    assert decided[2]["agreed"] == ["written_alternative_to_video"]
    assert decided[2]["csrf_token"] == [decided[3]["rtw_csrf"]]
    assert verify_session_token(SECRET, decided[3]["rtw_session"]).principal.role is Role.ADMIN
    sent = service.asked[4]
    assert sent[1] == f"/applications/{APPLICATION}/second-stage"
    assert sent[2]["written_alternative"][0].startswith("I led the move")
    assert "video" not in sent[2]
    assert "multipart" not in sent[2]


async def test_a_refused_step_stops_the_story_saying_which() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, text="Only the application's candidate asks.")

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http:
        with pytest.raises(StoryFailed, match="asking for an adjustment: 403"):
            await adjustment_agreed(
                http,
                "http://apps",
                SECRET,
                application_id=APPLICATION,
                candidate_id=CANDIDATE,
                candidate_token="t",
                answers={},
            )


class Matching:
    """The matching service's interviews and offers; booking drops two calendar e-mails (the
    candidate's and the council's) in the mail catcher's folder, as notifications would."""

    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir
        self.asked: list[tuple[str, str, object, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body: dict[str, Any] = json.loads(request.content) if request.content else {}
        self.asked.append((request.method, request.url.path, body, request.headers.get("authorization", "")))
        path = request.url.path
        if path == f"/matches/{MATCH}/interview-slots":
            slots = [{"slot": i, **s} for i, s in enumerate(body["slots"])]
            return httpx.Response(201, json={"interview_id": INTERVIEW, "slots": slots, "status": "proposed"})
        if path == f"/interviews/{INTERVIEW}/booking":
            for who in ("candidate", "council"):
                (self.maildir / "new" / f"{who}.eml").write_bytes(
                    b"Content-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR"
                )
            return httpx.Response(
                200, json={"interview_id": INTERVIEW, "starts_at": "2026-12-13T14:00:00+00:00"}
            )
        if path == f"/interviews/{INTERVIEW}/feedback":
            return httpx.Response(200, json={"interview_id": INTERVIEW, "feedback": body})
        if path == f"/matches/{MATCH}/offer":
            return httpx.Response(201, json={"offer_id": OFFER, "status": "made", **body})
        if path == f"/offers/{OFFER}/response":
            return httpx.Response(200, json={"offer_id": OFFER, "status": body["response"]})
        if path == f"/candidates/{CANDIDATE}/matches":
            return httpx.Response(200, json=[{"match_id": MATCH, "status": "hired"}])
        return httpx.Response(404, json={"detail": "not found"})


async def test_the_interview_is_booked_the_offer_accepted_and_the_hire_follows(tmp_path: Path) -> None:
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "earlier.eml").write_bytes(b"Content-Type: text/plain\r\n\r\nA sign-in link")
    service = Matching(tmp_path)
    recruiter = {"Authorization": "Bearer recruiter"}
    async with httpx.AsyncClient(transport=httpx.MockTransport(service)) as http:
        lines = await interview_to_hire(
            http,
            "http://matching",
            match_id=MATCH,
            recruiter=recruiter,
            candidate_id=CANDIDATE,
            candidate_token="candidate",
            maildir=tmp_path,
            today=date(2026, 12, 5),
            settle_s=1,
        )
    story = "\n".join(lines)
    assert "the council proposed 3 times" in story
    assert "the candidate booked Sun 13 Dec 14:00 UTC; 2 calendar invitations" in story
    assert "feedback (recommendation: offer)" in story
    assert "Offer: £34,500 a year, 30 hours a week, from 2027-01-19; the candidate accepted it." in story
    assert "the candidate's match is now hired" in story
    assert len(lines) == 5
    who = {path: auth for _, path, _, auth in service.asked}
    assert who[f"/interviews/{INTERVIEW}/booking"] == who[f"/offers/{OFFER}/response"] == "Bearer candidate"
    assert who[f"/matches/{MATCH}/interview-slots"] == who[f"/matches/{MATCH}/offer"] == "Bearer recruiter"
    assert [p for _, p, _, _ in service.asked].index(f"/interviews/{INTERVIEW}/feedback") < [
        p for _, p, _, _ in service.asked
    ].index(f"/matches/{MATCH}/offer")


def test_only_calendar_invitations_are_counted(tmp_path: Path) -> None:
    assert calendar_mails(tmp_path) == 0  # no folder yet
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "a").write_bytes(b"Content-Type: text/calendar\r\n")
    (tmp_path / "new" / "b").write_bytes(b"Content-Type: text/plain\r\n")
    assert calendar_mails(tmp_path) == 1


class Drafting:
    """The applications service as a person applying meets it: a draft whose link is e-mailed (to
    the mail catcher's folder), the link traded for a token, answers, the Disability Confident
    page, sending; shortlisting is heard of after a while."""

    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir
        self.asked: list[tuple[str, str, object]] = []
        self.views = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        body: object = None
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            body = {**parse_qs(request.content.decode()), "cookie": request.headers.get("cookie", "")}
        elif request.content:
            body = json.loads(request.content)
        self.asked.append((request.method, path, body))
        if path == "/applications/drafts":
            link = f"http://127.0.0.1:8080/applications/sign-in/{'a' * 20}.{'b' * 30}.{'c' * 10}"
            (self.maildir / "new" / "link").write_text(
                f"To: {EMAIL}\nSubject: Continue your application\nContent-Type: text/plain\n\nFollow {link}\n"
            )
            return httpx.Response(202, json={"message": "We have e-mailed a link"})
        if path == "/sign-in/token":
            return httpx.Response(200, json={"access_token": "drafting-token", "candidate_id": CANDIDATE})
        if path == "/candidates/me/applications":
            return httpx.Response(201, json={"application_id": APPLICATION, "status": "draft"})
        if path == f"/applications/{APPLICATION}" and request.method == "PATCH":
            return httpx.Response(200, json={"application_id": APPLICATION})
        if path == f"/applications/{APPLICATION}/equality-monitoring":
            return httpx.Response(204)
        if path == f"/application/{APPLICATION}/guaranteed-second-stage":
            return httpx.Response(303, headers={"location": f"/application/{APPLICATION}"})
        if path == f"/applications/{APPLICATION}/submit":
            return httpx.Response(200, json={"reference": "RTW-ICT-000171", "status": "submitted"})
        if path == f"/applications/{APPLICATION}":
            self.views += 1
            status = "submitted" if self.views < 3 else "shortlisted"
            return httpx.Response(200, json={"reference": "RTW-ICT-000171", "status": status})
        return httpx.Response(404, json={"detail": "not found"})


EMAIL = "dawn.7431@example.org"


async def test_the_guaranteed_second_stage_is_opted_into_while_drafting(tmp_path: Path) -> None:
    (tmp_path / "new").mkdir()
    service = Drafting(tmp_path)
    form = {
        "cohort_id": "ict-demo",
        "email": EMAIL,
        "given_name": "Dawn",
        "family_name": "Rees",
        "right_to_work": True,
        "equality_monitoring": {"sex": "female", "disability": "no"},
    }
    async with httpx.AsyncClient(transport=httpx.MockTransport(service)) as http:
        application_id, token, lines = await guaranteed_opt_in(
            http, "http://apps", SECRET, form=form, maildir=tmp_path, settle_s=1
        )
        after = await shortlisted_line(http, "http://apps", application_id, token, settle_s=5)
    assert (application_id, token) == (APPLICATION, "drafting-token")
    assert "RTW-ICT-000171 declared a disability and opted in while drafting" in lines[0]
    assert after == "Guaranteed second stage: after shortlisting, RTW-ICT-000171 is shortlisted."
    asked = {path: body for _, path, body in service.asked}
    assert asked["/sign-in/token"] == {"token": f"{'a' * 20}.{'b' * 30}.{'c' * 10}"}  # the e-mailed link's
    assert asked[f"/applications/{APPLICATION}/equality-monitoring"] == {"sex": "female", "disability": "yes"}
    patched = next(b for m, p, b in service.asked if m == "PATCH")
    assert isinstance(patched, dict)
    assert "email" not in patched  # the answers only
    assert patched["right_to_work"] is True
    opted = asked[f"/application/{APPLICATION}/guaranteed-second-stage"]
    assert isinstance(opted, dict)
    assert opted["guaranteed"] == ["yes"]
    assert f"rtw_csrf={opted['csrf_token'][0]}" in opted["cookie"]
    order = [path for _, path, _ in service.asked]
    assert order.index(f"/application/{APPLICATION}/guaranteed-second-stage") < order.index(
        f"/applications/{APPLICATION}/submit"
    )
