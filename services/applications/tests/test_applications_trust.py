"""Trust: an e-mail address proves nothing until its owner follows a link sent to it; an
`Idempotency-Key` belongs to its caller; someone else's application answers like an unknown one;
an upload is not read for someone who does not own it; names hide nothing; lists are bounded.
Through the HTTP API, with the in-memory broker and real PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any
from uuid import uuid4

import httpx
import pytest
import pytest_asyncio
from rtw_applications.api import LINK_SENT
from rtw_applications.app import SERVICE
from rtw_applications.testing import bearer_for, submitted_application
from rtw_contracts import CandidateSignInRequestedV2
from rtw_platform.auth import Role
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for
from rtw_platform.testing.links import mailed_link, token_of
from sqlalchemy import text

pytestmark = pytest.mark.component

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 2000
VIDEO_LIMIT = 100_000


@pytest_asyncio.fixture
async def service(
    start_service: Callable[..., Any], open_cohorts: dict[str, str], tmp_path: Any
) -> ServiceRuntime:
    runtime: ServiceRuntime = await start_service(
        SERVICE,
        in_memory_broker=True,
        relay_enabled=False,
        file_store_url=f"file://{tmp_path}",
        video_max_bytes=VIDEO_LIMIT,
    )
    return runtime


@pytest_asyncio.fixture
async def client(service: ServiceRuntime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app_for(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://applications") as http:
        yield http


def secret_of(service: ServiceRuntime) -> str:
    return service.settings.token_secret.get_secret_value()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def rows(service: ServiceRuntime, sql: str, **values: Any) -> list[Any]:
    async with service.engine.connect() as conn:
        return list((await conn.execute(text(sql), values)).all())


async def links_to(service: ServiceRuntime, email: str) -> list[CandidateSignInRequestedV2]:
    found = await rows(
        service,
        "SELECT payload FROM applications.outbox WHERE event_type = 'CandidateSignInRequested' ORDER BY id",
    )
    links = [CandidateSignInRequestedV2.model_validate(r.payload) for r in found]
    return [link for link in links if link.email == email.lower()]


async def submitted_events(service: ServiceRuntime) -> int:
    found = await rows(
        service, "SELECT count(*) AS n FROM applications.outbox WHERE event_type = 'ApplicationSubmitted'"
    )
    return int(found[0].n)


# --------------------------------------------------------------------------- proof of address


async def test_an_anonymous_application_for_a_known_address_names_nothing_and_sends_a_link(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    victim = make_application()
    theirs = await submitted_application(client, secret_of(service), victim)

    taken = await client.post("/applications", json={**victim, "email": victim["email"].upper()})
    unknown = await client.post("/applications", json=make_application())

    assert taken.status_code == unknown.status_code == 202, taken.text
    assert taken.json() == unknown.json() == {"message": LINK_SENT}
    assert theirs["reference"] not in taken.text
    assert theirs["application_id"] not in taken.text
    assert len(await links_to(service, victim["email"])) == 1  # the owner is told, by e-mail
    # The victim's; the unknown address's application waits for its owner to send it.
    assert await submitted_events(service) == 1


async def test_an_anonymous_application_to_another_cohort_changes_nothing_of_the_account(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    victim = make_application(phone="01632 960 001")
    theirs = await submitted_application(client, secret_of(service), victim)
    auth = bearer(theirs["access_token"])
    draft = await client.post(
        "/candidates/me/applications", json={"cohort_id": "planning-test"}, headers=auth
    )
    assert draft.status_code == 201
    draft_id = draft.json()["application_id"]
    saved = await client.patch(f"/applications/{draft_id}", json={"postcode_district": "WS1"}, headers=auth)
    assert saved.status_code == 200

    attack = make_application(
        email=victim["email"],
        cohort_id="planning-test",
        given_name="Mallory",
        family_name="Taker",
        phone="01632 960 999",
        specialisms=[],
        skills=[],
    )
    answer = await client.post("/applications", json=attack)

    assert answer.status_code == 202, answer.text
    [person] = await rows(
        service,
        "SELECT given_name, family_name, phone FROM applications.candidates WHERE email = :e",
        e=victim["email"],
    )
    assert (person.given_name, person.family_name, person.phone) == ("Amara", "Okafor", "01632 960 001")
    kept = await client.get(f"/applications/{draft_id}", headers=auth)
    assert kept.status_code == 200  # the draft is still there, as it was
    assert kept.json()["status"] == "draft"
    assert kept.json()["answers"]["postcode_district"] == "WS1"
    applications = await rows(
        service, "SELECT id FROM applications.applications WHERE candidate_id = :c", c=theirs["candidate_id"]
    )
    assert len(applications) == 2
    assert await submitted_events(service) == 1


async def test_starting_a_draft_hands_no_token_to_an_unproven_address(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    known = await submitted_application(client, secret_of(service), make_application())
    known_email = (await rows(service, "SELECT email FROM applications.candidates"))[0].email
    new_email = f"new.{uuid4().hex[:8]}@example.org"

    for_new = await client.post("/applications/drafts", json={"cohort_id": "ict-test", "email": new_email})
    for_known = await client.post(
        "/applications/drafts", json={"cohort_id": "planning-test", "email": known_email}
    )

    assert for_new.status_code == for_known.status_code == 202, for_new.text
    assert for_new.json() == for_known.json() == {"message": LINK_SENT}
    assert known["application_id"] not in for_known.text
    # Only whoever reads the address's e-mail can go on: the link leads to the new draft.
    [link] = await links_to(service, new_email)
    [draft] = await rows(
        service,
        "SELECT a.id FROM applications.applications a JOIN applications.candidates c"
        " ON c.id = a.candidate_id WHERE c.email = :e",
        e=new_email,
    )
    assert link.next_page == f"/applications/application/{draft.id}"
    assert mailed_link(link.model_dump(mode="json"), secret_of(service)).endswith(f"?next={link.next_page}")
    token = token_of(mailed_link(link.model_dump(mode="json"), secret_of(service)))
    exchanged = await client.post("/sign-in/token", json={"token": token})
    assert exchanged.status_code == 200
    view = await client.get(f"/applications/{draft.id}", headers=bearer(exchanged.json()["access_token"]))
    assert view.status_code == 200
    assert len(await links_to(service, known_email)) == 1


async def test_an_anonymous_application_for_a_new_address_waits_for_its_owner_to_send_it(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    """Anyone may fill in a whole application with an address nobody has proven: it is kept as a
    finished draft, and only whoever reads that address's e-mail sends it (from the check-answers
    page the link opens). Until then nothing is assessed in that person's name, and the cohort is
    not taken from them."""
    form = make_application(equality_monitoring={"sex": "female"})

    sent = await client.post("/applications", json=form)

    assert sent.status_code == 202, sent.text
    assert await submitted_events(service) == 0
    [draft] = await rows(
        service,
        "SELECT a.id, a.status, a.reference FROM applications.applications a"
        " JOIN applications.candidates c ON c.id = a.candidate_id WHERE c.email = :e",
        e=form["email"].lower(),
    )
    assert (draft.status, draft.reference) == ("draft", None)
    [link] = await links_to(service, form["email"])
    assert link.next_page == f"/applications/application/{draft.id}/check-answers"
    mailed = mailed_link(link.model_dump(mode="json"), service.settings.token_secret.get_secret_value())
    assert mailed.endswith(f"?next=/applications/application/{draft.id}/check-answers")
    token = token_of(mailed)
    owner = bearer((await client.post("/sign-in/token", json={"token": token})).json()["access_token"])
    submitted = await client.post(f"/applications/{draft.id}/submit", headers=owner)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["reference"]
    assert await submitted_events(service) == 1


# --------------------------------------------------------------------------- idempotency keys


async def test_an_idempotency_key_replayed_by_someone_else_gives_nothing_back(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    secret = secret_of(service)
    key = {"Idempotency-Key": "k-1"}
    victim = await submitted_application(client, secret, make_application(), headers=key)
    own_retry = await client.post(
        "/applications",
        json=make_application(),
        headers={**key, **bearer_for(secret, Role.ADMIN, "partner-service")},
    )
    assert own_retry.status_code == 201
    assert own_retry.json()["application_id"] == victim["application_id"]  # the same caller's retry

    anonymous = await client.post("/applications", json=make_application(), headers=key)
    assert anonymous.status_code == 202, anonymous.text
    assert victim["application_id"] not in anonymous.text
    assert victim["reference"] not in anonymous.text

    assessor = await client.post(
        "/applications", json=make_application(), headers={**key, **bearer_for(secret, Role.ASSESSOR, "a-1")}
    )
    assert assessor.status_code == 403
    other_admin = await client.post(
        "/applications", json=make_application(), headers={**key, **bearer_for(secret, Role.ADMIN, "other")}
    )
    assert other_admin.status_code == 201
    assert other_admin.json()["application_id"] != victim["application_id"]  # a new request

    candidate = await submitted_application(client, secret, make_application())
    draft = await client.post(
        "/candidates/me/applications",
        json={"cohort_id": "planning-test"},
        headers=bearer(candidate["access_token"]),
    )
    draft_id = draft.json()["application_id"]
    form = make_application(specialisms=[], skills=[])
    answers = {k: v for k, v in form.items() if k not in ("cohort_id", "email")}
    auth = bearer(candidate["access_token"])
    assert (await client.patch(f"/applications/{draft_id}", json=answers, headers=auth)).status_code == 200
    sent = await client.post(f"/applications/{draft_id}/submit", headers={**auth, **key})
    assert sent.status_code == 200
    assert sent.json()["application_id"] == draft_id
    another = await client.post("/candidates/me/applications", json={"cohort_id": "legal-test"}, headers=auth)
    reused = await client.post(
        f"/applications/{another.json()['application_id']}/submit", headers={**auth, **key}
    )
    assert reused.status_code == 409  # the same caller's key for another request: no details
    assert reused.json() == {
        "detail": "This Idempotency-Key was already used for another request: send a new key."
    }
    # One key, five callers: four submitted, and the anonymous caller's kept for its address's owner.
    assert await submitted_events(service) == 4


# --------------------------------------------------------------------------- someone else's = unknown


async def test_someone_elses_application_and_data_answer_exactly_as_unknown_ones(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    secret = secret_of(service)
    mine = await submitted_application(client, secret, make_application())
    theirs = await submitted_application(client, secret, make_application())
    auth = bearer(mine["access_token"])
    assessor = bearer_for(secret, Role.ASSESSOR, "assessor-1")
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/applications/{a}", {}),
        ("PATCH", "/applications/{a}", {"json": {"given_name": "Mallory"}}),
        ("POST", "/applications/{a}/submit", {}),
        ("PUT", "/applications/{a}/equality-monitoring", {"json": {"sex": "female"}}),
        ("POST", "/applications/{a}/withdraw", {"json": {"reason": "found_work"}}),
        ("POST", "/applications/{a}/second-stage", {"data": {"answers": "{}"}}),
        ("GET", "/candidates/{c}/export", {}),
        ("POST", "/candidates/{c}/erasure", {}),
    ]
    for method, path, extra in calls:
        for caller in (auth, assessor):
            others = await client.request(
                method,
                path.format(a=theirs["application_id"], c=theirs["candidate_id"]),
                headers=caller,
                **extra,
            )
            unknown = await client.request(method, path.format(a=uuid4(), c=uuid4()), headers=caller, **extra)
            assert (others.status_code, others.json()) == (unknown.status_code, unknown.json()), path
            if caller is auth:
                assert others.status_code == 404, (path, others.text)
    view = await client.get(
        f"/applications/{theirs['application_id']}", headers=bearer(theirs["access_token"])
    )
    assert view.json()["answers"]["given_name"] == "Amara"
    assert view.json()["status"] == "submitted"


# --------------------------------------------------------------------------- uploads


class CountingBody:
    """A request body handed over chunk by chunk, counting what the service asked for."""

    def __init__(self, total: int, chunk: int = 64 * 1024) -> None:
        self.total, self.chunk, self.read = total, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        boundary = b"--b0undary\r\n"
        yield boundary + b'Content-Disposition: form-data; name="answers"\r\n\r\n{}\r\n'
        yield boundary + b'Content-Disposition: form-data; name="video"; filename="v.mp4"\r\n'
        yield b"Content-Type: video/mp4\r\n\r\n"
        while self.read < self.total:
            self.read += self.chunk
            yield MP4[:64] + b"\0" * (self.chunk - 64)
        yield b"\r\n--b0undary--\r\n"


MULTIPART = {"Content-Type": "multipart/form-data; boundary=b0undary"}


async def test_an_upload_to_someone_elses_application_is_refused_before_it_is_read(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    secret = secret_of(service)
    theirs = await submitted_application(client, secret, make_application())
    mine = await submitted_application(client, secret, make_application())
    url = f"/applications/{theirs['application_id']}/second-stage"

    body = CountingBody(total=20 * 1024 * 1024)
    refused = await client.post(url, content=body, headers={**MULTIPART, **bearer(mine["access_token"])})

    assert refused.status_code == 404, refused.text
    assert body.read == 0  # not one chunk of the video was asked for

    # A declared length past the route's allowance is refused unread by size, for any id alike.
    def declared(to: str) -> Any:
        return client.post(
            to,
            content=b"x" * 10,
            headers={**MULTIPART, **bearer(mine["access_token"]), "Content-Length": str(201 * 1024 * 1024)},
        )

    theirs_declared = await declared(url)
    unknown_declared = await declared(f"/applications/{uuid4()}/second-stage")
    assert theirs_declared.status_code == unknown_declared.status_code == 413
    assert theirs_declared.json() == unknown_declared.json()


async def test_the_owners_upload_is_refused_as_soon_as_it_passes_the_limit(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    receipt = await submitted_application(client, secret_of(service), make_application())
    url = f"/applications/{receipt['application_id']}/second-stage"
    auth = bearer(receipt["access_token"])

    body = CountingBody(total=20 * 1024 * 1024)
    too_big = await client.post(url, content=body, headers={**MULTIPART, **auth})

    assert too_big.status_code == 413, too_big.text
    assert "MB" in too_big.json()["detail"]
    assert body.read <= VIDEO_LIMIT + 2 * 1024 * 1024  # stopped at the limit, not at the end
    declared = await client.post(
        url, content=b"x" * 10, headers={**MULTIPART, **auth, "Content-Length": str(201 * 1024 * 1024)}
    )
    assert declared.status_code == 413


# --------------------------------------------------------------------------- names and lists


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("\u200b\u200b", "hidden characters"),
        ("\u202eevil", "hidden characters"),
        ("Amara\u2066", "hidden characters"),
        ("\u200d", "hidden characters"),
        ("Ann\u0000e", "hidden characters"),
        ("1234", "at least one letter"),
        ("---", "at least one letter"),
    ],
)
async def test_a_name_must_have_a_letter_and_hide_nothing(
    client: httpx.AsyncClient,
    service: ServiceRuntime,
    make_application: Callable[..., dict[str, Any]],
    name: str,
    words: str,
) -> None:
    for field in ("given_name", "family_name"):
        whole = await client.post("/applications", json=make_application(**{field: name}))
        assert whole.status_code == 422, whole.text
        problems = {e["field"]: e["message"] for e in whole.json()["errors"]}
        assert words in problems[field]
        draft = await client.post(
            "/applications/drafts", json={"cohort_id": "ict-test", "email": "n@example.org", field: name}
        )
        assert draft.status_code == 422
    receipt = await submitted_application(client, secret_of(service), make_application())
    patched = await client.patch(
        f"/applications/{receipt['application_id']}",
        json={"given_name": name},
        headers=bearer(receipt["access_token"]),
    )
    assert patched.status_code == 422
    stored = await rows(service, "SELECT given_name, family_name FROM applications.candidates")
    assert all(name not in (r.given_name, r.family_name) for r in stored)


async def test_names_are_stored_nfc_normalised(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    decomposed = "Zoe\u0301"  # e + combining acute
    receipt = await submitted_application(
        client, secret_of(service), make_application(given_name=decomposed, family_name="O\u2019Neil")
    )
    [person] = await rows(
        service,
        "SELECT given_name, family_name FROM applications.candidates WHERE id = :c",
        c=receipt["candidate_id"],
    )
    assert person.given_name == "Zo\u00e9"
    assert person.family_name == "O\u2019Neil"


async def test_lists_and_filters_are_bounded(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    form = make_application()
    many = {**form["work_preferences"], "visible_to_councils": [f"E{n:08d}" for n in range(1000)]}
    refused = await client.post("/applications", json={**form, "work_preferences": many})
    assert refused.status_code == 422
    assert any("at most" in e["message"] for e in refused.json()["errors"]), refused.text
    twice = {**form["work_preferences"], "visible_to_regions": ["london", "london"]}
    assert (await client.post("/applications", json={**form, "work_preferences": twice})).status_code == 422

    admin = bearer_for(secret_of(service), Role.ADMIN, "admin-1")
    for query in (f"cohort_id={'x' * 65}", f"status={'x' * 41}", "page_size=201", "page=0"):
        listing = await client.get(f"/applications?{query}", headers=admin)
        assert listing.status_code == 422, (query, listing.text)
        assert listing.json()["errors"][0]["message"]


async def test_second_stage_answers_must_be_a_json_object_of_text(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    receipt = await submitted_application(client, secret_of(service), make_application())
    url = f"/applications/{receipt['application_id']}/second-stage"
    auth = bearer(receipt["access_token"])
    for answers in ("not json", json.dumps(["a"]), json.dumps({"q": 1})):
        sent = await client.post(url, data={"answers": answers}, headers=auth)
        assert sent.status_code == 422, sent.text
    missing = await client.post(url, data={}, headers=auth)
    assert missing.status_code == 422
