"""Which events carry personal data, and in which fields: read from the contracts' annotations.

Every field of an event that could carry text (a string, a list of strings, a value type holding
text) is classified in its contract: ``"x-personal-data"`` is what personal data it carries (a
name, an e-mail address, the candidate's own words, the key to their video, reasons that mention
their circumstances…), or ``false`` for none (see :func:`rtw_contracts.envelope.personal`,
:func:`~rtw_contracts.envelope.personal_data` and :func:`~rtw_contracts.envelope.not_personal`).
:func:`unclassified_fields` finds a field classified neither way, so a new one cannot drift in
unseen; the subscribers' table (docs/subscribers.md, docs/events.md) and the broker's grants to
outside teams (a stated purpose for each key that carries personal data) read
:func:`routing_keys_with_personal_data`.

Ids (``candidate_id``, ``application_id``) and dates are not classified field by field: they link
to a person, so a subscriber treats everything keyed by them as personal data (subscribers.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rtw_contracts.envelope import PERSONAL_DATA, Event
from rtw_contracts.registry import EVENTS
from rtw_contracts.schemas import current_schema

__all__ = [
    "personal_data_fields",
    "routing_keys_with_personal_data",
    "unclassified_fields",
]

_NOT_TEXT_FORMATS = frozenset({"uuid", "date", "date-time"})
"""String formats that cannot hold words: ids and dates."""


def _can_hold_text(
    prop: Mapping[str, Any], defs: Mapping[str, Any], seen: frozenset[str] = frozenset()
) -> bool:
    """Whether a property's schema admits free text: a string of no id or date format (a fixed
    ``enum``/``const`` is a code, not text), anywhere inside it."""
    ref = prop.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        return name not in seen and _can_hold_text(defs.get(name, {}), defs, seen | {name})
    if "enum" in prop or "const" in prop:
        return False
    if prop.get("type") == "string" and prop.get("format") not in _NOT_TEXT_FORMATS:
        return True
    nested: list[Mapping[str, Any]] = [*prop.get("anyOf", ()), *prop.get("oneOf", ()), *prop.get("allOf", ())]
    if isinstance(prop.get("items"), Mapping):
        nested.append(prop["items"])
    if isinstance(prop.get("properties"), Mapping):
        nested.extend(prop["properties"].values())
    return any(_can_hold_text(part, defs, seen) for part in nested)


def unclassified_fields(event: type[Event]) -> list[str]:
    """The event's own fields (envelope aside) that could hold text and whose contract says
    neither what personal data they carry nor that they carry none."""
    schema = current_schema(event)
    defs = schema.get("$defs", {})
    envelope = set(Event.model_fields)
    return [
        name
        for name, prop in schema["properties"].items()
        if name not in envelope and PERSONAL_DATA not in prop and _can_hold_text(prop, defs)
    ]


def personal_data_fields(event: type[Event]) -> dict[str, str]:
    """The event's fields that carry personal data → what they carry, in the contract's order."""
    found: dict[str, str] = {}
    for name, info in event.model_fields.items():
        extra = info.json_schema_extra
        what = extra.get(PERSONAL_DATA) if isinstance(extra, dict) else None
        if isinstance(what, str) and what:
            found[name] = what
    return found


def routing_keys_with_personal_data() -> dict[str, dict[str, str]]:
    """Every routing key whose event carries personal data → its personal fields → what each
    carries. A grant to bind one of these keys needs a stated purpose."""
    return {key: fields for key, event in EVENTS.items() if (fields := personal_data_fields(event))}
