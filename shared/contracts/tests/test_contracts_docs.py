"""docs/events.md is generated from the models and must be committed up to date."""

from __future__ import annotations

from pathlib import Path

import pytest
from rtw_contracts import docs
from rtw_contracts.registry import EVENTS

pytestmark = pytest.mark.contracts

DOCS_FILE = Path(__file__).resolve().parents[3] / "docs" / "events.md"


def test_committed_docs_are_up_to_date() -> None:
    assert DOCS_FILE.is_file(), f"{DOCS_FILE} is missing; run `make docs`"
    assert DOCS_FILE.read_text(encoding="utf-8") == docs.render(), (
        "docs/events.md differs from `python -m rtw_contracts.docs`; run `make docs`"
    )


def test_docs_cover_every_event_and_the_topology() -> None:
    text = docs.render()
    for key, event in EVENTS.items():
        assert f"### {event.__name__}\n" in text
        assert f"- Routing key: `{key}`" in text
        assert f"- Producer: `{event.PRODUCER}`" in text
    for name in ("rtw.events", "rtw.dlx", "x-delivery-limit", ".dlq", "correlation_id"):
        assert name in text


def test_main_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "events.md"
    assert docs.main(["--output", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == docs.render()


SUBSCRIBERS_FILE = DOCS_FILE.parent / "subscribers.md"


def test_the_subscribers_personal_data_table_is_generated_and_up_to_date() -> None:
    from rtw_contracts.docs import personal_data_table, with_table

    text = SUBSCRIBERS_FILE.read_text(encoding="utf-8")
    assert with_table(text) == text, "docs/subscribers.md's table is stale; run `make docs`"
    assert personal_data_table() in text
    assert personal_data_table() in DOCS_FILE.read_text(encoding="utf-8")
    for key in (
        "candidate.sign-in-requested.v2",
        "application.second-stage-submitted.v1",
        "assessment.scored.v1",
    ):
        assert f"| `{key}` |" in personal_data_table()


def test_main_updates_the_subscribers_table(tmp_path: Path) -> None:
    from rtw_contracts.docs import (
        PERSONAL_DATA_TABLE_END,
        PERSONAL_DATA_TABLE_START,
        main,
        personal_data_table,
    )

    page = tmp_path / "subscribers.md"
    page.write_text(
        f"before\n{PERSONAL_DATA_TABLE_START}\nold\n{PERSONAL_DATA_TABLE_END}\nafter\n", encoding="utf-8"
    )
    assert main(["--subscribers", str(page), "--output", str(tmp_path / "events.md")]) == 0
    text = page.read_text(encoding="utf-8")
    assert "old" not in text
    assert personal_data_table() in text
    assert text.startswith("before\n")
    assert text.endswith("after\n")
    page.write_text("no markers\n", encoding="utf-8")
    assert main(["--subscribers", str(page), "--output", str(tmp_path / "events.md")]) == 1


def test_the_obligations_state_their_periods() -> None:
    from rtw_contracts.envelope import DEPRECATION_DAYS

    text = SUBSCRIBERS_FILE.read_text(encoding="utf-8")
    assert "within 30 days of its `erased_at`" in text
    assert "**24 months after its final outcome**" in text
    assert f"**The deprecation period is {DEPRECATION_DAYS} days**" in text
    assert f"**The deprecation period is {DEPRECATION_DAYS} days**" in DOCS_FILE.read_text(encoding="utf-8")
