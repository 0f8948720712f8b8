"""Interviews and offers through the pages and the API: the council proposes times, the returner
books one on their page (post/redirect/get, CSRF, their own only), the council records feedback
per stage and makes an offer, and the returner's acceptance is the hire."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from rtw_platform.service import ServiceRuntime
from sqlalchemy import text

from .test_matching_flow import BIRMINGHAM, HIRE, WALSALL, World, accepted_match, erasure_of
from .test_matching_flow import world as world  # the fixture
from .test_matching_pages import BIRMINGHAM as BIRMINGHAM_GSS
from .test_matching_pages import (
    MESSAGE,
    PAGE,
    as_candidate,
    main_of,
    outbox,
    shortlisted_match,
    sign_up_and_in,
)
from .test_matching_pages import WALSALL as WALSALL_GSS
from .test_matching_pages import (
    runtime as runtime,  # the fixture
)

pytestmark = pytest.mark.component

UK = ZoneInfo("Europe/London")


def slot_form(n: int, day: Any, at: str, place: str) -> dict[str, str]:
    return {
        f"slot{n}_date-day": str(day.day),
        f"slot{n}_date-month": str(day.month),
        f"slot{n}_date-year": str(day.year),
        f"slot{n}_time": at,
        f"slot{n}_place": place,
    }


def offer_form(start: Any, salary: str = "32,500") -> dict[str, str]:
    return {
        "offer_salary": salary,
        "offer_start-day": str(start.day),
        "offer_start-month": str(start.month),
        "offer_start-year": str(start.year),
        "offer_hours": "30",
        "offer_contract": "permanent",
    }


FEEDBACK = {
    "rating_skills": "4",
    "rating_experience": "3",
    "rating_communication": "3",
    "rating_values": "4",
    "recommendation": "offer",
    "notes": "Clear account of the housing dashboards she built.",
}


async def accepted_on_the_pages(runtime: ServiceRuntime) -> tuple[Any, Any, str, str]:
    """Walsall signed in, a returner shortlisted, reached out to and accepting: the council's
    browser, the returner, the match's page and its id."""
    walsall = await sign_up_and_in(runtime, WALSALL_GSS)
    returner, match_path = await shortlisted_match(runtime, walsall)
    await walsall.post(f"{match_path}/reach-out", {"message": MESSAGE}, page=match_path)
    match_id = match_path.rsplit("/", 1)[1]
    candidate = as_candidate(runtime, returner.candidate_id)
    answered = await candidate.post(f"/my/interest/{match_id}", {"response": "accepted"}, page=PAGE)
    assert answered.status_code == 303, answered.text
    return walsall, returner, match_path, match_id


