"""The platform's one AsyncAPI document, and the export of it with every schema as plain files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from rtw_contracts.asyncapi import ExportError, Server, document, export, load, server_from_url
from rtw_contracts.examples import example
from rtw_contracts.personal_data import routing_keys_with_personal_data
from rtw_contracts.registry import EVENTS

pytestmark = pytest.mark.contracts

SERVERS = {
    "production": server_from_url("amqp://rtw-x:s3cret-pw@rabbitmq.internal:5672/rtw", "Production."),
    "development": server_from_url("amqp://guest:guest@127.0.0.1:5672/", "Development."),
}


def test_a_server_takes_its_host_and_virtual_host_from_the_url_and_never_its_credentials() -> None:
    assert SERVERS["production"] == Server("rabbitmq.internal:5672", "rtw", "Production.")
    assert SERVERS["development"].vhost == "/"
    assert server_from_url("amqps://mq/%2Fodd", "x") == Server("mq:5671", "/odd", "x", "amqps")
    with pytest.raises(ExportError, match="not an AMQP URL"):
        server_from_url("http://mq/rtw", "x")


def test_one_document_has_every_routing_key_on_both_servers() -> None:
    doc = document(SERVERS, version="1.2.3")

    assert doc["asyncapi"] == "3.0.0"
    assert doc["info"]["version"] == "1.2.3"
    assert set(doc["channels"]) == set(EVENTS)
    assert doc["servers"]["production"]["pathname"] == "/rtw"
    assert doc["servers"]["development"]["pathname"] == "/"
    assert "s3cret-pw" not in json.dumps(doc)
    for key, channel in doc["channels"].items():
        assert channel["address"] == key
        assert channel["bindings"]["amqp"]["exchange"]["name"] == "rtw.events"
        assert {ref["$ref"] for ref in channel["servers"]} == {
            "#/servers/production",
            "#/servers/development",
        }
    sent = {op["channel"]["$ref"].removeprefix("#/channels/") for op in doc["operations"].values()}
    assert sent == set(EVENTS)
    assert {op["action"] for op in doc["operations"].values()} == {"send"}


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_every_reference_in_the_document_resolves() -> None:
    doc = document(SERVERS, version="1.0.0")
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    assert refs
    for ref in refs:
        assert _resolve(doc, ref) is not None, ref


def test_the_correlation_id_is_where_it_really_is() -> None:
    doc = document(SERVERS, version="1.0.0")
    for message in doc["components"]["messages"].values():
        correlation = message["correlationId"]
        assert correlation["location"] == "$message.payload#/correlation_id"  # no such header exists
        assert "AMQP message property `correlation_id`" in correlation["description"]
        assert message["x-amqp-properties"]["correlation_id"].startswith("the event's `correlation_id`")


def test_messages_say_their_order_and_their_personal_data() -> None:
    messages = document(SERVERS, version="1.0.0")["components"]["messages"]
    personal = routing_keys_with_personal_data()
    for key, event in EVENTS.items():
        message = messages[event.__name__]
        assert message["x-sequence-of"] == event.SEQUENCE_OF
        assert message["x-personal-data"] == personal.get(key, {})
        assert message.get("deprecated", False) == event.is_deprecated()


def test_the_export_is_plain_json_a_validator_without_the_platform_can_use(tmp_path: Path) -> None:
    written = export(tmp_path / "out", SERVERS, version="1.0.0")

    assert len(written) == len(EVENTS) + 1
    doc = load(tmp_path / "out")
    for key, event in EVENTS.items():
        [message_ref] = doc["channels"][key]["messages"].values()
        message = _resolve(doc, message_ref["$ref"])
        schema_file = tmp_path / "out" / message["payload"]["schema"]["$ref"]
        schema = json.loads(schema_file.read_text(encoding="utf-8"))
        assert schema["$id"] == message["x-schema-id"] == f"urn:rtw:event:{key}"
        body = json.loads(example(event).model_dump_json())
        Draft202012Validator(schema).validate(body)
        without = {name: value for name, value in body.items() if name != "event_id"}
        assert list(Draft202012Validator(schema).iter_errors(without))  # the schema does check


def test_the_export_refuses_a_file_in_one_line(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(ExportError, match="is a file, not a directory"):
        export(target, SERVERS, version="1.0.0")


def test_the_amqp_properties_say_who_published_as_the_publisher_sets_them() -> None:
    """`app_id` is the producing service's name (`applications`, as `producer`), not its broker
    user; `user_id`, the one a subscriber can believe, is documented."""
    for message in document(SERVERS, version="1.0.0")["components"]["messages"].values():
        properties = message["x-amqp-properties"]
        assert "rtw-" not in properties["app_id"]
        assert "`producer`" in properties["app_id"]
        assert "`rtw-<producing service>`" in properties["user_id"]
        assert "RabbitMQ" in properties["user_id"]
