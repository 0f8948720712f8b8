"""Bulk import of applications from CSV, and the operator's `rtw applications` commands, against
the real test database."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import json
import os
import re
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from rtw_applications.access import TokenIssuer
from rtw_applications.api_models import NewApplication
from rtw_applications.app import SERVICE
from rtw_applications.bulk_import import (
    COLUMNS,
    IMPORTER,
    ImportReport,
    _command,
    import_file,
    import_key,
    import_rows,
    read_rows,
)
from rtw_applications.bulk_import_processes import import_in_processes, shares
from rtw_applications.intake import submit_newcomers, submit_whole
from rtw_applications.models import REGISTRY
from rtw_applications.settings import ApplicationsSettings
from rtw_applications.testing import application_form, bearer_for, insert_cohort, submitted_application
from rtw_platform.auth import Role
from rtw_platform.db import asyncpg_dsn, create_engine
from rtw_platform.testing.fixtures import app_for
from rtw_platform.uow import UnitOfWorkFactory

pytestmark = pytest.mark.component

ISSUER = TokenIssuer(secret="x" * 40, access_hours=12.0, link_minutes=30)


def good_row(**overrides: str) -> dict[str, str]:
    """A complete, valid ICT application as one CSV row."""
    row = {
        "cohort_id": "ict-test",
        "given_name": "Amara",
        "family_name": "Okafor",
        "email": "amara.okafor@example.org",
        "phone": "01632 960 001",
        "preferred_language": "en",
        "postcode_district": "ws1",
        "right_to_work": "yes",
        "career_break_start": "2022-03",
        "career_break_end": "2025-12",
        "career_break_reason": "caring",
        "years_experience": "8",
        "professional_body": "",
        "registration_number": "",
        "last_practised": "",
        "specialisms": "software_developer; data_analyst",
        "skills": "Programming and build (software engineering):3;Data visualisation:2",
        "flexible_working": "part_time;hybrid",
        "max_travel_km": "30",
        "visible_to_regions": "west_midlands",
        "visible_to_councils": "",
        "earliest_start": "2027-01-04",
        "privacy_notice_version": "2026-09",
        "consent_to_processing": "Yes",
    }
    row.update(overrides)
    return row


def social_work_row(**overrides: str) -> dict[str, str]:
    values = {
        "cohort_id": "social-work-test",
        "specialisms": "",
        "skills": "",
        "professional_body": "Social Work England",
        "registration_number": "SW123456",
        "last_practised": "2021-07",
    }
    return good_row(**{**values, **overrides})


def write_csv(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] = COLUMNS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


async def submitted_events(database_url: str) -> list[dict[str, Any]]:
    """What the outbox says of each submission, oldest first: its ApplicationSubmitted facts with
    the ApplicationContactGiven published with it (both must be there)."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        rows = await conn.fetch(
            "SELECT f.payload::text AS facts, c.payload::text AS contact FROM applications.outbox f"
            " JOIN applications.outbox c ON c.event_type = 'ApplicationContactGiven'"
            " AND c.payload->>'application_id' = f.payload->>'application_id'"
            " WHERE f.event_type = 'ApplicationSubmitted' ORDER BY f.id"
        )
    finally:
        await conn.close()
    return [{**json.loads(row["contact"]), **json.loads(row["facts"])} for row in rows]


