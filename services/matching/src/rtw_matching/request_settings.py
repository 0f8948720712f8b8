"""The service's settings as a request reaches them (for the API and the pages alike)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import Request

from .settings import MatchingSettings


def settings_of(request: Request) -> MatchingSettings:
    """The service's settings."""
    settings: MatchingSettings = request.app.state.settings
    return settings


def link_options(request: Request) -> dict[str, Any]:
    """How long invitation links work (notifications makes them, where it writes the e-mail)."""
    settings = settings_of(request)
    return {"link_ttl": timedelta(minutes=settings.recruiter_link_minutes)}
