"""One AsyncAPI 3.0 document of every event the platform publishes, for teams outside it.

It lists every routing key as a channel on the ``rtw.events`` topic exchange, one ``send``
operation per event (the platform sends; a subscriber receives from a queue of its own), each
message's AMQP properties, its ordering (``x-sequence-of``) and its personal data
(``x-personal-data``), and the servers (production and development) with their virtual hosts,
taken from the AMQP URLs the caller passes (credentials are never copied). The payloads refer to
the JSON Schema files by relative path (``schemas/<routing key>.json``), which :func:`export`
writes beside the document: a team without Python reads both as plain JSON.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from rtw_contracts.envelope import Event
from rtw_contracts.personal_data import personal_data_fields
from rtw_contracts.registry import EVENTS
from rtw_contracts.schemas import current_schema, render
from rtw_contracts.topology import EVENTS_EXCHANGE, EVENTS_EXCHANGE_TYPE

__all__ = ["DOCUMENT_NAME", "SCHEMAS_DIR", "ExportError", "Server", "document", "export", "server_from_url"]

DOCUMENT_NAME = "asyncapi.json"
"""The document's file name in an export."""
SCHEMAS_DIR = "schemas"
"""The directory of the JSON Schema files in an export, beside the document."""

_AMQP_PROPERTIES = {
    "message_id": "the event's `event_id` (your de-duplication key)",
    "correlation_id": "the event's `correlation_id` (the journey: for a candidate, the application's id)",
    "type": "the event's `event_type`",
    "app_id": "the producing service's name, as the event's `producer` (`session.ended.v1`: the service)",
    "user_id": "the publishing service's broker user, `rtw-<producing service>`; RabbitMQ refuses any "
    "other than the publisher's own: believe a message only if it is its producer's",
    "timestamp": "when the event entered the producer's outbox",
    "content_type": "`application/json`",
    "delivery_mode": "2 (persistent)",
}


class ExportError(ValueError):
    """The export cannot be written where asked (said in one line)."""


@dataclass(frozen=True)
class Server:
    """A broker the events can be read from: where, and in which virtual host."""

    host: str
    vhost: str
    description: str
    protocol: str = "amqp"

    def as_asyncapi(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "protocol": self.protocol,
            "protocolVersion": "0.9.1",
            # The AMQP URL's path is the virtual host ("/rtw" is vhost "rtw", "/" the default one).
            "pathname": "/" if self.vhost == "/" else f"/{self.vhost}",
            "description": f"{self.description} Virtual host `{self.vhost}`.",
            "x-vhost": self.vhost,
        }


def server_from_url(url: str, description: str) -> Server:
    """The server of an AMQP URL (``amqp://user:password@host:5672/vhost``), without its
    credentials; an empty path is the default virtual host ``/``."""
    parts = urlsplit(url)
    if parts.scheme not in {"amqp", "amqps"} or not parts.hostname:
        raise ExportError(f"not an AMQP URL (amqp://host:port/vhost): {parts.scheme or '?'}://…")
    port = parts.port or (5671 if parts.scheme == "amqps" else 5672)
    path = parts.path[1:] if parts.path.startswith("/") else parts.path
    vhost = unquote(path) or "/"
    return Server(
        host=f"{parts.hostname}:{port}", vhost=vhost, description=description, protocol=parts.scheme
    )


