"""Bulk import spread over worker processes, one per core: the work is Python-bound, one core is
not enough for a big file.

Each worker imports its share of the rows with its own database connections. Rows are shared out by
e-mail address, so one person's rows are always in the same worker, imported in file order there.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import zlib
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from multiprocessing.sharedctypes import Synchronized

from rtw_platform.db import create_engine
from rtw_platform.uow import UnitOfWorkFactory

from .access import issuer_for
from .bulk_import import ImportReport, import_rows
from .models import REGISTRY
from .settings import ApplicationsSettings

Rows = list[tuple[int, dict[str, str]]]

_rows_done: Synchronized[int] | None = None


def shares(rows: Rows, workers: int) -> list[Rows]:
    """The rows dealt out to `workers` shares by e-mail address (the same person in one share)."""
    dealt: list[Rows] = [[] for _ in range(workers)]
    for line, row in rows:
        email = (row.get("email") or "").strip().lower()
        dealt[zlib.crc32(email.encode()) % workers].append((line, row))
    return [share for share in dealt if share]


async def import_with_settings(
    rows: Rows,
    settings: ApplicationsSettings,
    *,
    today: date | None = None,
    on_row: Callable[[], None] | None = None,
) -> ImportReport:
    """Import the rows in this process, with the service's own settings."""
    engine = create_engine(settings.sqlalchemy_url(), "applications", pool_size=10)
    try:
        factory = UnitOfWorkFactory(engine, REGISTRY.metadata)
        return await import_rows(rows, factory, issuer_for(settings), today=today, on_row=on_row)
    finally:
        await engine.dispose()


def _start_worker(rows_done: Synchronized[int]) -> None:
    global _rows_done
    _rows_done = rows_done


def _count_row() -> None:
    assert _rows_done is not None
    with _rows_done.get_lock():
        _rows_done.value += 1


def _import_share(rows: Rows, today: date | None) -> ImportReport:
    return asyncio.run(import_with_settings(rows, ApplicationsSettings(), today=today, on_row=_count_row))


async def import_in_processes(
    rows: Rows,
    settings: ApplicationsSettings,
    *,
    workers: int,
    today: date | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import the rows over `workers` processes (1: in this one); `on_progress(rows done)` as it goes.

    The workers read the same `RTW_*` settings as this process, from the environment they inherit.
    """
    if workers <= 1:
        done = 0

        def count() -> None:
            nonlocal done
            done += 1
            if on_progress is not None:
                on_progress(done)

        return await import_with_settings(rows, settings, today=today, on_row=count)
    context = multiprocessing.get_context("spawn")  # never fork a process running an event loop
    rows_done = context.Value("q", 0)
    loop = asyncio.get_running_loop()
    report = ImportReport()
    parts = shares(rows, workers)
    with ProcessPoolExecutor(
        len(parts), mp_context=context, initializer=_start_worker, initargs=(rows_done,)
    ) as pool:
        running = {loop.run_in_executor(pool, _import_share, part, today) for part in parts}
        while running:
            finished, running = await asyncio.wait(running, timeout=0.2)
            if on_progress is not None:
                on_progress(rows_done.value)
            for future in finished:
                report.add(future.result())
    report.rejected.sort(key=lambda item: item[0])
    return report
