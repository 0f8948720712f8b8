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