def _message(event: type[Event]) -> dict[str, Any]:
    personal = personal_data_fields(event)
    message: dict[str, Any] = {
        "name": event.__name__,
        "title": f"{event.EVENT_TYPE} v{event.EVENT_VERSION}",
        "summary": inspect.cleandoc(event.__doc__ or "").split("\n\n", 1)[0],
        "contentType": "application/json",
        "payload": {
            "schemaFormat": "application/schema+json;version=draft-2020-12",
            "schema": {"$ref": f"{SCHEMAS_DIR}/{event.ROUTING_KEY}.json"},
        },
        "correlationId": {
            "description": "The journey the event belongs to: the AMQP message property "
            "`correlation_id`, equal to the body's `correlation_id` (which this location names; "
            "AsyncAPI's runtime expressions reach headers and the payload, not AMQP properties). "
            "There are no custom headers.",
            "location": "$message.payload#/correlation_id",
        },
        "bindings": {
            "amqp": {"contentEncoding": "utf-8", "messageType": event.EVENT_TYPE, "bindingVersion": "0.3.0"}
        },
        "x-amqp-properties": dict(_AMQP_PROPERTIES),
        "x-schema-id": current_schema(event)["$id"],
        "x-sequence-of": event.SEQUENCE_OF,
        "x-sequence-key": list(event.SEQUENCE_KEY),
        "x-personal-data": personal,
    }
    if event.is_deprecated():
        message["deprecated"] = True
        message["x-superseded-by"] = event.SUPERSEDED_BY
        message["x-retires-on"] = event.RETIRES_ON.isoformat() if event.RETIRES_ON else None
    return message


def document(servers: Mapping[str, Server], *, version: str) -> dict[str, Any]:
    """The platform's AsyncAPI 3.0 document: every routing key, on the given servers."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for key, event in EVENTS.items():
        name = event.__name__
        messages[name] = _message(event)
        channels[key] = {
            "address": key,
            "title": f"{key} ({event.PRODUCER})",
            "servers": [{"$ref": f"#/servers/{server}"} for server in servers],
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
            "bindings": {
                "amqp": {
                    "is": "routingKey",
                    "exchange": {
                        "name": EVENTS_EXCHANGE,
                        "type": EVENTS_EXCHANGE_TYPE,
                        "durable": True,
                        "autoDelete": False,
                    },
                    "bindingVersion": "0.3.0",
                }
            },
        }
        operations[f"send{name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{key}"},
            "summary": f"{event.PRODUCER} publishes {event.EVENT_TYPE} v{event.EVENT_VERSION}.",
            "messages": [{"$ref": f"#/channels/{key}/messages/{name}"}],
            "bindings": {"amqp": {"deliveryMode": 2, "bindingVersion": "0.3.0"}},
        }
    return {
        "asyncapi": "3.0.0",
        "id": "urn:rtw:events",
        "info": {
            "title": "Return to Work platform events",
            "version": version,
            "description": "Every event the platform publishes to the topic exchange "
            f"`{EVENTS_EXCHANGE}`, by routing key. Bind a queue of your own to the keys you need; "
            "see docs/subscribers.md for what you may rely on and what you must do with "
            "personal data (`x-personal-data` on each message).",
        },
        "defaultContentType": "application/json",
        "servers": {name: server.as_asyncapi() for name, server in servers.items()},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def export(directory: Path, servers: Mapping[str, Server], *, version: str) -> list[Path]:
    """Write the document and every schema as plain JSON files under ``directory`` (created if
    missing; files already there are overwritten). Returns the files written."""
    if directory.exists() and not directory.is_dir():
        raise ExportError(f"{directory} is a file, not a directory")
    try:
        (directory / SCHEMAS_DIR).mkdir(parents=True, exist_ok=True)
        written = []
        for key, event in EVENTS.items():
            path = directory / SCHEMAS_DIR / f"{key}.json"
            path.write_text(render(current_schema(event)), encoding="utf-8")
            written.append(path)
        path = directory / DOCUMENT_NAME
        path.write_text(render(document(servers, version=version)), encoding="utf-8")
        written.append(path)
    except OSError as exc:
        raise ExportError(f"cannot write to {directory}: {exc.strerror or exc}") from None
    return written


def load(directory: Path) -> dict[str, Any]:
    """Read an exported document back (for checks and tests)."""
    loaded: dict[str, Any] = json.loads((directory / DOCUMENT_NAME).read_text(encoding="utf-8"))
    return loaded
