"""People's names as they type them: one rule for every service that stores a person's name.

A name is stored NFC-normalised (so "é" typed two ways is one name), must contain at least one
letter, and may not hide characters a reader cannot see: zero-width and other formatting
characters, text-direction overrides and isolates (which can make a name display as something
else), control characters and line separators. The zero-width joiner and non-joiner are kept
where they join two letters inside a word, as Persian and Indic names need them.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator

#: Joiners some scripts need inside a word (allowed only between two letters or marks).
_JOINERS = frozenset({"\u200c", "\u200d"})
#: Categories never allowed: controls, formatting (zero-width, bidi), line and paragraph
#: separators, private use, surrogates and unassigned code points.
_HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})

NO_LETTER = "Enter a name with at least one letter"
HIDDEN_CHARACTERS = (
    "Remove the hidden characters (such as zero-width spaces or text-direction marks) from the name"
)


def _is_letter_or_mark(character: str) -> bool:
    return unicodedata.category(character)[0] in ("L", "M")


def person_name(value: str) -> str:
    """The name trimmed and NFC-normalised; ValueError with a message a person can act on when it
    has no letter or holds hidden formatting or text-direction characters."""
    name = unicodedata.normalize("NFC", value).strip()
    for position, character in enumerate(name):
        if unicodedata.category(character) not in _HIDDEN:
            continue
        inside_a_word = (
            character in _JOINERS
            and 0 < position < len(name) - 1
            and _is_letter_or_mark(name[position - 1])
            and _is_letter_or_mark(name[position + 1])
        )
        if not inside_a_word:
            raise ValueError(f"{HIDDEN_CHARACTERS} (U+{ord(character):04X})")
    if not any(unicodedata.category(character).startswith("L") for character in name):
        raise ValueError(NO_LETTER)
    return name


#: A pydantic field type applying `person_name` (add length limits with `Field`).
PersonName = Annotated[str, AfterValidator(person_name)]
