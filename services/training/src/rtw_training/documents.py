"""Certificates as a page and as a PDF."""

from __future__ import annotations

from typing import Any

from fpdf import FPDF
from jinja2 import Environment, select_autoescape

_ENV = Environment(autoescape=select_autoescape(default=True))

_PAGE = _ENV.from_string(
    """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Certificate {{ facts.certificate_id }}</title>
<style>
 body { font-family: Arial, sans-serif; margin: 2rem; color: #0b0c0c; max-width: 48rem; }
 .valid { border-left: 6px solid #00703c; padding: .5rem 1rem; background: #f3f2f1; }
 .invalid { border-left: 6px solid #d4351c; padding: .5rem 1rem; background: #f3f2f1; }
 dt { font-weight: bold; margin-top: .75rem; }
 code { word-break: break-all; }
</style></head>
<body>
<main>
<h1>Certificate of completion</h1>
{% if revoked %}
<p class="invalid">This certificate was withdrawn.</p>
{% elif valid %}
<p class="valid">This certificate is genuine: its signature matches the platform's published key.</p>
{% else %}
<p class="invalid">This certificate's signature does not match: it may have been altered.</p>
{% endif %}
{% if not revoked %}
<dl>
 <dt>Awarded to</dt><dd>{{ facts.name }}</dd>
 <dt>Training</dt><dd>{{ facts.curriculum }}, by {{ facts.provider }}</dd>
 <dt>Issued on</dt><dd>{{ facts.issued_on }}</dd>
 <dt>Modules completed</dt><dd><ul>{% for m in facts.modules %}<li>{{ m }}</li>{% endfor %}</ul></dd>
 <dt>Skills gained</dt><dd><ul>{% for s in facts.skills %}
  <li>{{ s.skill }} (level {{ s.level }} of 4)</li>{% endfor %}</ul></dd>
 {% if facts.cpd_days is not none %}<dt>CPD days</dt><dd>{{ facts.cpd_days }}</dd>{% endif %}
 <dt>Certificate id</dt><dd><code>{{ facts.certificate_id }}</code></dd>
 <dt>Signature</dt><dd><code>{{ signature }}</code></dd>
</dl>
<p><a href="{{ facts.certificate_id }}.pdf">Download as PDF</a> ·
<a href="public-key">The public key to check it yourself</a></p>
{% endif %}
</main>
</body></html>"""
)


def certificate_page(facts: dict[str, Any], signature: str, *, valid: bool, revoked: bool) -> str:
    """The certificate as an HTML page that says whether it verifies."""
    return _PAGE.render(facts=facts, signature=signature, valid=valid, revoked=revoked)


def _latin1(text: str) -> str:
    # The PDF's core font is Latin-1; replace what it cannot show rather than fail.
    return text.encode("latin-1", "replace").decode("latin-1")


def certificate_pdf(facts: dict[str, Any], signature: str) -> bytes:
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
        f"Issued on: {facts['issued_on']}",
        "Modules completed: " + "; ".join(facts["modules"]),
        "Skills gained: " + "; ".join(f"{s['skill']} (level {s['level']})" for s in facts["skills"]),
    ]
    if facts.get("cpd_days") is not None:
        lines.append(f"CPD days: {facts['cpd_days']}")
    lines += [f"Certificate id: {facts['certificate_id']}", f"Signature: {signature}"]
    for line in lines:
        pdf.multi_cell(0, 8, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "I", 10)
    pdf.multi_cell(
        0,
        6,
        f"Check it at /certificates/{facts['certificate_id']} on the platform.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())
