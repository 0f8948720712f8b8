"""The demo's new chapters: a reasonable adjustment asked for and agreed (the second stage then sent
as written answers), and an interview booked, given feedback, an offer made and accepted (the hire
follows). Each step is the platform's own: the JSON APIs with the tokens demo.py issues, and for
the adjustment (which has pages only) the pages as a browser would post them (a session cookie,
the CSRF cookie and field). Each function returns the story's lines, one a step."""

from __future__ import annotations

import asyncio
import email
import json
import re
import secrets
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rtw_platform.auth import Principal, Role, issue_session_token

WRITTEN = "written_alternative_to_video"
WRITTEN_ANSWERS = (
    "I led the move of a council's repairs booking to an online service, wrote its tests and "
    "trained the contact centre on it; I now study cloud hosting and continuous delivery."
)


class StoryFailed(Exception):
    """A step of the story was refused (the message says which and why)."""


def _checked(response: httpx.Response, step: str, *expected: int) -> httpx.Response:
    if response.status_code not in expected:
        raise StoryFailed(f"{step}: {response.status_code} {response.text[:300]}")
    return response


def browser(secret: str, principal: Principal) -> tuple[dict[str, str], str]:
    """The Cookie header of a browser signed in as `principal` (a session and a CSRF cookie), and
    the CSRF token its forms send."""
    csrf = secrets.token_urlsafe(16)
    return {"Cookie": f"rtw_session={issue_session_token(secret, principal)}; rtw_csrf={csrf}"}, csrf


async def adjustment_agreed(
    http: httpx.AsyncClient,
    applications_url: str,
    secret: str,
    *,
    application_id: str,
    candidate_id: str,
    candidate_token: str,
    answers: dict[str, str],
) -> list[str]:
    """A shortlisted candidate asks for written answers instead of the one-way video, an admin
    agrees it, and the candidate sends the second stage as written answers (no video)."""
    cookies, csrf = browser(secret, Principal(subject=candidate_id, role=Role.CANDIDATE))
    page = f"{applications_url}/my/applications/{application_id}/adjustments"
    _checked(
        await http.post(
            page,
            data={"csrf_token": csrf, "kinds": WRITTEN, "details": "Speaking to a camera is hard for me."},
            headers=cookies,
        ),
        "asking for an adjustment",
        303,
    )
    staff, staff_csrf = browser(secret, Principal(subject="demo-admin", role=Role.ADMIN))
    listed = _checked(
        await http.get(f"{applications_url}/admin/adjustments", headers=staff), "the adjustments page", 200
    ).text
    view = _checked(
        await http.get(f"{applications_url}/applications/{application_id}", headers=_bearer(candidate_token)),
        "the application",
        200,
    ).json()
    waiting = listed.split("Waiting for a decision", 1)[-1].split('id="request-')
    request_id = next(
        (card.split('"', 1)[0] for card in waiting[1:] if view["reference"] in card.split("</h3>", 1)[0]),
        None,
    )
    if request_id is None or not re.fullmatch(r"[0-9a-f-]{36}", request_id):
        raise StoryFailed(f"the adjustment asked for {view['reference']} is not waiting on the admin's page")
    _checked(
        await http.post(
            f"{applications_url}/admin/adjustments/{request_id}",
            data={"csrf_token": staff_csrf, "decision": "agreed", "agreed": WRITTEN, "reason": ""},
            headers=staff,
        ),
        "agreeing the adjustment",
        303,
    )
    _checked(
        await http.post(
            f"{applications_url}/applications/{application_id}/second-stage",
            data={"answers": json.dumps(answers), "written_alternative": WRITTEN_ANSWERS},
            headers=_bearer(candidate_token),
        ),
        "sending the second stage as written answers",
        201,
    )
    return [
        f"Adjustment: candidate {view['reference']} asked for written answers instead of the one-way video.",
        f"Adjustment: an admin agreed it at /applications/admin/adjustments (request {request_id}).",
        f"Adjustment: {view['reference']} sent the second stage as written answers, no video.",
    ]


