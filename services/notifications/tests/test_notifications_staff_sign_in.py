"""Staff sign-in links, made here from the staff directory: an admin gives a member of staff's
address and they are e-mailed a link; any member of staff asks for a new one with the same answer
whatever the address; a link only ever goes to an active member of staff's registered address;
limited per address; only admins, with the form's CSRF token, use the directory's pages."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx
import pytest
from rtw_contracts import AssessorChanged, TrainingProviderChanged
from rtw_contracts.examples import example
from rtw_notifications.models import StaffAddress
from rtw_platform.auth import Principal, Purpose, Role, issue_session_token, verify_token
from rtw_platform.testing.fixtures import app_for
from rtw_platform.testing.forms import refused as refused_form
from rtw_platform.testing.links import token_of
from rtw_platform.testing.mail import Mailbox
from sqlmodel import select

from .conftest import Notifications, StartNotifications

pytestmark = pytest.mark.component

CSRF = "test-csrf-token"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ADMIN = Principal("admin-1", Role.ADMIN)


def browser(
    service: Notifications, principal: Principal | None = None, csrf: str = CSRF
) -> httpx.AsyncClient:
    cookies = {"rtw_csrf": csrf}
    if principal is not None:
        secret = service.runtime.settings.token_secret.get_secret_value()
        cookies["rtw_session"] = issue_session_token(secret, principal)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_for(service.runtime)), base_url="http://n", cookies=cookies
    )


def assessor(active: bool = True, at: datetime = T0) -> AssessorChanged:
    return example(AssessorChanged, event_id=uuid4(), active=active, changed_at=at)


def link_in(mail_text: str) -> str:
    found = re.search(r"https?://\S+/sign-in/\S+", mail_text)
    assert found, mail_text
    return found.group(0)


def signed_in_as(service: Notifications, link: str) -> Principal:
    secret = service.runtime.settings.token_secret.get_secret_value()
    return verify_token(secret, token_of(link), purpose=Purpose.SIGN_IN)


async def addresses(service: Notifications) -> list[StaffAddress]:
    async with service.runtime.uow_factory() as uow:
        return list((await uow.session.exec(select(StaffAddress))).all())


async def test_an_admin_sends_an_assessor_their_link_and_the_assessor_asks_for_another(
    service: Notifications, smtp_server: Mailbox
) -> None:
    await service.deliver(assessor())  # jo-okafor, Jo Okafor, active
    async with browser(service, ADMIN) as admin:
        form = await admin.get("/admin/staff/send", params={"role": "assessor", "staff_id": "jo-okafor"})
        assert form.status_code == 200
        assert "Send assessor Jo Okafor a sign-in link" in form.text
        sent = await admin.post(
            "/admin/staff/send",
            data={
                "csrf_token": CSRF,
                "role": "assessor",
                "staff_id": "jo-okafor",
                "name": "Jo Okafor",
                "email": "Jo.Okafor@Council.example.gov.uk",
            },
        )
        assert sent.status_code == 303
        directory = await admin.get(sent.headers["location"])
        assert "The sign-in link is on its way" in directory.text
        assert "jo.okafor@council.example.gov.uk" in directory.text
    first = (await smtp_server.wait_for("jo.okafor@council.example.gov.uk"))[0]
    link = link_in(first.text)
    assert "/applications/sign-in/" in link
    assert signed_in_as(service, link) == Principal("jo-okafor", Role.ASSESSOR)

    async with browser(service) as anyone:
        page = await anyone.get("/staff/sign-in")
        assert page.status_code == 200
        known = await anyone.post(
            "/staff/sign-in", data={"csrf_token": CSRF, "email": "JO.OKAFOR@council.example.gov.uk"}
        )
        unknown = await anyone.post(
            "/staff/sign-in", data={"csrf_token": CSRF, "email": "someone@council.example.gov.uk"}
        )
        assert known.status_code == unknown.status_code == 303
        assert known.headers["location"] == unknown.headers["location"] == "/staff/sign-in/check-your-email"
        assert "If the address is registered" in (await anyone.get(known.headers["location"])).text
    mails = await smtp_server.wait_for("jo.okafor@council.example.gov.uk", count=2)
    second = link_in(mails[1].text)
    assert second != link
    assert signed_in_as(service, second).subject == "jo-okafor"
    assert smtp_server.to("someone@council.example.gov.uk") == []
    assert {d.to_address for d in await service.deliveries(template="staff_sign_in_link")} == {
        "jo.okafor@council.example.gov.uk"
    }


async def test_a_retired_assessor_is_sent_nothing(service: Notifications, smtp_server: Mailbox) -> None:
    await service.deliver(assessor())
    async with browser(service, ADMIN) as admin:
        await admin.post(
            "/admin/staff/send",
            data={
                "csrf_token": CSRF,
                "role": "assessor",
                "staff_id": "jo-okafor",
                "name": "Jo",
                "email": "jo@example.org",
            },
        )
    await smtp_server.wait_for("jo@example.org")
    await service.deliver(assessor(active=False, at=T0 + timedelta(hours=1)))
    await service.deliver(assessor(active=True, at=T0 - timedelta(hours=1)))  # an older change, late
    async with browser(service) as anyone:
        asked = await anyone.post("/staff/sign-in", data={"csrf_token": CSRF, "email": "jo@example.org"})
        assert asked.headers["location"] == "/staff/sign-in/check-your-email"
    async with browser(service, ADMIN) as admin:
        refused = await refused_form(
            admin,
            "/admin/staff/send",
            {
                "csrf_token": CSRF,
                "role": "assessor",
                "staff_id": "jo-okafor",
                "name": "Jo",
                "email": "jo@example.org",
            },
        )
        assert "Jo Okafor is retired: make them active again" in refused.text
        assert "Retired: none sent" in (await admin.get("/admin/staff")).text
    assert len(await service.deliveries(template="staff_sign_in_link")) == 1


async def test_trainers_and_admins_get_links_for_their_provider_and_role(
    service: Notifications, smtp_server: Mailbox
) -> None:
    await service.deliver(example(TrainingProviderChanged))  # digital-skills-college, active
    async with browser(service, ADMIN) as admin:
        form = await admin.get(
            "/admin/staff/send", params={"role": "trainer", "provider_id": "digital-skills-college"}
        )
        assert "Send a trainer at Digital Skills College a sign-in link" in form.text
        for name, email in (("Ada Trainer", "ada@dsc.example.org"), ("Bo Trainer", "bo@dsc.example.org")):
            sent = await admin.post(
                "/admin/staff/send",
                data={
                    "csrf_token": CSRF,
                    "role": "trainer",
                    "provider_id": "digital-skills-college",
                    "name": name,
                    "email": email,
                },
            )
            assert sent.status_code == 303
        sent = await admin.post(
            "/admin/staff/send",
            data={
                "csrf_token": CSRF,
                "role": "admin",
                "staff_id": "sam.admin",
                "name": "Sam",
                "email": "sam@lga.example.org",
            },
        )
        assert sent.status_code == 303
    ada = signed_in_as(service, link_in((await smtp_server.wait_for("ada@dsc.example.org"))[0].text))
    bo = signed_in_as(service, link_in((await smtp_server.wait_for("bo@dsc.example.org"))[0].text))
    assert (ada.role, ada.provider_id, bo.provider_id) == (
        Role.TRAINER,
        "digital-skills-college",
        "digital-skills-college",
    )
    assert ada.subject != bo.subject  # two people
    sam = signed_in_as(service, link_in((await smtp_server.wait_for("sam@lga.example.org"))[0].text))
    assert sam == Principal("sam.admin", Role.ADMIN)
    async with browser(service) as anyone:  # the admin asks for a new link too
        await anyone.post("/staff/sign-in", data={"csrf_token": CSRF, "email": "sam@lga.example.org"})
    await smtp_server.wait_for("sam@lga.example.org", count=2)


async def test_bad_answers_and_unknown_staff_are_said_clearly(service: Notifications) -> None:
    await service.deliver(assessor())
    async with browser(service, ADMIN) as admin:
        unheard = await admin.get("/admin/staff/send", params={"role": "assessor", "staff_id": "nobody"})
        assert unheard.status_code == 404
        assert "has not heard of assessor nobody yet" in unheard.text
        no_role = await admin.get("/admin/staff/send", params={"role": "wizard"})
        assert no_role.status_code == 404
        bad = await refused_form(
            admin,
            "/admin/staff/send",
            {
                "csrf_token": CSRF,
                "role": "assessor",
                "staff_id": "jo-okafor",
                "name": "",
                "email": "not an address",
            },
        )
        assert 'value="not an address"' in bad.text
        odd_id = "sam admin " * 20  # too long for the page's address: the form keeps it, not the URL
        bad_admin = await refused_form(
            admin,
            "/admin/staff/send",
            {"csrf_token": CSRF, "role": "admin", "staff_id": odd_id, "name": "Sam", "email": "sam@x.org"},
        )
        assert "A staff id is 2 to 100 letters" in bad_admin.text
        assert "Send a programme admin a sign-in link" in bad_admin.text
        assert "Enter an e-mail address in the correct format" in bad.text
        assert "Enter their name" in bad.text
        await admin.post(
            "/admin/staff/send",
            data={
                "csrf_token": CSRF,
                "role": "admin",
                "staff_id": "sam.admin",
                "name": "Sam",
                "email": "sam@lga.example.org",
            },
        )
        taken = await refused_form(
            admin,
            "/admin/staff/send",
            {
                "csrf_token": CSRF,
                "role": "assessor",
                "staff_id": "jo-okafor",
                "name": "Jo",
                "email": "sam@lga.example.org",
            },
        )
        assert "Send assessor Jo Okafor a sign-in link" in taken.text
        assert "sam@lga.example.org is already the address of programme admin Sam (sam.admin)" in taken.text
    async with browser(service) as anyone:
        wrong = await refused_form(anyone, "/staff/sign-in", {"csrf_token": CSRF, "email": "nope"})
        assert 'value="nope"' in wrong.text
        assert "Enter an e-mail address in the correct format" in wrong.text
    assert [a.email for a in await addresses(service)] == ["sam@lga.example.org"]


async def test_requests_for_links_are_limited_per_address(
    start_notifications: StartNotifications, smtp_server: Mailbox
) -> None:
    service = await start_notifications(
        smtp_host="127.0.0.1", smtp_port=smtp_server.port, link_limit_per_address=2
    )
    await service.deliver(assessor())
    async with browser(service, ADMIN) as admin:
        await admin.post(
            "/admin/staff/send",
            data={
                "csrf_token": CSRF,
                "role": "assessor",
                "staff_id": "jo-okafor",
                "name": "Jo",
                "email": "jo@example.org",
            },
        )
    async with browser(service) as anyone:
        second = await anyone.post("/staff/sign-in", data={"csrf_token": CSRF, "email": "jo@example.org"})
        assert second.status_code == 303
        third = await anyone.post("/staff/sign-in", data={"csrf_token": CSRF, "email": "jo@example.org"})
        assert third.status_code == 429
        assert "Wait" in third.text
        assert "Retry-After" in third.headers
        unknown = [
            await anyone.post("/staff/sign-in", data={"csrf_token": CSRF, "email": "x@example.org"})
            for _ in range(3)
        ]
        assert [r.status_code for r in unknown] == [303, 303, 429]  # the same for an unknown address
    assert len(await service.deliveries(template="staff_sign_in_link")) == 2


async def test_only_admins_with_the_forms_token_use_the_directory(service: Notifications) -> None:
    await service.deliver(assessor())
    send = {"role": "assessor", "staff_id": "jo-okafor", "name": "Jo", "email": "jo@example.org"}
    async with browser(service, Principal("jo-okafor", Role.ASSESSOR)) as staff_member:
        for response in (
            await staff_member.get("/admin/staff"),
            await staff_member.get("/admin/staff/send", params={"role": "assessor", "staff_id": "jo-okafor"}),
            await staff_member.post("/admin/staff/send", data={"csrf_token": CSRF, **send}),
        ):
            assert response.status_code == 303
            assert response.headers["location"].startswith("/applications/account/staff-sign-in?next=")
    async with browser(service, ADMIN, csrf="another") as admin:
        forged = await admin.post("/admin/staff/send", data={"csrf_token": CSRF, **send})
        assert forged.status_code == 400
        assert "could not be sent" in forged.text
    async with browser(service, None, csrf="another") as anyone:
        forged = await anyone.post("/staff/sign-in", data={"csrf_token": CSRF, "email": "jo@example.org"})
        assert forged.status_code == 400
    assert await addresses(service) == []
    assert await service.deliveries(template="staff_sign_in_link") == []


async def test_an_admin_sets_up_a_team_in_one_sitting_but_no_address_is_mailed_past_its_limit(
    start_notifications: StartNotifications, smtp_server: Mailbox
) -> None:
    service = await start_notifications(
        smtp_host="127.0.0.1", smtp_port=smtp_server.port, link_limit_per_address=2, link_limit_per_client=3
    )
    await service.deliver(example(TrainingProviderChanged))
    fields = {"csrf_token": CSRF, "role": "trainer", "provider_id": "digital-skills-college", "name": "T"}
    async with browser(service, ADMIN) as admin:
        team = [
            await admin.post("/admin/staff/send", data={**fields, "email": f"trainer{n}@dsc.example.org"})
            for n in range(5)
        ]
        assert [r.status_code for r in team] == [303] * 5  # more than one client may ask for
        again = await admin.post("/admin/staff/send", data={**fields, "email": "trainer0@dsc.example.org"})
        assert again.status_code == 303
        limited = await admin.post("/admin/staff/send", data={**fields, "email": "trainer0@dsc.example.org"})
        assert limited.status_code == 429


async def test_a_removed_address_is_sent_nothing(service: Notifications, smtp_server: Mailbox) -> None:
    await service.deliver(assessor())
    async with browser(service, ADMIN) as admin:
        await admin.post(
            "/admin/staff/send",
            data={
                "csrf_token": CSRF,
                "role": "assessor",
                "staff_id": "jo-okafor",
                "name": "Jo",
                "email": "jo@example.org",
            },
        )
        (entry,) = await addresses(service)
        removed = await admin.post(f"/admin/staff/{entry.id}/remove", data={"csrf_token": CSRF})
        assert removed.status_code == 303
        assert "The address is removed" in (await admin.get(removed.headers["location"])).text
        gone = await admin.post(f"/admin/staff/{entry.id}/remove", data={"csrf_token": CSRF})
        assert gone.status_code == 404
    async with browser(service) as anyone:
        await anyone.post("/staff/sign-in", data={"csrf_token": CSRF, "email": "jo@example.org"})
    assert await addresses(service) == []
    assert len(await service.deliveries(template="staff_sign_in_link")) == 1


async def test_an_address_sent_twice_at_once_is_listed_once(service: Notifications) -> None:
    await service.deliver(assessor())  # jo-okafor, Jo Okafor, active
    form = {
        "csrf_token": CSRF,
        "role": "assessor",
        "staff_id": "jo-okafor",
        "name": "Jo Okafor",
        "email": "jo.twice@council.example.gov.uk",
    }
    async with browser(service, ADMIN) as admin:
        answers = await asyncio.gather(*(admin.post("/admin/staff/send", data=form) for _ in range(3)))

    assert [a.status_code for a in answers] == [303, 303, 303], [a.text[-300:] for a in answers]
    assert [a.email for a in await addresses(service)] == ["jo.twice@council.example.gov.uk"]
