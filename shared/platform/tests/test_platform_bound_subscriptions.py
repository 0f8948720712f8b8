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
        return (Subscription(PROBE_EVENT, record_effect, "record_effect"),)

    definition = dataclasses.replace(probe_definition(), bind_subscriptions=bind)
    settings = ServiceSettings()
    [bound] = definition.subscriptions_for(settings)
    assert bound.handler is record_effect
    assert seen == [settings]


def test_a_binding_under_another_inbox_key_is_refused() -> None:
    async def record_effect(event: Any, uow: Any) -> None:
        """Another key: redelivered messages would be handled twice."""

    definition = dataclasses.replace(
        probe_definition(),
        bind_subscriptions=lambda _: (Subscription(PROBE_EVENT, record_effect, "another_key"),),
    )
    with pytest.raises(ValueError, match="differ from the listed"):
        definition.subscriptions_for(ServiceSettings())


def test_a_renamed_handler_keeps_its_declared_inbox_key() -> None:
    async def renamed(event: Any, uow: Any) -> None:
        """Another function name, the same declared key: the inbox still knows what it handled."""

    definition = dataclasses.replace(
        probe_definition(),
        bind_subscriptions=lambda _: (Subscription(PROBE_EVENT, renamed, "record_effect"),),
    )
    [bound] = definition.subscriptions_for(ServiceSettings())
    assert (bound.handler, bound.key) == (renamed, "record_effect")


@pytest.mark.parametrize("key", ["", "Record", "record effect", "record-effect", "x" * 101])
def test_an_inbox_key_is_a_short_lower_case_name(key: str) -> None:
    async def record_effect(event: Any, uow: Any) -> None:
        """Any handler."""

    with pytest.raises(ValueError, match="inbox key"):
        Subscription(PROBE_EVENT, record_effect, key)
