"""Back up and restore, as docs/operations.md tells an operator: a small programme runs through
the services over the real broker, `pg_dump` takes the running platform's database, `pg_restore`
puts it into an empty database, and the reports (`rtw report … --json`) give the same figures
from the restored copy, whose migrations are all applied."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from rtw_applications.app import SERVICE as APPLICATIONS
from rtw_applications.testing import submitted_application
from rtw_assessment.app import SERVICE as ASSESSMENT
from rtw_contracts import CandidateHired, CouncilRegistered, WithdrawalReason
from rtw_contracts.examples import example
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.db import asyncpg_dsn
from rtw_platform.testing.fixtures import BrokerNamespace, app_for
from rtw_platform.testing.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

RTW = Path(sys.executable).parent / "rtw"
REPORTS = ("funnel", "reach", "fairness", "savings")
COUNCIL = uuid4()


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/lib/postgresql/15/bin")
    if found is None:
        pytest.fail(
            f"{name} is missing: install Debian's postgresql-client (same major version as the server)"
        )
    return found


def _run(command: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, env={**os.environ, **env}
    )
    assert done.returncode == 0, f"{' '.join(command[:3])} failed ({done.returncode}): {done.stderr}"
    return done


async def _reports(database_url: str) -> dict[str, Any]:
    """Every report as `rtw report NAME --json` prints it, from the database at `database_url`."""

    def run(name: str) -> Any:
        done = _run([str(RTW), "report", name, "--json"], RTW_DATABASE_URL=database_url)
        return json.loads(done.stdout)

    return {name: await asyncio.to_thread(run, name) for name in REPORTS}


async def test_a_dump_of_the_running_platform_restores_to_the_same_reports(
    start_service: Callable[..., Any],
    make_application: Callable[..., dict[str, Any]],
    broker_namespace: BrokerNamespace,
    clean_database: str,
    tmp_path: Path,
) -> None:
    store = f"file://{tmp_path / 'files'}"
    applications = await start_service(APPLICATIONS, file_store_url=store)
    await start_service(ASSESSMENT, file_store_url=store)
    secret = applications.settings.token_secret.get_secret_value()
    admin = {"Authorization": f"Bearer {issue_token(secret, Principal('admin', Role.ADMIN))}"}

    # A small programme: five returners apply (assessment screens them over the broker), one
    # withdraws, Walsall signs up and hires one.
    people: list[dict[str, Any]] = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_for(applications)), base_url="http://a"
    ) as client:
        for index, (sex, district, region) in enumerate(
            [
                ("female", "WS1", "west_midlands"),
                ("female", "E1", "london"),
                ("male", "WS1", "west_midlands"),
                ("female", "WS1", "west_midlands"),
                ("male", "NE1", "north_east"),
            ]
        ):
            form = make_application(
                postcode_district=district, equality_monitoring={"sex": sex, "age_band": "35-44"}
            )
            form["work_preferences"] = {**form["work_preferences"], "visible_to_regions": [region]}
            form["email"] = f"returner{index}-{uuid4().hex[:6]}@example.org"
            people.append(await submitted_application(client, secret, form))

        async def screened() -> list[str]:
            statuses = [
                (
                    await client.get(
                        f"/applications/{p['application_id']}",
                        headers={"Authorization": f"Bearer {p['access_token']}"},
                    )
                ).json()["status"]
                for p in people
            ]
            return statuses if "received" not in statuses and "submitted" not in statuses else []

        await eventually(screened, timeout=60, what="assessment to screen every application")
        withdrawn = people[4]
        response = await client.post(
            f"/applications/{withdrawn['application_id']}/withdraw",
            json={"reason": WithdrawalReason.FOUND_WORK.value},
            headers={"Authorization": f"Bearer {withdrawn['access_token']}"},
        )
        assert response.status_code < 400, response.text
        hired = people[0]
        await broker_namespace.publish_event(
            example(
                CouncilRegistered,
                event_id=uuid4(),
                council_id=COUNCIL,
                gss_code="E08000030",
                region="west_midlands",
            )
        )
        await broker_namespace.publish_event(
            example(
                CandidateHired,
                event_id=uuid4(),
                match_id=uuid4(),
                application_id=UUID(hired["application_id"]),
                candidate_id=UUID(hired["candidate_id"]),
                council_id=COUNCIL,
                hours_per_week=30,
            )
        )

        async def hire_counted() -> dict[str, Any] | None:
            funnel = (await client.get("/reports/funnel", headers=admin)).json()
            steps = {s["step"]: s["people"] for s in funnel["steps"]}
            return funnel if steps.get("hired") == 1 else None

        api_funnel = await eventually(hire_counted, timeout=60, what="the hire to reach the funnel")

    # The operator's backup, taken while the services run.
    dump = tmp_path / "rtw.dump"
    source = asyncpg_dsn(clean_database)
    _run([_tool("pg_dump"), "--format=custom", "--file", str(dump), "--dbname", source])

    # Restore into an empty database on the same server.
    empty = f"rtw_restore_{uuid.uuid4().hex[:10]}"
    base, _, _ = clean_database.rpartition("/")
    admin_conn = await asyncpg.connect(asyncpg_dsn(clean_database))
    await admin_conn.execute(f'CREATE DATABASE "{empty}"')
    await admin_conn.close()
    restored = f"{base}/{empty}"
    try:
        _run(
            [
                _tool("pg_restore"),
                "--exit-on-error",
                "--no-owner",
                "--dbname",
                asyncpg_dsn(restored),
                str(dump),
            ]
        )
        original_reports = await _reports(clean_database)
        restored_reports = await _reports(restored)
        status = json.loads(_run([str(RTW), "migrate", "status", "--json"], RTW_DATABASE_URL=restored).stdout)
    finally:
        admin_conn = await asyncpg.connect(asyncpg_dsn(clean_database))
        await admin_conn.execute(f'DROP DATABASE IF EXISTS "{empty}" WITH (FORCE)')
        await admin_conn.close()

    assert restored_reports == original_reports
    steps = {s["step"]: s["people"] for s in restored_reports["funnel"]["steps"]}
    assert steps["submitted"] == 5
    assert steps["hired"] == 1
    assert restored_reports["funnel"]["drop_off"]["withdrawal_reasons"] == {"found_work": 1}
    assert restored_reports["funnel"]["steps"] == json.loads(json.dumps(api_funnel["steps"], default=str))
    assert restored_reports["reach"]["per_region"]["london"]["applicants"] == 1
    assert restored_reports["savings"]["total"]["hires"] == 1
    assert restored_reports["savings"]["total"]["low_pence"] > 0
    assert status, "rtw migrate status printed nothing"
    assert {row["service"] for row in status} >= {"applications", "assessment"}
    assert all(row["up_to_date"] for row in status), status
