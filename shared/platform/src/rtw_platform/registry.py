"""The services installed in this environment (entry point group `rtw.services`)."""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import entry_points

from rtw_contracts import topology as names

from .service import ServiceDefinition
from .topology import Topology

SERVICE_ORDER = ("applications", "assessment", "training", "matching", "notifications")


class UnknownService(LookupError):
    """No installed service has that name."""


def installed_services() -> dict[str, ServiceDefinition]:
    """Every installed service's definition, by name, in the platform's usual order."""
    found: dict[str, ServiceDefinition] = {}
    for entry in entry_points(group="rtw.services"):
        definition = entry.load()
        found[definition.name] = definition
    return dict(sorted(found.items(), key=lambda kv: _order(kv[0])))


def service(name: str) -> ServiceDefinition:
    """One service's definition."""
    services = installed_services()
    if name not in services:
        known = ", ".join(services) or "none"
        raise UnknownService(f"no service called {name!r}; installed: {known}")
    return services[name]


def _order(name: str) -> int:
    return SERVICE_ORDER.index(name) if name in SERVICE_ORDER else len(SERVICE_ORDER)


def consumed_queues(
    prefix: str = "", definitions: Iterable[ServiceDefinition] | None = None
) -> dict[str, str]:
    """Every queue the services consume from under the prefix (full name → owning service)."""
    queues: dict[str, str] = {}
    for definition in installed_services().values() if definitions is None else definitions:
        topology = Topology(definition.name, prefix)
        for subscription in definition.subscriptions:
            queues[topology.queue_name(subscription.event)] = definition.name
    return queues


def declared_names(
    prefix: str = "", definitions: Iterable[ServiceDefinition] | None = None
) -> tuple[set[str], set[str]]:
    """Every queue (with its dead-letter queue) and exchange the services declare under the prefix,
    e.g. to delete them all."""
    queues: set[str] = set()
    owners = consumed_queues(prefix, definitions)
    for queue in owners:
        queues.update({queue, names.dead_letter_queue_name(queue)})
    exchanges = {names.exchange_name(names.EVENTS_EXCHANGE, prefix)}
    exchanges.update(names.dead_letter_exchange_name(owner, prefix) for owner in owners.values())
    every = list(installed_services().values() if definitions is None else definitions)
    exchanges.update(names.publish_exchange_name(d.name, prefix) for d in every if d.publishes)
    return queues, exchanges
