"""Structured logging: JSON off a terminal, message and request ids bound, no personal data."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

#: Keys whose values are personal data. They never reach a log line.
PERSONAL_DATA_KEYS = frozenset(
    {
        "name",
        "given_name",
        "family_name",
        "full_name",
        "email",
        "contact_email",
        "phone",
        "telephone",
        "address",
        "postcode",
        "date_of_birth",
        "answers",
        "answer",
        "password",
        "token",
        "authorization",
        "sex",
        "ethnicity",
        "disability",
        "age_band",
    }
)
REDACTED = "[redacted]"


def strip_personal_data(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: replace values of personal-data keys, also inside nested dicts."""
    return _redact(event_dict)


def _redact(mapping: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(mapping):
        if key.lower() in PERSONAL_DATA_KEYS:
            mapping[key] = REDACTED
        else:
            mapping[key] = _redact_value(mapping[key])
    return mapping


def _redact_value(value: Any) -> Any:
    if isinstance(value, MutableMapping):
        return _redact(dict(value))
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(item) for item in value)
    return value


def configure_logging(service: str, *, level: str = "INFO", json: bool | None = None) -> None:
    """Configure structlog and the standard library for one process: one kind of log line.

    The platform's own lines (structlog) and every library's (uvicorn, aio-pika, FastStream,
    SQLAlchemy, asyncio: the standard library's `logging`) go through the same processors, so off
    a terminal every line is one JSON object with the service, level, time and any exception
    (its traceback inside the `exception` field, never as lines of its own), and personal data is
    redacted in both. An exception nothing caught is logged the same way before the process ends."""
    use_json = (not sys.stderr.isatty()) if json is None else json
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        strip_personal_data,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if use_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)
    # Libraries log through the standard library: warnings and worse only, rendered as above.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.WARNING)
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught


def _log_uncaught(kind: type[BaseException], error: BaseException, trace: Any) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, trace)
        return
    logging.getLogger("rtw").critical("uncaught_exception", exc_info=(kind, error, trace))


def get_logger(name: str | None = None) -> Any:
    """A structlog logger."""
    return structlog.get_logger(name)
