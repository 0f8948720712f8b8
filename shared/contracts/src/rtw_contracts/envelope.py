"""The event envelope: fields every event carries, and class-level metadata.

A concrete event declares ``ROUTING_KEY``, ``EVENT_VERSION``, ``PRODUCER`` and ``SUBSCRIBERS``
as class variables; ``EVENT_TYPE`` (the class name) and ``CONTEXT`` (the routing key's first
segment) are derived unless declared. A version replaced by a newer one also declares
``SUPERSEDED_BY`` (the newer routing key) and ``RETIRES_ON`` (the day after which it is removed);
its JSON Schema then says ``"deprecated": true`` with both, so the committed schema records them.
The ``event_type``, ``event_version`` and ``producer`` fields then default from them, so callers
never pass them, and a message whose ``event_type`` or ``event_version`` does not match the model
fails validation.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, ClassVar, TypedDict
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.fields import FieldInfo

from rtw_contracts.types import UtcDatetime

__all__ = [
    "ALWAYS_SENT",
    "DEPRECATION_DAYS",
    "PERSONAL",
    "PERSONAL_DATA",
    "CausedBy",
    "Event",
    "caused_by",
    "not_personal",
    "personal",
    "personal_data",
    "sequence_description",
]

ALWAYS_SENT: tuple[str, ...] = ("event_id", "event_type", "event_version", "occurred_at", "producer")
"""Envelope fields with a default that every message nevertheless carries: the model fills them
(``event_id`` a new UUID, ``occurred_at`` now, the others from the class) and serialises them
always. The published JSON Schemas list them as required, so a subscriber may rely on them
(``event_id`` is the de-duplication key); making them required was never a breaking change,
since no producer ever sent a message without them."""

DEPRECATION_DAYS = 90
"""The least number of days a deprecated version stays published and in the contracts between the
day it is deprecated (``DEPRECATED_ON``) and the day it retires (``RETIRES_ON``): time for teams
outside the platform to plan, build and deploy the move to the new version, and for queued and
dead-lettered messages of the old one to be drained or replayed."""

PERSONAL = "x-personal"
"""JSON Schema keyword marking a field that names or reaches someone (a name, an e-mail address,
a phone): ``true`` on those fields (see :func:`personal`)."""

PERSONAL_DATA = "x-personal-data"
"""JSON Schema keyword classifying every field that could carry personal data (any text, or a
value holding text): what personal data it carries, in words (``"name"``, ``"the candidate's own
words (free text)"``), or ``false`` for none. :mod:`rtw_contracts.personal_data` reads it, and a
contract test fails on a field that could carry text and is classified neither way."""


def personal(description: str, *, what: str, **constraints: Any) -> Any:
    """A field that names or reaches someone (``what``: their name, e-mail address, phone number):
    marked ``"x-personal": true`` and ``"x-personal-data": what`` in the schema, so the docs and
    the contract tests see where it travels."""
    return Field(
        description=description, json_schema_extra={PERSONAL: True, PERSONAL_DATA: what}, **constraints
    )


def personal_data(what: str, **field: Any) -> Any:
    """A field carrying personal data other than a name or a way to reach someone (``what``: free
    text in someone's words, a key to their video, reasons that mention their circumstances…):
    ``"x-personal-data": what`` in the schema."""
    return Field(json_schema_extra={PERSONAL_DATA: what}, **field)


def not_personal(**field: Any) -> Any:
    """A text field that carries no personal data (a code, a title, an organisation's name):
    ``"x-personal-data": false`` in the schema, classified so that it cannot drift unseen."""
    return Field(json_schema_extra={PERSONAL_DATA: False}, **field)


def sequence_description(aggregate: str, key: tuple[str, ...]) -> str:
    """The ``sequence`` field's description for an event that counts ``aggregate``'s changes."""
    named = ", ".join(f"`{field}`" for field in key)
    return (
        f"Counts the changes of the {aggregate} ({named}): set on every message, never lower than "
        "on an earlier change of the same one; ignore a message whose sequence is lower than the "
        "highest you applied for it."
    )


def _now() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """Base of every event: the envelope. Frozen; unknown fields are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    ROUTING_KEY: ClassVar[str]
    """Topic routing key, ``<context>.<event-kebab>.v<N>``."""
    EVENT_TYPE: ClassVar[str]
    """The event's type name (the class name unless declared)."""
    EVENT_VERSION: ClassVar[int]
    """The version of this event's contract."""
    PRODUCER: ClassVar[str]
    """The service that owns and publishes the event."""
    CONTEXT: ClassVar[str]
    """The routing key's context segment (e.g. ``application``)."""
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    """Each service that consumes the event → the fields it needs (envelope fields aside). The
    docs are generated from it and a contract test holds it to the services' subscriptions."""
    SUPERSEDED_BY: ClassVar[str | None] = None
    """For a deprecated version: the routing key of the version that replaces it."""
    RETIRES_ON: ClassVar[date | None] = None
    """For a deprecated version: the last day it may exist; after it, the schema check fails
    until the model, its schema and its subscriptions are removed."""
    DEPRECATED_ON: ClassVar[date | None] = None
    """For a deprecated version: the day it was deprecated; ``RETIRES_ON`` is at least
    :data:`DEPRECATION_DAYS` later."""
    SEQUENCE_OF: ClassVar[str]
    """The aggregate whose changes ``sequence`` counts, in a word or two (``"match"``): events of
    one producer with the same ``SEQUENCE_OF`` and the same ``SEQUENCE_KEY`` values share one
    counter. Every concrete event declares it; it is rendered into the schema (``x-sequence-of``
    and the ``sequence`` field's description) and the docs."""
    SEQUENCE_KEY: ClassVar[tuple[str, ...]]
    """The fields naming the aggregate instance (``("match_id",)``)."""
    SEQUENCE_SET_BY_PRODUCER: ClassVar[bool] = False
    """True when the producing service counts the aggregate's changes itself (a counter column on
    the aggregate's row, changed under its lock); otherwise the outbox write numbers the event from
    a per-aggregate counter row in the same transaction (``rtw_platform.uow``)."""

    event_id: UUID = Field(
        default_factory=uuid4,
        description="Unique id of this event; also the AMQP message_id and the inbox key.",
    )
    event_type: str = Field(default="", description="The event's type name (its class name).")
    event_version: int = Field(default=0, description="The version of the event's contract.")
    occurred_at: UtcDatetime = Field(
        default_factory=_now, description="When the event happened (UTC; naive times rejected)."
    )
    correlation_id: UUID = Field(
        description="The journey this event belongs to (the application's id for a candidate)."
    )
    causation_id: UUID | None = Field(
        default=None, description="`event_id` of the event that caused this one, if any."
    )
    producer: str = Field(default="", description="The service that published the event.")
    sequence: int | None = Field(
        default=None,
        ge=0,
        description="Per-aggregate sequence number, so consumers can ignore stale events.",
    )

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Derive metadata and make the envelope fields default from the class variables."""
        super().__pydantic_init_subclass__(**kwargs)
        if "ROUTING_KEY" not in cls.__dict__:
            return  # an abstract intermediate class
        if "EVENT_TYPE" not in cls.__dict__:
            cls.EVENT_TYPE = cls.__name__
        if "CONTEXT" not in cls.__dict__:
            cls.CONTEXT = cls.ROUTING_KEY.split(".", 1)[0]
        fields = cls.__pydantic_fields__
        fields["event_type"] = FieldInfo.merge_field_infos(
            fields["event_type"],
            default=cls.EVENT_TYPE,
            json_schema_extra={"const": cls.EVENT_TYPE},
        )
        fields["event_version"] = FieldInfo.merge_field_infos(
            fields["event_version"],
            default=cls.EVENT_VERSION,
            json_schema_extra={"const": cls.EVENT_VERSION},
        )
        fields["producer"] = FieldInfo.merge_field_infos(fields["producer"], default=cls.PRODUCER)
        if hasattr(cls, "SEQUENCE_OF"):
            fields["sequence"] = FieldInfo.merge_field_infos(
                fields["sequence"], description=sequence_description(cls.SEQUENCE_OF, cls.SEQUENCE_KEY)
            )
        extra: dict[str, Any] = {}
        if hasattr(cls, "SEQUENCE_OF"):
            extra["x-sequence-of"] = cls.SEQUENCE_OF
            extra["x-sequence-key"] = list(cls.SEQUENCE_KEY)
        if cls.RETIRES_ON is not None or cls.SUPERSEDED_BY is not None:
            extra.update(
                {
                    "deprecated": True,
                    "x-superseded-by": cls.SUPERSEDED_BY,
                    "x-retires-on": cls.RETIRES_ON.isoformat() if cls.RETIRES_ON else None,
                    "x-deprecated-on": cls.DEPRECATED_ON.isoformat() if cls.DEPRECATED_ON else None,
                }
            )
        if extra:
            cls.model_config["json_schema_extra"] = extra
        cls.model_rebuild(force=True)

    @classmethod
    def personal_fields(cls) -> tuple[str, ...]:
        """The fields holding personal data (declared with :func:`personal`)."""
        return tuple(
            name
            for name, info in cls.model_fields.items()
            if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get(PERSONAL)
        )

    @classmethod
    def is_deprecated(cls) -> bool:
        """True for a version replaced by a newer one (it has ``SUPERSEDED_BY``)."""
        return cls.SUPERSEDED_BY is not None

    @classmethod
    def _is_concrete(cls) -> bool:
        return hasattr(cls, "ROUTING_KEY")

    @field_validator("event_type")
    @classmethod
    def _matches_type(cls, value: str) -> str:
        if cls._is_concrete() and value != cls.EVENT_TYPE:
            raise ValueError(
                f"event_type {value!r} does not match {cls.EVENT_TYPE} (routing key {cls.ROUTING_KEY})"
            )
        return value

    @field_validator("event_version")
    @classmethod
    def _matches_version(cls, value: int) -> int:
        if cls._is_concrete() and value != cls.EVENT_VERSION:
            raise ValueError(
                f"event_version {value} is not supported by {cls.__name__}, which is version "
                f"{cls.EVENT_VERSION} (routing key {cls.ROUTING_KEY}); parse a v{value} "
                f"message with the v{value} model"
            )
        return value


class CausedBy(TypedDict):
    """Envelope fields linking a follow-on event to the event that caused it."""

    correlation_id: UUID
    causation_id: UUID


def caused_by(parent: Event) -> CausedBy:
    """Return ``correlation_id``/``causation_id`` for an event caused by ``parent``.

    Use as ``SomeEvent(**caused_by(parent), ...)``: the follow-on event joins the parent's
    journey and records the parent's ``event_id`` as its cause.
    """
    return {"correlation_id": parent.correlation_id, "causation_id": parent.event_id}
