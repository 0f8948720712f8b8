"""`rtw`: the operator's command line (serve, migrate, AsyncAPI, dead letters)."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import dlq
from .cli_failures import REFUSED, UNREACHABLE, WRONG_INPUT, debugging, describe_failure, exit_codes_help
from .registry import UnknownService, installed_services, service
from .secret_checks import UnsafeSecrets, refuse_unsafe_secrets, unsafe_secrets
from .service import ServiceDefinition
from .settings import ServiceSettings

app = typer.Typer(
    help="Return to Work platform: run and operate the services.",
    epilog=exit_codes_help(),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
dlq_app = typer.Typer(help="Dead letters: list, show, replay, purge.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")
broker_app = typer.Typer(help="The broker's users and topology.", no_args_is_help=True)
app.add_typer(broker_app, name="broker")
console = Console()
errors = Console(stderr=True)


Settings = TypeVar("Settings", bound=ServiceSettings)


def _fail(message: str, code: int = WRONG_INPUT) -> typer.Exit:
    errors.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)  # one line, never wrapped
    return typer.Exit(code)


def _read_settings(read: type[Settings] | ServiceDefinition, **overrides: object) -> Settings:
    """Settings from the environment and secret files; a value that does not validate ends the
    command with one line naming its `RTW_*` variable."""
    try:
        if isinstance(read, ServiceDefinition):
            return read.settings(**overrides)  # type: ignore[return-value]
        return read()
    except ValidationError as exc:
        problems = "; ".join(
            f"RTW_{str(e['loc'][0]).upper() if e['loc'] else '?'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        raise _fail(f"invalid settings: {problems}") from None


def signing_settings(read: type[Settings] | ServiceDefinition, **overrides: object) -> Settings:
    """Settings for a command that starts a service or signs something: it ends with one clear
    line (exit 1) if a secret is public, a placeholder, short or missing outside development mode.
    Services' own commands use it too."""
    settings = _read_settings(read, **overrides)
    try:
        refuse_unsafe_secrets(settings)
    except UnsafeSecrets as exc:
        raise _fail(str(exc), REFUSED) from None
    return settings


def _service(name: str):  # type: ignore[no-untyped-def]
    try:
        return service(name)
    except UnknownService as exc:
        raise _fail(str(exc)) from None


@app.command()
def services() -> None:
    """List the installed services."""
    table = Table("service", "schema", "port", "consumes", "publishes")
    for definition in installed_services().values():
        table.add_row(
            definition.name,
            definition.schema,
            str(definition.default_port),
            "\n".join(s.event.ROUTING_KEY for s in definition.subscriptions),
            "\n".join(e.ROUTING_KEY for e in definition.publishes),
        )
    console.print(table)


@app.command()
def serve(
    name: Annotated[str, typer.Argument(help="Service to run, e.g. applications.")],
    port: Annotated[int | None, typer.Option(help="HTTP port (default: the service's).")] = None,
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
) -> None:
    """Run one service: its HTTP API, consumers and outbox relay."""
    from .http import create_app
    from .serving import run_server

    definition = _service(name)
    overrides = {k: v for k, v in {"http_port": port, "http_host": host}.items() if v is not None}
    settings = signing_settings(definition, **overrides)
    run_server(
        create_app(definition, settings),
        host=settings.http_host,
        port=settings.http_port,
        timeout_graceful_shutdown=25,
    )


@app.command()
def up(
    names: Annotated[list[str] | None, typer.Argument(help="Services (default: all).")] = None,
) -> None:
    """Run every service as its own process (local development); Ctrl-C stops them all."""
    from .local_run import run_services

    definitions = [_service(n) for n in names] if names else list(installed_services().values())
    problems: dict[str, None] = {}  # every service's, once each, in one line before anything starts
    for definition in definitions:
        settings = _read_settings(definition)
        if not settings.development_mode:
            problems.update(dict.fromkeys(unsafe_secrets(settings)))
    if problems:
        raise _fail(str(UnsafeSecrets(list(problems))), REFUSED)
    raise typer.Exit(run_services(definitions))


def _version(value: bool) -> None:
    if not value:
        return
    from importlib.metadata import PackageNotFoundError, version

    def of(package: str) -> str:
        try:
            return version(package)
        except PackageNotFoundError:
            return "not installed"

    lines = [f"rtw {of('rtw-platform')} (contracts {of('rtw-contracts')})"]
    lines += [f"{name} {of(f'rtw-{name}')}" for name in installed_services()]
    sys.stdout.write("\n".join(lines) + "\n")
    raise typer.Exit(0)