async def fetch(database_url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


@pytest_asyncio.fixture
async def uow_factory(clean_database: str, open_cohorts: dict[str, str]) -> AsyncIterator[UnitOfWorkFactory]:
    engine = create_engine(clean_database, "applications", pool_size=5)
    try:
        yield UnitOfWorkFactory(engine, REGISTRY.metadata)
    finally:
        await engine.dispose()


async def run_import(path: Path, factory: UnitOfWorkFactory) -> ImportReport:
    return await import_file(path, factory, ISSUER)


# --------------------------------------------------------------------------- import_file


async def test_good_rows_are_imported_each_with_one_submitted_event(
    tmp_path: Path, uow_factory: UnitOfWorkFactory, clean_database: str
) -> None:
    rows = [
        good_row(email="amara@example.org"),
        good_row(email="Ben.Hale@Example.org", given_name="Ben", postcode_district="SW1A"),
        social_work_row(email="chioma@example.org"),
        good_row(
            cohort_id="planning-test",
            email="dev@example.org",
            specialisms="",
            skills="",
            right_to_work="n",
            consent_to_processing="TRUE",
        ),
    ]
    report = await run_import(write_csv(tmp_path / "applications.csv", rows), uow_factory)

    assert (report.imported, report.already_imported, report.rejected) == (4, 0, [])
    events = await submitted_events(clean_database)
    assert sorted(e["email"] for e in events) == [
        "amara@example.org",
        "ben.hale@example.org",
        "chioma@example.org",
        "dev@example.org",
    ]
    by_email = {e["email"]: e for e in events}
    assert by_email["amara@example.org"]["reference"].startswith("RTW-ICT-")
    assert by_email["amara@example.org"]["postcode_district"] == "WS1"
    assert by_email["amara@example.org"]["region"] == "west_midlands"
    assert [s["skill"] for s in by_email["amara@example.org"]["skills"]] == [
        "Programming and build (software engineering)",
        "Data visualisation",
    ]
    assert by_email["ben.hale@example.org"]["region"] == "london"
    assert by_email["chioma@example.org"]["reference"].startswith("RTW-SW-")
    assert by_email["chioma@example.org"]["professional_registration"]["body"] == "Social Work England"
    assert by_email["dev@example.org"]["reference"].startswith("RTW-PLN-")
    assert by_email["dev@example.org"]["right_to_work"] is False
    stored = await fetch(clean_database, "SELECT status FROM applications.applications")
    assert [r["status"] for r in stored] == ["submitted"] * 4


async def test_bad_rows_are_rejected_with_reasons_naming_the_field_and_good_rows_still_imported(
    tmp_path: Path, uow_factory: UnitOfWorkFactory, clean_database: str
) -> None:
    rows = [
        good_row(email="good@example.org"),
        good_row(email="postcode@example.org", postcode_district="ZZ99"),
        good_row(email="consent@example.org", consent_to_processing=""),
        good_row(email="cohort@example.org", cohort_id="nope-cohort"),
        good_row(email="skill@example.org", skills="Juggling:2"),
    ]
    report = await run_import(write_csv(tmp_path / "applications.csv", rows), uow_factory)

    assert report.imported == 1
    assert report.already_imported == 0
    rejected = {line: (row["email"], reason) for line, row, reason in report.rejected}
    assert sorted(rejected) == [3, 4, 5, 6]  # the header is line 1
    assert rejected[3][0] == "postcode@example.org"
    assert "postcode_district" in rejected[3][1]
    assert "for example WS1" in rejected[3][1]
    assert rejected[4][0] == "consent@example.org"
    assert rejected[4][1].startswith("consent_to_processing: Agree to the privacy notice")
    assert rejected[5][0] == "cohort@example.org"
    assert "There is no cohort 'nope-cohort'" in rejected[5][1]
    assert rejected[6][1].startswith("skills:")
    assert "'Juggling'" in rejected[6][1]
    assert [e["email"] for e in await submitted_events(clean_database)] == ["good@example.org"]
    candidates = await fetch(clean_database, "SELECT email FROM applications.candidates")
    assert [c["email"] for c in candidates] == ["good@example.org"]  # rejected rows leave nothing


async def test_importing_the_same_file_twice_imports_nothing_new(
    tmp_path: Path, uow_factory: UnitOfWorkFactory, clean_database: str
) -> None:
    rows = [
        good_row(email="one@example.org"),
        good_row(email="two@example.org"),
        social_work_row(email="three@example.org"),
    ]
    path = write_csv(tmp_path / "applications.csv", rows)
    first = await run_import(path, uow_factory)
    assert (first.imported, first.already_imported) == (3, 0)
    references = sorted(e["reference"] for e in await submitted_events(clean_database))

    second = await run_import(path, uow_factory)

    assert (second.imported, second.already_imported, second.rejected) == (0, 3, [])
    assert sorted(e["reference"] for e in await submitted_events(clean_database)) == references


async def test_a_row_whose_e_mail_differs_only_in_case_counts_as_already_imported(
    tmp_path: Path, uow_factory: UnitOfWorkFactory, clean_database: str
) -> None:
    await run_import(write_csv(tmp_path / "first.csv", [good_row(email="amara@example.org")]), uow_factory)
    again = await run_import(
        write_csv(tmp_path / "second.csv", [good_row(email=" AMARA@Example.org ")]), uow_factory
    )
    assert (again.imported, again.already_imported, again.rejected) == (0, 1, [])
    assert len(await submitted_events(clean_database)) == 1


async def test_a_row_listed_twice_in_one_file_makes_one_application(
    tmp_path: Path, uow_factory: UnitOfWorkFactory, clean_database: str
) -> None:
    rows = [good_row(email="twice@example.org"), good_row(email="twice@example.org")]
    report = await run_import(write_csv(tmp_path / "applications.csv", rows), uow_factory)
    assert report.imported == 1
    assert len(await submitted_events(clean_database)) == 1


async def test_one_person_applying_to_several_cohorts_in_one_file_is_imported_for_each(
    tmp_path: Path, uow_factory: UnitOfWorkFactory, clean_database: str
) -> None:
    rows = [
        good_row(email="all@example.org"),
        good_row(email="all@example.org", cohort_id="planning-test", specialisms="", skills=""),
        social_work_row(email="all@example.org"),
        social_work_row(
            email="all@example.org", cohort_id="legal-test", professional_body="Bar Standards Board"
        ),
    ]
    report = await run_import(write_csv(tmp_path / "applications.csv", rows), uow_factory)
    assert [reason for _, _, reason in report.rejected] == []
    assert report.imported == 4
    events = await submitted_events(clean_database)
    assert sorted(e["cohort_id"] for e in events) == [
        "ict-test",
        "legal-test",
        "planning-test",
        "social-work-test",
    ]
    assert len({e["candidate_id"] for e in events}) == 1


async def test_a_row_for_someone_who_already_applied_through_the_api_is_rejected_with_their_reference(
    tmp_path: Path,
    uow_factory: UnitOfWorkFactory,
    clean_database: str,
    start_service: Callable[..., Any],
) -> None:
    runtime = await start_service(
        SERVICE, in_memory_broker=True, relay_enabled=False, file_store_url=f"file://{tmp_path}/files"
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_for(runtime)), base_url="http://applications"
    ) as client:
        secret = runtime.settings.token_secret.get_secret_value()
        receipt = await submitted_application(client, secret, application_form(email="api@example.org"))
    reference = receipt["reference"]

    rows = [good_row(email="API@example.org"), good_row(email="new@example.org")]
    report = await run_import(write_csv(tmp_path / "applications.csv", rows), uow_factory)

    assert report.imported == 1
    [(line, row, reason)] = report.rejected
    assert (line, row["email"]) == (2, "API@example.org")
    assert reason.startswith("already applied")
    assert reference in reason
    assert len(await submitted_events(clean_database)) == 2  # the API's and the new row's


