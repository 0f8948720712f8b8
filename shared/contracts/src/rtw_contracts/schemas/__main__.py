"""``python -m rtw_contracts.schemas write|check|release VERSION``."""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version

from rtw_contracts.schemas import ReleaseError, check_schemas, release_schemas, write_schemas


def _contracts_version() -> str | None:
    try:
        return package_version("rtw-contracts")
    except PackageNotFoundError:  # pragma: no cover - run from a bare source tree
        return None


def main(argv: list[str] | None = None) -> int:
    """Run the command; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m rtw_contracts.schemas",
        description=(
            "Regenerate or check the committed JSON Schemas of the events, or snapshot them as a "
            "release (shared/contracts/released/VERSION/) that later changes are checked against."
        ),
    )
    parser.add_argument("command", choices=["write", "check", "release"])
    parser.add_argument(
        "version", nargs="?", help="release: the version to snapshot (the contracts package's version)"
    )
    parser.add_argument(
        "--allow-breaking",
        action="store_true",
        help="write: overwrite schemas even with breaking changes (only for unreleased events)",
    )
    args = parser.parse_args(argv)
    if args.command == "write":
        changed, refused = write_schemas(allow_breaking=args.allow_breaking)
        for line in changed:
            print(line)
        for line in refused:
            print(line, file=sys.stderr)
        return 1 if refused else 0
    if args.command == "release":
        if not args.version:
            parser.error("release needs a VERSION, e.g. `release 1.1.0`")
        try:
            target = release_schemas(args.version, package_version=_contracts_version())
        except ReleaseError as error:
            print(f"release refused: {error}", file=sys.stderr)
            return 1
        print(f"released {args.version}: {target}")
        return 0
    problems = check_schemas()
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print("schemas: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
