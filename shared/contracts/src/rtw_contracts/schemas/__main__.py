"""``python -m rtw_contracts.schemas write|check``."""

from __future__ import annotations

import argparse
import sys

from rtw_contracts.schemas import check_schemas, write_schemas


def main(argv: list[str] | None = None) -> int:
    """Run the command; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m rtw_contracts.schemas",
        description="Regenerate or check the committed JSON Schemas of the events.",
    )
    parser.add_argument("command", choices=["write", "check"])
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
    problems = check_schemas()
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print("schemas: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