async def test_a_returner_books_a_proposed_time_and_accepting_the_offer_is_the_hire(
    runtime: ServiceRuntime,
) -> None:
    walsall, returner, match_path, match_id = await accepted_on_the_pages(runtime)
    candidate = as_candidate(runtime, returner.candidate_id)
    day = datetime.now(UTC).date() + timedelta(days=20)
    first = slot_form(1, day, "10:00", "Civic Centre, room 2")
    second = slot_form(2, day, "14:30", "https://meet.example/walsall-housing")

    # Refused: a row without its place; what was typed comes back with the problem.
    no_place = await walsall.refused(
        f"{match_path}/interview-slots",
        {**first, **second, "slot2_place": "", "minutes": "45"},
        page=match_path,
    )
    assert "Enter where the interview is" in no_place.text
    assert "Civic Centre, room 2" in no_place.text
    twice = await walsall.refused(
        f"{match_path}/interview-slots",
        {**first, **slot_form(2, day, "10:00", "Civic Centre, room 3"), "minutes": "45"},
        page=match_path,
    )
    assert "Give each time once" in twice.text
    nothing = await walsall.refused(f"{match_path}/interview-slots", {"minutes": "45"}, page=match_path)
    assert "Enter at least one time" in nothing.text
    # Another council's recruiter: as if there were no match.
    birmingham = await sign_up_and_in(runtime, BIRMINGHAM_GSS)
    foreign = await birmingham.post(
        f"{match_path}/interview-slots", {**first, "minutes": "45"}, page="/council"
    )
    assert foreign.status_code == 404
    assert await outbox(runtime, "InterviewSlotsProposed") == []

    proposed = await walsall.post(
        f"{match_path}/interview-slots", {**first, **second, "minutes": "45"}, page=match_path
    )
    assert proposed.status_code == 303, proposed.text
    [event] = await outbox(runtime, "InterviewSlotsProposed")
    assert (event["match_id"], event["stage"], event["slots"]) == (match_id, 1, 2)
    assert "Civic Centre" not in str(event)  # the times and places stay with matching
    assert "Waiting for the returner to choose" in main_of(await walsall.get(match_path))

    page = main_of(await candidate.get(PAGE))
    assert "Waiting for you" in page
    assert f"{day:%-d %B %Y} at 14:30: https://meet.example/walsall-housing" in page
    interview_id = event["interview_id"]
    action = f"/my/interest/interviews/{interview_id}"
    # Another returner cannot see or book it (as if there were none).
    other = as_candidate(runtime, uuid4())
    assert "Civic Centre" not in (await other.get(PAGE)).text
    assert (await other.post(action, {"slot": "1"}, page=PAGE)).status_code == 404
    # Without the page's CSRF token: refused.
    no_token = await candidate.http.post(action, data={"slot": "1"})
    assert no_token.status_code == 400
    unchosen = await candidate.refused(action, {}, page=PAGE)
    assert "Choose one of the times" in main_of(unchosen)
    assert await outbox(runtime, "InterviewInvited") == []

    booked = await candidate.post(action, {"slot": "1"}, page=PAGE)
    assert booked.headers["location"] == f"{PAGE}?answered=booked"
    [invited] = await outbox(runtime, "InterviewInvited")
    assert (invited["interview_id"], invited["stage"]) == (interview_id, 1)
    assert invited["place"] == "https://meet.example/walsall-housing"
    starts = datetime.fromisoformat(invited["starts_at"])
    assert (starts.astimezone(UK).date(), f"{starts.astimezone(UK):%H:%M}") == (day, "14:30")
    assert datetime.fromisoformat(invited["ends_at"]) - starts == timedelta(minutes=45)
    again = await candidate.refused(action, {"slot": "0"}, page=PAGE)
    assert "That time cannot be booked" in main_of(again)
    assert len(await outbox(runtime, "InterviewInvited")) == 1
    assert f"{day:%-d %B %Y} at 14:30 (UK time)" in main_of(await candidate.get(PAGE))

    # Feedback on the stage: every criterion rated, a recommendation.
    feedback_path = f"/council/interviews/{interview_id}/feedback"
    unrated = await walsall.refused(feedback_path, {"recommendation": "offer"}, page=match_path)
    assert "Rate it from 1 to 4" in unrated.text
    assert 'href="#rating_skills-1"' in unrated.text  # the summary links to the stage's own field
    assert 'id="rating_skills-1"' in unrated.text
    assert (await birmingham.post(feedback_path, FEEDBACK, page="/council")).status_code == 404
    saved = await walsall.post(feedback_path, FEEDBACK, page=match_path)
    assert saved.status_code == 303, saved.text
    council_page = main_of(await walsall.get(match_path))
    assert "Clear account of the housing dashboards she built." in council_page
    assert "4 out of 4" in council_page

    # The offer: a start date in the past is refused; another council cannot make one.
    start = datetime.now(UTC).date() + timedelta(days=60)
    past = await walsall.refused(
        f"{match_path}/offer", offer_form(start.replace(year=start.year - 2)), page=match_path
    )
    assert "The start date must be in the future" in past.text
    assert (
        await birmingham.post(f"{match_path}/offer", offer_form(start), page="/council")
    ).status_code == 404
    made = await walsall.post(f"{match_path}/offer", offer_form(start), page=match_path)
    assert made.status_code == 303, made.text
    [offered] = await outbox(runtime, "OfferMade")
    assert "salary" not in str(offered)  # the salary stays with matching
    assert "Your offer is waiting for the returner" in main_of(await walsall.get(match_path))

    page = main_of(await candidate.get(PAGE))
    assert "Your job offer" in page
    assert "£32,500" in page
    assert f"{start:%-d %B %Y}" in page
    offer_action = f"/my/interest/offers/{offered['offer_id']}"
    assert (await other.post(offer_action, {"response": "accepted"}, page=PAGE)).status_code == 404
    assert (await candidate.http.post(offer_action, data={"response": "accepted"})).status_code == 400
    assert await outbox(runtime, "CandidateHired") == []

    accepted = await candidate.post(offer_action, {"response": "accepted"}, page=PAGE)
    assert accepted.headers["location"] == f"{PAGE}?answered=offer-accepted"
    [answered] = await outbox(runtime, "OfferAnswered")
    assert answered["response"] == "accepted"
    [hired] = await outbox(runtime, "CandidateHired")
    assert (hired["match_id"], hired["start_date"], hired["hours_per_week"]) == (
        match_id,
        start.isoformat(),
        30.0,
    )
    assert hired["salary_band"] == {"min_pence": 3_250_000, "max_pence": 3_250_000}
    assert hired["causation_id"] == answered["event_id"]
    twice = await candidate.refused(offer_action, {"response": "declined"}, page=PAGE)
    assert "You have already answered this offer" in main_of(twice)
    assert "You hired this returner" in main_of(await walsall.get(match_path))