@app.callback()
def rtw(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the versions of the platform and its services.",
            callback=_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Return to Work platform: run and operate the services."""


@app.command()
def migrate(
    names: Annotated[
        list[str] | None,
        typer.Argument(help="Services (default: all); or `status` [services] to show where each schema is."),
    ] = None,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
    as_json: Annotated[bool, typer.Option("--json", help="With `status`: print JSON.")] = False,
) -> None:
    """Migrate each service's schema (a one-shot step before starting the services).
    `rtw migrate status` changes nothing: it shows each schema's revision against the code's head
    and exits 1 when any has migrations pending."""
    from .migrations import upgrade

    if names and names[0] == "status":
        _migration_status(names[1:], as_json=as_json)
        return
    definitions = [_service(n) for n in names] if names else list(installed_services().values())
    from alembic.util import CommandError

    for definition in definitions:
        settings = definition.settings()
        try:
            upgrade(definition, settings.sqlalchemy_url(), revision)
        except CommandError as exc:
            raise _fail(
                f"{definition.name}: {exc} (is this database from another version?)", REFUSED
            ) from None
        except OSError as exc:
            raise _fail(f"{definition.name}: cannot reach the database: {exc}", UNREACHABLE) from None
        console.print(f"migrated [bold]{definition.name}[/bold] to {revision}")


def _migration_status(names: list[str], *, as_json: bool) -> None:
    from .migrations import status

    definitions = [_service(n) for n in names] if names else list(installed_services().values())
    rows = [status(definition, definition.settings().sqlalchemy_url()) for definition in definitions]
    if as_json:
        sys.stdout.write(json.dumps([row.as_dict() for row in rows], indent=2) + "\n")
    else:
        table = Table("service", "schema", "database is at", "code's head", "state")
        for row in rows:
            table.add_row(row.service, row.schema, row.current or "nothing yet", row.head, row.state)
        console.print(table)
    if any(not row.up_to_date for row in rows):
        raise typer.Exit(REFUSED)


@app.command("make-migration")
def make_migration(
    name: Annotated[str, typer.Argument(help="Service.")],
    message: Annotated[str, typer.Option("-m", "--message", help="What the migration does.")],
) -> None:
    """Autogenerate a migration for a service from its models (developers)."""
    from .migrations import revision

    definition = _service(name)
    revision(definition, definition.settings().sqlalchemy_url(), message)


@app.command()
def asyncapi(
    name: Annotated[
        str | None, typer.Argument(help="Service; without it, the platform's one document of every event.")
    ] = None,
) -> None:
    """Print an AsyncAPI 3.0 document as JSON: the platform's (every event, for subscribers
    outside it; the same as `rtw contracts export` writes), or one service's."""
    if name is None:
        from .contracts_export import platform_document

        sys.stdout.write(json.dumps(platform_document(_read_settings(ServiceSettings)), indent=2) + "\n")
        return
    from .service import ServiceRuntime

    definition = _service(name)
    runtime = ServiceRuntime(definition, definition.settings())
    sys.stdout.write(json.dumps(runtime.asyncapi(), indent=2) + "\n")


contracts_app = typer.Typer(help="The event contracts, for teams outside the platform.", no_args_is_help=True)
app.add_typer(contracts_app, name="contracts")


@contracts_app.command("export")
def contracts_export(
    directory: Annotated[Path, typer.Argument(help="Where to write (created if missing).")],
    production_url: Annotated[
        str | None,
        typer.Option(
            help="The production broker's AMQP URL (credentials are dropped). Default: RTW_AMQP_URL."
        ),
    ] = None,
) -> None:
    """Write every event's JSON Schema (DIR/schemas/<routing key>.json) and the platform's one
    AsyncAPI document (DIR/asyncapi.json) as plain files, usable without Python."""
    from rtw_contracts.asyncapi import ExportError

    from .contracts_export import export_contracts

    try:
        written = export_contracts(directory, _read_settings(ServiceSettings), production_url=production_url)
    except ExportError as exc:
        raise _fail(str(exc)) from None
    console.print(f"wrote {len(written)} files to {directory}")


token_app = typer.Typer(help="Access tokens for staff and tests.", no_args_is_help=True)
app.add_typer(token_app, name="token")


