"""The composition root binds a service's handlers to the process's settings
(`ServiceDefinition.bind_subscriptions`); the bound ones must be the listed ones."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import pytest
from rtw_platform.messaging import Subscription
from rtw_platform.settings import ServiceSettings
from rtw_platform.testing.probe import PROBE_EVENT, probe_definition

pytestmark = pytest.mark.unit


def test_without_a_binding_the_listed_subscriptions_run() -> None:
    definition = probe_definition()
    assert definition.subscriptions_for(ServiceSettings()) is definition.subscriptions


def test_the_handlers_are_bound_to_the_settings_of_the_process() -> None:
    seen: list[ServiceSettings] = []

    async def record_effect(event: Any, uow: Any) -> None:
        """Bound: same event, same name as the listed handler."""

    def bind(settings: ServiceSettings) -> Sequence[Subscription]:
        seen.append(settings)
        return (Subscription(PROBE_EVENT, record_effect),)

    definition = dataclasses.replace(probe_definition(), bind_subscriptions=bind)
    settings = ServiceSettings()
    [bound] = definition.subscriptions_for(settings)
    assert bound.handler is record_effect
    assert seen == [settings]


def test_a_binding_that_renames_a_handler_is_refused() -> None:
    async def renamed(event: Any, uow: Any) -> None:
        """Another name: another inbox key, so redelivered messages would be handled twice."""

    definition = dataclasses.replace(
        probe_definition(), bind_subscriptions=lambda _: (Subscription(PROBE_EVENT, renamed),)
    )
    with pytest.raises(ValueError, match="differ from the listed"):
        definition.subscriptions_for(ServiceSettings())
