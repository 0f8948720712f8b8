"""What the training service's pages share."""

from __future__ import annotations

from pathlib import Path

from rtw_platform.web import Pages

from ..certificates import signer_of as signer_of
from ..domain import CPD_KINDS

PAGES = Pages("training", Path(__file__).parent / "templates")


def number(value: float | None) -> str:
    """Hours or days without a needless '.0' (30, 7.5)."""
    return "" if value is None else f"{round(value, 1):g}"


PAGES.environment.filters["number"] = number
PAGES.environment.globals["cpd_kinds"] = CPD_KINDS
