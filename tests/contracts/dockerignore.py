"""The files Docker sends as a build context, by its `.dockerignore` rules (moby's
patternmatcher): patterns are relative to the context root; `*` and `?` stay within one path
segment, `**` spans any number; a pattern that matches a folder matches everything in it; `!`
re-includes; the last matching pattern decides."""

from __future__ import annotations

import os
import re
from pathlib import Path


def _regex(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
            continue
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
            continue
        out += "[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char)
        i += 1
    return re.compile(out)


def _lines(root: Path) -> list[str]:
    path = root / ".dockerignore"
    return path.read_text().splitlines() if path.is_file() else []  # none: everything is sent


def _negations(root: Path) -> list[str]:
    return [
        os.path.normpath(line.strip()[1:].strip()).lstrip("/")
        for line in _lines(root)
        if line.strip().startswith("!")
    ]


def _rules(root: Path) -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for line in _lines(root):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = os.path.normpath(line.removeprefix("!").strip()).lstrip("/")
        rules.append((negated, _regex(pattern)))
    return rules


def excluded(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether Docker leaves `path` (relative, with /) out of the context."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    verdict = False
    for negated, regex in rules:
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            verdict = not negated
    return verdict


def context_files(root: Path) -> list[str]:
    """Every file of the build context rooted at `root`, relative, sorted."""
    rules = _rules(root)
    negations = _negations(root)
    files: list[str] = []
    for folder, dirs, names in os.walk(root):
        relative = os.path.relpath(folder, root)
        base = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        # A folder left out is not walked unless a `!` rule might bring part of it back (as Docker
        # does: a rule starting with `**` or inside the folder).
        dirs[:] = [
            d
            for d in dirs
            if not excluded(base + d, rules)
            or any(n.startswith("**") or n.startswith(base + d + "/") for n in negations)
        ]
        files.extend(base + name for name in names if not excluded(base + name, rules))
    return sorted(files)
