"""The names people read for the contracts' codes: one source for every page, e-mail and report.

Each enum of the contracts has a label per member, per language (`LABELS[Language.EN]`). Every
enum member has `.label` (English) and `.label_in(language)`; a language without a member's label
yet (Welsh, for now) falls back to English. `labels_for(Programme)` gives a form's choices in order.
The test `shared/contracts/tests/test_contracts_labels.py` fails when any member has no English label.
"""

from __future__ import annotations

from contextvars import ContextVar
from enum import Enum
from typing import Any

from .types import (
    AdjustmentKind,
    AssessmentOutcome,
    AssessmentStage,
    CareerBreakReason,
    ContractType,
    DecisionKind,
    FlexibleWorking,
    IctSpecialism,
    IneligibilityReason,
    Language,
    MatchResponse,
    Nation,
    Programme,
    Recommendation,
    Region,
    SkillLevel,
    WithdrawalReason,
    WorkMode,
)

#: Labels by enum, then by the member's value (members of different enums may share a value, as
#: `WorkMode.HYBRID` and `FlexibleWorking.HYBRID` do, so one flat mapping would mix them up).
Labels = dict[type[Enum], dict[Any, str]]

ENGLISH: Labels = {
    Programme: {
        Programme.ICT: "ICT and digital",
        Programme.SOCIAL_WORK: "Social work",
        Programme.PLANNING: "Planning",
        Programme.LEGAL: "Legal",
    },
    Nation: {
        Nation.ENGLAND: "England",
        Nation.WALES: "Wales",
        Nation.SCOTLAND: "Scotland",
        Nation.NORTHERN_IRELAND: "Northern Ireland",
    },
    Region: {
        Region.EAST_MIDLANDS: "East Midlands",
        Region.EAST_OF_ENGLAND: "East of England",
        Region.LONDON: "London",
        Region.NORTH_EAST: "North East",
        Region.NORTH_WEST: "North West",
        Region.NORTHERN_IRELAND: "Northern Ireland",
        Region.SCOTLAND: "Scotland",
        Region.SOUTH_EAST: "South East",
        Region.SOUTH_WEST: "South West",
        Region.WALES: "Wales",
        Region.WEST_MIDLANDS: "West Midlands",
        Region.YORKSHIRE_AND_THE_HUMBER: "Yorkshire and The Humber",
    },
    CareerBreakReason: {
        CareerBreakReason.CARING: "I took a break to care for someone (a child or an adult)",
        CareerBreakReason.CARING_COVID_UNEMPLOYED: (
            "I was caring for someone and lost my job because of COVID-19"
        ),
        CareerBreakReason.LONG_TERM_UNEMPLOYED: "I have been out of work for a long time",
        CareerBreakReason.CARING_FOR_CHILDREN: "Caring for children",
        CareerBreakReason.CARING_FOR_ADULT: "Caring for an adult (a relative, partner or friend)",
        CareerBreakReason.OWN_HEALTH: "My own health",
        CareerBreakReason.RELOCATION: "Moving home (for example, with a partner's job or abroad)",
        CareerBreakReason.OTHER: "Another reason (including looking for work for a long time)",
    },
    IctSpecialism: {
        IctSpecialism.IT_TECHNICAL_SUPPORT: "IT technical support",
        IctSpecialism.SOFTWARE_DEVELOPER: "Software developer",
        IctSpecialism.DATA_ANALYST: "Data analyst",
        IctSpecialism.IT_ADMINISTRATOR: "IT administrator",
        IctSpecialism.PROJECT_MANAGER: "Project manager",
        IctSpecialism.ENTERPRISE_ARCHITECT: "Enterprise architect",
        IctSpecialism.TECHNICAL_ARCHITECT: "Technical architect",
        IctSpecialism.SOLUTION_ARCHITECT: "Solution architect",
        IctSpecialism.SECURITY_SPECIALIST: "Security specialist",
        IctSpecialism.SECURITY_ARCHITECT: "Security architect",
        IctSpecialism.INFORMATION_MANAGEMENT_SPECIALIST: "Information management specialist",
    },
    SkillLevel: {
        SkillLevel.AWARENESS: "Awareness",
        SkillLevel.WORKING: "Working",
        SkillLevel.PRACTITIONER: "Practitioner",
        SkillLevel.EXPERT: "Expert",
    },
    FlexibleWorking: {
        FlexibleWorking.PART_TIME: "Part-time",
        FlexibleWorking.JOB_SHARE: "Job share",
        FlexibleWorking.COMPRESSED_HOURS: "Compressed hours",
        FlexibleWorking.TERM_TIME: "Term-time only",
        FlexibleWorking.REMOTE: "Working from home",
        FlexibleWorking.HYBRID: "Hybrid (some days at an office)",
        FlexibleWorking.CHOICE_OF_BASE: "A choice of office",
    },
    WorkMode: {
        WorkMode.ON_SITE: "On site",
        WorkMode.HYBRID: "Hybrid",
        WorkMode.REMOTE: "Remote",
    },
    AssessmentStage: {
        AssessmentStage.SCREENING: "Eligibility screening",
        AssessmentStage.SECOND_STAGE: "Second stage",
        AssessmentStage.FINAL: "Final selection",
    },
    AssessmentOutcome: {
        AssessmentOutcome.INELIGIBLE: "Not eligible",
        AssessmentOutcome.SHORTLISTED: "Shortlisted",
        AssessmentOutcome.NOT_SHORTLISTED: "Not shortlisted",
        AssessmentOutcome.SCORED: "Scored",
        AssessmentOutcome.SELECTED: "Selected",
        AssessmentOutcome.WAITLISTED: "On the waiting list",
        AssessmentOutcome.REJECTED: "Not selected",
    },
    DecisionKind: {
        DecisionKind.AUTOMATIC: "Decided by the programme's rules",
        DecisionKind.OVERRIDE: "Changed by the programme team",
        DecisionKind.APPEAL: "Decided on appeal",
        DecisionKind.WAITLIST_PROMOTION: "A place offered from the waiting list",
    },
    IneligibilityReason: {
        IneligibilityReason.CAREER_BREAK_TOO_SHORT: "The career break is shorter than the programme asks for",
        IneligibilityReason.NO_QUALIFYING_BREAK: "No career break that qualifies for the programme",
        IneligibilityReason.INSUFFICIENT_EXPERIENCE: "Not enough experience in the profession",
        IneligibilityReason.NOT_PREVIOUSLY_REGISTERED: "Not registered with the professional body before",
        IneligibilityReason.OUT_OF_PRACTICE_TOO_SHORT: (
            "Out of practice for less time than the programme asks for"
        ),
        IneligibilityReason.OUT_OF_PRACTICE_TOO_LONG: "Out of practice for longer than the programme allows",
        IneligibilityReason.NO_RIGHT_TO_WORK: "No right to work in the UK",
        IneligibilityReason.OUTSIDE_WINDOW: "Applied when the cohort was not open for applications",
        IneligibilityReason.MISSING_PROFESSIONAL_BODY: "The professional body was not given",
    },
    WithdrawalReason: {
        WithdrawalReason.FOUND_WORK: "I have found work",
        WithdrawalReason.PERSONAL_CIRCUMSTANCES: "My circumstances have changed",
        WithdrawalReason.PROGRAMME_NOT_SUITABLE: "The programme is not right for me",
        WithdrawalReason.OTHER: "Another reason",
    },
    AdjustmentKind: {
        AdjustmentKind.WRITTEN_ALTERNATIVE_TO_VIDEO: "Written answers instead of the video",
        AdjustmentKind.LIVE_CALL_WITH_ASSESSOR: "A live call with an assessor instead of the video",
        AdjustmentKind.MORE_TIME: "More time",
        AdjustmentKind.OTHER_FORMAT: "Another format",
    },
    MatchResponse: {
        MatchResponse.ACCEPTED: "Accepted",
        MatchResponse.DECLINED: "Declined",
    },
    Language: {
        Language.EN: "English",
        Language.CY: "Cymraeg (Welsh)",
    },
    Recommendation: {
        Recommendation.STRONG_NO: "Strong no",
        Recommendation.NO: "No",
        Recommendation.YES: "Yes",
        Recommendation.STRONG_YES: "Strong yes",
    },
    ContractType: {
        ContractType.PERMANENT: "Permanent",
        ContractType.FIXED_TERM: "Fixed term",
    },
}

