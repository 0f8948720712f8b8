"""How `rtw` ends when something fails: one line saying what was wrong, and a documented exit code.

Never a traceback on the terminal (`RTW_DEBUG=1` shows it, for developers)."""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterator

#: Exit codes of every `rtw` command, shown by `rtw --help`.
DONE = 0
REFUSED = 1
WRONG_INPUT = 2
UNREACHABLE = 3
UNEXPECTED = 4
INTERRUPTED = 130

EXIT_CODES: dict[int, str] = {
    DONE: "done",
    REFUSED: "the command ran and refused or failed (rejected rows, unsafe secrets, nothing matched, "
    "migrations pending)",
    WRONG_INPUT: "wrong usage or input (an option, an argument, a file or an RTW_* setting)",
    UNREACHABLE: "the database or RabbitMQ cannot be reached or used (down, wrong address or "
    "password, not migrated)",
    UNEXPECTED: "an unexpected failure (the line says what; RTW_DEBUG=1 shows the traceback)",
    INTERRUPTED: "interrupted (Ctrl-C)",
}


def exit_codes_help() -> str:
    """The exit codes as lines for `rtw --help`."""
    return "Exit codes: " + "; ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES.items()) + "."


def debugging() -> bool:
    """Whether the developer asked for tracebacks (RTW_DEBUG=1)."""
    return os.environ.get("RTW_DEBUG", "").lower() in {"1", "true", "yes"}


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _where_raised(exc: BaseException) -> str | None:
    """`database` or `broker`: which client library the failure came from, if either."""
    for link in _chain(exc):
        module = type(link).__module__
        files = [frame.filename.replace("\\", "/") for frame in traceback.extract_tb(link.__traceback__)]
        places = [module.replace(".", "/") + "/", *files]
        if any(lib in place for place in places for lib in ("aiormq/", "aio_pika/", "pamqp/", "faststream/")):
            return "broker"
        if any(lib in place for place in places for lib in ("asyncpg/", "sqlalchemy/", "psycopg")):
            return "database"
    return None


def _not_migrated(exc: BaseException) -> bool:
    names = {type(link).__name__ for link in _chain(exc)}
    return bool(names & {"UndefinedTableError", "InvalidSchemaNameError"})


def _summary(exc: BaseException) -> str:
    """The innermost cause's message, on one line."""
    innermost = list(_chain(exc))[-1]
    text = " ".join(str(innermost).split()) or type(innermost).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def describe_failure(exc: BaseException) -> tuple[str, int]:
    """One line for the terminal and the exit code, for a failure no command handled itself."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted", INTERRUPTED
    from .dlq import AccessRefused

    if isinstance(exc, AccessRefused):
        return str(exc), REFUSED
    where = _where_raised(exc)
    if where == "database":
        if _not_migrated(exc):
            return (
                f"the database has no tables for this yet: run `rtw migrate` ({_summary(exc)})",
                UNREACHABLE,
            )
        return f"cannot use the database (check RTW_DATABASE_URL): {_summary(exc)}", UNREACHABLE
    if where == "broker":
        return f"cannot use RabbitMQ (check RTW_AMQP_URL): {_summary(exc)}", UNREACHABLE
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return f"cannot connect: {_summary(exc)}", UNREACHABLE
    return (
        f"unexpected failure: {type(exc).__name__}: {_summary(exc)} (RTW_DEBUG=1 shows the traceback)",
        UNEXPECTED,
    )