def calendar_mails(maildir: Path) -> int:
    """How many e-mails in the mail catcher's folder carry a calendar invitation."""
    folder = maildir / "new"
    if not folder.is_dir():
        return 0
    return sum(1 for mail in folder.iterdir() if mail.is_file() and b"text/calendar" in mail.read_bytes())


async def interview_to_hire(
    http: httpx.AsyncClient,
    matching_url: str,
    *,
    match_id: str,
    recruiter: dict[str, str],
    candidate_id: str,
    candidate_token: str,
    maildir: Path,
    today: date,
    settle_s: float = 30,
) -> list[str]:
    """For an accepted match: the council proposes three times, the candidate books the second,
    the council records the panel's feedback and offers the job, the candidate accepts (hired)."""
    candidate = _bearer(candidate_token)
    before = calendar_mails(maildir)
    first = (datetime.now(UTC) + timedelta(days=7)).replace(hour=10, minute=0, second=0, microsecond=0)
    slots = [
        {"starts_at": (first + timedelta(days=d, hours=h)).isoformat(), "place": "Town Hall, room 2"}
        for d, h in ((0, 0), (1, 4), (2, 0))
    ]
    proposed = _checked(
        await http.post(
            f"{matching_url}/matches/{match_id}/interview-slots",
            headers=recruiter,
            json={"slots": slots, "minutes": 45},
        ),
        "proposing interview times",
        201,
    ).json()
    booked = _checked(
        await http.post(
            f"{matching_url}/interviews/{proposed['interview_id']}/booking",
            headers=candidate,
            json={"slot": 1},
        ),
        "booking an interview",
        200,
    ).json()
    deadline = time.monotonic() + settle_s
    invitations = calendar_mails(maildir) - before
    while invitations < 2 and time.monotonic() < deadline:  # the mails are sent as events arrive
        await asyncio.sleep(0.5)
        invitations = calendar_mails(maildir) - before
    _checked(
        await http.put(
            f"{matching_url}/interviews/{proposed['interview_id']}/feedback",
            headers=recruiter,
            json={
                "ratings": {"skills": 3, "experience": 3, "communication": 4, "values": 4},
                "recommendation": "offer",
                "notes": "Clear on testing; would grow quickly with the team.",
            },
        ),
        "recording interview feedback",
        200,
    )
    offer = _checked(
        await http.post(
            f"{matching_url}/matches/{match_id}/offer",
            headers=recruiter,
            json={
                "salary_pence": 3_450_000,
                "start_date": (today + timedelta(days=45)).isoformat(),
                "hours_per_week": 30,
            },
        ),
        "making an offer",
        201,
    ).json()
    accepted = _checked(
        await http.post(
            f"{matching_url}/offers/{offer['offer_id']}/response",
            headers=candidate,
            json={"response": "accepted"},
        ),
        "accepting the offer",
        200,
    ).json()
    mine = _checked(
        await http.get(f"{matching_url}/candidates/{candidate_id}/matches", headers=candidate),
        "the candidate's matches",
        200,
    ).json()
    status = next((m["status"] for m in mine if m["match_id"] == match_id), "not found")
    when = datetime.fromisoformat(booked["starts_at"])
    return [
        f"Interview: the council proposed {len(proposed['slots'])} times for match {match_id}.",
        f"Interview: the candidate booked {when:%a %d %b %H:%M} UTC; {invitations} calendar invitations "
        f"(iCalendar) e-mailed, in {maildir}/new.",
        "Interview: the council recorded the panel's feedback (recommendation: offer).",
        f"Offer: £{offer['salary_pence'] / 100:,.0f} a year, {offer['hours_per_week']:g} hours a week, "
        f"from {offer['start_date']}; the candidate {accepted['status']} it.",
        f"Hire: the candidate's match is now {status}, as the matching service answers it.",
    ]


def _bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