async def test_a_row_submitted_in_a_batch_is_stored_and_announced_as_one_submitted_on_its_own(
    uow_factory: UnitOfWorkFactory, clean_database: str
) -> None:
    """The batch path writes without ORM objects; it must leave exactly what `submit_whole` leaves."""
    batched = _command(good_row(email="batched@example.org"))
    alone = _command(good_row(email="alone@example.org"))
    assert isinstance(batched, NewApplication)
    assert isinstance(alone, NewApplication)
    today = datetime.now(UTC).date()
    async with uow_factory() as uow:
        assert await submit_newcomers([(batched, "import:batched")], uow, caller=IMPORTER, today=today) == []
    async with uow_factory() as uow:
        await submit_whole(alone, uow, ISSUER, caller=IMPORTER, client_request_id="import:alone", today=today)

    varying = {"id", "candidate_id", "number", "reference", "client_request_id", "email", "event_id"}
    varying |= {"application_id", "correlation_id", "occurred_at", "created_at", "updated_at"}
    varying |= {"submitted_at", "consent_given_at", "given_at", "causation_id"}

    def same_part(record: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in record.items() if k not in varying}

    by_email: dict[str, dict[str, Any]] = {}
    for row in await fetch(
        clean_database,
        "SELECT c.email, to_jsonb(c) AS candidate, to_jsonb(a) AS application,"
        " (SELECT jsonb_agg(j.stage) FROM applications.journey_entries j WHERE j.application_id = a.id)"
        " AS journey FROM applications.applications a JOIN applications.candidates c ON c.id = a.candidate_id",
    ):
        by_email[row["email"]] = {
            "candidate": same_part(json.loads(row["candidate"])),
            "application": same_part(json.loads(row["application"])),
            "journey": json.loads(row["journey"]),
        }
    events = {e["email"]: e for e in await submitted_events(clean_database)}
    assert by_email["batched@example.org"] == by_email["alone@example.org"]
    assert by_email["batched@example.org"]["application"]["status"] == "submitted"
    assert by_email["batched@example.org"]["application"]["event_sequence"] == 1
    assert by_email["batched@example.org"]["candidate"]["given_name"] == "Amara"
    assert by_email["batched@example.org"]["journey"] == ["submitted"]
    assert same_part(events["batched@example.org"]) == same_part(events["alone@example.org"])
    reference = events["batched@example.org"]["reference"]
    stored = await fetch(clean_database, "SELECT reference FROM applications.applications")
    assert reference in {r["reference"] for r in stored}