@token_app.command("issue")
def token_issue(
    role: Annotated[str, typer.Option(help="candidate, assessor, trainer, recruiter or admin.")],
    subject: Annotated[str, typer.Option(help="Who: a staff id, or a candidate id.")],
    council: Annotated[str | None, typer.Option(help="A recruiter's council id.")] = None,
    provider: Annotated[str | None, typer.Option(help="A trainer's provider id.")] = None,
    hours: Annotated[float, typer.Option(help="How long it is valid.")] = 8.0,
    link: Annotated[
        bool,
        typer.Option(
            "--link",
            help="Print a single-use sign-in link for the pages (valid 30 minutes) instead of a token.",
        ),
    ] = False,
) -> None:
    """Print a signed access token (signed with RTW_TOKEN_SECRET), or with --link a sign-in link
    to send to a member of staff."""
    from datetime import timedelta

    from .auth import Principal, Role, issue_token, sign_in_link

    try:
        parsed = Role(role)
    except ValueError:
        raise _fail(f"unknown role {role!r}; one of: {', '.join(r.value for r in Role)}") from None
    if parsed is Role.RECRUITER and not council:
        raise _fail("a recruiter's token needs --council")
    principal = Principal(subject=subject, role=parsed, council_id=council, provider_id=provider)
    settings = signing_settings(ServiceSettings)
    secret = settings.token_secret.get_secret_value()
    if link:
        if parsed is Role.RECRUITER:
            raise _fail("recruiters sign in with their council's invitation link, not an operator's")
        sys.stdout.write(
            sign_in_link(secret, principal, settings.public_url or "http://127.0.0.1:8080") + "\n"
        )
        return
    sys.stdout.write(issue_token(secret, principal, ttl=timedelta(hours=hours)) + "\n")


def _all_queues(prefix: str) -> list[str]:
    from .registry import consumed_queues

    return list(consumed_queues(prefix))


def _amqp_url() -> str:
    """The broker's address, for a dead-letter command; the broker clients' own log lines
    (a refused connection logged before it is raised) are kept off the terminal: the command
    says what failed in its one line."""
    import logging

    for client in ("aiormq", "aio_pika"):
        logging.getLogger(client).setLevel(logging.CRITICAL)
    return ServiceSettings().dead_letter_amqp_url()


def _queue_name(value: str) -> str:
    """A name AMQP can carry (letters, digits, `-_.:`; 255 characters with `.dlq`), or exit 2."""
    if not _QUEUE_NAME.fullmatch(value) or len(dlq.split_queue(value)[1]) > 255:
        raise _fail(f"{value[:80]!r} is not a queue name (e.g. assessment.application-submitted)")
    return value


_QUEUE_NAME = re.compile(r"[A-Za-z0-9_.:-]+")

QueueArg = Annotated[
    str,
    typer.Argument(help="Queue (e.g. assessment.application-submitted) or its DLQ.", callback=_queue_name),
]


