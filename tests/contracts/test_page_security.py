"""Every page for people is guarded by its sign-in, its role and (for a form) its CSRF token, and
each protection is tested on its own: a page that forgets one of them fails here.

Every case removes exactly one protection and keeps the others satisfied, so it fails when that
protection alone is switched off:

- a form signed in as the right person (the owner of what the address names) with the CSRF cookie
  but the form's token missing, wrong, or the cookie missing is refused as forged, and nothing the
  service holds changes;
- a visitor with no session but a valid CSRF pair is sent to the sign-in page of the page's role;
- someone signed in with any other role, with a valid CSRF pair, is sent to that sign-in page too;
- for pages naming something a person owns (an application, a vacancy), the same role signed in
  as someone else is refused (403 or 404) and nothing changes.

The addresses name real things of a seeded world (the signed-in candidate's application, the
recruiter's council's vacancy, an open cohort), so a page that skipped a protection would act, not
answer "not found"; the answers tell the protections apart: sign in = 303 to the role's sign-in
page, forged = 400 "Your form could not be sent", someone else's = 403/404 with the platform's
error page.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote
from uuid import uuid4

import asyncpg
import httpx
import pytest
import pytest_asyncio
from rtw_applications.testing import TEST_COHORTS, application_form, insert_cohort, submitted_application
from rtw_assessment.domain import default_config
from rtw_assessment.screening import screen_application
from rtw_contracts import ApplicationSubmittedV2, Programme
from rtw_platform.auth import Principal, Role, issue_session_token, issue_token, verify_token
from rtw_platform.db import asyncpg_dsn
from rtw_platform.http import create_app
from rtw_platform.registry import consumed_queues, installed_services
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import BrokerNamespace, settings_for_test
from rtw_platform.testing.routes import service_routes
from rtw_platform.web.pages import CSRF_COOKIE, CSRF_FIELD, SESSION_COOKIE, SIGN_IN_PAGES

pytestmark = pytest.mark.contracts

#: Pages anyone may open, and why.
PUBLIC_PAGES = {
    ("*", "POST", "/account/sign-out"),  # anyone may sign out (the form still needs its CSRF token)
    ("applications", "GET", "/"),  # the start page
    ("applications", "GET", "/account/sign-in"),  # asking for a sign-in link
    ("applications", "POST", "/account/sign-in"),
    ("applications", "GET", "/account/check-your-email"),
    ("applications", "GET", "/account/staff-sign-in"),
    ("applications", "GET", "/account/signed-out"),
    ("applications", "GET", "/sign-in/{token}"),  # the e-mailed link
    ("applications", "POST", "/sign-in/{token}"),
    ("applications", "GET", "/apply/{cohort_id}"),  # starting an application (no account yet)
    ("applications", "POST", "/apply/{cohort_id}"),
    ("applications", "GET", "/apply/{cohort_id}/check-your-email"),  # a known address got a link
    ("applications", "GET", "/privacy-notice"),  # read before applying (and the footer's pages:)
    ("applications", "GET", "/help"),
    ("applications", "GET", "/accessibility"),
    ("applications", "GET", "/cookies"),
    ("applications", "GET", "/my/data/erased"),  # after erasure the session has ended
    ("assessment", "GET", "/eligibility"),  # the eligibility checker: no account, keeps nothing
    ("matching", "GET", "/councils/sign-up"),  # a council signs up
    ("matching", "POST", "/councils/sign-up"),
    ("matching", "GET", "/councils/check-your-email"),
    ("matching", "GET", "/recruiters/sign-in"),  # how recruiters sign in
    ("matching", "GET", "/recruiters/sign-in/{token}"),  # the invitation link
    ("matching", "POST", "/recruiters/sign-in"),  # the invitation's token, posted
    ("matching", "POST", "/recruiters/new-link"),  # asking for a new link (same answer for anyone)
    ("matching", "GET", "/recruiters/link-sent"),
    ("notifications", "GET", "/staff/sign-in"),  # staff ask for a new link (same answer for anyone)
    ("notifications", "POST", "/staff/sign-in"),
    ("notifications", "GET", "/staff/sign-in/check-your-email"),
    ("training", "GET", "/certificates"),  # anyone looks a certificate up by its number
    ("training", "GET", "/certificates/{certificate_id}"),  # and checks it is genuine
}

#: Who may open the private pages: (service, path prefix) → the one role; the first match wins.
#: A new private page must fall under one of these (or be added) before this test passes.
PAGE_ROLES = [
    ("applications", "/admin/", Role.ADMIN),
    ("applications", "/application/", Role.CANDIDATE),
    ("applications", "/my", Role.CANDIDATE),
    ("assessment", "/queue", Role.ASSESSOR),
    ("assessment", "/admin", Role.ADMIN),
    ("assessment", "/my/", Role.CANDIDATE),
    ("matching", "/admin/", Role.ADMIN),
    ("matching", "/council/", Role.RECRUITER),
    ("matching", "/council", Role.RECRUITER),
    ("matching", "/my/interest", Role.CANDIDATE),
    ("notifications", "/admin/", Role.ADMIN),
    ("training", "/admin/", Role.ADMIN),
    ("training", "/provider", Role.TRAINER),
    ("training", "/my", Role.CANDIDATE),
]

#: Path parameters naming something a person of the role owns (the signed-in right person owns
#: it; the "someone else" case signs in as another person of the same role).
OWNED: dict[Role | None, set[str]] = {Role.CANDIDATE: {"application_id"}, Role.RECRUITER: {"vacancy_id"}}

#: Fields a form needs to do its work, so a form whose CSRF check was skipped would change
#: something (withdraw an application, close a vacancy, create a cohort…), not just show errors.
FORM_FIELDS: dict[tuple[str, str], dict[str, str]] = {
    ("applications", "/account/sign-in"): {"email": "{email}"},
    ("applications", "/apply/{cohort_id}"): {
        "email": "new.person@example.org",
        "given_name": "New",
        "family_name": "Person",
    },
    ("applications", "/my/applications/{application_id}/withdraw"): {"reason": "personal_circumstances"},
    ("applications", "/my/applications/{application_id}/adjustments"): {"kinds": "more_time"},
    ("applications", "/application/{application_id}/guaranteed-second-stage"): {"guaranteed": "yes"},
    ("assessment", "/my/applications/{application_id}/appeal"): {
        "grounds": "I have settled status and the right to work in the UK."
    },
    ("assessment", "/admin/appeals/{appeal_id}"): {
        "upheld": "yes",
        "reason": "Share code checked by the team.",
    },
    ("applications", "/admin/cohorts"): {
        "id": "forged-cohort",
        "programme": "ict",
        "title": "A forged cohort",
        "opens-day": "1",
        "opens-month": "1",
        "opens-year": "2030",
        "closes-day": "1",
        "closes-month": "2",
        "closes-year": "2030",
    },
    ("applications", "/application/{application_id}/questions/{slug}"): {
        "given_name": "Forged",
        "family_name": "Name",
    },
    ("matching", "/admin/councils/claims/{claim_id}/reject"): {"reason": "Not a council address"},
    ("assessment", "/admin/assessors"): {
        "id": "forged.assessor",
        "display_name": "Forged",
        "programmes": "ict",
    },
    ("training", "/admin/providers"): {"id": "forged-provider", "name": "Forged", "cohorts": "ict-forged"},
    ("notifications", "/admin/staff/send"): {
        "role": "admin",
        "staff_id": "forged.admin",
        "name": "Forged",
        "email": "forged.admin@example.org",
    },
    ("notifications", "/staff/sign-in"): {"email": "{email}"},
    ("assessment", "/admin/cohorts/{cohort_id}/reopen"): {
        "reason": "A forged reason for reopening selection"
    },
    ("matching", "/councils/sign-up"): {
        "gss_code": "E08000026",
        "contact_name": "Forged Contact",
        "contact_email": "forged@coventry.example",
        "specialisms_needed": "software_developer",
    },
}


def _is_public(name: str, method: str, path: str) -> bool:
    return (name, method, path) in PUBLIC_PAGES or ("*", method, path) in PUBLIC_PAGES


def _role_of(service: str, path: str) -> Role | None:
    for name, start, role in PAGE_ROLES:
        if name == service and path.startswith(start):
            return role
    return None


def _ids(cases: list[Any]) -> list[str]:
    return [":".join(str(part) for part in case) for case in cases]


PAGES = service_routes(pages=True)
PRIVATE = [p for p in PAGES if not _is_public(*p)]
FORMS = [p for p in PAGES if p[1] == "POST"]
WRONG_ROLES = [
    (service, method, path, role.value)
    for service, method, path in PRIVATE
    for role in Role
    if role is not _role_of(service, path)
]
SOMEONE_ELSES = [
    p for p in PRIVATE if set(re.findall(r"\{(\w+)\}", p[2])) & OWNED.get(_role_of(p[0], p[2]), set())
]
SHARED_PARAMETERS = {"cohort_id", "slug", "queue", "action", "claim_id"}
#: GET pages whose every parameter names something real: the right person is served them.
SERVED = [
    p
    for p in PRIVATE
    if p[1] == "GET"
    and set(re.findall(r"\{(\w+)\}", p[2])) <= SHARED_PARAMETERS | OWNED.get(_role_of(p[0], p[2]), set())
]
FORGERIES = ["token missing", "token wrong", "cookie missing"]
FORGED_FORMS = [(*form, how) for form in FORMS for how in FORGERIES]


def test_every_service_has_pages_and_the_public_list_names_only_pages_that_exist() -> None:
    assert {name for name, _, _ in PAGES} == set(installed_services())
    existing = {(name, m, p) for name, m, p in PAGES} | {("*", m, p) for _, m, p in PAGES}
    for page in PUBLIC_PAGES:
        assert page in existing, f"{page} is listed as public but does not exist"


def test_every_private_page_says_which_role_may_open_it() -> None:
    unowned = [p for p in PRIVATE if _role_of(p[0], p[2]) is None]
    assert not unowned, f"add these pages to PAGE_ROLES (or PUBLIC_PAGES, saying why): {unowned}"
    # The cases cover every private page, every form and every other role.
    assert len(WRONG_ROLES) == 4 * len(PRIVATE)
    assert SOMEONE_ELSES, "no page names an owned thing: the someone-else cases test nothing"


# --- the seeded world ---------------------------------------------------------------------------


@dataclass
class Person:
    """Someone who can sign in, and what they own."""

    principal: Principal
    owns: dict[str, str] = field(default_factory=dict)
    email: str = ""


@dataclass
class World:
    apps: dict[str, Any]
    secrets: dict[str, str]
    database_url: str
    prefix: str
    people: dict[tuple[Role, str], Person]
    shared: dict[str, str]

    def person(self, role: Role, which: str = "a") -> Person:
        return self.people[(role, which)]


async def _empty(database_url: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        schemas = [d.schema for d in installed_services().values()]
        rows = await conn.fetch(
            "SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY($1::text[])"
            " AND tablename <> 'alembic_version'",
            schemas,
        )
        tables = ", ".join(f'"{r["schemaname"]}"."{r["tablename"]}"' for r in rows)
        await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


async def snapshot(database_url: str, schema: str) -> dict[str, str]:
    """A fingerprint of every table of the schema (the rows' text, hashed)."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        tables = [
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1", schema)
        ]
        prints = {}
        for table in sorted(tables):
            prints[table] = await conn.fetchval(
                f"SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '')"
                f' FROM "{schema}"."{table}" t'
            )
        return prints
    finally:
        await conn.close()


