"""Mutation testing of the guarded code (docs/testing.md, "Mutation testing").

The guarded modules and the tests that reach each are named in `mutation.toml` at the root. For
each module this runs cosmic-ray, which mutates the file in place (the packages are installed
editable, so the tests import exactly what was mutated), runs only that module's tests against
each mutant, and then writes var/mutation/report.md: per module the mutants killed, survived and
timed out, and each survivor's diff.

    python -m rtw_platform.testing.mutation run [--module NAME] [--base REVISION] [--workers N]
    python -m rtw_platform.testing.mutation selftest

With `--base`, only the mutants on lines changed since that revision run (git diff), and the
command fails on any survivor not listed as equivalent in `mutation.toml`.

With `--workers N` (N > 1) each module's mutants are shared out among N cosmic-ray HTTP workers:
one in this checkout and one in each of N - 1 worker checkouts under var/mutation/workers/ (git
worktrees of this one, brought to its exact state, committed or not, each with its own `.venv`:
a mutant is written into the worker's files, and only its own packages import them).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CONFIG = "mutation.toml"
OUT = Path("var/mutation")


@dataclass(frozen=True)
class Guarded:
    """One guarded module: its file, the tests that reach it and its known equivalent mutants."""

    name: str
    path: str
    tests: tuple[str, ...]
    equivalent: tuple[str, ...] = ()
    """Mutants that change nothing observable, each `operator @ source line -> mutated line`
    (stripped), or `operator @ source line` for every mutant of that operator on that line."""

    def is_equivalent(self, key: str) -> bool:
        """Whether the survivor `key` (`operator @ source line -> mutated line`) is listed."""
        return key in self.equivalent or key.split(" -> ")[0] in self.equivalent

    pytest_args: tuple[str, ...] = ()
    """Added to the settings' for this module's tests: `--noconftest` for pure unit tests, which
    then start without importing every service's fixtures (several times faster per mutant)."""


@dataclass(frozen=True)
class Settings:
    timeout_s: float
    exclude_operators: tuple[str, ...]
    pytest_args: tuple[str, ...]
    modules: tuple[Guarded, ...] = field(default=())


@dataclass
class Outcome:
    """What became of one module's mutants."""

    module: Guarded
    killed: int = 0
    timed_out: int = 0
    skipped: int = 0
    survivors: list[tuple[str, str]] = field(default_factory=list)
    """(operator @ source line, diff) of each mutant that survived."""
    seconds: float = 0.0

    @property
    def run(self) -> int:
        return self.killed + self.timed_out + len(self.survivors)

    @property
    def new_survivors(self) -> list[tuple[str, str]]:
        return [s for s in self.survivors if not self.module.is_equivalent(s[0])]

    @property
    def score(self) -> float:
        """Killed (timeouts included) over run, equivalent mutants left out."""
        counted = self.run - (len(self.survivors) - len(self.new_survivors))
        return 100.0 if counted == 0 else 100.0 * (self.killed + self.timed_out) / counted


def load(root: Path) -> Settings:
    """The guarded set as `mutation.toml` names it."""
    data = tomllib.loads((root / CONFIG).read_text())
    settings = data["settings"]
    modules = tuple(
        Guarded(
            name=name,
            path=entry["path"],
            tests=tuple(entry["tests"]),
            equivalent=tuple(entry.get("equivalent", ())),
            pytest_args=tuple(entry.get("pytest_args", ())),
        )
        for name, entry in data["modules"].items()
    )
    return Settings(
        timeout_s=float(settings["timeout_s"]),
        exclude_operators=tuple(settings.get("exclude_operators", ())),
        pytest_args=tuple(settings.get("pytest_args", ())),
        modules=modules,
    )