@dlq_app.command("list")
def dlq_list(
    queue: Annotated[list[str] | None, typer.Option("--queue", "-q", help="Also these queues.")] = None,
    prefix: Annotated[str | None, typer.Option(help="Topology prefix (default RTW_TOPOLOGY_PREFIX).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Dead letters waiting per queue, for every service's queues."""
    prefix = ServiceSettings().topology_prefix if prefix is None else prefix
    queues = _all_queues(prefix) + list(queue or [])
    try:
        counts = asyncio.run(dlq.count(_amqp_url(), queues))
    except OSError as exc:
        raise _fail(f"cannot reach RabbitMQ (check RTW_AMQP_URL): {exc}", UNREACHABLE) from None
    if as_json:
        sys.stdout.write(json.dumps(counts, indent=2) + "\n")
        return
    table = Table("queue", "dead letters")
    for name, waiting in counts.items():
        table.add_row(name, "no DLQ yet" if waiting is None else str(waiting))
    console.print(table)


@dlq_app.command("show")
def dlq_show(
    queue: QueueArg,
    limit: Annotated[int, typer.Option(help="How many to show.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show dead letters with their errors, leaving them in place."""
    try:
        letters = asyncio.run(dlq.peek(_amqp_url(), queue, limit))
    except dlq.QueueNotFound as exc:
        raise _fail(f"no dead-letter queue {exc}") from None
    if as_json:
        sys.stdout.write(json.dumps([x.as_dict() for x in letters], indent=2) + "\n")
        return
    if not letters:
        console.print(f"no dead letters in {dlq.split_queue(queue)[1]}")
    for letter in letters:
        console.rule(f"#{letter.position}  {letter.event_type or ''}  message {letter.message_id}")
        console.print(f"error: [red]{letter.error}[/red]")
        console.print(f"attempts: {letter.attempts}  dead-lettered at: {letter.dead_lettered_at}")
        console.print(f"routing key: {letter.routing_key}  correlation: {letter.correlation_id}")
        console.print(letter.body, markup=False, highlight=False)


@dlq_app.command("replay")
def dlq_replay(
    queue: QueueArg,
    limit: Annotated[int | None, typer.Option(help="Replay at most this many.")] = None,
    message_id: Annotated[str | None, typer.Option(help="Replay only this message.")] = None,
) -> None:
    """Send dead letters back to the queue they failed in."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    # Progress on stderr: stdout keeps only the result line.
    bar = (TextColumn("replaying"), BarColumn(), MofNCompleteColumn())
    with Progress(*bar, console=errors, disable=not errors.is_terminal) as progress:
        task = progress.add_task("replay", total=None)

        def show(done: int, at_most: int) -> None:
            progress.update(task, completed=done, total=at_most)

        try:
            replayed = asyncio.run(
                dlq.replay(_amqp_url(), queue, limit=limit, message_id=message_id, on_progress=show)
            )
        except dlq.QueueNotFound as exc:
            raise _fail(f"no such queue: {exc}") from None
    if message_id is not None and replayed == 0:
        raise _fail(f"no dead letter with message id {message_id}", code=REFUSED)
    console.print(f"replayed {replayed} message(s) to {dlq.split_queue(queue)[0]}")


@dlq_app.command("purge")
def dlq_purge(
    queue: QueueArg,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: the messages are deleted.")] = False,
) -> None:
    """Delete every dead letter of a queue (asks for --yes)."""
    if not yes:
        raise _fail("purging deletes the messages for good; add --yes to confirm")
    try:
        purged = asyncio.run(dlq.purge(_amqp_url(), queue))
    except dlq.QueueNotFound as exc:
        raise _fail(f"no dead-letter queue {exc}") from None
    console.print(f"purged {purged} message(s) from {dlq.split_queue(queue)[1]}")


@broker_app.command("setup")
def broker_setup(
    definitions: Annotated[
        Path | None,
        typer.Option(help="Topology to import first (exchanges, policies; no users), e.g. definitions.json."),
    ] = None,
    teams: Annotated[
        Path | None,
        typer.Option(
            help="Outside teams and their granted routing keys (deploy/rabbitmq/teams.toml): a user "
            "per team (password file rtw_amqp_password_ext_<team>) and its queues ext.<team>.<queue>; a team "
            "no longer listed loses its user."
        ),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Only check the teams file (no broker is asked).")
    ] = False,
) -> None:
    """Create or update the vhost and every platform user from its password's secret file, with
    its permissions (RTW_BROKER_ADMIN_URL, _USER, _PASSWORD, _VHOST, _PASSWORDS_DIR). Run it
    again after changing a password's secret: that is the rotation."""
    from .broker_setup import BrokerSetupFailed, BrokerSetupSettings, setup_broker
    from .teams import TeamsFileInvalid, load_teams

    if definitions is not None and not definitions.is_file():
        raise _fail(f"no definitions file {definitions}")
    try:
        granted = None if teams is None else load_teams(teams)
    except TeamsFileInvalid as exc:
        raise _fail(str(exc)) from None
    if check:
        if granted is None:
            raise _fail("--check checks the teams file: give it with --teams")
        console.print(f"{teams}: {len(granted)} team(s), every grant valid")
        return
    try:
        settings = BrokerSetupSettings()
    except ValidationError as exc:
        raise _fail(f"invalid settings: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from None
    try:
        result = setup_broker(settings, definitions, granted)
    except BrokerSetupFailed as exc:
        raise _fail(str(exc), UNREACHABLE if "cannot reach" in str(exc) else REFUSED) from None
    console.print(f"vhost {result.vhost}: users {', '.join(result.users)} set up")
    if result.moved:
        console.print(f"moved onto their service's own dead-letter exchange: {', '.join(result.moved)}")
    if result.revoked:
        console.print(f"access revoked (no longer in the teams file): {', '.join(result.revoked)}")
    for queue in result.unlike:
        console.print(
            f"[yellow]{queue} exists with other arguments than the platform's (declared by its team): "
            'left alone; replace it (docs/operations.md, "Outside teams")[/yellow]'
        )


def _add_service_commands() -> None:
    """Services add their own commands (e.g. `rtw applications import`) by entry point."""
    from importlib.metadata import entry_points

    for entry in entry_points(group="rtw.commands"):
        app.add_typer(entry.load(), name=entry.name)


def main() -> None:
    """Entry point of the `rtw` command: a failure no command handled ends with one line and a
    documented exit code (`rtw --help`), never a traceback unless RTW_DEBUG=1."""
    _add_service_commands()
    try:
        app()
    except (Exception, KeyboardInterrupt) as exc:
        if debugging():
            raise
        message, code = describe_failure(exc)
        errors.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
        sys.exit(code)


if __name__ == "__main__":
    main()
