"""`rtw notifications …`: e-mail a member of staff their sign-in link, for operators."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from email_validator import EmailNotValidError, validate_email
from rich.console import Console
from rich.markup import escape
from rtw_platform.auth import Principal, Role, sign_in_link
from rtw_platform.cli import signing_settings

from .channels import EmailChannel, OutgoingEmail, PermanentFailure, TransientFailure, channel_for
from .rendering import long_date, render
from .settings import NotificationsSettings

app = typer.Typer(
    help="Notifications: staff sign-in links by e-mail; failed e-mails sent again.", no_args_is_help=True
)
console = Console()
errors = Console(stderr=True)


def _refuse(message: str) -> None:
    """One line on stderr, the operator's input printed as written (never read as markup)."""
    errors.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)


STAFF = (Role.ASSESSOR, Role.TRAINER, Role.ADMIN)


@app.callback()
def notifications() -> None:
    """Notifications: staff sign-in links by e-mail."""


LINK_MINUTES = 60


@app.command("send-sign-in")
def send_sign_in(
    role: Annotated[str, typer.Option(help="assessor, trainer or admin.")],
    subject: Annotated[str, typer.Option(help="Their staff id (an assessor's id in assessment).")],
    email: Annotated[str, typer.Option(help="Where to send the link.")],
    name: Annotated[str, typer.Option(help="How the e-mail greets them.")],
    provider: Annotated[str | None, typer.Option(help="A trainer's provider id.")] = None,
) -> None:
    """E-mail a single-use sign-in link to the pages (valid an hour) through the configured mail
    server or GOV.UK Notify. Council recruiters are invited by their council instead."""
    try:
        staff_role = Role(role)
    except ValueError:
        staff_role = None
    if staff_role not in STAFF:
        errors.print(f"[red]error:[/red] --role must be one of: {', '.join(r.value for r in STAFF)}")
        raise typer.Exit(2)
    if staff_role is Role.TRAINER and not provider:
        errors.print("[red]error:[/red] a trainer's link needs --provider")
        raise typer.Exit(2)
    try:
        address = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        _refuse(f"--email is not an e-mail address: {exc}")
        raise typer.Exit(2) from None
    settings = signing_settings(NotificationsSettings)
    principal = Principal(subject=subject, role=staff_role, provider_id=provider)
    expires = datetime.now(UTC) + timedelta(minutes=LINK_MINUTES)
    secret = settings.token_secret.get_secret_value()
    link = sign_in_link(secret, principal, settings.portal_url, ttl=timedelta(minutes=LINK_MINUTES))
    message = render(
        "sign_in_link",
        "en",
        {
            "name": name,
            "link": link,
            "portal_url": settings.portal_url,
            "expires": f"{expires:%H:%M} UTC, {long_date(expires, 'en')}",
        },
    )
    outgoing = OutgoingEmail(
        to=address, subject=message.subject, text=message.text, html=message.html, reference=str(uuid.uuid4())
    )
    try:
        reference = asyncio.run(_send_once(channel_for(settings), outgoing))
    except (PermanentFailure, TransientFailure) as exc:
        _refuse(f"the e-mail was not sent: {exc}")
        raise typer.Exit(1) from None
    console.print(f"sent a sign-in link for {staff_role.value} {subject} to {address} ({reference})")


async def _send_once(channel: EmailChannel, outgoing: OutgoingEmail) -> str:
    """Send one e-mail and let go of the connection."""
    try:
        return await channel.send(outgoing)
    finally:
        await channel.close()


@app.command("resend")
def resend_command(
    template: Annotated[str | None, typer.Option(help="Only this template (e.g. match_proposed).")] = None,
    since: Annotated[
        str | None, typer.Option(help="Only deliveries created on or after this day (YYYY-MM-DD).")
    ] = None,
    recipient_id: Annotated[str | None, typer.Option(help="Only this person's deliveries.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count them; send nothing.")] = False,
) -> None:
    """Send failed e-mails again (given up on after their tries, or failed at Notify): they go
    back to the running service's dispatcher, due now. Bounced addresses are not resent."""
    from rtw_platform.db import create_engine
    from rtw_platform.uow import UnitOfWorkFactory

    from .models import REGISTRY
    from .store import ResendFilter, work_of
    from .use_cases.delivery_repair import resend

    try:
        day = datetime.strptime(since, "%Y-%m-%d").replace(tzinfo=UTC) if since else None
    except ValueError:
        _refuse(f"--since must be a day as YYYY-MM-DD, not {(since or '')[:80]!r}")
        raise typer.Exit(2) from None
    try:
        person = uuid.UUID(recipient_id) if recipient_id else None
    except ValueError:
        _refuse(f"--recipient-id must be a person's id (a UUID), not {(recipient_id or '')[:80]!r}")
        raise typer.Exit(2) from None
    settings = NotificationsSettings()
    which = ResendFilter(template=template, since=day, recipient_id=person)

    async def run() -> int:
        engine = create_engine(settings.sqlalchemy_url(), "notifications", pool_size=1)
        try:
            async with UnitOfWorkFactory(engine, REGISTRY.metadata)() as uow:
                return await resend(work_of(uow), which, dry_run=dry_run)
        finally:
            await engine.dispose()

    count = asyncio.run(run())
    verb = "would send again" if dry_run else "sending again"
    console.print(f"{verb}: {count} failed e-mail(s)")
