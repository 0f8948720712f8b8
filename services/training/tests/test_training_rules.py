"""Training rules without I/O: the CPD ledger, skills gained, module recommendations, the curricula
and the certificate signer."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError
from rtw_contracts import Programme, SkillClaim, SkillGap, SkillLevel
from rtw_platform import reference
from rtw_training import domain
from rtw_training.certificates import CertificateSigner
from rtw_training.curricula import (
    CURRICULA,
    ICT,
    SOCIAL_WORK,
    CpdRule,
    Module,
    curriculum,
    curriculum_for,
)
from rtw_training.domain import CpdEntry, CpdKind

pytestmark = pytest.mark.unit

W, P = SkillLevel.WORKING, SkillLevel.PRACTITIONER
RULE = CpdRule()


def entries(structured: float = 0, private: float = 0) -> list[CpdEntry]:
    """CPD entries of at most 5 days each, as providers record them."""
    out: list[CpdEntry] = []
    for kind, total in ((CpdKind.STRUCTURED, structured), (CpdKind.PRIVATE_STUDY, private)):
        left = total
        while left > 0:
            out.append(CpdEntry(date(2026, 3, 2), min(5, left), kind))
            left -= min(5, left)
    return out


# --------------------------------------------------------------------------- the CPD rule


def test_out_of_practice_exactly_five_years_needs_thirty_days() -> None:
    assert domain.required_cpd_days(RULE, 5.0) == 30


def test_out_of_practice_just_over_five_years_needs_sixty_days() -> None:
    assert domain.required_cpd_days(RULE, 5.0001) == 60
    assert domain.required_cpd_days(RULE, 12) == 60


def test_a_short_break_needs_thirty_days() -> None:
    assert domain.required_cpd_days(RULE, 0.5) == 30


def test_years_out_of_practice_are_counted_from_the_month_last_practised() -> None:
    four_and_a_half = domain.years_out_of_practice(date(2022, 1, 1), date(2026, 7, 2))
    assert 4.49 < four_and_a_half < 4.51
    assert domain.required_cpd_days(RULE, four_and_a_half) == 30
    over_five = domain.years_out_of_practice(date(2021, 1, 1), date(2026, 1, 3))
    assert domain.required_cpd_days(RULE, over_five) == 60


def test_half_private_study_and_half_structured_meets_thirty_days() -> None:
    status = domain.cpd_status(RULE, 3, entries(structured=15, private=15))
    assert status.required_days == 30
    assert (status.structured_days, status.private_study_days) == (15, 15)
    assert status.counted_days == 30
    assert status.met


def test_private_study_beyond_half_does_not_count() -> None:
    status = domain.cpd_status(RULE, 3, entries(structured=10, private=20))
    assert status.private_study_days == 20
    assert status.counted_days == 25
    assert not status.met


def test_private_study_alone_never_meets_the_requirement() -> None:
    status = domain.cpd_status(RULE, 3, entries(private=40))
    assert status.counted_days == 15
    assert not status.met


def test_structured_learning_alone_meets_the_requirement() -> None:
    status = domain.cpd_status(RULE, 3, entries(structured=30))
    assert status.counted_days == 30
    assert status.met


def test_one_day_short_is_not_met() -> None:
    status = domain.cpd_status(RULE, 3, entries(structured=29.5))
    assert not status.met


def test_longer_breaks_cap_private_study_at_half_of_sixty() -> None:
    met = domain.cpd_status(RULE, 6, entries(structured=30, private=30))
    assert (met.required_days, met.counted_days, met.met) == (60, 60, True)
    short = domain.cpd_status(RULE, 6, entries(structured=29, private=31))
    assert (short.counted_days, short.met) == (59, False)


def test_no_entries_counts_nothing() -> None:
    status = domain.cpd_status(RULE, 2, [])
    assert (status.counted_days, status.met) == (0, False)


def test_the_ledger_counts_entries_given_as_any_iterable() -> None:
    status = domain.cpd_status(RULE, 3, iter(entries(structured=15, private=15)))
    assert status.private_study_days == 15
    assert status.met


# --------------------------------------------------------------------------- completion and skills


def test_missing_modules_are_the_required_ones_not_done() -> None:
    missing = domain.missing_modules(ICT, ["technical-skills", "cloud-and-data"])
    assert [m.id for m in missing] == [
        "digital-local-government",
        "learning-preferences",
        "soft-skills-brand",
        "interview-techniques",
    ]
    assert domain.missing_modules(ICT, [m.id for m in ICT.required_modules]) == []


def test_skills_gained_keep_the_highest_level_of_each_skill() -> None:
    for order in (
        ["interview-techniques", "soft-skills-brand"],
        ["soft-skills-brand", "interview-techniques"],
    ):
        gained = domain.skills_gained(ICT, order)
        assert gained == [
            SkillClaim(skill="Communicating between the technical and non-technical", level=P),
            SkillClaim(skill="Communicating information", level=P),
        ]


def test_skills_gained_only_from_completed_modules() -> None:
    gained = domain.skills_gained(ICT, ["interview-techniques", "no-such-module"])
    assert gained == [SkillClaim(skill="Communicating information", level=W)]
    assert domain.skills_gained(ICT, []) == []


def test_modules_are_recommended_only_when_they_reach_the_level_needed() -> None:
    needs_practitioner = [SkillGap(skill="Communicating information", required_level=P)]
    picks = domain.recommend_modules(ICT, needs_practitioner, [])
    assert [(m.id, closes) for m, closes in picks] == [("soft-skills-brand", ["Communicating information"])]

    needs_working = [SkillGap(skill="Communicating information", required_level=W, current_level=None)]
    picks = domain.recommend_modules(ICT, needs_working, [])
    assert [m.id for m, _ in picks] == ["interview-techniques", "soft-skills-brand"]


def test_no_module_is_recommended_for_a_level_none_reaches() -> None:
    gaps = [SkillGap(skill="Information security", required_level=P, current_level=W)]
    assert domain.recommend_modules(ICT, gaps, []) == []


def test_recommendations_close_the_most_gaps_first_and_skip_completed_modules() -> None:
    gaps = [
        SkillGap(skill="Communicating information", required_level=W),
        SkillGap(skill="User focus", required_level=P),
        SkillGap(skill="Accessibility", required_level=W),
    ]
    picks = domain.recommend_modules(ICT, gaps, [])
    assert [(m.id, closes) for m, closes in picks] == [
        ("digital-local-government", ["User focus", "Accessibility"]),
        ("interview-techniques", ["Communicating information"]),
        ("soft-skills-brand", ["Communicating information"]),
    ]
    later = domain.recommend_modules(ICT, gaps, ["digital-local-government", "interview-techniques"])
    assert [m.id for m, _ in later] == ["soft-skills-brand"]


# --------------------------------------------------------------------------- curricula


def test_every_programme_has_a_curriculum_found_by_its_id_and_version() -> None:
    assert set(CURRICULA) == set(Programme)
    for programme in Programme:
        found = curriculum_for(programme)
        assert found.programme is programme
        assert curriculum(found.id, found.version) is found
    assert curriculum(ICT.id, "1999.1") is None


def test_every_module_builds_known_framework_skills() -> None:
    known = reference.framework_skills()
    for curriculum_ in CURRICULA.values():
        assert curriculum_.required_modules, f"{curriculum_.id} has no required module"
        ids = [m.id for m in curriculum_.modules]
        assert len(ids) == len(set(ids)), f"{curriculum_.id} repeats a module id"
        for module in curriculum_.modules:
            assert module.skills, f"{curriculum_.id}/{module.id} builds no skill"
            for claim in module.skills:
                assert claim.skill in known, f"{curriculum_.id}/{module.id}: {claim.skill!r}"


def test_a_module_naming_an_unknown_skill_is_refused() -> None:
    with pytest.raises(ValidationError, match="not a framework skill"):
        Module(
            id="made-up",
            title="Made up",
            hours=1,
            skills=(SkillClaim(skill="Telepathy", level=W),),
        )


def test_only_social_work_keeps_a_cpd_ledger() -> None:
    assert SOCIAL_WORK.cpd == CpdRule()
    assert [c.id for c in CURRICULA.values() if c.cpd is not None] == [SOCIAL_WORK.id]


# --------------------------------------------------------------------------- certificates


def facts() -> dict[str, Any]:
    return {
        "certificate_id": "6b1c7a52-0b0e-4c7d-9a55-1b0c3d7a1e01",
        "name": "Zoë O'Brien",
        "programme": "ict",
        "curriculum": "Return to Work - ICT: Socitm online refresher (2026.1)",
        "provider": "Socitm",
        "modules": ["Technical skills refresher", "Interview techniques"],
        "skills": [
            {"skill": "Systems design", "level": 3},
            {"skill": "Communicating information", "level": 2},
        ],
        "cpd_days": None,
        "issued_on": "2026-11-23",
    }


SIGNER = CertificateSigner.from_secret("a development secret for the tests")


def test_a_certificate_verifies_with_its_own_signature() -> None:
    signature = SIGNER.sign(facts())
    assert SIGNER.verify(facts(), signature)
    # Key order does not matter: the signed bytes are canonical.
    assert SIGNER.verify(dict(reversed(list(facts().items()))), signature)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Zoe O'Brien"),
        ("issued_on", "2026-11-24"),
        (
            "skills",
            [{"skill": "Systems design", "level": 4}, {"skill": "Communicating information", "level": 2}],
        ),
        ("modules", ["Technical skills refresher"]),
        ("cpd_days", 30.0),
    ],
)
def test_a_changed_fact_breaks_the_signature(field: str, value: Any) -> None:
    signature = SIGNER.sign(facts())
    assert not SIGNER.verify({**facts(), field: value}, signature)


def test_a_changed_signature_is_rejected() -> None:
    signature = SIGNER.sign(facts())
    raw = bytearray(base64.urlsafe_b64decode(signature))
    raw[10] ^= 0x01
    assert not SIGNER.verify(facts(), base64.urlsafe_b64encode(bytes(raw)).decode())
    assert not SIGNER.verify(facts(), signature[:-8])
    assert not SIGNER.verify(facts(), "not base64 at all!")
    assert not SIGNER.verify(facts(), "")


def test_a_signature_from_another_key_is_rejected() -> None:
    other = CertificateSigner.from_secret("someone else's secret")
    assert not SIGNER.verify(facts(), other.sign(facts()))
    assert SIGNER.public_key_pem() != other.public_key_pem()


def test_the_same_secret_always_gives_the_same_key() -> None:
    again = CertificateSigner.from_secret("a development secret for the tests")
    assert again.public_key_pem() == SIGNER.public_key_pem()
    assert again.verify(facts(), SIGNER.sign(facts()))


def test_a_pem_private_key_is_used_as_is() -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    signer = CertificateSigner.from_secret(pem)
    expected_public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert signer.public_key_pem() == expected_public.decode()
    assert signer.public_key_pem().startswith("-----BEGIN PUBLIC KEY-----")
    signature = signer.sign(facts())
    # Anyone holding the published key can check it.
    key.public_key().verify(base64.urlsafe_b64decode(signature), _canonical(facts()))
    assert signer.verify(facts(), signature)
    assert not SIGNER.verify(facts(), signature)


def test_a_pem_key_of_another_kind_is_refused() -> None:
    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    with pytest.raises(ValueError, match="Ed25519"):
        CertificateSigner.from_secret(pem)


def _canonical(values: dict[str, Any]) -> bytes:
    import json

    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