def sign_in_token(maildir: Path, address: str) -> str | None:
    """The token of the latest sign-in link e-mailed to `address` (what its owner would follow)."""
    folder = maildir / "new"
    if not folder.is_dir():
        return None
    found = None
    for mail in sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime):
        message = email.message_from_bytes(mail.read_bytes())
        if message.get("To", "").strip().lower() != address.lower():
            continue
        for part in message.walk():
            payload = part.get_payload(decode=True)
            if part.get_content_type() == "text/plain" and isinstance(payload, bytes):
                text = payload.decode("utf-8", errors="replace")
                if link := re.search(r"/sign-in/([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)", text):
                    found = link.group(1)
    return found


async def guaranteed_opt_in(
    http: httpx.AsyncClient,
    applications_url: str,
    secret: str,
    *,
    form: dict[str, Any],
    maildir: Path,
    settle_s: float = 60,
) -> tuple[str, str, list[str]]:
    """A candidate who declares a disability applies the way people do: starts a draft (a link is
    e-mailed), follows the link, answers, opts into the guaranteed second stage (Disability
    Confident) on its page, and sends the application. Returns its id, the candidate's token and
    the story's lines."""
    _checked(
        await http.post(
            f"{applications_url}/applications/drafts",
            json={k: form[k] for k in ("cohort_id", "email", "given_name", "family_name")},
        ),
        "starting a draft",
        202,
    )
    deadline = time.monotonic() + settle_s
    link = sign_in_token(maildir, form["email"])
    while link is None and time.monotonic() < deadline:  # e-mailed as the event arrives
        await asyncio.sleep(0.5)
        link = sign_in_token(maildir, form["email"])
    if link is None:
        raise StoryFailed(f"no sign-in link reached {form['email']} in {maildir}/new")
    signed = _checked(
        await http.post(f"{applications_url}/sign-in/token", json={"token": link}),
        "following the e-mailed link",
        200,
    ).json()
    candidate = _bearer(signed["access_token"])
    draft = _checked(
        await http.post(
            f"{applications_url}/candidates/me/applications",
            headers=candidate,
            json={"cohort_id": form["cohort_id"]},
        ),
        "opening the draft",
        201,
    ).json()
    application_id = draft["application_id"]
    answers = {k: v for k, v in form.items() if k not in ("cohort_id", "email", "equality_monitoring")}
    _checked(
        await http.patch(
            f"{applications_url}/applications/{application_id}", headers=candidate, json=answers
        ),
        "saving the draft's answers",
        200,
    )
    _checked(
        await http.put(
            f"{applications_url}/applications/{application_id}/equality-monitoring",
            headers=candidate,
            json={**form.get("equality_monitoring", {}), "disability": "yes"},
        ),
        "answering the equality-monitoring questions",
        204,
    )
    cookies, csrf = browser(secret, Principal(subject=signed["candidate_id"], role=Role.CANDIDATE))
    opted = _checked(
        await http.post(
            f"{applications_url}/application/{application_id}/guaranteed-second-stage",
            data={"csrf_token": csrf, "guaranteed": "yes"},
            headers=cookies,
        ),
        "opting into the guaranteed second stage",
        303,
    )
    if "guaranteed-second-stage" in opted.headers.get("location", ""):
        raise StoryFailed("opting into the guaranteed second stage was refused")
    sent = _checked(
        await http.post(f"{applications_url}/applications/{application_id}/submit", headers=candidate),
        "sending the application",
        200,
        201,
    ).json()
    return (
        application_id,
        signed["access_token"],
        [
            f"Guaranteed second stage: {sent['reference']} declared a disability and opted in while "
            "drafting (Disability Confident)."
        ],
    )


async def shortlisted_line(
    http: httpx.AsyncClient,
    applications_url: str,
    application_id: str,
    candidate_token: str,
    settle_s: float = 60,
) -> str:
    """Where the guaranteed candidate's application stands once shortlisting has reached it."""
    deadline = time.monotonic() + settle_s
    while True:
        view = _checked(
            await http.get(
                f"{applications_url}/applications/{application_id}", headers=_bearer(candidate_token)
            ),
            "the guaranteed candidate's application",
            200,
        ).json()
        if view["status"] not in ("submitted", "eligible") or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)  # the shortlisting is heard of as its events arrive
    return f"Guaranteed second stage: after shortlisting, {view['reference']} is {view['status']}."