async def test_a_declined_offer_ends_the_match_without_a_hire(runtime: ServiceRuntime) -> None:
    walsall, returner, match_path, _ = await accepted_on_the_pages(runtime)
    candidate = as_candidate(runtime, returner.candidate_id)
    start = datetime.now(UTC).date() + timedelta(days=60)
    made = await walsall.post(f"{match_path}/offer", offer_form(start), page=match_path)
    assert made.status_code == 303, made.text
    second = await walsall.refused(f"{match_path}/offer", offer_form(start), page=match_path)
    assert "An offer is already waiting" in second.text or "waiting for the returner" in second.text
    [offered] = await outbox(runtime, "OfferMade")

    declined = await candidate.post(
        f"/my/interest/offers/{offered['offer_id']}", {"response": "declined"}, page=PAGE
    )

    assert declined.headers["location"] == f"{PAGE}?answered=offer-declined"
    assert [e["response"] for e in await outbox(runtime, "OfferAnswered")] == ["declined"]
    assert await outbox(runtime, "CandidateHired") == []
    page = main_of(await walsall.get(match_path))
    assert "The returner declined your offer." in page
    assert "You did not hire this returner." in page


async def test_only_the_candidate_books_and_answers_and_a_new_proposal_replaces_the_old(world: World) -> None:
    walsall = await world.sign_up(WALSALL)
    candidate = await world.join()
    vacancy_id = await world.post_vacancy(walsall, interview_required=True)
    match_id = await accepted_match(world, walsall, vacancy_id, candidate)
    later = datetime.now(UTC) + timedelta(days=10)
    slots = {"slots": [{"starts_at": later.isoformat(), "place": "Civic Centre"}], "minutes": 60}

    past = {"slots": [{"starts_at": "2020-01-01T10:00:00Z", "place": "Civic Centre"}]}
    assert (
        await world.http.post(f"/matches/{match_id}/interview-slots", json=past, headers=walsall.headers)
    ).status_code == 422
    six = {"slots": [{"starts_at": (later + timedelta(hours=n)).isoformat(), "place": "x"} for n in range(6)]}
    assert (
        await world.http.post(f"/matches/{match_id}/interview-slots", json=six, headers=walsall.headers)
    ).status_code == 422
    # No offer before the interview this vacancy asks for.
    offer = {
        "salary_pence": 3_300_000,
        "start_date": (later + timedelta(days=30)).date().isoformat(),
        "hours_per_week": 30,
    }
    early = await world.http.post(f"/matches/{match_id}/offer", json=offer, headers=walsall.headers)
    assert early.status_code == 409

    first = (
        await world.http.post(f"/matches/{match_id}/interview-slots", json=slots, headers=walsall.headers)
    ).json()
    replaced = (
        await world.http.post(f"/matches/{match_id}/interview-slots", json=slots, headers=walsall.headers)
    ).json()
    assert (first["stage"], replaced["stage"]) == (1, 1)
    # The recruiter cannot book for the candidate; the replaced proposal cannot be booked.
    booking = {"slot": 0}
    by_recruiter = await world.http.post(
        f"/interviews/{replaced['interview_id']}/booking", json=booking, headers=walsall.headers
    )
    assert by_recruiter.status_code == 403
    old = await world.http.post(
        f"/interviews/{first['interview_id']}/booking", json=booking, headers=candidate.headers
    )
    assert old.status_code == 409
    out_of_range = await world.http.post(
        f"/interviews/{replaced['interview_id']}/booking", json={"slot": 3}, headers=candidate.headers
    )
    assert out_of_range.status_code == 409
    booked = await world.http.post(
        f"/interviews/{replaced['interview_id']}/booking", json=booking, headers=candidate.headers
    )
    assert booked.json()["status"] == "booked"
    next_stage = (
        await world.http.post(f"/matches/{match_id}/interview-slots", json=slots, headers=walsall.headers)
    ).json()
    assert next_stage["stage"] == 2

    # Another council's recruiter: as if there were no such match or interview (the API has no
    # page check in front of the use cases).
    birmingham = await world.sign_up(BIRMINGHAM)
    feedback = {
        "ratings": dict.fromkeys(("skills", "experience", "communication", "values"), 3),
        "recommendation": "offer",
    }
    for method, path, body in (
        ("POST", f"/matches/{match_id}/interview-slots", slots),
        ("POST", f"/matches/{match_id}/offer", offer),
        ("GET", f"/matches/{match_id}/interviews", None),
        ("PUT", f"/interviews/{replaced['interview_id']}/feedback", feedback),
    ):
        foreign = await world.http.request(method, path, json=body, headers=birmingham.headers)
        assert foreign.status_code == 404, (path, foreign.text)
    assert await world.outbox("OfferMade") == []
    rated = dict.fromkeys(("skills", "experience", "communication"), 3)
    for odd in (True, "3", 3.0):  # JSON's true is no rating of 1, nor a string or a float one
        oddly = {**feedback, "ratings": {**rated, "values": odd}}
        refused = await world.http.put(
            f"/interviews/{replaced['interview_id']}/feedback", json=oddly, headers=walsall.headers
        )
        assert refused.status_code == 422, (odd, refused.text)
    recorded = await world.http.put(
        f"/interviews/{replaced['interview_id']}/feedback", json=feedback, headers=walsall.headers
    )
    assert recorded.json()["feedback"]["ratings"]["values"] == 3

    made = await world.http.post(f"/matches/{match_id}/offer", json=offer, headers=walsall.headers)
    assert made.status_code == 201, made.text
    by_council = await world.http.post(
        f"/offers/{made.json()['offer_id']}/response", json={"response": "accepted"}, headers=walsall.headers
    )
    assert by_council.status_code == 403
    # The council may still record the outcome itself: the open offer is withdrawn.
    hired = await world.http.post(f"/matches/{match_id}/outcome", json=HIRE, headers=walsall.headers)
    assert hired.json()["status"] == "hired"
    shown = (await world.http.get(f"/matches/{match_id}/interviews", headers=walsall.headers)).json()
    assert shown["offer"]["status"] == "withdrawn"
    assert [i["stage"] for i in shown["interviews"]] == [1, 2]
    late = await world.http.post(
        f"/offers/{made.json()['offer_id']}/response",
        json={"response": "accepted"},
        headers=candidate.headers,
    )
    assert late.status_code == 409
    assert len(await world.outbox("CandidateHired")) == 1