#: Welsh labels (docs/welsh.md has the glossary of the words chosen); a member missing here is
#: shown in English (`shared/contracts/tests/test_contracts_labels.py` fails when one is missing).
WELSH: Labels = {
    Programme: {
        Programme.ICT: "TGCh a digidol",
        Programme.SOCIAL_WORK: "Gwaith cymdeithasol",
        Programme.PLANNING: "Cynllunio",
        Programme.LEGAL: "Cyfreithiol",
    },
    Nation: {
        Nation.ENGLAND: "Lloegr",
        Nation.WALES: "Cymru",
        Nation.SCOTLAND: "Yr Alban",
        Nation.NORTHERN_IRELAND: "Gogledd Iwerddon",
    },
    Region: {
        Region.EAST_MIDLANDS: "Dwyrain Canolbarth Lloegr",
        Region.EAST_OF_ENGLAND: "Dwyrain Lloegr",
        Region.LONDON: "Llundain",
        Region.NORTH_EAST: "Gogledd-ddwyrain Lloegr",
        Region.NORTH_WEST: "Gogledd-orllewin Lloegr",
        Region.NORTHERN_IRELAND: "Gogledd Iwerddon",
        Region.SCOTLAND: "Yr Alban",
        Region.SOUTH_EAST: "De-ddwyrain Lloegr",
        Region.SOUTH_WEST: "De-orllewin Lloegr",
        Region.WALES: "Cymru",
        Region.WEST_MIDLANDS: "Gorllewin Canolbarth Lloegr",
        Region.YORKSHIRE_AND_THE_HUMBER: "Swydd Efrog a'r Humber",
    },
    CareerBreakReason: {
        CareerBreakReason.CARING: "Cymerais seibiant i ofalu am rywun (plentyn neu oedolyn)",
        CareerBreakReason.CARING_COVID_UNEMPLOYED: (
            "Roeddwn yn gofalu am rywun a chollais fy swydd oherwydd COVID-19"
        ),
        CareerBreakReason.LONG_TERM_UNEMPLOYED: "Rwyf wedi bod allan o waith ers amser hir",
        CareerBreakReason.CARING_FOR_CHILDREN: "Gofalu am blant",
        CareerBreakReason.CARING_FOR_ADULT: "Gofalu am oedolyn (perthynas, partner neu ffrind)",
        CareerBreakReason.OWN_HEALTH: "Fy iechyd fy hun",
        CareerBreakReason.RELOCATION: (
            "Symud cartref (er enghraifft, oherwydd swydd partner neu i wlad arall)"
        ),
        CareerBreakReason.OTHER: "Rheswm arall (gan gynnwys chwilio am waith am amser hir)",
    },
    IctSpecialism: {
        IctSpecialism.IT_TECHNICAL_SUPPORT: "Cymorth technegol TG",
        IctSpecialism.SOFTWARE_DEVELOPER: "Datblygwr meddalwedd",
        IctSpecialism.DATA_ANALYST: "Dadansoddwr data",
        IctSpecialism.IT_ADMINISTRATOR: "Gweinyddwr TG",
        IctSpecialism.PROJECT_MANAGER: "Rheolwr prosiect",
        IctSpecialism.ENTERPRISE_ARCHITECT: "Pensaer menter",
        IctSpecialism.TECHNICAL_ARCHITECT: "Pensaer technegol",
        IctSpecialism.SOLUTION_ARCHITECT: "Pensaer datrysiadau",
        IctSpecialism.SECURITY_SPECIALIST: "Arbenigwr diogelwch",
        IctSpecialism.SECURITY_ARCHITECT: "Pensaer diogelwch",
        IctSpecialism.INFORMATION_MANAGEMENT_SPECIALIST: "Arbenigwr rheoli gwybodaeth",
    },
    SkillLevel: {
        SkillLevel.AWARENESS: "Ymwybyddiaeth",
        SkillLevel.WORKING: "Gweithio",
        SkillLevel.PRACTITIONER: "Ymarferydd",
        SkillLevel.EXPERT: "Arbenigwr",
    },
    FlexibleWorking: {
        FlexibleWorking.PART_TIME: "Rhan-amser",
        FlexibleWorking.JOB_SHARE: "Rhannu swydd",
        FlexibleWorking.COMPRESSED_HOURS: "Oriau cywasgedig",
        FlexibleWorking.TERM_TIME: "Yn ystod y tymor yn unig",
        FlexibleWorking.REMOTE: "Gweithio gartref",
        FlexibleWorking.HYBRID: "Hybrid (rhai dyddiau mewn swyddfa)",
        FlexibleWorking.CHOICE_OF_BASE: "Dewis o swyddfa",
    },
    WorkMode: {
        WorkMode.ON_SITE: "Ar y safle",
        WorkMode.HYBRID: "Hybrid",
        WorkMode.REMOTE: "O bell",
    },
    AssessmentStage: {
        AssessmentStage.SCREENING: "Sgrinio cymhwysedd",
        AssessmentStage.SECOND_STAGE: "Ail gam",
        AssessmentStage.FINAL: "Dewis terfynol",
    },
    AssessmentOutcome: {
        AssessmentOutcome.INELIGIBLE: "Ddim yn gymwys",
        AssessmentOutcome.SHORTLISTED: "Ar y rhestr fer",
        AssessmentOutcome.NOT_SHORTLISTED: "Ddim ar y rhestr fer",
        AssessmentOutcome.SCORED: "Wedi'i sgorio",
        AssessmentOutcome.SELECTED: "Wedi'ch dewis",
        AssessmentOutcome.WAITLISTED: "Ar y rhestr aros",
        AssessmentOutcome.REJECTED: "Heb eich dewis",
    },
    DecisionKind: {
        DecisionKind.AUTOMATIC: "Penderfynwyd yn ôl rheolau'r rhaglen",
        DecisionKind.OVERRIDE: "Newidiwyd gan dîm y rhaglen",
        DecisionKind.APPEAL: "Penderfynwyd ar apêl",
        DecisionKind.WAITLIST_PROMOTION: "Lle wedi'i gynnig o'r rhestr aros",
    },
    IneligibilityReason: {
        IneligibilityReason.CAREER_BREAK_TOO_SHORT: (
            "Mae'r seibiant gyrfa yn fyrrach nag y mae'r rhaglen yn gofyn amdano"
        ),
        IneligibilityReason.NO_QUALIFYING_BREAK: "Dim seibiant gyrfa sy'n gymwys ar gyfer y rhaglen",
        IneligibilityReason.INSUFFICIENT_EXPERIENCE: "Dim digon o brofiad yn y proffesiwn",
        IneligibilityReason.NOT_PREVIOUSLY_REGISTERED: "Heb gofrestru gyda'r corff proffesiynol o'r blaen",
        IneligibilityReason.OUT_OF_PRACTICE_TOO_SHORT: (
            "Allan o ymarfer am lai o amser nag y mae'r rhaglen yn gofyn amdano"
        ),
        IneligibilityReason.OUT_OF_PRACTICE_TOO_LONG: (
            "Allan o ymarfer am fwy o amser nag y mae'r rhaglen yn ei ganiatáu"
        ),
        IneligibilityReason.NO_RIGHT_TO_WORK: "Dim hawl i weithio yn y DU",
        IneligibilityReason.OUTSIDE_WINDOW: "Wedi gwneud cais pan nad oedd y garfan ar agor i geisiadau",
        IneligibilityReason.MISSING_PROFESSIONAL_BODY: "Ni roddwyd y corff proffesiynol",
    },
    WithdrawalReason: {
        WithdrawalReason.FOUND_WORK: "Rwyf wedi dod o hyd i waith",
        WithdrawalReason.PERSONAL_CIRCUMSTANCES: "Mae fy amgylchiadau wedi newid",
        WithdrawalReason.PROGRAMME_NOT_SUITABLE: "Nid yw'r rhaglen yn iawn i mi",
        WithdrawalReason.OTHER: "Rheswm arall",
    },
    AdjustmentKind: {
        AdjustmentKind.WRITTEN_ALTERNATIVE_TO_VIDEO: "Atebion ysgrifenedig yn lle'r fideo",
        AdjustmentKind.LIVE_CALL_WITH_ASSESSOR: "Galwad fyw gydag asesydd yn lle'r fideo",
        AdjustmentKind.MORE_TIME: "Mwy o amser",
        AdjustmentKind.OTHER_FORMAT: "Fformat arall",
    },
    MatchResponse: {
        MatchResponse.ACCEPTED: "Derbyniwyd",
        MatchResponse.DECLINED: "Gwrthodwyd",
    },
    Language: {
        Language.EN: "Saesneg (English)",
        Language.CY: "Cymraeg",
    },
    Recommendation: {
        Recommendation.STRONG_NO: "Na, yn bendant",
        Recommendation.NO: "Na",
        Recommendation.YES: "Ie",
        Recommendation.STRONG_YES: "Ie, yn bendant",
    },
    ContractType: {
        ContractType.PERMANENT: "Parhaol",
        ContractType.FIXED_TERM: "Cyfnod penodol",
    },
}

