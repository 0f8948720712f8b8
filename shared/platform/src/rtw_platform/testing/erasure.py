"""Checks a service's erasure test makes (docs/privacy.md): after CandidateErased, none of the
service's answers, outbox rows or dead letters holds anything of the person, and its counts are
the numbers they were before.

    traces = PersonTraces.of(candidate_id, application_id, "Zebedee", "zebedee@example.org", answer)
    before = await counts()
    await deliver(erased)
    await assert_answers_without(http, traces, [("/applications/…/decisions", admin), …])
    assert await outbox_rows_with(runtime, traces) == []
    assert_counts_unchanged(before, await counts())
    assert await stored_rows_with(runtime, PersonTraces.of("Zebedee", "zebedee@example.org", answer)) == []
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import text

from ..service import ServiceRuntime


@dataclass(frozen=True)
class PersonTraces:
    """What would give a person away in an answer: their ids, name, e-mail, their own words."""

    values: tuple[str, ...]

    @classmethod
    def of(cls, *values: str | UUID) -> PersonTraces:
        """Traces from ids and texts (blank ones ignored; compared case-insensitively)."""
        return cls(tuple(str(v) for v in values if str(v).strip()))

    def found_in(self, answer: str | bytes) -> list[str]:
        """The traces the answer holds."""
        body = (answer.decode("utf-8", "replace") if isinstance(answer, bytes) else answer).casefold()
        return [value for value in self.values if value.casefold() in body]

    def assert_absent(self, where: str, answer: str | bytes) -> None:
        """Fail, naming where and what, if the answer holds a trace."""
        found = self.found_in(answer)
        assert not found, f"{where} still answers with the erased person: {found}"


Request = tuple[str, Mapping[str, str]]
"""A GET: the path and its headers (who asks)."""


async def assert_answers_without(
    http: httpx.AsyncClient, traces: PersonTraces, requests: Iterable[Request]
) -> list[httpx.Response]:
    """GET each path: it must answer (200, or 404 as for an unknown id; never a 5xx) and hold
    none of the traces. Returns the answers, for further checks."""
    answers = []
    for path, headers in requests:
        answer = await http.get(path, headers=dict(headers))
        assert answer.status_code in (200, 404), f"GET {path} answered {answer.status_code}: {answer.text}"
        traces.assert_absent(f"GET {path}", answer.content)
        answers.append(answer)
    return answers


async def outbox_rows_with(runtime: ServiceRuntime, traces: PersonTraces) -> list[str]:
    """The service's outbox rows (published or not) that hold a trace, as `event_type: payload`."""
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT event_type, correlation_id::text AS correlation, payload::text AS payload"
                f" FROM {runtime.definition.schema}.outbox ORDER BY id"
            )
        )
        return [
            f"{row.event_type}: {row.payload}"
            for row in rows
            if traces.found_in(row.payload) or traces.found_in(row.correlation)
        ]


async def stored_rows_with(runtime: ServiceRuntime, traces: PersonTraces) -> list[str]:
    """Rows of any of the service's tables (the inbox aside: ids only) that hold a trace, as
    `table: row`. Tombstones keep ids by design: look for names, e-mails and words here."""
    schema = runtime.definition.schema
    found = []
    async with runtime.engine.connect() as conn:
        tables = await conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = :schema AND tablename <> 'inbox'"),
            {"schema": schema},
        )
        for (table,) in tables.all():
            rows = await conn.execute(text(f'SELECT t::text AS row FROM {schema}."{table}" t'))
            found += [f"{table}: {row.row}" for row in rows if traces.found_in(row.row)]
    return found


def assert_counts_unchanged(before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
    """Every count a report gives is the number it was before the erasure."""
    changed = {
        key: (before.get(key), after.get(key))
        for key in {*before, *after}
        if before.get(key) != after.get(key)
    }
    assert not changed, f"erasure changed counts (before, after): {changed}"
