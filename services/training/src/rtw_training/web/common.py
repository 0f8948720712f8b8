"""What the training service's pages share."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from rtw_platform.web import Pages

from ..certificates import CertificateSigner
from ..domain import CPD_KINDS

PAGES = Pages("training", Path(__file__).parent / "templates")


def signer_of(request: Request) -> CertificateSigner:
    """The key this service signs certificates with."""
    signer: CertificateSigner = request.app.state.runtime.state["certificate_signer"]
    return signer


def number(value: float | None) -> str:
    """Hours or days without a needless '.0' (30, 7.5)."""
    return "" if value is None else f"{round(value, 1):g}"


PAGES.environment.filters["number"] = number
PAGES.environment.globals["cpd_kinds"] = CPD_KINDS
