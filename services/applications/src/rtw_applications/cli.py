"""`rtw applications …`: bulk import and retention, for operators."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rtw_contracts import Programme
from rtw_platform.cli import signing_settings
from rtw_platform.db import create_engine
from rtw_platform.filestore import file_store_from_url
from rtw_platform.uow import UnitOfWorkFactory
from sqlalchemy.ext.asyncio import AsyncEngine

from .bulk_import import ImportFileProblem, ImportReport, read_rows, write_rejected
from .bulk_import_processes import import_in_processes
from .cohorts import announce_all
from .domain import MAX_RETENTION_MONTHS, MIN_RETENTION_MONTHS, retention_refusal
from .models import REGISTRY
from .privacy import RetentionItem, apply_retention
from .settings import ApplicationsSettings

app = typer.Typer(help="Applications: bulk import and retention.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


def _factory(settings: ApplicationsSettings) -> tuple[UnitOfWorkFactory, AsyncEngine]:
    engine = create_engine(settings.sqlalchemy_url(), "applications", pool_size=10)
    return UnitOfWorkFactory(engine, REGISTRY.metadata), engine


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV file, one application per row.", exists=False)],
    rejected: Annotated[
        Path | None, typer.Option(help="Where to write rejected rows (default: FILE.rejected.csv).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=32, help="Processes importing at once (default: one per core, at most 4)."),
    ] = None,
) -> None:
    """Import applications from CSV; rejected rows are written with their reasons."""
    if not file.is_file():
        errors.print(f"[red]error:[/red] {escape(f'no such file: {file}')}", soft_wrap=True)
        raise typer.Exit(2)
    settings = signing_settings(ApplicationsSettings)  # it signs each candidate's sign-in token
    try:
        rows = list(read_rows(file))
    except (ImportFileProblem, UnicodeDecodeError, csv.Error) as exc:
        errors.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from None
    rejected_path = rejected or file.with_suffix(".rejected.csv")
    processes = workers or min(os.cpu_count() or 1, 4)

    async def run() -> ImportReport:
        with Progress(
            TextColumn("importing"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("rows", total=len(rows))
            return await import_in_processes(
                rows,
                settings,
                workers=min(processes, max(1, len(rows) // 1000)),  # small files: not worth a process
                on_progress=lambda done: progress.update(task, completed=done),
            )

    report = asyncio.run(run())
    table = Table("result", "rows", title=f"Import of {file.name}")
    table.add_row("imported", str(report.imported))
    table.add_row("already imported", str(report.already_imported))
    table.add_row("rejected", str(len(report.rejected)))
    console.print(table)
    if report.rejected:
        write_rejected(rejected_path, report)
        errors.print(
            f"[red]{len(report.rejected)} row(s) rejected[/red]; their reasons are in {rejected_path}"
        )
        raise typer.Exit(1)


@app.command("retention")
def retention_command(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be anonymised.")] = False,
    months: Annotated[
        int | None,
        typer.Option(
            help=f"Override RTW_RETENTION_MONTHS ({MIN_RETENTION_MONTHS} to {MAX_RETENTION_MONTHS}).",
        ),
    ] = None,
) -> None:
    """Anonymise applications whose final outcome is older than the retention period."""
    try:
        settings = ApplicationsSettings()
    except ValidationError as problem:
        errors.print(f"[red]error:[/red] {_setting_problem(problem)}", soft_wrap=True)
        raise typer.Exit(2) from None
    keep_for = settings.retention_months if months is None else months
    refusal = retention_refusal(keep_for)
    if refusal is not None:
        source = "--months" if months is not None else "RTW_RETENTION_MONTHS"
        errors.print(f"[red]error:[/red] {escape(f'{source}: {refusal}')}", soft_wrap=True)
        raise typer.Exit(2)
    store = file_store_from_url(settings.file_store_url)

    async def run() -> list[RetentionItem]:
        factory, engine = _factory(settings)
        try:
            async with factory() as uow:
                return list(
                    await apply_retention(uow, store, months=keep_for, now=datetime.now(UTC), dry_run=dry_run)
                )
        finally:
            await engine.dispose()

    items = asyncio.run(run())
    title = "would be anonymised (dry run)" if dry_run else "anonymised"
    table = Table("reference", "status", "final outcome", title=f"{len(items)} application(s) {title}")
    for item in items:
        table.add_row(item.reference or "-", item.status, f"{item.final_outcome_at:%Y-%m-%d}")
    console.print(table)


@app.command("announce-cohorts")
def announce_cohorts_command() -> None:
    """Publish every cohort's window again (CohortScheduled), e.g. once after upgrading, so that
    assessment knows cohorts created before the event existed."""
    try:
        settings = ApplicationsSettings()
    except ValidationError as problem:
        errors.print(f"[red]error:[/red] {_setting_problem(problem)}", soft_wrap=True)
        raise typer.Exit(2) from None

    async def run() -> list[str]:
        factory, engine = _factory(settings)
        try:
            async with factory() as uow:
                return await announce_all(uow)
        finally:
            await engine.dispose()

    announced = asyncio.run(run())
    console.print(f"{len(announced)} cohort(s) announced: {', '.join(announced) or 'none'}")


def _setting_problem(problem: ValidationError) -> str:
    """The first wrong setting, as its variable and what is wrong with it."""
    first = problem.errors()[0]
    name = "RTW_" + "_".join(str(part) for part in first["loc"]).upper()
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{name}: {message}"


report_app = typer.Typer(help="Programme insight: funnel, reach, fairness, savings.", no_args_is_help=True)


def _report(name: str, cohort: str | None, programme: str | None, output: str = "table") -> None:
    from . import reports

    if programme is not None and programme not in {p.value for p in Programme}:
        errors.print(
            f"error: no programme {programme!r}: one of ict, social_work, planning or legal",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(2)
    settings = ApplicationsSettings()

    async def run() -> dict[str, object]:
        factory, engine = _factory(settings)
        try:
            async with factory() as uow:
                people = await reports.load_people(uow, cohort, programme)
                if name == "funnel":
                    return reports.funnel(people)
                if name == "reach":
                    return await reports.reach(uow, people)
                if name == "fairness":
                    return await reports.fairness(uow, people)
                return await reports.savings(uow, people, reports.SavingsAssumptions())
        finally:
            await engine.dispose()

    data = asyncio.run(run())
    columns, rows = reports.rows_for_csv(name, data)
    if output == "json":
        sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
        return
    if output == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(["" if v is None else v for v in row] for row in rows)
        return
    table = Table(
        *columns,
        title=escape(f"{name} of {cohort or 'every cohort'}{' (' + programme + ')' if programme else ''}"),
    )
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)
    if name == "reach":
        console.print(
            f"share outside London and the South East: {data['share_outside_london_and_south_east']}"
        )
    if name == "savings":
        console.print(f"assumptions: {data['assumptions']}; total: {data['total']}")


CohortOption = Annotated[str | None, typer.Option("--cohort", help="A cohort id (default: all).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the report as JSON (as the API gives it).")]
CsvOption = Annotated[bool, typer.Option("--csv", help="Print the report's table as CSV.")]


def _output(as_json: bool, as_csv: bool) -> str:
    if as_json and as_csv:
        errors.print("[red]error:[/red] choose one of --json and --csv")
        raise typer.Exit(2)
    return "json" if as_json else "csv" if as_csv else "table"


ProgrammeOption = Annotated[
    str | None, typer.Option("--programme", help="ict, social_work, planning or legal.")
]


@report_app.command("funnel")
def funnel_command(
    cohort: CohortOption = None,
    programme: ProgrammeOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """How many reached each step, and why people dropped out."""
    _report("funnel", cohort, programme, _output(as_json, as_csv))


@report_app.command("reach")
def reach_command(
    cohort: CohortOption = None,
    programme: ProgrammeOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Applicants, selections and hires per region."""
    _report("reach", cohort, programme, _output(as_json, as_csv))


@report_app.command("fairness")
def fairness_command(
    cohort: CohortOption = None,
    programme: ProgrammeOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Pass rates per equality-monitoring group, with the four-fifths flag."""
    _report("fairness", cohort, programme, _output(as_json, as_csv))


@report_app.command("savings")
def savings_command(
    cohort: CohortOption = None,
    programme: ProgrammeOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Savings against agency hiring, with the assumptions."""
    _report("savings", cohort, programme, _output(as_json, as_csv))