def _vacancy(title: str) -> dict[str, Any]:
    return {
        "title": title,
        "programme": "ict",
        "specialism": "software_developer",
        "role": "Software developer",
        "role_level": "Senior developer",
        "required_skills": [{"skill": "Programming and build (software engineering)", "level": 3}],
        "base_postcode_districts": ["WS1"],
        "work_mode": "hybrid",
        "flexible_working": ["part_time"],
        "salary_band": {"min_pence": 3_200_000, "max_pence": 3_800_000},
        "hours_per_week": 30,
        "closing_date": (datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
    }


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(
    database_url: str, amqp_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    """Every service's app on the session database, with two people of each role owning things."""
    await _empty(database_url)
    today = datetime.now(UTC).date()
    await insert_cohort(
        database_url, TEST_COHORTS["ict"], "ict", today - timedelta(days=30), today + timedelta(days=30)
    )
    namespace = BrokerNamespace(amqp_url)
    files = tmp_path_factory.mktemp("files")
    apps: dict[str, Any] = {}
    runtimes: list[ServiceRuntime] = []
    token_secrets: dict[str, str] = {}
    for name, definition in installed_services().items():
        extra: dict[str, Any] = {"relay_enabled": False}
        if "file_store_url" in definition.settings_class.model_fields:
            extra["file_store_url"] = f"file://{files}"
        if "dispatch_enabled" in definition.settings_class.model_fields:
            extra["dispatch_enabled"] = False
        settings = settings_for_test(definition, database_url, namespace, **extra)
        runtime = ServiceRuntime(definition, settings)
        for hook in definition.on_startup:  # what start() attaches, without consumers or loops
            result = hook(runtime)
            if result is not None:
                await result
        await runtime.sessions.start()  # which sessions were ended (cookies are refused until read)
        runtimes.append(runtime)
        apps[name] = create_app(definition, settings, runtime=runtime, configure_logs=False)
        token_secrets[name] = settings.token_secret.get_secret_value()

    people: dict[tuple[Role, str], Person] = {}
    admin = Principal("seeding-admin", Role.ADMIN)
    async with (
        _client(apps["applications"]) as applications,
        _client(apps["matching"]) as matching,
        _client(apps["assessment"]) as assessment,
        _client(apps["training"]) as training,
    ):
        as_admin = {"Authorization": f"Bearer {issue_token(token_secrets['assessment'], admin)}"}
        configured = await assessment.put(
            f"/cohorts/{TEST_COHORTS['ict']}/config",
            json=default_config(Programme.ICT).model_dump(mode="json"),
            headers=as_admin,
        )
        assert configured.status_code == 200, configured.text
        for which in ("a", "b"):
            form = application_form(email=f"candidate.{which}.{uuid4().hex[:6]}@example.org")
            receipt = await submitted_application(applications, token_secrets["applications"], form)
            subject = verify_token(token_secrets["applications"], receipt["access_token"]).subject
            people[(Role.CANDIDATE, which)] = Person(
                Principal(subject, Role.CANDIDATE),
                {"application_id": receipt["application_id"]},
                email=form["email"],
            )

            council = await matching.post(
                "/councils",
                json={
                    "gss_code": {"a": "E08000030", "b": "E08000031"}[which],
                    "contact_name": f"Recruiter {which.upper()}",
                    "contact_email": f"recruiter.{which}@council.example",
                    "specialisms_needed": ["software_developer"],
                    "flexible_working_offered": ["part_time"],
                },
            )
            assert council.status_code == 201, council.text
            council_id = council.json()["council_id"]
            as_admin = {"Authorization": f"Bearer {issue_token(token_secrets['matching'], admin)}"}
            approved = await matching.post(
                f"/council-claims/{council.json()['claim_id']}/approve", headers=as_admin
            )
            assert approved.status_code == 200, approved.text
            recruiter = Principal(f"recruiter-{which}", Role.RECRUITER, council_id=council_id)
            headers = {"Authorization": f"Bearer {issue_token(token_secrets['matching'], recruiter)}"}
            posted = await matching.post(
                f"/councils/{council_id}/vacancies", json=_vacancy(f"Vacancy {which}"), headers=headers
            )
            assert posted.status_code == 201, posted.text
            people[(Role.RECRUITER, which)] = Person(recruiter, {"vacancy_id": posted.json()["vacancy_id"]})
            people[(Role.ASSESSOR, which)] = Person(Principal(f"assessor-{which}", Role.ASSESSOR))
            provider = {
                "id": f"provider-{which}",
                "name": f"Provider {which.upper()}",
                "cohorts": [TEST_COHORTS["ict"]],
            }
            as_admin = {"Authorization": f"Bearer {issue_token(token_secrets['training'], admin)}"}
            registered = await training.put(f"/providers/{provider['id']}", json=provider, headers=as_admin)
            assert registered.status_code == 200, registered.text
            people[(Role.TRAINER, which)] = Person(
                Principal(f"trainer-{which}", Role.TRAINER, provider_id=str(provider["id"]))
            )
            people[(Role.ADMIN, which)] = Person(Principal(f"admin-{which}", Role.ADMIN))

        pending = await matching.post(
            "/councils",
            json={
                "gss_code": "E08000029",
                "contact_name": "Pending Claimant",
                "contact_email": "claimant@council.example",
                "specialisms_needed": ["software_developer"],
                "flexible_working_offered": ["part_time"],
            },
        )
        assert pending.status_code == 201, pending.text

    # Assessment hears of the applications as its consumer would (no broker runs here), so that
    # the candidates' appeal pages have an application to show.
    assessing = next(r for r in runtimes if r.definition.name == "assessment")
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        payloads = await conn.fetch(
            "SELECT payload::text AS payload FROM applications.outbox"
            " WHERE event_type = 'ApplicationSubmitted' AND (payload->>'event_version')::int = 2"
        )
    finally:
        await conn.close()
    for row in payloads:
        async with assessing.uow_factory() as uow:
            await screen_application(ApplicationSubmittedV2.model_validate_json(row["payload"]), uow)
            await uow.commit()

    shared: dict[str, str] = {
        "claim_id": pending.json()["claim_id"],
        "cohort_id": TEST_COHORTS["ict"],
        "slug": "name",
        "queue": sorted(consumed_queues(namespace.prefix))[0],
        "action": "replay",
    }
    assert set(shared) == SHARED_PARAMETERS
    try:
        yield World(apps, token_secrets, database_url, namespace.prefix, people, shared)
    finally:
        for runtime in runtimes:
            await runtime.sessions.stop()
            await runtime.engine.dispose()


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service")


def _address(world: World, path: str, owner: Person | None) -> str:
    """The path with every parameter filled: the owner's things, shared things, else a new uuid."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if owner is not None and name in owner.owns:
            return owner.owns[name]
        return world.shared.get(name, str(uuid4()))

    return re.sub(r"\{(\w+)\}", value, path)


async def _ask(
    world: World,
    service: str,
    method: str,
    address: str,
    *,
    signed_in_as: Principal | None = None,
    csrf: tuple[str | None, str | None] | None = None,
    fields: dict[str, str] | None = None,
) -> httpx.Response:
    """The page as a browser would ask for it through the entry proxy: cookies (a session for
    `signed_in_as`; the CSRF cookie and the form's token from `csrf`) and the form's fields."""
    cookies = []
    if signed_in_as is not None:
        cookies.append(f"{SESSION_COOKIE}={issue_session_token(world.secrets[service], signed_in_as)}")
    data = dict(fields or {})
    if csrf is not None:
        cookie, token = csrf
        if cookie is not None:
            cookies.append(f"{CSRF_COOKIE}={cookie}")
        if token is not None:
            data[CSRF_FIELD] = token
    headers = {"x-forwarded-prefix": f"/{service}"}
    if cookies:
        headers["cookie"] = "; ".join(cookies)
    async with _client(world.apps[service]) as client:
        if method == "POST":
            return await client.post(address, data=data, headers=headers)
        return await client.request(method, address, headers=headers)


def _valid_pair() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, token


def _assert_sent_to_sign_in(response: httpx.Response, role: Role, service: str, address: str) -> None:
    what = f"{response.request.method} {address} answered {response.status_code}"
    assert response.status_code == 303, f"{what}, not the sign-in page: {response.text[:300]}"
    expected = f"{SIGN_IN_PAGES[role]}?next={quote(f'/{service}{address}', safe='/')}"
    assert response.headers["location"] == expected, what


def _assert_forgery_refused(response: httpx.Response, address: str) -> None:
    what = f"POST {address} answered {response.status_code}"
    assert response.status_code == 400, f"{what}, not the CSRF refusal: {response.text[:300]}"
    assert "Your form could not be sent" in response.text, f"{what} for another reason: {response.text[:300]}"


def _fields(world: World, service: str, path: str, owner: Person | None) -> dict[str, str]:
    email = owner.email if owner and owner.email else world.person(Role.CANDIDATE).email
    return {k: v.replace("{email}", email) for k, v in FORM_FIELDS.get((service, path), {}).items()}


# --- the cases ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("service", "method", "path", "how"), FORGED_FORMS, ids=_ids(FORGED_FORMS))
async def test_a_forged_form_from_the_right_person_is_refused_and_changes_nothing(
    world: World, service: str, method: str, path: str, how: str
) -> None:
    role = _role_of(service, path)
    owner = world.person(role) if role is not None else None
    address = _address(world, path, owner)
    cookie, token = _valid_pair()
    csrf = {
        "token missing": (cookie, None),
        "token wrong": (cookie, secrets.token_urlsafe(32)),
        "cookie missing": (None, token),
    }[how]
    schema = installed_services()[service].schema
    before = await snapshot(world.database_url, schema)
    response = await _ask(
        world,
        service,
        method,
        address,
        signed_in_as=owner.principal if owner else None,
        csrf=csrf,
        fields=_fields(world, service, path, owner),
    )
    _assert_forgery_refused(response, address)
    assert await snapshot(world.database_url, schema) == before, f"POST {address} changed data when refused"


@pytest.mark.parametrize(("service", "method", "path"), PRIVATE, ids=_ids(PRIVATE))
async def test_a_private_page_sends_a_visitor_without_a_session_to_sign_in(
    world: World, service: str, method: str, path: str
) -> None:
    role = _role_of(service, path)
    assert role is not None
    address = _address(world, path, world.person(role))
    response = await _ask(
        world, service, method, address, csrf=_valid_pair(), fields=_fields(world, service, path, None)
    )
    _assert_sent_to_sign_in(response, role, service, address)


@pytest.mark.parametrize(("service", "method", "path", "wrong"), WRONG_ROLES, ids=_ids(WRONG_ROLES))
async def test_a_private_page_sends_someone_of_another_role_to_sign_in(
    world: World, service: str, method: str, path: str, wrong: str
) -> None:
    role = _role_of(service, path)
    assert role is not None
    address = _address(world, path, world.person(role))
    schema = installed_services()[service].schema
    before = await snapshot(world.database_url, schema) if method == "POST" else None
    intruder = world.person(Role(wrong))
    response = await _ask(
        world,
        service,
        method,
        address,
        signed_in_as=intruder.principal,
        csrf=_valid_pair(),
        fields=_fields(world, service, path, intruder),
    )
    _assert_sent_to_sign_in(response, role, service, address)
    if before is not None:
        assert await snapshot(world.database_url, schema) == before


@pytest.mark.parametrize(("service", "method", "path"), SERVED, ids=_ids(SERVED))
async def test_the_right_person_is_served_the_page(
    world: World, service: str, method: str, path: str
) -> None:
    # The other cases' refusals are refusals of a page that works, not of a broken one.
    role = _role_of(service, path)
    assert role is not None
    owner = world.person(role)
    address = _address(world, path, owner)
    response = await _ask(world, service, method, address, signed_in_as=owner.principal)
    assert response.status_code in (200, 303), (
        f"GET {address} answered {response.status_code}: {response.text[:300]}"
    )
    if response.status_code == 303:  # on to the owner's own page (a sent application's status)
        location = response.headers["location"]
        assert "sign-in" not in location, location
        assert location.startswith(f"/{service}/"), location


@pytest.mark.parametrize(("service", "method", "path"), SOMEONE_ELSES, ids=_ids(SOMEONE_ELSES))
async def test_a_page_about_someone_elses_things_is_refused(
    world: World, service: str, method: str, path: str
) -> None:
    role = _role_of(service, path)
    assert role is not None
    owner, other = world.person(role, "a"), world.person(role, "b")
    address = _address(world, path, owner)
    schema = installed_services()[service].schema
    before = await snapshot(world.database_url, schema)
    response = await _ask(
        world,
        service,
        method,
        address,
        signed_in_as=other.principal,
        csrf=_valid_pair(),
        fields=_fields(world, service, path, other),
    )
    assert response.status_code in (403, 404), (
        f"{method} {address} of {owner.principal.subject} answered {response.status_code} to "
        f"{other.principal.subject}: {response.text[:300]}"
    )
    heading = {403: "You cannot see this page", 404: "Page not found"}[response.status_code]
    assert f'<h1 class="govuk-heading-l">{heading}</h1>' in response.text  # the error page, not data
    shown = response.text.replace(address, "")
    for value in [*owner.owns.values(), owner.email]:
        assert not value or value not in shown, f"{address} showed the owner's {value}"
    assert await snapshot(world.database_url, schema) == before
