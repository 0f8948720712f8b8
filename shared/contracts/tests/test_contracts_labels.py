"""Every code of the contracts has a name people read: one source, every member labelled."""

from __future__ import annotations

import inspect
import re
from enum import Enum

import pytest
import rtw_contracts
from rtw_contracts import FlexibleWorking, Language, Programme, WithdrawalReason, WorkMode, types
from rtw_contracts.labels import ENGLISH, LABELS, WELSH, label_for_code, labels_for, reading_language

pytestmark = pytest.mark.unit

ENUMS = sorted(
    {
        value
        for module in (rtw_contracts, types)
        for _, value in inspect.getmembers(module, inspect.isclass)
        if issubclass(value, Enum) and value.__module__.startswith("rtw_contracts")
    },
    key=lambda kind: kind.__name__,
)


def test_the_contracts_have_enums_to_label() -> None:
    assert Programme in ENUMS
    assert WithdrawalReason in ENUMS
    assert len(ENUMS) >= 17


@pytest.mark.parametrize("kind", ENUMS, ids=lambda kind: kind.__name__)
def test_every_member_of_every_enum_has_an_english_label(kind: type[Enum]) -> None:
    assert kind in ENGLISH, f"{kind.__name__} has no labels in rtw_contracts.labels.ENGLISH"
    for member in kind:
        label = ENGLISH[kind].get(member.value)
        assert label, f"{kind.__name__}.{member.name} has no English label"
        assert member.label == label  # type: ignore[attr-defined]
        assert not re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", label), f"{label!r} reads as a code"


def test_labels_name_only_members_that_exist() -> None:
    for labels in LABELS.values():
        for kind, by_value in labels.items():
            assert set(by_value) <= {member.value for member in kind}, kind.__name__


def test_members_sharing_a_value_keep_their_own_labels() -> None:
    assert WorkMode.HYBRID.value == FlexibleWorking.HYBRID.value  # the same code …
    assert WorkMode.HYBRID.label != FlexibleWorking.HYBRID.label  # … with a label of its own


@pytest.mark.parametrize("kind", ENUMS, ids=lambda kind: kind.__name__)
def test_every_member_of_every_enum_has_a_welsh_label(kind: type[Enum]) -> None:
    for member in kind:
        assert WELSH.get(kind, {}).get(member.value), f"{kind.__name__}.{member.name} has no Welsh label"


def test_labels_are_in_the_page_s_language_and_english_elsewhere() -> None:
    assert Programme.ICT.label_in(Language.CY) == "TGCh a digidol"
    assert Programme.ICT.label == "ICT and digital"
    token = reading_language.set("cy")
    try:
        assert Programme.ICT.label == "TGCh a digidol"
        assert labels_for(WithdrawalReason)["found_work"] == "Rwyf wedi dod o hyd i waith"
        assert labels_for(WithdrawalReason, Language.EN)["found_work"] == "I have found work"
    finally:
        reading_language.reset(token)
    assert labels_for(WithdrawalReason)["programme_not_suitable"] == "The programme is not right for me"


def test_a_stored_code_is_shown_as_its_label_or_at_least_as_words() -> None:
    assert label_for_code("found_work", WithdrawalReason) == "I have found work"
    assert label_for_code("something_new", WithdrawalReason) == "Something new"
