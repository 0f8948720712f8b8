"""Marking words for translation where they are written (rules, tables of names) without
translating them there: `N_("Application received")` is extracted into the Welsh catalogue
(`make translations`) and translated where a page shows it (`rtw_platform.web.i18n`). It has no
dependency, so pure rules (a service's `domain`) can mark their words too."""

from __future__ import annotations

__all__ = ["N_"]


def N_(message: str) -> str:
    """Mark words for the catalogue without translating them now (they are translated where shown)."""
    return message