async def test_a_batch_leaves_to_one_at_a_time_what_is_not_plain(
    uow_factory: UnitOfWorkFactory, clean_database: str
) -> None:
    today = datetime.now(UTC).date()
    await insert_cohort(
        clean_database, "closed-test", "ict", today - timedelta(days=60), today - timedelta(days=1)
    )
    async with uow_factory() as uow:
        await submit_whole(
            _valid(good_row(email="known@example.org")),
            uow,
            ISSUER,
            caller=IMPORTER,
            client_request_id="k0",
            today=today,
        )
    commands = [
        (_valid(good_row(email="new@example.org")), "k1"),
        (
            _valid(good_row(email="KNOWN@example.org", cohort_id="planning-test", specialisms="", skills="")),
            "k2",
        ),
        (
            _valid(good_row(email="new@example.org", cohort_id="planning-test", specialisms="", skills="")),
            "k3",
        ),
        (_valid(good_row(email="other@example.org")), "k0"),  # a key seen before
        (_valid(good_row(email="late@example.org", cohort_id="closed-test")), "k4"),
        (_valid(good_row(email="unfinished@example.org", consent_to_processing="no")), "k5"),
        (_valid(good_row(email="new2@example.org")), "k6"),
    ]
    async with uow_factory() as uow:
        left = await submit_newcomers(commands, uow, caller=IMPORTER, today=today)
    assert left == [1, 2, 3, 4, 5]
    events = await submitted_events(clean_database)
    assert sorted(e["email"] for e in events) == ["known@example.org", "new2@example.org", "new@example.org"]


