"""Bulk import of applications from CSV (e.g. a partner's paper or legacy-system applications).

One row is one whole application. Lists inside a cell are separated by semicolons; skills are
`Skill name:level` (level 1 to 4). Each row's import key is derived from its cohort and e-mail,
keyed with the service's secret (nobody else can compute it) and bound to the import as its
caller, so running the same file twice imports nothing the second time and nobody can replay a
row's key through the API to learn anything.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import hmac
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from rtw_platform.auth import Principal, Role
from rtw_platform.errors import AlreadyApplied, Refusal
from rtw_platform.http import describe_validation_errors
from rtw_platform.uow import UnitOfWorkFactory
from sqlalchemy.exc import IntegrityError

from .access import TokenIssuer
from .api_models import NewApplication
from .intake import submit_newcomers, submit_whole
from .models import Application

COLUMNS = (
    "cohort_id",
    "given_name",
    "family_name",
    "email",
    "phone",
    "preferred_language",
    "postcode_district",
    "right_to_work",
    "career_break_start",
    "career_break_end",
    "career_break_reason",
    "years_experience",
    "professional_body",
    "registration_number",
    "last_practised",
    "specialisms",
    "skills",
    "flexible_working",
    "max_travel_km",
    "visible_to_regions",
    "visible_to_councils",
    "earliest_start",
    "privacy_notice_version",
    "consent_to_processing",
)
REQUIRED_COLUMNS = ("cohort_id", "email")
_TRUE = {"yes", "y", "true", "1"}
_FALSE = {"no", "n", "false", "0"}


class ImportFileProblem(ValueError):
    """The file as a whole cannot be read (missing columns, not CSV)."""


@dataclass
class ImportReport:
    """What an import did, row by row."""

    imported: int = 0
    already_imported: int = 0
    rejected: list[tuple[int, dict[str, str], str]] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return self.imported + self.already_imported + len(self.rejected)

    def add(self, other: ImportReport) -> None:
        """Count another part of the same import in this one."""
        self.imported += other.imported
        self.already_imported += other.already_imported
        self.rejected.extend(other.rejected)
        self.reasons.update(other.reasons)


def _cells(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def _bool(value: str | None) -> bool | str | None:
    """yes/no in any usual spelling; anything else is passed on for validation to name."""
    text = (value or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return text or None


def _skills(value: str | None) -> list[dict[str, Any]]:
    claims = []
    for cell in _cells(value):
        name, _, level = cell.rpartition(":")
        claims.append(
            {"skill": name.strip(), "level": level.strip()} if name else {"skill": cell, "level": None}
        )
    return claims


def row_to_form(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as the JSON an API client would send."""

    def text(name: str) -> str | None:
        value = (row.get(name) or "").strip()
        return value or None

    form: dict[str, Any] = {
        "cohort_id": text("cohort_id"),
        "email": text("email"),
        "given_name": text("given_name"),
        "family_name": text("family_name"),
        "phone": text("phone"),
        "preferred_language": text("preferred_language") or "en",
        "postcode_district": text("postcode_district"),
        "right_to_work": _bool(row.get("right_to_work")),
        "career_break": {
            "start": text("career_break_start"),
            "end": text("career_break_end"),
            "reason": text("career_break_reason"),
        },
        "years_experience": text("years_experience"),
        "specialisms": _cells(row.get("specialisms")),
        "skills": _skills(row.get("skills")),
        "work_preferences": {
            "flexible_working": _cells(row.get("flexible_working")),
            "max_travel_km": text("max_travel_km"),
            "visible_to_regions": _cells(row.get("visible_to_regions")),
            "visible_to_councils": _cells(row.get("visible_to_councils")),
            "earliest_start": text("earliest_start"),
        },
        "privacy_notice_version": text("privacy_notice_version"),
        "consent_to_processing": _bool(row.get("consent_to_processing")),
    }
    if text("professional_body"):
        form["professional_registration"] = {
            "body": text("professional_body"),
            "registration_number": text("registration_number"),
            "last_practised": text("last_practised"),
        }
    return {k: v for k, v in form.items() if v is not None}


#: Who the bulk import applies as: an admin (a programme operator runs it), so its keys are bound
#: to it and it may apply for people already known (their rows are answered as an API client is).
IMPORTER = Principal(subject="bulk-import", role=Role.ADMIN)


def import_key(row: dict[str, str], secret: str) -> str:
    """The row's idempotency key: the same cohort and e-mail give the same key, which only someone
    holding the service's secret can compute."""
    identity = f"{(row.get('cohort_id') or '').strip()}|{(row.get('email') or '').strip().lower()}"
    digest = hmac.new(secret.encode(), identity.encode(), hashlib.sha256).hexdigest()
    return "import:" + digest[:40]


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for every data row; refuses a file without the needed columns."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise ImportFileProblem(
                f"{path} has no column {', '.join(missing)}; the columns are: {', '.join(COLUMNS)}"
            )
        unknown = [c for c in header if c not in COLUMNS]
        if unknown:
            raise ImportFileProblem(f"{path} has unknown columns: {', '.join(unknown)}")
        for row in reader:
            yield reader.line_num, row


