"""What the applications service's pages share."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from rtw_platform.web import Pages

from ..access import TokenIssuer, issuer_for
from ..settings import ApplicationsSettings

PAGES = Pages("applications", Path(__file__).parent / "templates")


def settings_of(request: Request) -> ApplicationsSettings:
    """The service's settings."""
    settings: ApplicationsSettings = request.app.state.settings
    return settings


def issuer_of(request: Request) -> TokenIssuer:
    """The service's token issuer."""
    return issuer_for(settings_of(request))
