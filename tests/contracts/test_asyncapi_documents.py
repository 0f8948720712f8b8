"""Every installed service documents what it consumes and publishes as AsyncAPI 3.0."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rtw_platform.registry import installed_services
from rtw_platform.service import ServiceDefinition, ServiceRuntime
from rtw_platform.topology import Topology

pytestmark = pytest.mark.contracts

SERVICES = installed_services()


def document(definition: ServiceDefinition, **overrides: Any) -> dict[str, Any]:
    return ServiceRuntime(definition, definition.settings(**overrides)).asyncapi()


def channels_by_action(doc: dict[str, Any], action: str) -> list[dict[str, Any]]:
    """The channels that operations of the given action ('send' or 'receive') use."""
    found = []
    for operation in doc["operations"].values():
        if operation["action"] == action:
            name = operation["channel"]["$ref"].removeprefix("#/channels/")
            found.append(doc["channels"][name])
    return found


def payload_schema(doc: dict[str, Any], channel: dict[str, Any]) -> str:
    [message] = channel["messages"].values()
    ref = message["$ref"].removeprefix("#/components/messages/")
    payload_ref: str = doc["components"]["messages"][ref]["payload"]["$ref"]
    return payload_ref.removeprefix("#/components/schemas/")


def test_every_service_is_installed() -> None:
    assert set(SERVICES) >= {"applications", "assessment", "matching", "notifications", "training"}


@pytest.mark.parametrize("name", list(SERVICES))
def test_the_document_is_asyncapi_3_with_the_services_title(name: str) -> None:
    definition = SERVICES[name]
    doc = document(definition)
    assert doc["asyncapi"] == "3.0.0"
    assert doc["info"]["title"] == f"Return to Work: {definition.title}"
    assert doc["info"]["version"] == definition.version


@pytest.mark.parametrize("name", list(SERVICES))
def test_every_published_event_is_listed_by_its_routing_key(name: str) -> None:
    definition = SERVICES[name]
    doc = document(definition)
    sent = {c["address"]: c for c in channels_by_action(doc, "send")}

    assert set(sent) == {event.ROUTING_KEY for event in definition.publishes}
    for event in definition.publishes:
        channel = sent[event.ROUTING_KEY]
        assert channel["bindings"]["amqp"]["exchange"]["name"] == "rtw.events"
        assert payload_schema(doc, channel) == event.__name__
        assert event.__name__ in doc["components"]["schemas"]


@pytest.mark.parametrize("name", list(SERVICES))
def test_every_consumed_event_has_a_channel_on_the_services_queue(name: str) -> None:
    definition = SERVICES[name]
    doc = document(definition)
    received = channels_by_action(doc, "receive")
    topology = Topology(definition.name)

    assert len(received) == len(definition.subscriptions)
    by_queue = {c["bindings"]["amqp"]["queue"]["name"]: c for c in received}
    for subscription in definition.subscriptions:
        channel = by_queue[topology.queue_name(subscription.event)]
        assert channel["address"] == subscription.event.ROUTING_KEY
        assert payload_schema(doc, channel) == subscription.event.__name__


@pytest.mark.parametrize("name", list(SERVICES))
def test_the_document_does_not_reveal_the_brokers_password(name: str) -> None:
    from pydantic import SecretStr

    doc = document(SERVICES[name], amqp_url=SecretStr("amqp://rtw:pa55w0rd-xyz@mq.internal:5672/"))
    text = json.dumps(doc)
    assert "pa55w0rd-xyz" not in text
    assert "mq.internal" in text


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rtw_platform.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", **env},
        check=False,
    )


def test_the_cli_prints_a_services_document() -> None:
    result = _cli("asyncapi", "assessment")

    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed == document(SERVICES["assessment"])


def test_the_cli_refuses_an_unknown_service_naming_the_installed_ones() -> None:
    result = _cli("asyncapi", "payroll")

    assert result.returncode == 2
    assert result.stdout == ""
    assert "payroll" in result.stderr
    for name in SERVICES:
        assert name in result.stderr


def test_the_cli_prints_the_platforms_one_document_on_the_configured_virtual_host() -> None:
    result = _cli("asyncapi", RTW_AMQP_URL="amqp://rtw-x:pa55w0rd-xyz@mq.internal:5672/rtw")

    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["servers"]["production"]["host"] == "mq.internal:5672"
    assert printed["servers"]["production"]["x-vhost"] == "rtw"
    assert printed["servers"]["development"]["x-vhost"] == "/"
    assert "pa55w0rd-xyz" not in result.stdout
    published = {event.ROUTING_KEY for definition in SERVICES.values() for event in definition.publishes}
    assert set(printed["channels"]) >= published


def test_contracts_export_writes_plain_files(tmp_path: Path) -> None:
    result = _cli(
        "contracts", "export", str(tmp_path / "out"), "--production-url", "amqp://mq.example:5672/rtw"
    )

    assert result.returncode == 0, result.stderr
    written = json.loads((tmp_path / "out" / "asyncapi.json").read_text(encoding="utf-8"))
    assert written["servers"]["production"]["pathname"] == "/rtw"
    for channel in written["components"]["messages"].values():
        assert (tmp_path / "out" / channel["payload"]["schema"]["$ref"]).is_file()


@pytest.mark.parametrize(
    ("target", "option", "said"),
    [
        ("a-file", None, "is a file, not a directory"),
        ("out", "http://mq.example/rtw", "not an AMQP URL"),
    ],
)
def test_contracts_export_refuses_in_one_line(
    tmp_path: Path, target: str, option: str | None, said: str
) -> None:
    (tmp_path / "a-file").write_text("x")
    args = ["contracts", "export", str(tmp_path / target)]
    if option:
        args += ["--production-url", option]

    result = _cli(*args)

    assert result.returncode == 2
    assert said in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