def changed_lines(root: Path, base: str, path: str) -> set[int]:
    """The line numbers of `path` added or changed since `base` (committed or not)."""
    diff = subprocess.run(
        ["git", "diff", "-U0", base, "--", path], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    lines: set[int] = set()
    for match in re.finditer(r"^@@ -\S+ \+(\d+)(?:,(\d+))? @@", diff, re.MULTILINE):
        start, count = int(match.group(1)), int(match.group(2) or "1")
        lines.update(range(start, start + count))
    return lines


def _cosmic_ray_config(
    settings: Settings, module: Guarded, python: str, workers: list[str] | None = None
) -> str:
    """cosmic-ray's configuration for one module: its tests run by `python` (relative to the
    checkout a worker runs in), locally or by the HTTP workers at `workers`."""
    command = shlex.join([python, "-m", "pytest", *settings.pytest_args, *module.pytest_args, *module.tests])
    excluded = ", ".join(f'"{e}"' for e in settings.exclude_operators)
    if workers:
        urls = ", ".join(f'"{url}"' for url in workers)
        distributor = (
            '[cosmic-ray.distributor]\nname = "http"\n'
            f"[cosmic-ray.distributor.http]\nworker-urls = [{urls}]\n"
        )
    else:
        distributor = '[cosmic-ray.distributor]\nname = "local"\n'
    return (
        "[cosmic-ray]\n"
        f'module-path = "{module.path}"\n'
        f"timeout = {settings.timeout_s}\n"
        "excluded-modules = []\n"
        f"test-command = {_toml_string(command)}\n"
        f"{distributor}"
        f"[cosmic-ray.filters.operators-filter]\nexclude-operators = [{excluded}]\n"
    )


def _python(root: Path) -> str:
    """This interpreter, relative to the checkout when it is the checkout's own (`.venv`): then
    each worker runs the tests with its own checkout's interpreter, which imports its files."""
    with contextlib.suppress(ValueError):
        return str(Path(sys.executable).relative_to(root))
    return sys.executable


WORKERS = OUT / "workers"


def prepare_worker_checkout(root: Path, checkout: Path) -> None:
    """Make `checkout` a git worktree of `root` in root's exact state (its commit, its uncommitted
    changes and untracked files), with its own `.venv` (uv sync: quick once made)."""
    git = ["git", "-c", "advice.detachedHead=false"]
    head = subprocess.run(
        [*git, "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()
    if not (checkout / ".git").exists():
        checkout.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [*git, "worktree", "add", "--detach", "--force", str(checkout.resolve()), head],
            cwd=root,
            check=True,
        )
    subprocess.run(
        [*git, "checkout", "--detach", "--force", head], cwd=checkout, check=True, capture_output=True
    )
    subprocess.run([*git, "clean", "-fdq"], cwd=checkout, check=True)  # ignored files (.venv) stay
    changes = subprocess.run(
        [*git, "diff", "HEAD", "--binary"], cwd=root, capture_output=True, check=True
    ).stdout
    if changes:
        subprocess.run([*git, "apply", "--whitespace=nowarn"], cwd=checkout, input=changes, check=True)
    untracked = subprocess.run(
        [*git, "ls-files", "--others", "--exclude-standard", "-z"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in filter(None, untracked.split("\0")):
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, checkout / name)
    uv = root / ".tools" / "bin" / "uv"
    subprocess.run(
        [
            str(uv) if uv.exists() else "uv",
            "sync",
            "--all-packages",
            "--frozen",
            "--quiet",
            "--python",
            "python3.11",
        ],
        cwd=checkout,
        check=True,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def http_workers(root: Path, count: int) -> Iterator[list[str]]:
    """`count` cosmic-ray HTTP workers, one in this checkout and one in each worker checkout;
    their URLs. Stopped (by their process ids) when done."""
    checkouts = [root] + [WORKERS / f"w{n}" for n in range(1, count)]
    for checkout in checkouts[1:]:
        prepare_worker_checkout(root, checkout)
    processes: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for checkout in checkouts:
            port = _free_port()
            log = (OUT / f"worker-{port}.log").open("wb")
            processes.append(
                subprocess.Popen(
                    [
                        str((checkout / ".venv" / "bin" / "cosmic-ray").absolute()),
                        "http-worker",
                        "--port",
                        str(port),
                    ],
                    cwd=checkout,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, "VIRTUAL_ENV": str((checkout / ".venv").absolute())},
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
            _wait_for_port(port)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def _wait_for_port(port: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.2)
    raise SystemExit(f"mutation: the worker on port {port} did not start (var/mutation/worker-{port}.log)")


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _key(operator: str, source_line: str, diff: str) -> str:
    """`operator @ source line -> mutated line`: the mutated line read from the mutant's diff."""
    mutated = next(
        (line[1:] for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")),
        "",
    )
    return f"{operator.removeprefix('core/')} @ {source_line.strip()} -> {mutated.strip()}"


def _is_bare_star(source: list[str], operator: str, start: tuple[int, int]) -> bool:
    """cosmic-ray's `*` to `/` also "mutates" the bare `*` of a signature (keyword-only parameters
    after it) into `/` (positional-only before it): not arithmetic, and no caller can tell while
    every caller names those parameters."""
    if not operator.startswith("core/ReplaceBinaryOperator_Mul_"):
        return False
    line = source[start[0] - 1]
    return line[start[1] : start[1] + 1] == "*" and line[start[1] + 1 :].lstrip()[:1] in (",", ")", "")


def mutate(
    root: Path,
    settings: Settings,
    module: Guarded,
    *,
    only_lines: set[int] | None,
    workers: list[str] | None = None,
) -> Outcome:
    """Run cosmic-ray over one module (only on `only_lines` if given; by the HTTP `workers` if
    given) and read its results."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    OUT.mkdir(parents=True, exist_ok=True)
    config, session = OUT / f"{module.name}.toml", OUT / f"{module.name}.sqlite"
    config.write_text(_cosmic_ray_config(settings, module, _python(root), workers))
    session.unlink(missing_ok=True)
    bin_dir = Path(sys.executable).parent
    started = time.monotonic()
    subprocess.run([bin_dir / "cosmic-ray", "init", config, session], cwd=root, check=True)
    subprocess.run([bin_dir / "cr-filter-operators", session, config], cwd=root, check=True)
    source = (root / module.path).read_text().splitlines()
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item in list(db.pending_work_items):
            if only_lines is not None and not any(m.start_pos[0] in only_lines for m in item.mutations):
                reason = "Line not changed"
            elif any(_is_bare_star(source, m.operator_name, m.start_pos) for m in item.mutations):
                reason = "The keyword-only marker, not an operator"
            else:
                continue
            db.set_result(item.job_id, WorkResult(output=reason, worker_outcome=WorkerOutcome.SKIPPED))
    subprocess.run([bin_dir / "cosmic-ray", "exec", config, session], cwd=root, check=True)
    outcome = Outcome(module, seconds=time.monotonic() - started)
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            not_run = result.worker_outcome == WorkerOutcome.SKIPPED or result.test_outcome is None
            if not_run or result.test_outcome.value == "incompetent":
                outcome.skipped += 1
            elif result.test_outcome.value == "survived":
                mutation = item.mutations[0]
                key = _key(mutation.operator_name, source[mutation.start_pos[0] - 1], result.diff or "")
                outcome.survivors.append((key, result.diff or ""))
            elif result.output == "timeout":
                outcome.timed_out += 1
            else:
                outcome.killed += 1
    return outcome


def baseline(root: Path, settings: Settings, module: Guarded) -> None:
    """The module's tests must pass before its mutants mean anything."""
    command = [sys.executable, "-m", "pytest", *settings.pytest_args, *module.pytest_args, *module.tests]
    if subprocess.run(command, cwd=root).returncode != 0:
        raise SystemExit(f"mutation: the tests of {module.name} fail without any mutant; fix them first")


def report(outcomes: list[Outcome], *, base: str | None) -> str:
    """The report in Markdown."""
    scope = f"lines changed since {base}" if base else "every line"
    lines = [
        "# Mutation testing report",
        "",
        f"Scope: {scope}. Score = killed (timeouts included) / (run - known equivalent).",
        "",
        "| module | killed | timed out | survived | equivalent | score | minutes |",
        "|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        known = len(o.survivors) - len(o.new_survivors)
        lines.append(
            f"| {o.module.name} | {o.killed} | {o.timed_out} | {len(o.new_survivors)} | {known} |"
            f" {o.score:.0f} % | {o.seconds / 60:.1f} |"
        )
    for o in outcomes:
        for key, diff in o.new_survivors:
            lines += ["", f"## {o.module.name}: survived `{key}`", "", "```diff", diff.strip(), "```"]
    return "\n".join(lines) + "\n"


def run(root: Path, names: list[str], base: str | None, workers: int = 1) -> int:
    settings = load(root)
    chosen = [m for m in settings.modules if not names or m.name in names]
    unknown = set(names) - {m.name for m in settings.modules}
    if unknown:
        raise SystemExit(f"mutation: no guarded module named {', '.join(sorted(unknown))} in {CONFIG}")
    outcomes: list[Outcome] = []
    with http_workers(root, workers) if workers > 1 else contextlib.nullcontext() as urls:
        for module in chosen:
            only = changed_lines(root, base, module.path) if base else None
            if only is not None and not only:
                continue
            baseline(root, settings, module)
            outcomes.append(mutate(root, settings, module, only_lines=only, workers=urls))
            (OUT / "report.md").write_text(report(outcomes, base=base))
    text = report(outcomes, base=base)
    (OUT / "report.md").write_text(text)
    print(text)
    if base:
        return 1 if any(o.new_survivors for o in outcomes) else 0
    return 0


def selftest(root: Path) -> int:
    """A seeded mutant that must be killed: proves that the tests import the mutated file."""
    from cosmic_ray.mutating import mutate_and_test
    from cosmic_ray.work_item import MutationSpec

    settings = load(root)
    [module] = [m for m in settings.modules if m.name == "names"]
    source = (root / module.path).read_text().splitlines()
    # cosmic-ray's first AddNot mutant of the file: `if not unicodedata.category(...) not in _HIDDEN`.
    [row] = [i + 1 for i, line in enumerate(source) if "not in _HIDDEN:" in line]
    command = shlex.join([sys.executable, "-m", "pytest", *settings.pytest_args, *module.tests])
    seeded = MutationSpec(
        module_path=Path(module.path),
        operator_name="core/AddNot",
        occurrence=0,
        start_pos=(row, 8),
        end_pos=(row, 29),
    )
    result = mutate_and_test([seeded], command, settings.timeout_s)
    print(result.diff)
    if result.test_outcome is None or result.test_outcome.value != "killed":
        print("mutation: the seeded mutant survived: the tests do not import the mutated code")
        return 1
    print("mutation: the seeded mutant was killed")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rtw_platform.testing.mutation")
    commands = parser.add_subparsers(dest="command", required=True)
    run_command = commands.add_parser("run", help="mutate the guarded modules and write the report")
    run_command.add_argument("--module", action="append", default=[], help="one guarded module (repeatable)")
    run_command.add_argument("--base", help="only lines changed since this revision; fail on a survivor")
    run_command.add_argument(
        "--workers",
        type=int,
        default=1,
        help="share the mutants among this many checkouts (var/mutation/workers/)",
    )
    commands.add_parser("selftest", help="a seeded mutant must be killed")
    args: Any = parser.parse_args(argv)
    root = Path.cwd()
    if args.command == "selftest":
        return selftest(root)
    return run(root, [n for n in args.module if n], args.base, max(1, args.workers))


if __name__ == "__main__":
    sys.exit(main())
