"""Structured logging: JSON off a terminal, message and request ids bound, no personal data."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, MutableMapping
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
    """Configure structlog and the standard library for one process."""
    use_json = (not sys.stderr.isatty()) if json is None else json
    shared: Iterable[Any] = (
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        strip_personal_data,
    )
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
    # Libraries (uvicorn, aio-pika, faststream) log through the standard library; keep them quiet
    # and in the same stream.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(name)s %(message)s")


def get_logger(name: str | None = None) -> Any:
    """A structlog logger."""
    return structlog.get_logger(name)
