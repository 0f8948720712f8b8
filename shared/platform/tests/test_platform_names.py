"""People's names: NFC, at least one letter, nothing hidden (`rtw_platform.names`)."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel, ValidationError
from rtw_platform.names import HIDDEN_CHARACTERS, NO_LETTER, PersonName, person_name


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Amara ", "Amara"),
        ("Zoe\u0301", "Zo\u00e9"),  # decomposed é is stored composed
        ("O\u2019Neil-Smith Jr.", "O\u2019Neil-Smith Jr."),
        (
            "\u0645\u06cc\u200c\u0631\u0636\u0627",
            "\u0645\u06cc\u200c\u0631\u0636\u0627",
        ),  # Persian ZWNJ inside a word
        ("\u0645\u200c\u0631", "\u0645\u200c\u0631"),  # a joiner second in a name
        ("\u0645\u06cc\u200c\u0631", "\u0645\u06cc\u200c\u0631"),  # a joiner second to last
        ("\u0915\u094d\u200d\u0937", "\u0915\u094d\u200d\u0937"),  # Devanagari ZWJ after a virama (a mark)
        ("\u674e\u5c0f\u9f99", "\u674e\u5c0f\u9f99"),
        ("Ann 2", "Ann 2"),
    ],
)
def test_names_people_type_are_kept_nfc(typed: str, stored: str) -> None:
    assert person_name(typed) == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("\u200b\u200b", HIDDEN_CHARACTERS),  # zero-width spaces only
        ("\u200c", HIDDEN_CHARACTERS),  # a joiner with nothing to join
        ("Amara\u200c", HIDDEN_CHARACTERS),  # a joiner at the end of a name
        ("\u200cAmara", HIDDEN_CHARACTERS),  # a joiner at the start of a name
        ("Ann\u200c2", HIDDEN_CHARACTERS),  # a joiner before a digit
        ("2\u200cAnn", HIDDEN_CHARACTERS),  # a joiner after a digit
        ("A1\u200cbc", HIDDEN_CHARACTERS),  # a joiner after a digit after a letter
        ("\u202eanamA", HIDDEN_CHARACTERS),  # right-to-left override
        ("Am\u2066ara\u2069", HIDDEN_CHARACTERS),  # an isolate
        ("Amara\u200f", HIDDEN_CHARACTERS),  # right-to-left mark
        ("\ufeffAmara", HIDDEN_CHARACTERS),  # byte order mark
        ("Am\u00adara", HIDDEN_CHARACTERS),  # soft hyphen
        ("Ama\nra", HIDDEN_CHARACTERS),
        ("Ama\u2028ra", HIDDEN_CHARACTERS),
        ("", NO_LETTER),
        ("1234", NO_LETTER),
        ("- . '", NO_LETTER),
    ],
)
def test_names_without_a_letter_or_with_hidden_characters_are_refused(typed: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        person_name(typed)


def test_the_field_type_applies_the_rule() -> None:
    class Person(BaseModel):
        name: PersonName

    assert Person(name="Zoe\u0301").name == "Zo\u00e9"
    with pytest.raises(ValidationError, match="at least one letter"):
        Person(name="42")
