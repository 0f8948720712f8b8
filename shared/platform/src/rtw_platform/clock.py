"""The platform's one clock. Every "now" is an aware UTC datetime and every "today" the UTC date
(the API, the pages and the events count days alike: a cohort's window, a closing date), read
here and nowhere else; what people read is shown in the UK's wall-clock time (`UK_TIME`), never
the server's own zone (a container's is often UTC, a laptop's is not)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

UK_TIME = ZoneInfo("Europe/London")


def now() -> datetime:
    """This moment, in UTC."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in UTC, as the platform counts days."""
    return now().date()