async def test_an_erased_candidate_leaves_no_interview_or_offer(world: World) -> None:
    walsall = await world.sign_up(WALSALL)
    erased, staying = await world.join(), await world.join()
    vacancy_id = await world.post_vacancy(walsall)
    later = datetime.now(UTC) + timedelta(days=10)
    slots = {"slots": [{"starts_at": later.isoformat(), "place": "Civic Centre"}]}
    offer = {
        "salary_pence": 3_300_000,
        "start_date": (later + timedelta(days=30)).date().isoformat(),
        "hours_per_week": 30,
    }
    for who in (erased, staying):
        match_id = await accepted_match(world, walsall, vacancy_id, who)
        proposal = (
            await world.http.post(f"/matches/{match_id}/interview-slots", json=slots, headers=walsall.headers)
        ).json()
        await world.http.post(
            f"/interviews/{proposal['interview_id']}/booking", json={"slot": 0}, headers=who.headers
        )
        assert (
            await world.http.post(f"/matches/{match_id}/offer", json=offer, headers=walsall.headers)
        ).status_code == 201

    await world.deliver(erasure_of(erased))

    async with world.service.engine.connect() as conn:
        for table in ("interviews", "offers"):
            left = await conn.execute(text(f"SELECT candidate_id FROM matching.{table}"))
            assert [str(row.candidate_id) for row in left] == [staying.candidate_id], table