BATCH_ROWS = 250
"""Rows submitted in one transaction when they are plain new applications."""


async def import_file(
    path: Path,
    uow_factory: UnitOfWorkFactory,
    issuer: TokenIssuer,
    *,
    today: date | None = None,
    concurrency: int = 4,
    batch_rows: int = BATCH_ROWS,
    on_row: Callable[[], Awaitable[None] | None] | None = None,
) -> ImportReport:
    """Import every row; a bad row spoils nothing else.

    Rows go in batches: the plain ones (a new person, an open cohort, nothing missing) are
    submitted together in one transaction; every other row, and every row of a batch whose
    transaction fails, is submitted on its own, answered exactly as an API client would be.
    """
    return await import_rows(
        list(read_rows(path)),
        uow_factory,
        issuer,
        today=today,
        concurrency=concurrency,
        batch_rows=batch_rows,
        on_row=on_row,
    )


async def import_rows(
    rows: list[tuple[int, dict[str, str]]],
    uow_factory: UnitOfWorkFactory,
    issuer: TokenIssuer,
    *,
    today: date | None = None,
    concurrency: int = 4,
    batch_rows: int = BATCH_ROWS,
    on_row: Callable[[], Awaitable[None] | None] | None = None,
) -> ImportReport:
    """Import these (line number, row) pairs, as `import_file` does."""
    today = today or datetime.now(UTC).date()
    report = ImportReport()
    semaphore = asyncio.Semaphore(concurrency)

    async def counted(line: int, row: dict[str, str], outcome: str) -> None:
        if outcome == "imported":
            report.imported += 1
        elif outcome == "already":
            report.already_imported += 1
        else:
            report.rejected.append((line, row, outcome))
            report.reasons[outcome.split(":")[0]] += 1
        if on_row is not None:
            result = on_row()
            if result is not None:
                await result

    async def batch(lines: list[tuple[int, dict[str, str]]]) -> None:
        async with semaphore:
            valid: list[tuple[int, dict[str, str], NewApplication]] = []
            for line, row in lines:
                command_or_problem = _command(row)
                if isinstance(command_or_problem, str):
                    await counted(line, row, command_or_problem)
                else:
                    valid.append((line, row, command_or_problem))
            one_by_one = await _submit_batch(valid, uow_factory, issuer.secret, today)
            for position, (line, row, _) in enumerate(valid):
                if position not in one_by_one:
                    await counted(line, row, "imported")
            for position in sorted(one_by_one):
                line, row, command = valid[position]
                await counted(line, row, await _import_row(row, command, uow_factory, issuer, today))

    await asyncio.gather(*(batch(rows[i : i + batch_rows]) for i in range(0, len(rows), batch_rows)))
    report.rejected.sort(key=lambda item: item[0])
    return report


def _command(row: dict[str, str]) -> NewApplication | str:
    """The row as an application, or what is wrong with it."""
    try:
        return NewApplication.model_validate(row_to_form(row))
    except ValidationError as exc:
        return "; ".join(f"{p['field']}: {p['message']}" for p in describe_validation_errors(exc.errors()))


async def _submit_batch(
    valid: list[tuple[int, dict[str, str], NewApplication]],
    uow_factory: UnitOfWorkFactory,
    secret: str,
    today: date,
) -> set[int]:
    """Submit the plain rows together; the positions of the rows to submit one at a time."""
    if not valid:
        return set()
    try:
        async with uow_factory() as uow:
            return set(
                await submit_newcomers(
                    [(command, import_key(row, secret)) for _, row, command in valid],
                    uow,
                    caller=IMPORTER,
                    today=today,
                )
            )
    except IntegrityError:
        # A concurrent batch or request took one of these people first: go one at a time.
        return set(range(len(valid)))


async def _import_row(
    row: dict[str, str],
    command: NewApplication,
    uow_factory: UnitOfWorkFactory,
    issuer: TokenIssuer,
    today: date,
) -> str:
    key = import_key(row, issuer.secret)
    async with uow_factory() as uow:
        try:
            application = await submit_whole(
                command, uow, issuer, caller=IMPORTER, client_request_id=key, today=today
            )
        except AlreadyApplied as exc:
            return f"already applied: {exc.message}"
        except Refusal as exc:
            problems = getattr(exc, "problems", None)
            if problems:
                return "; ".join(f"{f}: {m}" for f, m in problems)
            return exc.message
    # An earlier run's row is found by its key and returned without a new commit.
    assert isinstance(application, Application)  # an admin is answered with the application
    return "imported" if uow.committed and application.reference else "already"


def write_rejected(path: Path, report: ImportReport) -> None:
    """The rejected rows with their line numbers and reasons, to fix and import again."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["line", "reasons", *COLUMNS], extrasaction="ignore")
        writer.writeheader()
        for line, row, reason in report.rejected:
            writer.writerow({"line": line, "reasons": reason, **row})
