"""Dead letters for programme admins: every service's queues with the messages that failed there,
each with its reason; replay or purge after a confirmation (what `rtw dlq` does, in a browser)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from aio_pika.exceptions import AMQPError
from fastapi import APIRouter, Request
from fastapi.responses import Response
from rtw_platform import dlq
from rtw_platform.auth import Role
from rtw_platform.errors import NotFound, Refusal
from rtw_platform.registry import consumed_queues
from rtw_platform.settings import ServiceSettings
from rtw_platform.web import Pages, read_form, redirect, signed_in

PAGES = Pages("notifications", Path(__file__).parent / "templates")
SHOWN = 50
ACTIONS = {
    "replay": "Send the messages back to the queue they failed in, to be handled again",
    "purge": "Delete the messages for good",
}

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class QueueRow:
    """A queue and the dead letters waiting in its DLQ (None: no DLQ declared yet)."""

    queue: str
    short: str
    service: str
    waiting: int | None


class BrokerUnreachable(Refusal):
    """RabbitMQ did not answer."""

    status = 503


class BrokerRefused(Refusal):
    """The broker user of the dead-letter tools may not act on a queue (RTW_DLQ_AMQP_URL unset
    or a service's own user)."""

    status = 503


@contextmanager
def broker() -> Iterator[None]:
    """Say so on a page when RabbitMQ cannot be reached."""
    try:
        yield
    except dlq.AccessRefused:
        raise BrokerRefused(
            "The message broker refused access to the dead-letter queues. An operator must give "
            "this service the dead-letter user (RTW_DLQ_AMQP_URL)."
        ) from None
    except (OSError, AMQPError):
        raise BrokerUnreachable("The message broker cannot be reached. Try again in a minute.") from None


def _settings(request: Request) -> ServiceSettings:
    settings: ServiceSettings = request.app.state.settings
    return settings


def _known(request: Request, queue: str) -> str:
    """The queue, if it is one of the platform's (a page never touches any other)."""
    if queue not in consumed_queues(_settings(request).topology_prefix):
        raise NotFound(f"There is no queue called {queue}.")
    return queue


@router.get("/admin/dead-letters")
async def overview(request: Request, done: str | None = None, count: int | None = None) -> Response:
    """Dead letters waiting per queue."""
    signed_in(request, Role.ADMIN)
    settings = _settings(request)
    queues = consumed_queues(settings.topology_prefix)
    with broker():
        counts = await dlq.count(settings.dead_letter_amqp_url(), list(queues))
    rows = sorted(
        (
            QueueRow(name, name.removeprefix(settings.topology_prefix), service, counts.get(name))
            for name, service in queues.items()
        ),
        key=lambda r: (-(r.waiting or 0), r.service, r.short),
    )
    waiting = sum(r.waiting or 0 for r in rows)
    return PAGES.render(
        request,
        "dead_letters.html",
        {"rows": rows, "waiting": waiting, "done": done if done in ACTIONS else None, "count": count},
    )


@router.get("/admin/dead-letters/{queue}")
async def messages(request: Request, queue: str) -> Response:
    """A queue's dead letters with their reasons, left in place."""
    signed_in(request, Role.ADMIN)
    settings = _settings(request)
    name = _known(request, queue)
    with broker():
        try:
            letters = await dlq.peek(settings.dead_letter_amqp_url(), name, SHOWN)
        except dlq.QueueNotFound:
            letters = []
        waiting = (await dlq.count(settings.dead_letter_amqp_url(), [name]))[name]
    return PAGES.render(
        request,
        "dead_letter_queue.html",
        {
            "queue": name,
            "short": name.removeprefix(settings.topology_prefix),
            "letters": letters,
            "waiting": waiting,
            "shown": SHOWN,
        },
    )


@router.get("/admin/dead-letters/{queue}/{action}")
async def confirm(request: Request, queue: str, action: str) -> Response:
    """Ask before replaying or purging."""
    signed_in(request, Role.ADMIN)
    settings = _settings(request)
    name = _known(request, queue)
    if action not in ACTIONS:
        raise NotFound("There is no such action.")
    with broker():
        waiting = (await dlq.count(settings.dead_letter_amqp_url(), [name]))[name]
    return PAGES.render(
        request,
        "dead_letter_confirm.html",
        {
            "queue": name,
            "short": name.removeprefix(settings.topology_prefix),
            "action": action,
            "verb": "Replay" if action == "replay" else "Delete",
            "explained": ACTIONS[action],
            "waiting": waiting or 0,
        },
    )


@router.post("/admin/dead-letters/{queue}/{action}")
async def act(request: Request, queue: str, action: str) -> Response:
    """Replay or purge, then back to the overview saying how many."""
    signed_in(request, Role.ADMIN)
    await read_form(request)
    settings = _settings(request)
    name = _known(request, queue)
    if action not in ACTIONS:
        raise NotFound("There is no such action.")
    url = settings.dead_letter_amqp_url()
    with broker():
        try:
            count = await (dlq.replay(url, name) if action == "replay" else dlq.purge(url, name))
        except dlq.QueueNotFound:
            raise NotFound(f"{name} has no dead letters.") from None
    return redirect(request, f"/admin/dead-letters?done={action}&count={count}")
