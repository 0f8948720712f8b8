"""No personal data reaches a log line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from rtw_platform.logging import (
    PERSONAL_DATA_KEYS,
    REDACTED,
    configure_logging,
    get_logger,
    strip_personal_data,
)

pytestmark = pytest.mark.unit


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put structlog back as it was (configure_logging binds the captured stderr)."""
    config = structlog.get_config()
    context = structlog.contextvars.get_contextvars()
    yield
    structlog.configure(**config)
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(**context)


def test_personal_data_at_the_top_level_is_redacted_and_the_rest_kept() -> None:
    event = {
        "event": "application_submitted",
        "email": "a@b.org",
        "Given_Name": "Amara",
        "postcode": "WS1 1AA",
        "application_id": "1",
        "attempts": 3,
    }

    result = strip_personal_data(None, "info", dict(event))

    assert result == {
        "event": "application_submitted",
        "email": REDACTED,
        "Given_Name": REDACTED,
        "postcode": REDACTED,
        "application_id": "1",
        "attempts": 3,
    }


def test_personal_data_inside_nested_mappings_is_redacted() -> None:
    event: dict[str, Any] = {
        "event": "x",
        "candidate": {
            "email": "a@b.org",
            "id": "c-1",
            "contact": {"phone": "07700 900000", "language": "cy"},
        },
    }

    result = strip_personal_data(None, "info", event)

    assert result["candidate"] == {
        "email": REDACTED,
        "id": "c-1",
        "contact": {"phone": REDACTED, "language": "cy"},
    }


def test_a_personal_key_holding_a_mapping_is_redacted_whole() -> None:
    result = strip_personal_data(None, "info", {"address": {"line1": "1 High St"}})
    assert result == {"address": REDACTED}


@pytest.mark.parametrize("key", sorted(PERSONAL_DATA_KEYS))
def test_every_listed_key_is_redacted(key: str) -> None:
    assert strip_personal_data(None, "info", {key: "secret value"}) == {key: REDACTED}


def test_personal_data_in_a_list_of_mappings_is_redacted() -> None:
    result = strip_personal_data(None, "info", {"recipients": [{"email": "a@b.org", "id": "1"}]})
    assert "a@b.org" not in json.dumps(result)


def test_a_configured_logger_writes_json_without_the_email(
    capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    configure_logging("tests", level="INFO", json=True)

    get_logger("test").info("x", email="a@b.org", application_id="1")

    err = capsys.readouterr().err
    assert "a@b.org" not in err
    line = json.loads(err.strip().splitlines()[-1])
    assert line["event"] == "x"
    assert line["email"] == REDACTED
    assert line["application_id"] == "1"
    assert line["service"] == "tests"
    assert line["level"] == "info"


def test_bound_personal_data_is_redacted_too(
    capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    configure_logging("tests", level="INFO", json=True)

    get_logger("test").bind(given_name="Amara").warning("y", request={"email": "a@b.org"})

    err = capsys.readouterr().err
    assert "Amara" not in err
    assert "a@b.org" not in err


def test_lines_below_the_level_are_not_written(
    capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    configure_logging("tests", level="WARNING", json=True)

    get_logger("test").info("quiet")
    get_logger("test").warning("loud")

    err = capsys.readouterr().err
    assert "quiet" not in err
    assert "loud" in err


def test_library_lines_and_their_tracebacks_are_json_too(
    capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    import logging

    configure_logging("tests", level="INFO", json=True)
    # As in a service process (rtw_platform.serving gives uvicorn no logging config of its own):
    # other tests in this process may have run uvicorn with its default config, which stops its
    # loggers from propagating.
    for name in ("uvicorn", "uvicorn.error", "aiormq.connection", "rtw.broker"):
        library = logging.getLogger(name)
        library.handlers, library.propagate, library.disabled = [], True, False
        library.setLevel(logging.NOTSET)
    try:
        raise RuntimeError("the broker went away")
    except RuntimeError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    logging.getLogger("aiormq.connection").warning("Connection attempt to %s failed", "amqp://x")
    logging.getLogger("rtw.broker").error("handler failed", extra={"email": "a@b.org"})

    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]  # fails on any plain-text line
    assert len(parsed) == 3, lines
    failure = parsed[0]
    assert failure["logger"] == "uvicorn.error"
    assert failure["level"] == "error"
    assert failure["service"] == "tests"
    assert "RuntimeError: the broker went away" in failure["exception"]
    assert parsed[1]["event"] == "Connection attempt to amqp://x failed"
    assert parsed[2]["logger"] == "rtw.broker"
