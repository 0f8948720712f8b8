"""Small platform helpers: validation errors for people, DLQ names, infrastructure failures."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError
from rtw_platform.consumer_failures import PermanentFailure, is_infrastructure_error
from rtw_platform.dlq import split_queue
from rtw_platform.http import describe_validation_errors
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

pytestmark = pytest.mark.unit


# --------------------------------------------------------------------------- validation errors


def test_each_error_names_its_field_without_the_location_kind() -> None:
    errors = [
        {"loc": ("body", "postcode_district"), "msg": "String should match pattern"},
        {"loc": ("query", "limit"), "msg": "Input should be a valid integer"},
        {"loc": ("path", "application_id"), "msg": "Input should be a valid UUID"},
    ]
    assert describe_validation_errors(errors) == [
        {"field": "postcode_district", "message": "String should match pattern"},
        {"field": "limit", "message": "Input should be a valid integer"},
        {"field": "application_id", "message": "Input should be a valid UUID"},
    ]


def test_nested_fields_and_list_positions_are_joined_with_dots() -> None:
    errors = [{"loc": ("body", "skills", 0, "level"), "msg": "Input should be 1, 2, 3 or 4"}]
    assert describe_validation_errors(errors) == [
        {"field": "skills.0.level", "message": "Input should be 1, 2, 3 or 4"}
    ]


def test_an_error_about_the_whole_body_names_the_request() -> None:
    errors = [{"loc": ("body",), "msg": "Field required"}, {"msg": "Bad"}]
    assert describe_validation_errors(errors) == [
        {"field": "request", "message": "Field required"},
        {"field": "request", "message": "Bad"},
    ]


def test_an_error_without_a_message_still_says_something() -> None:
    assert describe_validation_errors([{"loc": ("body", "email")}]) == [
        {"field": "email", "message": "is not valid"}
    ]


def test_no_errors_describe_as_none() -> None:
    assert describe_validation_errors([]) == []


def test_a_field_named_like_a_location_kind_is_still_named() -> None:
    errors = [{"loc": ("body", "query"), "msg": "String should have at least 1 character"}]
    assert describe_validation_errors(errors)[0]["field"] == "query"


# --------------------------------------------------------------------------- DLQ names


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "assessment.application-submitted",
            ("assessment.application-submitted", "assessment.application-submitted.dlq"),
        ),
        (
            "assessment.application-submitted.dlq",
            ("assessment.application-submitted", "assessment.application-submitted.dlq"),
        ),
        (
            "t1a2b3.matching.assessment-scored",
            ("t1a2b3.matching.assessment-scored", "t1a2b3.matching.assessment-scored.dlq"),
        ),
        ("q.dlq.dlq", ("q.dlq", "q.dlq.dlq")),
        ("dlq", ("dlq", "dlq.dlq")),
    ],
)
def test_either_queue_name_gives_the_source_and_its_dlq(given: str, expected: tuple[str, str]) -> None:
    assert split_queue(given) == expected


def test_splitting_is_stable() -> None:
    source, dlq = split_queue("training.assessment-scored")
    assert split_queue(source) == split_queue(dlq) == (source, dlq)


# --------------------------------------------------------------------------- infrastructure errors


class _SqlState(Exception):
    """A driver error carrying its SQLSTATE, as asyncpg's do."""

    def __init__(self, sqlstate: str, message: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("SELECT 1", {}, Exception("connection refused")),
        InterfaceError("SELECT 1", {}, Exception("connection is closed")),
        DBAPIError("SELECT 1", {}, Exception("server closed the connection"), connection_invalidated=True),
        ConnectionRefusedError(111, "Connection refused"),
        ConnectionResetError(104, "Connection reset by peer"),
        OSError(113, "No route to host"),
        DBAPIError("SELECT 1", {}, _SqlState("57P01", "terminating connection due to administrator command")),
        DBAPIError("SELECT 1", {}, _SqlState("57P03", "the database system is shutting down")),
        DBAPIError("UPDATE", {}, _SqlState("40P01", "deadlock detected")),
        DBAPIError("SELECT 1", {}, _SqlState("08006", "connection failure")),
    ],
    ids=repr,
)
def test_a_database_or_network_outage_is_infrastructure(error: BaseException) -> None:
    assert is_infrastructure_error(error) is True


@pytest.mark.parametrize(
    "error",
    [
        IntegrityError("INSERT", {}, Exception("duplicate key")),
        DBAPIError("SELECT", {}, Exception("division by zero")),
        DBAPIError("INSERT", {}, _SqlState("22P05", "unsupported Unicode escape sequence")),
        DBAPIError("INSERT", {}, _SqlState("23505", "duplicate key value violates unique constraint")),
        ValueError("bad value"),
        KeyError("missing"),
        PermanentFailure("never"),
        RuntimeError("handler bug"),
    ],
    ids=repr,
)
def test_a_failure_of_the_message_or_the_code_is_not_infrastructure(error: BaseException) -> None:
    assert is_infrastructure_error(error) is False


def test_a_validation_error_is_not_infrastructure() -> None:
    class Model(BaseModel):
        n: int

    with pytest.raises(ValidationError) as caught:
        Model.model_validate({"n": "x"})
    assert is_infrastructure_error(caught.value) is False
