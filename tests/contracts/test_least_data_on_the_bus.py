"""The bus carries the least each subscriber needs and no credential, derived from what the
installed services actually subscribe to and publish (not from what the docs say)."""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from rtw_contracts import Event
from rtw_contracts.registry import EVENTS
from rtw_platform.registry import installed_services

pytestmark = pytest.mark.contracts

SERVICES = installed_services()

#: Field names that name or reach a person, wherever they are nested.
IDENTIFYING = re.compile(r"email|phone|telephone|given_name|family_name|full_name|contact_name|birth|address")
#: Field names of something that signs someone in or stands for them.
CREDENTIAL = re.compile(r"link|token|url|secret|password|credential|signature|unsubscribe")
#: The services that must contact or show a person: notifications writes to them, training shows
#: their name (certificates, trainers' pages), matching shows a council their contact details
#: once they accept its reach-out. Assessment is blind; applications is where people apply.
PEOPLE_FACING = {"notifications", "training", "matching"}
#: Personal data a service still receives without needing it, each with why it is left: the list
#: may only shrink (the test fails on any other case, and on an entry no longer true).
KNOWN_EXCESS = {
    ("applications", "council.registered.v1"): "the council's organisational contact, which "
    "notifications needs from the same event; applications keeps only the council's facts",
}


def subscriptions() -> Iterator[tuple[str, type[Event], Any]]:
    for name, definition in SERVICES.items():
        for subscription in definition.subscriptions:
            yield name, subscription.event, subscription.handler


def properties(
    schema: Mapping[str, Any], root: Mapping[str, Any], seen: frozenset[str] = frozenset()
) -> Iterator[str]:
    """Every property name in a JSON Schema, nested objects, arrays, unions and $refs included."""
    if "$ref" in schema:
        ref = str(schema["$ref"])
        if ref in seen:
            return
        target: Any = root
        for part in ref.lstrip("#/").split("/"):
            target = target[part]
        yield from properties(target, root, seen | {ref})
        return
    for name, sub in schema.get("properties", {}).items():
        yield name
        yield from properties(sub, root, seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, ()):
            yield from properties(sub, root, seen)
    if isinstance(schema.get("items"), Mapping):
        yield from properties(schema["items"], root, seen)


def field_names(event: type[Event]) -> set[str]:
    schema = event.model_json_schema()
    return set(properties(schema, schema)) - set(Event.model_fields)


def identifying(event: type[Event]) -> set[str]:
    return {name for name in field_names(event) if IDENTIFYING.search(name)} | set(event.personal_fields())


def credentials(event: type[Event]) -> set[str]:
    return {name for name in field_names(event) if CREDENTIAL.search(name)}


def test_assessment_receives_nothing_that_identifies_a_candidate() -> None:
    received = {
        event.ROUTING_KEY: sorted(identifying(event))
        for name, event, _ in subscriptions()
        if name == "assessment"
    }
    assert "application.submitted.v2" in received  # it does screen applications
    assert {key: fields for key, fields in received.items() if fields} == {}


def test_personal_fields_travel_only_to_services_that_contact_or_show_the_person() -> None:
    excess = set()
    for name, event, _ in subscriptions():
        personal = identifying(event)
        if not personal:
            continue
        if (name, event.ROUTING_KEY) in KNOWN_EXCESS:
            assert not set(event.SUBSCRIBERS.get(name, ())) & personal
            excess.add((name, event.ROUTING_KEY))
            continue
        assert name in PEOPLE_FACING, f"{name} receives {sorted(personal)} in {event.ROUTING_KEY}"
        needed = set(event.SUBSCRIBERS.get(name, ())) & personal
        assert needed, f"{name} receives {sorted(personal)} in {event.ROUTING_KEY} and needs none of it"
    assert excess == set(KNOWN_EXCESS)


def test_no_event_published_or_consumed_carries_a_credential() -> None:
    for name, definition in SERVICES.items():
        for event in (*definition.publishes, *(s.event for s in definition.subscriptions)):
            assert not credentials(event), f"{name}: {event.ROUTING_KEY} carries {sorted(credentials(event))}"


def test_publishers_publish_no_deprecated_version() -> None:
    for name, definition in SERVICES.items():
        old = [event.ROUTING_KEY for event in definition.publishes if event.is_deprecated()]
        assert old == [], f"{name} still publishes {old}"


def test_every_field_that_names_or_reaches_someone_is_marked_personal() -> None:
    for key, event in EVENTS.items():
        unmarked = {name for name in event.model_fields if IDENTIFYING.search(name)} - set(
            event.personal_fields()
        )
        assert not unmarked, f"{key}: mark {sorted(unmarked)} with rtw_contracts.personal()"


def test_each_events_subscribers_are_the_services_that_subscribe_to_it() -> None:
    actual: dict[str, set[str]] = {key: set() for key in EVENTS}
    for name, event, _ in subscriptions():
        actual[event.ROUTING_KEY].add(name)
    declared = {key: set(event.SUBSCRIBERS) for key, event in EVENTS.items()}
    assert declared == actual


@pytest.mark.parametrize(
    ("service", "event", "handler"),
    [pytest.param(*s, id=f"{s[0]}:{s[1].ROUTING_KEY}") for s in subscriptions()],
)
def test_a_handler_reads_only_fields_its_service_declares_it_needs(
    service: str, event: type[Event], handler: Any
) -> None:
    declared = set(event.SUBSCRIBERS.get(service, ())) | set(Event.model_fields)
    assert declared <= set(event.model_fields), f"{event.ROUTING_KEY}: no such field declared for {service}"
    read = fields_read(handler)
    if read is None:
        pytest.skip("the handler's source is not available")
    assert read <= declared, f"{service} reads {sorted(read - declared)} of {event.ROUTING_KEY} undeclared"


def fields_read(handler: Any, event: str | None = None, depth: int = 0) -> set[str] | None:
    """The attributes a handler reads from its event argument: directly, and in the functions it
    hands the event to (a thin handler passes it to its use case, which reads it)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(handler)))
    except (OSError, TypeError):
        return None
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
    arguments = [a.arg for a in function.args.args if a.arg != "self"]
    event = event or arguments[0]
    read = {
        node.attr
        for node in ast.walk(function)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == event
        and node.attr != "split"
    }
    if depth < 3:
        for callee, parameter in _handed_the_event(handler, function, event):
            more = fields_read(callee, parameter, depth + 1)
            assert more is not None, f"the source of {callee.__qualname__} is not available"
            read |= more
    return read


def _handed_the_event(handler: Any, function: ast.AST, event: str) -> Iterator[tuple[Any, str]]:
    """The use cases `function` passes its event to (a module of a service's `use_cases`), with
    the parameter that receives it."""
    names = getattr(getattr(handler, "__func__", handler), "__globals__", {})
    for call in ast.walk(function):
        if not isinstance(call, ast.Call):
            continue
        for position, argument in enumerate(call.args):
            if not (isinstance(argument, ast.Name) and argument.id == event):
                continue
            callee = _resolve(call.func, names)
            if not inspect.isfunction(callee) or ".use_cases" not in callee.__module__:
                continue
            parameters = [a for a in inspect.signature(callee).parameters if a != "self"]
            yield callee, parameters[position]


def _resolve(node: ast.expr, names: Mapping[str, Any]) -> Any:
    """What a called name (`f` or `module.f`) refers to in the handler's module, if it can tell."""
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return getattr(names.get(node.value.id), node.attr, None)
    return None
