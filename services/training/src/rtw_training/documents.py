"""Certificates as a PDF (the page is web/certificates.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fpdf import FPDF


def in_words(day: str | date | None, words: Callable[[date], str] | None = None) -> str:
    """A day as people write it: 4 December 2026 (as given when it is not a date); `words` writes
    it in another language (a page's: `rtw_platform.web.i18n.long_date`)."""
    if day is None:
        return ""
    try:
        parsed = day if isinstance(day, date) else date.fromisoformat(str(day))
    except ValueError:
        return str(day)
    return words(parsed) if words else f"{parsed.day} {parsed:%B %Y}"


def _latin1(text: str) -> str:
    # The PDF's core font is Latin-1; replace what it cannot show rather than fail.
    return text.encode("latin-1", "replace").decode("latin-1")


def certificate_pdf(facts: dict[str, Any], signature: str, *, check_at: str) -> bytes:
    """The certificate as a one-page PDF."""
    pdf = FPDF()
    pdf.set_title(f"Certificate {facts['certificate_id']}")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 22)
    pdf.cell(0, 14, "Certificate of completion", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 12)
    lines = [
        f"Awarded to: {facts['name']}",
        f"Training: {facts['curriculum']}, by {facts['provider']}",
        f"Issued on: {in_words(facts['issued_on'])}",
        "Modules completed: " + "; ".join(facts["modules"]),
        "Skills gained: " + "; ".join(f"{s['skill']} (level {s['level']})" for s in facts["skills"]),
    ]
    if facts.get("cpd_days") is not None:
        lines.append(f"CPD days: {facts['cpd_days']}")
    lines += [f"Certificate number: {facts['certificate_id']}", f"Signature: {signature}"]
    for line in lines:
        pdf.multi_cell(0, 8, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "I", 10)
    pdf.multi_cell(
        0,
        6,
        f"Check that it is genuine at {check_at}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())
