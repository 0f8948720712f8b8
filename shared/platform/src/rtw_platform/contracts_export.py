"""The platform's AsyncAPI document and schemas for outside teams, on the configured brokers.

The production server is the broker of ``RTW_AMQP_URL`` (compose and Kubernetes give it the
virtual host ``rtw``), or the URL passed; the development server is the one ``make run`` uses
(:data:`~rtw_platform.settings.DEFAULT_AMQP_URL`, the default virtual host ``/``). Each server's
virtual host is read from its URL, so the document says what the configuration says.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from rtw_contracts.asyncapi import Server, document, export, server_from_url

from .settings import DEFAULT_AMQP_URL, ServiceSettings

__all__ = ["export_contracts", "platform_document", "platform_servers"]


def _contracts_version() -> str:
    try:
        return version("rtw-contracts")
    except PackageNotFoundError:  # pragma: no cover - a bare source tree
        return "0.0.0"


def platform_servers(settings: ServiceSettings, production_url: str | None = None) -> dict[str, Server]:
    """The production and development servers, from configuration."""
    production = production_url or settings.amqp_url.get_secret_value()
    return {
        "production": server_from_url(production, "The platform's broker (RTW_AMQP_URL)."),
        "development": server_from_url(DEFAULT_AMQP_URL, "A developer's broker under `make run`."),
    }


def platform_document(settings: ServiceSettings, production_url: str | None = None) -> dict[str, Any]:
    """The platform's one AsyncAPI 3.0 document."""
    return document(platform_servers(settings, production_url), version=_contracts_version())


def export_contracts(
    directory: Path, settings: ServiceSettings, *, production_url: str | None = None
) -> list[Path]:
    """Write the schemas and the document under `directory`; the files written."""
    return export(directory, platform_servers(settings, production_url), version=_contracts_version())
