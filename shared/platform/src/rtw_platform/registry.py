"""The services installed in this environment (entry point group `rtw.services`)."""

from __future__ import annotations

from importlib.metadata import entry_points

from .service import ServiceDefinition

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