async def test_an_import_over_several_processes_imports_each_row_once_and_reports_progress(
    tmp_path: Path,
    uow_factory: UnitOfWorkFactory,
    clean_database: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RTW_DATABASE_URL", clean_database)  # the workers read the same settings
    rows = [good_row(email=f"person{i}@example.org") for i in range(40)]
    rows += [good_row(email="person3@example.org", cohort_id="planning-test", specialisms="", skills="")]
    rows += [
        good_row(email="person5@example.org"),
        good_row(email="bad@example.org", postcode_district="ZZ99"),
    ]
    path = write_csv(tmp_path / "applications.csv", rows)
    progress: list[int] = []

    report = await import_in_processes(
        list(read_rows(path)), ApplicationsSettings(), workers=2, on_progress=progress.append
    )

    assert (report.imported, report.already_imported) == (41, 1)
    assert [(line, row["email"]) for line, row, _ in report.rejected] == [(44, "bad@example.org")]
    assert progress[-1] == len(rows)
    assert progress == sorted(progress)
    events = await submitted_events(clean_database)
    assert len(events) == 41
    assert len({(e["email"], e["cohort_id"]) for e in events}) == 41
    first, second = shares(list(read_rows(path)), 2)  # one person's rows are in one share
    assert {row["email"] for _, row in first}.isdisjoint({row["email"] for _, row in second})


def _valid(row: dict[str, str]) -> NewApplication:
    command = _command(row)
    assert isinstance(command, NewApplication), command
    return command


# --------------------------------------------------------------------------- the CLI


async def rtw(database_url: str, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """Run `rtw …` as an operator would."""
    env = {
        **os.environ,
        "RTW_DATABASE_URL": database_url,
        "RTW_FILE_STORE_URL": f"file://{tmp_path}/files",
        "COLUMNS": "200",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "rtw_platform.cli",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def summary(output: str) -> dict[str, int]:
    """The rows of the import's summary table: result -> count."""
    counts = {}
    for line in output.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃|]", line) if c.strip()]
        if len(cells) == 2 and cells[1].isdigit():
            counts[cells[0]] = int(cells[1])
    return counts


def one_line(text: str) -> str:
    return " ".join(text.split())


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


async def test_the_import_command_reports_counts_writes_rejected_rows_and_succeeds_once_fixed(
    tmp_path: Path, clean_database: str, open_cohorts: dict[str, str]
) -> None:
    rows = [
        good_row(email="one@example.org"),
        good_row(email="two@example.org", postcode_district="ZZ99"),
        social_work_row(email="three@example.org"),
        good_row(email="four@example.org", consent_to_processing="no"),
    ]
    path = write_csv(tmp_path / "applications.csv", rows)

    code, out, err = await rtw(clean_database, tmp_path, "applications", "import", str(path))

    assert code == 1, out + err
    assert "Import of applications.csv" in out
    assert summary(out) == {"imported": 2, "already imported": 0, "rejected": 2}
    rejected_path = tmp_path / "applications.rejected.csv"
    assert str(rejected_path) in one_line(err)
    rejected = read_csv(rejected_path)
    assert list(rejected[0])[:2] == ["line", "reasons"]
    assert [(r["line"], r["email"]) for r in rejected] == [
        ("3", "two@example.org"),
        ("5", "four@example.org"),
    ]
    assert "postcode_district" in rejected[0]["reasons"]
    assert "consent_to_processing" in rejected[1]["reasons"]
    assert rejected[0]["cohort_id"] == "ict-test"  # the row itself, ready to fix

    fixed = [
        good_row(email="one@example.org"),
        good_row(email="two@example.org"),
        rows[2],
        good_row(email="four@example.org"),
    ]
    write_csv(path, fixed)
    code, out, err = await rtw(clean_database, tmp_path, "applications", "import", str(path))

    assert code == 0, out + err
    assert summary(out) == {"imported": 2, "already imported": 2, "rejected": 0}
    assert len(await submitted_events(clean_database)) == 4


async def test_the_import_command_writes_rejected_rows_where_asked(
    tmp_path: Path, clean_database: str, open_cohorts: dict[str, str]
) -> None:
    path = write_csv(tmp_path / "in.csv", [good_row(cohort_id="nope-cohort")])
    elsewhere = tmp_path / "out" / "bad.csv"
    elsewhere.parent.mkdir()

    code, _, _ = await rtw(
        clean_database, tmp_path, "applications", "import", str(path), "--rejected", str(elsewhere)
    )

    assert code == 1
    [row] = read_csv(elsewhere)
    assert "nope-cohort" in row["reasons"]
    assert not (tmp_path / "in.rejected.csv").exists()


async def test_the_import_command_refuses_a_missing_file_clearly(tmp_path: Path, clean_database: str) -> None:
    missing = tmp_path / "nowhere.csv"
    code, _, err = await rtw(clean_database, tmp_path, "applications", "import", str(missing))
    assert code == 2
    assert f"no such file: {missing}" in one_line(err)
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("columns", "missing"),
    [
        (tuple(c for c in COLUMNS if c != "email"), "email"),
        (tuple(c for c in COLUMNS if c not in {"cohort_id", "email"}), "cohort_id, email"),
    ],
)
async def test_the_import_command_refuses_a_file_without_the_needed_columns(
    tmp_path: Path, clean_database: str, columns: tuple[str, ...], missing: str
) -> None:
    path = write_csv(tmp_path / "applications.csv", [good_row()], columns=columns)
    code, out, err = await rtw(clean_database, tmp_path, "applications", "import", str(path))
    assert code == 2, out + err
    assert f"has no column {missing};" in one_line(err)
    assert "Traceback" not in err
    assert await submitted_events(clean_database) == []


async def test_the_import_command_refuses_a_file_with_unknown_columns(
    tmp_path: Path, clean_database: str
) -> None:
    path = write_csv(tmp_path / "applications.csv", [good_row()], columns=(*COLUMNS, "shoe_size"))
    code, _, err = await rtw(clean_database, tmp_path, "applications", "import", str(path))
    assert code == 2
    assert "unknown columns: shoe_size" in one_line(err)


async def test_retention_dry_run_lists_what_is_due_and_changes_nothing_until_run_for_real(
    tmp_path: Path, uow_factory: UnitOfWorkFactory, clean_database: str
) -> None:
    rows = [good_row(email="old@example.org"), good_row(email="recent@example.org")]
    report = await run_import(write_csv(tmp_path / "applications.csv", rows), uow_factory)
    assert report.imported == 2
    conn = await asyncpg.connect(asyncpg_dsn(clean_database))
    try:
        await conn.execute(
            "UPDATE applications.applications a SET status = 'rejected',"
            " final_outcome_at = now() - CASE WHEN c.email = 'old@example.org'"
            " THEN interval '30 months' ELSE interval '1 month' END"
            " FROM applications.candidates c WHERE c.id = a.candidate_id"
        )
    finally:
        await conn.close()
    references = {e["email"]: e["reference"] for e in await submitted_events(clean_database)}

    code, out, err = await rtw(
        clean_database, tmp_path, "applications", "retention", "--dry-run", "--months", "24"
    )

    assert code == 0, out + err
    assert "1 application(s) would be anonymised (dry run)" in one_line(out)
    assert references["old@example.org"] in out
    assert references["recent@example.org"] not in out
    kept = await fetch(
        clean_database,
        "SELECT c.email, a.anonymised_at, a.answers::text AS answers FROM applications.applications a"
        " JOIN applications.candidates c ON c.id = a.candidate_id ORDER BY c.email",
    )
    assert [r["email"] for r in kept] == ["old@example.org", "recent@example.org"]
    assert all(r["anonymised_at"] is None and json.loads(r["answers"]) for r in kept)

    code, out, err = await rtw(clean_database, tmp_path, "applications", "retention", "--months", "24")

    assert code == 0, out + err
    assert "1 application(s) anonymised" in one_line(out)
    after = await fetch(
        clean_database,
        "SELECT a.reference, c.email FROM applications.applications a"
        " JOIN applications.candidates c ON c.id = a.candidate_id",
    )
    # The old application and its person are gone; an anonymised row keeps what reports count.
    assert [(r["reference"], r["email"]) for r in after] == [
        (references["recent@example.org"], "recent@example.org")
    ]
    assert await fetch(clean_database, "SELECT email FROM applications.candidates WHERE email IS NULL") == []
    [kept_row] = await fetch(
        clean_database, "SELECT programme, cohort_id FROM applications.anonymised_applications"
    )
    assert kept_row["programme"] == "ict"


async def test_an_imported_rows_key_cannot_be_computed_and_gives_nothing_to_anyone_else(
    tmp_path: Path,
    uow_factory: UnitOfWorkFactory,
    clean_database: str,
    start_service: Callable[..., Any],
) -> None:
    row = good_row(email="imported@example.org")
    report = await import_rows([(2, row)], uow_factory, ISSUER)
    assert report.imported == 1
    [imported] = await fetch(clean_database, "SELECT id::text, reference FROM applications.applications")
    # The old key was sha256(cohort|e-mail): anyone could compute it. Now only the secret's holder can.
    computable = "import:" + hashlib.sha256(b"ict-test|imported@example.org").hexdigest()[:40]
    assert import_key(row, ISSUER.secret) != computable
    assert import_key(row, ISSUER.secret) != import_key(row, "y" * 40)

    runtime = await start_service(
        SERVICE, in_memory_broker=True, relay_enabled=False, file_store_url=f"file://{tmp_path}/files"
    )
    partner = bearer_for(runtime.settings.token_secret.get_secret_value(), Role.ADMIN, "partner")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_for(runtime)), base_url="http://applications"
    ) as client:
        for number, key in enumerate((computable, import_key(row, ISSUER.secret))):
            form = application_form(email=f"replayer{number}@example.org")
            anonymous = await client.post("/applications", json=form, headers={"Idempotency-Key": key})
            assert anonymous.status_code == 202, anonymous.text
            assert imported["id"] not in anonymous.text
            assert imported["reference"] not in anonymous.text
            # Another caller's replay is a new request: its own application, nothing of the import's.
            staff = await client.post(
                "/applications",
                json=application_form(email=f"staff{number}@example.org"),
                headers={"Idempotency-Key": key, **partner},
            )
            assert staff.status_code == 201, staff.text
            assert staff.json()["application_id"] != imported["id"]
    again = await import_rows([(2, row)], uow_factory, ISSUER)
    assert (again.imported, again.already_imported, again.rejected) == (0, 1, [])  # still idempotent
