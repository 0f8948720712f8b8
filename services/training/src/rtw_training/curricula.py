"""Curricula as versioned data: each programme's refresher modules and the framework skills each
module builds (and to which level). A change is a new version; enrolments keep theirs."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator
from rtw_contracts import Programme, SkillClaim, SkillLevel
from rtw_platform import reference


class Module(BaseModel):
    """A module of a curriculum."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,60}$")
    title: str
    required: bool = True
    hours: float = Field(gt=0)
    skills: tuple[SkillClaim, ...] = Field(description="Framework skills it builds, to a level.")

    @model_validator(mode="after")
    def _known_skills(self) -> Module:
        known = reference.framework_skills()
        for claim in self.skills:
            if claim.skill not in known:
                raise ValueError(f"module {self.id}: {claim.skill!r} is not a framework skill")
        return self


class CpdRule(BaseModel):
    """Continuing professional development the regulator needs before restoring registration."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    days_if_out_up_to_5_years: float = 30
    days_if_out_longer: float = 60
    max_private_study_share: float = Field(default=0.5, gt=0, le=1)


class Curriculum(BaseModel):
    """A programme's training, as one versioned document."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    version: str
    programme: Programme
    title: str
    provider: str
    weeks: int = Field(ge=1, le=104)
    modules: tuple[Module, ...] = Field(min_length=1)
    cpd: CpdRule | None = None

    def module(self, module_id: str) -> Module | None:
        """The module with this id."""
        return next((m for m in self.modules if m.id == module_id), None)

    @property
    def required_modules(self) -> tuple[Module, ...]:
        """The modules every learner must complete."""
        return tuple(m for m in self.modules if m.required)


def _s(skill: str, level: SkillLevel) -> SkillClaim:
    return SkillClaim(skill=skill, level=level)


W, P = SkillLevel.WORKING, SkillLevel.PRACTITIONER

ICT = Curriculum(
    id="ict-socitm",
    version="2026.1",
    programme=Programme.ICT,
    title="Return to Work - ICT: Socitm online refresher",
    provider="Socitm",
    weeks=12,
    modules=(
        Module(
            id="technical-skills",
            title="Technical skills refresher",
            hours=30,
            skills=(
                _s("Programming and build (software engineering)", P),
                _s("Modern development standards", P),
                _s("Systems design", P),
                _s("Information security", W),
                _s("Availability and capacity management", W),
            ),
        ),
        Module(
            id="cloud-and-data",
            title="Cloud infrastructure and working with data",
            required=False,
            hours=16,
            skills=(
                _s("Systems integration", P),
                _s("Data management", P),
                _s("Data visualisation", P),
                _s("Service support", P),
            ),
        ),
        Module(
            id="digital-local-government",
            title="The role of digital services in local government",
            hours=10,
            skills=(_s("User focus", P), _s("Accessibility", W), _s("Strategic thinking", W)),
        ),
        Module(
            id="learning-preferences",
            title="Self-awareness and behavioural preferences for learning",
            hours=6,
            skills=(_s("Community collaboration", W),),
        ),
        Module(
            id="soft-skills-brand",
            title="Soft skills and professional brand",
            hours=8,
            skills=(
                _s("Communicating between the technical and non-technical", P),
                _s("Communicating information", P),
            ),
        ),
        Module(
            id="interview-techniques",
            title="Interview techniques",
            hours=4,
            skills=(_s("Communicating information", W),),
        ),
    ),
)

SOCIAL_WORK = Curriculum(
    id="social-work-refresher",
    version="2026.1",
    programme=Programme.SOCIAL_WORK,
    title="Return to Social Work: 13-week refresher",
    provider="Social work refresher provider",
    weeks=13,
    modules=(
        Module(
            id="law-and-policy",
            title="Law, policy and guidance update",
            hours=24,
            skills=(_s("Communicating information", P),),
        ),
        Module(
            id="safeguarding",
            title="Safeguarding adults and children today",
            hours=24,
            skills=(_s("User focus", P),),
        ),
        Module(
            id="assessment-planning",
            title="Assessment, planning and recording",
            hours=24,
            skills=(_s("Analysis and insight", W),),
        ),
        Module(
            id="reflective-practice",
            title="Reflective practice and supervision",
            hours=16,
            skills=(_s("Community collaboration", W),),
        ),
        Module(
            id="restoration-portfolio",
            title="Portfolio for restoration to the register",
            hours=12,
            skills=(_s("Communicating information", W),),
        ),
    ),
    cpd=CpdRule(),
)

PLANNING = Curriculum(
    id="planning-refresher",
    version="2026.1",
    programme=Programme.PLANNING,
    title="Return to Planning refresher",
    provider="Planning refresher provider",
    weeks=10,
    modules=(
        Module(
            id="planning-law-update",
            title="Planning law and national policy update",
            hours=20,
            skills=(_s("Communicating information", P),),
        ),
        Module(
            id="development-management",
            title="Development management in practice",
            hours=20,
            skills=(_s("Analysis and insight", W),),
        ),
        Module(
            id="digital-planning",
            title="Digital planning tools and data",
            hours=10,
            skills=(_s("Data visualisation", W), _s("User focus", W)),
        ),
    ),
)

LEGAL = Curriculum(
    id="legal-refresher",
    version="2026.1",
    programme=Programme.LEGAL,
    title="Return to Legal refresher",
    provider="Legal refresher provider",
    weeks=10,
    modules=(
        Module(
            id="public-law-update",
            title="Public and local government law update",
            hours=20,
            skills=(_s("Communicating information", P),),
        ),
        Module(
            id="governance-and-procurement",
            title="Governance, decision-making and procurement",
            hours=16,
            skills=(_s("Analysis and insight", W),),
        ),
        Module(
            id="legal-technology",
            title="Legal technology and information governance",
            hours=8,
            skills=(_s("Data ethics and privacy", W),),
        ),
    ),
)

CURRICULA: dict[Programme, Curriculum] = {
    Programme.ICT: ICT,
    Programme.SOCIAL_WORK: SOCIAL_WORK,
    Programme.PLANNING: PLANNING,
    Programme.LEGAL: LEGAL,
}


def curriculum_for(programme: Programme) -> Curriculum:
    """The curriculum new learners of a programme enrol on."""
    return CURRICULA[programme]


def curriculum(curriculum_id: str, version: str) -> Curriculum | None:
    """A curriculum by id and version (enrolments keep the version they started on)."""
    return next((c for c in CURRICULA.values() if c.id == curriculum_id and c.version == version), None)
