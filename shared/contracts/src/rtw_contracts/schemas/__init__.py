"""Committed JSON Schemas of every event, one file per routing key, and their check.

The schemas are generated in pydantic's *validation* mode: they describe what a consumer
accepts (what :func:`rtw_contracts.registry.parse_event` validates), which is what backward
compatibility is about. Envelope fields with defaults (``event_id``, ``occurred_at``, …) are
therefore not listed as required, although producers always send them.

A breaking change is a new version: a new model (``EVENT_VERSION`` + 1, routing key
``.v<N+1>``) with its own schema, while the old model stays, marked deprecated (``SUPERSEDED_BY``
the new routing key, ``RETIRES_ON`` a stated day), until it retires. :func:`version_problems`
holds every event type to that: only its newest version may be current, each older one names its
successor and its retirement day, and past that day the check fails until the old model, its
schema and its subscriptions are gone.

``python -m rtw_contracts.schemas write`` regenerates the files (refusing, unless
``--allow-breaking``, to overwrite a schema with an incompatible one); ``python -m
rtw_contracts.schemas check`` lists problems (missing, stale, orphaned or incompatible schemas,
versions not retired as declared) and exits 1 if there are any.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rtw_contracts.compatibility import breaking_changes
from rtw_contracts.envelope import Event
from rtw_contracts.registry import EVENTS

__all__ = [
    "NEW_VERSION_ADVICE",
    "SCHEMA_DIR",
    "check_schemas",
    "committed_schema",
    "committed_text",
    "current_schema",
    "render",
    "schema_path",
    "version_problems",
    "write_schemas",
]

SCHEMA_DIR = Path(__file__).resolve().parent
"""Where the committed schemas live (package data of ``rtw_contracts``)."""

NEW_VERSION_ADVICE = (
    "publish a new version: a new model with EVENT_VERSION+1 and routing key .vN+1, "
    "and keep the old one, deprecated (SUPERSEDED_BY the new routing key, RETIRES_ON a stated "
    "day), while its consumers drain it"
)
REGENERATE_ADVICE = "run `make schemas`"


def current_schema(event: type[Event]) -> dict[str, Any]:
    """Return the JSON Schema (validation mode) of ``event`` as generated from the model."""
    return event.model_json_schema(mode="validation")


def render(schema: Mapping[str, Any]) -> str:
    """Render a schema as committed: pretty-printed, sorted keys, trailing newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_path(routing_key: str) -> Path:
    """Return the path of the committed schema for ``routing_key``."""
    return SCHEMA_DIR / f"{routing_key}.json"


def committed_text(routing_key: str) -> str | None:
    """Return the committed schema file's text for ``routing_key``, or None if there is none."""
    path = schema_path(routing_key)
    return path.read_text(encoding="utf-8") if path.is_file() else None


def committed_schema(routing_key: str) -> dict[str, Any] | None:
    """Return the committed schema for ``routing_key``, or None if there is none."""
    text = committed_text(routing_key)
    if text is None:
        return None
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def committed_routing_keys() -> list[str]:
    """Return the routing keys that have a committed schema file."""
    return sorted(path.name.removesuffix(".json") for path in SCHEMA_DIR.glob("*.json"))


def write_schemas(*, allow_breaking: bool = False) -> tuple[list[str], list[str]]:
    """Write every event's schema and delete orphans.

    A schema with breaking changes against its committed version is not overwritten unless
    ``allow_breaking`` (a breaking change needs a new event version instead). Returns
    ``(changes made, refusals)``.
    """
    changed: list[str] = []
    refused: list[str] = []
    for key, event in EVENTS.items():
        current = current_schema(event)
        text = render(current)
        committed = committed_schema(key)
        if committed_text(key) == text:
            continue
        breaking = [] if committed is None else breaking_changes(committed, current)
        if breaking and not allow_breaking:
            refused.extend(f"{key}: breaking change: {change}" for change in breaking)
            refused.append(f"{key}: not written; {NEW_VERSION_ADVICE}")
            continue
        schema_path(key).write_text(text, encoding="utf-8")
        changed.append(f"wrote {schema_path(key).name}")
    for key in committed_routing_keys():
        if key not in EVENTS:
            schema_path(key).unlink()
            changed.append(f"deleted {key}.json (no event has this routing key)")
    return changed, refused


