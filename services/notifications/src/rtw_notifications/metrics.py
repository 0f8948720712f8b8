"""The notifications service's own metrics."""

from __future__ import annotations

from prometheus_client import Counter

EMAILS = Counter(
    "rtw_emails_total",
    "E-mail attempts by outcome: sent (the mail server or Notify took it), retried (a transient "
    "failure, tried again later), failed (given up for good), bounced (Notify's receipt said it "
    "could not be delivered).",
    ["outcome"],
)