LABELS: dict[Language, Labels] = {Language.EN: ENGLISH, Language.CY: WELSH}


#: The language of the page being made (set by the platform's pages while a request is answered;
#: English everywhere else, e.g. in e-mails, which pass their reader's language explicitly).
reading_language: ContextVar[str] = ContextVar("rtw_reading_language", default=Language.EN.value)


def label_of(member: Enum, language: Language | str | None = None) -> str:
    """The member's name for people, in the language (by default the page's: `reading_language`;
    English when it has none there yet)."""
    kind = type(member)
    chosen = LABELS.get(Language(language or reading_language.get()), {}).get(kind, {}).get(member.value)
    return chosen or ENGLISH[kind][member.value]


def labels_for(kind: type[Enum], language: Language | str | None = None) -> dict[str, Any]:
    """Every member's label, by value, in the enum's order (a form's choices, a template's table)."""
    return {member.value: label_of(member, language) for member in kind}


def label_for_code(code: str, *kinds: type[Enum], language: Language | str | None = None) -> str:
    """The label of a code stored as text (a timeline's reason), from the first of `kinds` that
    has it; a code none has is shown as words rather than as a code."""
    for kind in kinds:
        try:
            return label_of(kind(code), language)
        except ValueError:
            continue
    return code.replace("_", " ").capitalize()