def version_problems(events: Iterable[type[Event]] | None = None, today: date | None = None) -> list[str]:
    """Return what is wrong with the versions of each event type (an empty list when all is well).

    Every version of an event type but the newest must be deprecated: ``SUPERSEDED_BY`` a newer
    registered version of the same type and ``RETIRES_ON`` a stated day; the newest must not be.
    After ``RETIRES_ON`` (``today``, by default the current UTC day) the old version is reported
    until it is removed.
    """
    models = list(EVENTS.values() if events is None else events)
    today = today or datetime.now(UTC).date()
    by_key = {event.ROUTING_KEY: event for event in models}
    versions: dict[str, list[type[Event]]] = defaultdict(list)
    for event in models:
        versions[event.EVENT_TYPE].append(event)
    problems: list[str] = []
    for event_type, family in versions.items():
        family.sort(key=lambda e: e.EVENT_VERSION)
        newest = family[-1]
        if newest.is_deprecated():
            problems.append(f"{newest.ROUTING_KEY}: the newest version of {event_type} cannot be superseded")
        for old in family[:-1]:
            if not old.is_deprecated():
                problems.append(
                    f"{old.ROUTING_KEY}: {newest.ROUTING_KEY} replaces it: declare SUPERSEDED_BY "
                    f"{newest.ROUTING_KEY!r} and the day it retires (RETIRES_ON)"
                )
    for event in models:
        if not event.is_deprecated():
            if event.RETIRES_ON is not None:
                problems.append(f"{event.ROUTING_KEY}: RETIRES_ON without SUPERSEDED_BY")
            continue
        successor = by_key.get(event.SUPERSEDED_BY or "")
        if successor is None:
            problems.append(f"{event.ROUTING_KEY}: superseded by {event.SUPERSEDED_BY}, which is no event")
        elif successor.EVENT_TYPE != event.EVENT_TYPE or successor.EVENT_VERSION <= event.EVENT_VERSION:
            problems.append(
                f"{event.ROUTING_KEY}: superseded by {successor.ROUTING_KEY}, which is not a newer "
                f"version of {event.EVENT_TYPE}"
            )
        if event.RETIRES_ON is None:
            problems.append(f"{event.ROUTING_KEY}: deprecated without a retirement day (RETIRES_ON)")
        elif today > event.RETIRES_ON:
            problems.append(
                f"{event.ROUTING_KEY}: retired on {event.RETIRES_ON.isoformat()}: remove its model, "
                "its schema and every subscription to it"
            )
    return problems


def check_schemas(today: date | None = None) -> list[str]:
    """Return every problem with the committed schemas and the event versions (an empty list when
    all is well)."""
    problems: list[str] = version_problems(today=today)
    for key, event in EVENTS.items():
        committed = committed_schema(key)
        if committed is None:
            problems.append(f"{key}: no committed schema; {REGENERATE_ADVICE}")
            continue
        current = current_schema(event)
        breaking = breaking_changes(committed, current)
        if breaking:
            problems.extend(f"{key}: breaking change: {change}" for change in breaking)
            problems.append(f"{key}: {NEW_VERSION_ADVICE}")
        elif committed_text(key) != render(current):
            problems.append(
                f"{key}: committed schema differs from the model (a compatible change); {REGENERATE_ADVICE}"
            )
    for key in committed_routing_keys():
        if key not in EVENTS:
            problems.append(f"{key}.json: committed schema of no current event; {REGENERATE_ADVICE}")
    return problems
