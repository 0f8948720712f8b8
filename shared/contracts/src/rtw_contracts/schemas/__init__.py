"""Committed JSON Schemas of every event, one file per routing key, and their check.

The schemas are generated in pydantic's *validation* mode: they describe what a consumer
accepts (what :func:`rtw_contracts.registry.parse_event` validates), which is what backward
compatibility is about. The envelope fields every producer sends although the model gives them a
default (:data:`rtw_contracts.envelope.ALWAYS_SENT`: ``event_id``, ``event_type``,
``event_version``, ``occurred_at``, ``producer``) are then listed as required, so a subscriber
can rely on them (``event_id`` is its de-duplication key).

A breaking change is a new version: a new model (``EVENT_VERSION`` + 1, routing key
``.v<N+1>``) with its own schema, while the old model stays, marked deprecated (``SUPERSEDED_BY``
the new routing key, ``RETIRES_ON`` a stated day), until it retires. :func:`version_problems`
holds every event type to that: only its newest version may be current, each older one names its
successor, the day it was deprecated and its retirement day, at least
:data:`~rtw_contracts.envelope.DEPRECATION_DAYS` (90) days later, and past that day the check
fails until the old model, its schema and its subscriptions are gone.

Compatibility is checked twice: against the committed schemas (the working tree) and against
the *last released schema set*, kept in the repository under ``shared/contracts/released/
<version>/`` (:data:`RELEASED_DIR`). An event of the last release may change only compatibly; a
released event may disappear only once its deprecation has run out (``x-retires-on`` past). An
event added since the last release may still change freely until it is released.

``python -m rtw_contracts.schemas write`` regenerates the files (refusing, unless
``--allow-breaking``, to overwrite a schema with an incompatible one); ``python -m
rtw_contracts.schemas check`` lists problems (missing, stale, orphaned or incompatible schemas,
breaking changes against the last release, versions not retired as declared) and exits 1 if
there are any; ``python -m rtw_contracts.schemas release VERSION`` snapshots the committed
schemas as release ``VERSION`` (which must be newer than the last release and equal the
contracts package's version), refusing while the check reports problems.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rtw_contracts.compatibility import breaking_changes
from rtw_contracts.envelope import ALWAYS_SENT, DEPRECATION_DAYS, Event
from rtw_contracts.registry import EVENTS

__all__ = [
    "NEW_VERSION_ADVICE",
    "RELEASED_DIR",
    "SCHEMA_DIR",
    "ReleaseError",
    "check_schemas",
    "committed_schema",
    "committed_text",
    "current_schema",
    "last_release",
    "release_problems",
    "release_schemas",
    "released_versions",
    "render",
    "schema_id",
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

RELEASED_DIR = SCHEMA_DIR.parents[2] / "released"
"""Released schema sets, one directory per contracts version (``released/1.0.0/*.json``); in
the repository only (not in the wheel)."""

_VERSION = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+$")


class ReleaseError(ValueError):
    """A release cannot be taken (bad or old version, or the schemas have problems)."""


JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
"""The ``$schema`` of every published schema."""


def schema_id(routing_key: str) -> str:
    """The stable ``$id`` of the schema of ``routing_key`` (which ends in the event's version):
    a URN, the same wherever the file is copied to (``urn:rtw:event:application.submitted.v2``)."""
    return f"urn:rtw:event:{routing_key}"


def current_schema(event: type[Event]) -> dict[str, Any]:
    """Return the published JSON Schema of ``event``: the model's validation-mode schema, with
    the always-sent envelope fields (:data:`~rtw_contracts.envelope.ALWAYS_SENT`) required, its
    dialect (``$schema``) and its stable id (``$id``, :func:`schema_id`)."""
    schema = {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": schema_id(event.ROUTING_KEY),
        **event.model_json_schema(mode="validation"),
    }
    required = list(schema.get("required", ()))
    for name in ALWAYS_SENT:
        if name in schema["properties"] and name not in required:
            required.append(name)
    schema["required"] = required
    return schema


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
        breaking = [] if committed is None else breaking_changes(committed, current, always_sent=ALWAYS_SENT)
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
        if event.DEPRECATED_ON is None:
            problems.append(f"{event.ROUTING_KEY}: deprecated without the day it was (DEPRECATED_ON)")
        elif event.RETIRES_ON is not None and (event.RETIRES_ON - event.DEPRECATED_ON).days < (
            DEPRECATION_DAYS
        ):
            problems.append(
                f"{event.ROUTING_KEY}: retires on {event.RETIRES_ON.isoformat()}, less than the "
                f"deprecation period ({DEPRECATION_DAYS} days) after {event.DEPRECATED_ON.isoformat()}"
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
        breaking = breaking_changes(committed, current, always_sent=ALWAYS_SENT)
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
    problems.extend(release_problems(today=today))
    return problems


# ---------------------------------------------------------------------- releases


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def released_versions() -> list[str]:
    """Return the released versions kept in :data:`RELEASED_DIR`, oldest first."""
    if not RELEASED_DIR.is_dir():
        return []
    found = [p.name for p in RELEASED_DIR.iterdir() if p.is_dir() and _VERSION.match(p.name)]
    return sorted(found, key=_version_key)


def last_release() -> tuple[str, dict[str, dict[str, Any]]] | None:
    """Return ``(version, {routing key: schema})`` of the last released set, or None."""
    versions = released_versions()
    if not versions:
        return None
    version = versions[-1]
    schemas = {
        path.name.removesuffix(".json"): json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((RELEASED_DIR / version).glob("*.json"))
    }
    return version, schemas


def _retired(schema: Mapping[str, Any], today: date) -> bool:
    retires_on = schema.get("x-retires-on")
    return (
        bool(schema.get("deprecated")) and retires_on is not None and today > date.fromisoformat(retires_on)
    )


def release_problems(today: date | None = None) -> list[str]:
    """Return the breaking changes of the current models against the last released schema set:
    a released event changed incompatibly (naming the field), or removed before its declared
    retirement. A new version of an event (a new routing key) is not in the release, so it is
    free. An empty list when all is well, or when nothing has been released yet."""
    release = last_release()
    if release is None:
        return []
    version, released = release
    today = today or datetime.now(UTC).date()
    problems: list[str] = []
    for key, old in released.items():
        event = EVENTS.get(key)
        if event is None:
            if not _retired(old, today):
                problems.append(
                    f"{key}: released in {version} but no longer an event; a released event may "
                    "be removed only after its deprecation (x-retires-on) has passed"
                )
            continue
        breaking = breaking_changes(old, current_schema(event), always_sent=ALWAYS_SENT)
        if breaking:
            problems.extend(
                f"{key}: breaking change against release {version}: {change}" for change in breaking
            )
            problems.append(f"{key}: {NEW_VERSION_ADVICE}")
    return problems


def release_schemas(version: str, *, package_version: str | None = None) -> Path:
    """Snapshot the committed schemas as release ``version`` under :data:`RELEASED_DIR`.

    Refuses (:class:`ReleaseError`) a malformed version, one not newer than the last release,
    one other than ``package_version`` when given (the contracts package's version), and any
    release while :func:`check_schemas` reports problems. Returns the new directory.
    """
    if not _VERSION.match(version):
        raise ReleaseError(f"release version {version!r} is not of the form MAJOR.MINOR.PATCH")
    if package_version is not None and version != package_version:
        raise ReleaseError(
            f"release {version} is not the contracts package's version {package_version}: "
            "set `version` in shared/contracts/pyproject.toml first"
        )
    versions = released_versions()
    if versions and _version_key(version) <= _version_key(versions[-1]):
        raise ReleaseError(f"release {version} is not newer than the last release {versions[-1]}")
    problems = check_schemas()
    if problems:
        raise ReleaseError("the schemas have problems; fix them first:\n" + "\n".join(problems))
    target = RELEASED_DIR / version
    target.mkdir(parents=True)
    for key in committed_routing_keys():
        shutil.copyfile(schema_path(key), target / f"{key}.json")
    return target