async def test_odd_numbers_on_the_interview_and_offer_forms_are_refused_not_a_crash(
    runtime: ServiceRuntime,
) -> None:
    """What a person (or an attacker) can type into the boxes: a salary the form's own limit lets
    through but the offer's does not, "NaN" for a number, a superscript or a 5,000-digit "time"
    number. Each is refused with a reason on the page (a 303 back), never a 500."""
    walsall, returner, match_path, _ = await accepted_on_the_pages(runtime)
    candidate = as_candidate(runtime, returner.candidate_id)
    day = datetime.now(UTC).date() + timedelta(days=20)
    start = datetime.now(UTC).date() + timedelta(days=60)

    for salary in ("600,000", "NaN", "sNaN"):
        shown = await walsall.refused(f"{match_path}/offer", offer_form(start, salary), page=match_path)
        assert "the annual salary" in main_of(shown).lower(), salary
    hours = await walsall.refused(
        f"{match_path}/offer", {**offer_form(start), "offer_hours": "nan"}, page=match_path
    )
    assert "hours per week" in main_of(hours)
    minutes = await walsall.refused(
        f"{match_path}/interview-slots",
        {**slot_form(1, day, "10:00", "Civic Centre"), "minutes": "nan"},
        page=match_path,
    )
    assert "how long the interview lasts" in main_of(minutes).lower()
    assert await outbox(runtime, "OfferMade") == []
    assert await outbox(runtime, "InterviewSlotsProposed") == []

    proposed = await walsall.post(
        f"{match_path}/interview-slots",
        {**slot_form(1, day, "10:00", "Civic Centre"), "minutes": "60"},
        page=match_path,
    )
    assert proposed.status_code == 303, proposed.text
    [event] = await outbox(runtime, "InterviewSlotsProposed")
    action = f"/my/interest/interviews/{event['interview_id']}"
    for slot in ("\u00b2", "9" * 5000):
        shown = await candidate.refused(action, {"slot": slot}, page=PAGE)
        assert "Choose one of the times" in main_of(shown)
    assert await outbox(runtime, "InterviewInvited") == []


async def test_a_time_at_the_end_of_the_calendar_is_refused_when_proposed(runtime: ServiceRuntime) -> None:
    """A time whose end would fall past the last day a computer can count (31 December 9999) is
    refused on the proposal, not a 500 when the returner books it."""
    walsall, _, match_path, _ = await accepted_on_the_pages(runtime)
    far = datetime(9999, 12, 31, tzinfo=UTC).date()
    refused = await walsall.refused(
        f"{match_path}/interview-slots",
        {**slot_form(1, far, "23:30", "Civic Centre"), "minutes": "60"},
        page=match_path,
    )
    assert "The time must be within a year" in main_of(refused)
    assert await outbox(runtime, "InterviewSlotsProposed") == []
    # Nor as a direct invitation (notifications would count its end, an hour later).
    direct = await walsall.refused(
        f"{match_path}/interview",
        {
            "interview_date-day": "31",
            "interview_date-month": "12",
            "interview_date-year": "9999",
            "interview_time": "23:30",
            "interview_place": "Civic Centre",
        },
        page=match_path,
    )
    assert "The interview must be within a year" in main_of(direct)
    assert await outbox(runtime, "InterviewInvited") == []


async def test_two_offers_sent_at_once_make_one_open_offer(world: World) -> None:
    """A double click (or two recruiters) sending the offer at the same moment: one open offer at
    a time, so one is made and the other refused (409), never two OfferMade."""
    walsall = await world.sign_up(WALSALL)
    candidate = await world.join()
    vacancy_id = await world.post_vacancy(walsall)
    match_id = await accepted_match(world, walsall, vacancy_id, candidate)
    offer = {
        "salary_pence": 3_300_000,
        "start_date": (datetime.now(UTC) + timedelta(days=40)).date().isoformat(),
        "hours_per_week": 30,
    }

    answers = await asyncio.gather(
        *(
            world.http.post(f"/matches/{match_id}/offer", json=offer, headers=walsall.headers)
            for _ in range(8)
        )
    )

    assert sorted(a.status_code for a in answers) == [201] + [409] * 7
    assert len(await world.outbox("OfferMade")) == 1


