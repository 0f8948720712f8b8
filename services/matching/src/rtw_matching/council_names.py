"""Finding a council by what someone types: part of its name (any case, accents, punctuation
and "council" ignored), its region or its GSS code. Pure: over the reference list of councils."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rtw_platform import reference

#: The most choices shown at once: more means the words typed should say more.
MOST_SHOWN = 20
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_FILLER = frozenset({"council", "borough", "city", "county", "of", "the", "and", "district", "metropolitan"})


@dataclass(frozen=True)
class CouncilChoice:
    gss_code: str
    name: str
    region: str

    @property
    def text(self) -> str:
        return f"{self.name} ({self.region})"


@dataclass(frozen=True)
class Found:
    choices: tuple[CouncilChoice, ...]
    total: int  # every council that matched, of which at most MOST_SHOWN are choices


def _words(typed: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", typed).encode("ascii", "ignore").decode().lower()
    return [w for w in _NOT_WORD.split(plain) if w]


def find_councils(typed: str) -> Found:
    """Councils whose name, region or code hold every word typed (words such as "council" or
    "borough" aside, unless nothing else was typed); names starting with the words first."""
    words = _words(typed)
    meaningful = [w for w in words if w not in _FILLER] or words
    if not meaningful:
        return Found((), 0)
    found: list[tuple[int, CouncilChoice]] = []
    for council in reference.councils().values():
        name = " ".join(_words(council.name))
        haystack = f"{name} {' '.join(_words(council.region.label))} {council.gss_code.lower()}"
        if all(w in haystack for w in meaningful):
            starts = 0 if name.startswith(meaningful[0]) else 1
            choice = CouncilChoice(council.gss_code, council.name, council.region.label)
            found.append((starts, choice))
    found.sort(key=lambda pair: (pair[0], pair[1].name))
    return Found(tuple(choice for _, choice in found[:MOST_SHOWN]), len(found))


def council_choice(gss_code: str) -> CouncilChoice | None:
    """The council with that code, as a choice (None for a code of no council)."""
    council = reference.councils().get(gss_code)
    return CouncilChoice(council.gss_code, council.name, council.region.label) if council else None