async def test_proposals_sent_at_once_leave_one_to_book(world: World) -> None:
    """Proposals sent at the same moment: each replaces the one before, so one proposal is left
    open to book, never two."""
    walsall = await world.sign_up(WALSALL)
    candidate = await world.join()
    vacancy_id = await world.post_vacancy(walsall)
    match_id = await accepted_match(world, walsall, vacancy_id, candidate)
    later = datetime.now(UTC) + timedelta(days=10)
    slots = {"slots": [{"starts_at": later.isoformat(), "place": "Civic Centre"}]}

    answers = await asyncio.gather(
        *(
            world.http.post(f"/matches/{match_id}/interview-slots", json=slots, headers=walsall.headers)
            for _ in range(8)
        )
    )

    assert [a.status_code for a in answers] == [201] * 8
    async with world.service.engine.connect() as conn:
        open_ = await conn.execute(text("SELECT count(*) FROM matching.interviews WHERE status = 'proposed'"))
        assert open_.scalar_one() == 1


async def test_a_candidates_subject_access_gives_every_interview_stage_its_feedback_and_offer(
    world: World,
) -> None:
    walsall = await world.sign_up(WALSALL)
    candidate, other = await world.join(), await world.join()
    vacancy_id = await world.post_vacancy(walsall, interview_required=True)
    match_id = await accepted_match(world, walsall, vacancy_id, candidate)
    later = datetime.now(UTC) + timedelta(days=10)
    slots = {
        "slots": [
            {"starts_at": later.isoformat(), "place": "Civic Centre, room 4"},
            {"starts_at": (later + timedelta(hours=2)).isoformat(), "place": "On Teams"},
        ],
        "minutes": 45,
    }
    proposal = (
        await world.http.post(f"/matches/{match_id}/interview-slots", json=slots, headers=walsall.headers)
    ).json()
    booked = await world.http.post(
        f"/interviews/{proposal['interview_id']}/booking", json={"slot": 1}, headers=candidate.headers
    )
    assert booked.status_code == 200, booked.text
    notes = "Clear account of the housing dashboards she built."
    feedback = {
        "ratings": {"skills": 4, "experience": 3, "communication": 3, "values": 4},
        "recommendation": "offer",
        "notes": notes,
    }
    recorded = await world.http.put(
        f"/interviews/{proposal['interview_id']}/feedback", json=feedback, headers=walsall.headers
    )
    assert recorded.status_code == 200, recorded.text
    offer = {
        "salary_pence": 3_312_300,
        "start_date": (later + timedelta(days=30)).date().isoformat(),
        "hours_per_week": 30,
        "contract": "fixed_term",
    }
    made = await world.http.post(f"/matches/{match_id}/offer", json=offer, headers=walsall.headers)
    assert made.status_code == 201, made.text
    answered = await world.http.post(
        f"/offers/{made.json()['offer_id']}/response",
        json={"response": "declined"},
        headers=candidate.headers,
    )
    assert answered.status_code == 200, answered.text

    path = f"/candidates/{candidate.candidate_id}/matches"
    for headers in (candidate.headers, world.admin):
        export = await world.http.get(path, headers=headers)
        assert export.status_code == 200, export.text
        [match] = export.json()
        assert match["match_id"] == match_id
        [stage] = match["interviews"]
        assert (stage["stage"], stage["status"], stage["minutes"]) == (1, "booked", 45)
        assert [s["place"] for s in stage["slots"]] == ["Civic Centre, room 4", "On Teams"]
        assert stage["place"] == "On Teams"
        assert stage["booked_at"] is not None
        assert stage["feedback"]["notes"] == notes
        assert stage["feedback"]["ratings"] == feedback["ratings"]
        assert stage["feedback"]["recommendation"] == "offer"
        assert "by" not in stage["feedback"]  # who in the council wrote it is theirs
        [held] = match["offers"]
        assert (held["salary_pence"], held["start_date"], held["hours_per_week"]) == (
            3_312_300,
            offer["start_date"],
            30,
        )
        assert (held["contract"], held["status"]) == ("fixed_term", "declined")
        assert held["answered_at"] is not None

    # Another candidate: as for an unknown id; and the other candidate's own export holds nothing.
    foreign = await world.http.get(path, headers=other.headers)
    assert foreign.status_code == 404, foreign.text
    unknown = await world.http.get(f"/candidates/{uuid4()}/matches", headers=other.headers)
    assert foreign.json() == unknown.json()
    assert (
        await world.http.get(f"/candidates/{other.candidate_id}/matches", headers=other.headers)
    ).json() == []

    await world.deliver(erasure_of(candidate))
    for headers in (candidate.headers, world.admin):
        gone = await world.http.get(path, headers=headers)
        assert gone.status_code == 404, gone.text
