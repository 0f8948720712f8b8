"""The application's questions, one page each: what a page asks, how its form becomes answers
for `intake.save_answers`, how saved answers fill the form again, and how the check-your-answers
page shows them. Rules about what an application needs stay in `intake.missing_answers`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rtw_contracts import (
    CareerBreakReason,
    FlexibleWorking,
    IctSpecialism,
    Language,
    Programme,
    Region,
    SkillLevel,
)
from rtw_contracts.units import MAX_TRAVEL_MILES, km_from_miles, miles_from_km
from rtw_platform import reference
from rtw_platform.web import FormErrors, footer_pages, form_text, whole_number
from rtw_platform.web.i18n import N_, long_date, month_year, ngettext
from rtw_platform.web.i18n import gettext as _
from starlette.datastructures import FormData

from .. import domain
from .form_fields import choices, day_of, day_parts, month_of, month_parts, number_of

#: The privacy notice candidates agree to (shown at /applications/privacy-notice).
PRIVACY_NOTICE_VERSION = footer_pages.PRIVACY_NOTICE_VERSION

NOT_REGISTERED = "none"


@dataclass
class Parsed:
    """A posted page: what to show again, the answers to save, and what needs correcting."""

    values: dict[str, Any]
    changes: dict[str, Any] = field(default_factory=dict)
    errors: FormErrors = field(default_factory=FormErrors)


@dataclass(frozen=True)
class Context:
    """What a page needs to know about the application it belongs to."""

    programme: Programme
    answers: dict[str, Any]
    today: date

    @property
    def profile(self) -> domain.ProgrammeProfile:
        return domain.PROGRAMMES[self.programme]


@dataclass(frozen=True)
class Question:
    """One page of the application."""

    slug: str
    title: str
    section: str
    fields: tuple[str, ...]
    ids: dict[str, str]
    read: Callable[[Context], dict[str, Any]]
    parse: Callable[[FormData, Context], Parsed]
    show: Callable[[Context], list[tuple[str, str]]]
    applies: Callable[[Programme], bool] = lambda programme: True

    @property
    def template(self) -> str:
        return f"questions/{self.slug}.html"

    @property
    def first_id(self) -> str:
        return next(iter(self.ids.values()))


# --------------------------------------------------------------------------- your details


def _miles(miles: int) -> str:
    """A distance in whole miles, in words ("1 mile", "20 miles")."""
    return ngettext("%(miles)s mile", "%(miles)s miles", miles) % {"miles": miles}


def _read_name(c: Context) -> dict[str, Any]:
    return {
        "given_name": c.answers.get("given_name") or "",
        "family_name": c.answers.get("family_name") or "",
    }


def _parse_name(form: FormData, c: Context) -> Parsed:
    parsed = Parsed(
        {"given_name": form_text(form, "given_name"), "family_name": form_text(form, "family_name")}
    )
    for name, message in (
        ("given_name", N_("Enter your first name")),
        ("family_name", N_("Enter your last name")),
    ):
        if not parsed.values[name]:
            parsed.errors.add(name, _(message))
        elif len(parsed.values[name]) > 200:
            parsed.errors.add(name, _("Names must be 200 characters or fewer"))
    parsed.changes = dict(parsed.values)
    return parsed


def _show_name(c: Context) -> list[tuple[str, str]]:
    return [(_("Name"), f"{c.answers.get('given_name') or ''} {c.answers.get('family_name') or ''}".strip())]


def _read_contact(c: Context) -> dict[str, Any]:
    return {"phone": c.answers.get("phone") or "", "language": c.answers.get("preferred_language") or ""}


def _parse_contact(form: FormData, c: Context) -> Parsed:
    parsed = Parsed({"phone": form_text(form, "phone"), "language": form_text(form, "language")})
    if parsed.values["language"] not in {lang.value for lang in Language}:
        parsed.errors.add("language", _("Choose the language we should write to you in"))
    parsed.changes = {
        "phone": parsed.values["phone"] or None,
        "preferred_language": parsed.values["language"],
    }
    return parsed


def _show_contact(c: Context) -> list[tuple[str, str]]:
    language = c.answers.get("preferred_language")
    return [
        (_("Telephone"), c.answers.get("phone") or _("Not given")),
        (_("Language for e-mails"), Language(language).label if language else ""),
    ]


def _read_postcode(c: Context) -> dict[str, Any]:
    return {"postcode": c.answers.get("postcode_district") or ""}


def _parse_postcode(form: FormData, c: Context) -> Parsed:
    """A full postcode or its first part; the answers' model keeps the district only."""
    parsed = Parsed({"postcode": form_text(form, "postcode")})
    if not parsed.values["postcode"]:
        parsed.errors.add("postcode", _("Enter your postcode, like B1 1AA"))
    parsed.changes = {"postcode_district": parsed.values["postcode"]}
    return parsed


def _show_postcode(c: Context) -> list[tuple[str, str]]:
    return [(_("Postcode district"), c.answers.get("postcode_district") or "")]


# --------------------------------------------------------------------------- eligibility


def _read_right_to_work(c: Context) -> dict[str, Any]:
    value = c.answers.get("right_to_work")
    return {"right_to_work": "" if value is None else ("yes" if value else "no")}


def _parse_right_to_work(form: FormData, c: Context) -> Parsed:
    parsed = Parsed({"right_to_work": form_text(form, "right_to_work")})
    if parsed.values["right_to_work"] not in ("yes", "no"):
        parsed.errors.add("right_to_work", _("Select yes if you have the right to work in the UK"))
    parsed.changes = {"right_to_work": parsed.values["right_to_work"] == "yes"}
    return parsed


def _show_right_to_work(c: Context) -> list[tuple[str, str]]:
    value = c.answers.get("right_to_work")
    return [(_("Right to work in the UK"), "" if value is None else (_("Yes") if value else _("No")))]


def _read_career_break(c: Context) -> dict[str, Any]:
    saved = c.answers.get("career_break") or {}
    return {
        **month_parts(saved.get("start"), "start"),
        **month_parts(saved.get("end"), "end"),
        "reason": saved.get("reason", ""),
    }


def _parse_career_break(form: FormData, c: Context) -> Parsed:
    names = ("start-month", "start-year", "end-month", "end-year", "reason")
    parsed = Parsed({name: form_text(form, name) for name in names})
    start = month_of(
        form, "start", N_("your career break started"), parsed.errors, required=True, today=c.today
    )
    end = month_of(form, "end", N_("your career break ended"), parsed.errors, required=False, today=c.today)
    if start and end and end < start:
        parsed.errors.add("end-month", _("The month your career break ended must be after it started"))
    if parsed.values["reason"] not in {reason.value for reason in CareerBreakReason}:
        parsed.errors.add("reason", _("Select why you are out of work"))
    parsed.changes = {"career_break": {"start": start, "end": end, "reason": parsed.values["reason"]}}
    return parsed


def _show_career_break(c: Context) -> list[tuple[str, str]]:
    saved = c.answers.get("career_break")
    if not saved:
        return [(_("Career break"), "")]
    start = month_year(date.fromisoformat(saved["start"]))
    end = month_year(date.fromisoformat(saved["end"])) if saved.get("end") else _("now")
    return [
        (_("Career break"), _("%(start)s to %(end)s") % {"start": start, "end": end}),
        (_("Why"), CareerBreakReason(saved["reason"]).label),
    ]


def _read_experience(c: Context) -> dict[str, Any]:
    years = c.answers.get("years_experience")
    return {"years": "" if years is None else f"{years:g}"}


def _parse_experience(form: FormData, c: Context) -> Parsed:
    parsed = Parsed({"years": form_text(form, "years")})
    years = number_of(parsed.values["years"])
    if not parsed.values["years"]:
        parsed.errors.add("years", _("Enter your years of experience in the profession"))
    elif years is None:
        parsed.errors.add("years", _("Years of experience must be a number, like 8 or 2.5"))
    elif not 0 <= years <= 70:
        parsed.errors.add("years", _("Years of experience must be between 0 and 70"))
    parsed.changes = {"years_experience": years}
    return parsed


def _show_experience(c: Context) -> list[tuple[str, str]]:
    years = c.answers.get("years_experience")
    return [(_("Years of experience"), "" if years is None else f"{years:g}")]


def _read_registration(c: Context) -> dict[str, Any]:
    if "professional_registration" not in c.answers:
        return {"body": ""}
    saved = c.answers["professional_registration"]
    if saved is None:
        return {"body": NOT_REGISTERED}
    return {
        "body": saved["body"],
        "number": saved.get("registration_number") or "",
        **month_parts(saved.get("last_practised"), "practised"),
    }


def _parse_registration(form: FormData, c: Context) -> Parsed:
    names = ("body", "number", "practised-month", "practised-year")
    parsed = Parsed({name: form_text(form, name) for name in names})
    body = parsed.values["body"]
    allowed = set(c.profile.professional_bodies)
    if not c.profile.registration_required:
        allowed.add(NOT_REGISTERED)
    if body not in allowed:
        parsed.errors.add("body", _("Select the professional body you were registered with"))
    elif body == NOT_REGISTERED:
        parsed.changes = {"professional_registration": None}
        return parsed
    practised = month_of(
        form, "practised", N_("you last practised"), parsed.errors, required=False, today=c.today
    )
    if len(parsed.values["number"]) > 100:
        parsed.errors.add("number", _("The registration number must be 100 characters or fewer"))
    parsed.changes = {
        "professional_registration": {
            "body": body,
            "registration_number": parsed.values["number"] or None,
            "last_practised": practised,
        }
    }
    return parsed


def _show_registration(c: Context) -> list[tuple[str, str]]:
    saved = c.answers.get("professional_registration")
    if saved is None:
        return [
            (
                "Professional registration",
                _("Not registered") if "professional_registration" in c.answers else "",
            )
        ]
    rows = [(_("Professional registration"), saved["body"])]
    if saved.get("registration_number"):
        rows.append((_("Registration number"), saved["registration_number"]))
    if saved.get("last_practised"):
        rows.append((_("Last practised"), month_year(date.fromisoformat(saved["last_practised"]))))
    return rows


# --------------------------------------------------------------------------- ICT skills


def _read_specialisms(c: Context) -> dict[str, Any]:
    return {"specialisms": list(c.answers.get("specialisms") or [])}


def _parse_specialisms(form: FormData, c: Context) -> Parsed:
    chosen = choices(form, "specialisms")
    parsed = Parsed({"specialisms": chosen})
    known = {s.value for s in IctSpecialism}
    if not chosen or not set(chosen) <= known:
        parsed.errors.add("specialisms", _("Select at least one specialism you would like to work in"))
    parsed.changes = {"specialisms": chosen}
    return parsed


def _show_specialisms(c: Context) -> list[tuple[str, str]]:
    chosen = c.answers.get("specialisms") or []
    return [(_("Specialisms"), ", ".join(IctSpecialism(s).label for s in chosen))]


def _chosen_roles(answers: dict[str, Any]) -> tuple[str, ...]:
    specialisms = [IctSpecialism(s) for s in answers.get("specialisms") or []]
    return tuple(sorted({role for s in specialisms for role in s.ddat_roles}))


def relevant_skills(answers: dict[str, Any]) -> list[str]:
    """The framework skills the roles of the chosen specialisms need, by name."""
    roles = _chosen_roles(answers)
    return sorted(reference.skills_for_roles(roles)) if roles else []


@dataclass(frozen=True)
class SkillGroup:
    """One screen of the skills self-assessment: a role family of the framework and its skills
    that the chosen roles need, with how many of them are rated so far."""

    slug: str
    name: str
    skills: tuple[str, ...]
    rated: int


def skill_groups(answers: dict[str, Any]) -> list[SkillGroup]:
    """The skills to rate, grouped by the framework's role families, in order."""
    roles = _chosen_roles(answers)
    rated = {claim["skill"] for claim in answers.get("skills") or []}
    return [
        SkillGroup(
            slug="-".join("".join(ch if ch.isalnum() else " " for ch in name.casefold()).split()),
            name=name,
            skills=skills,
            rated=len(rated.intersection(skills)),
        )
        for name, skills in (reference.skill_groups(roles) if roles else ())
    ]


def read_skill_group(c: Context, group: SkillGroup) -> dict[str, Any]:
    """A group's form: each of its skills' saved level ('' when not rated)."""
    levels = {claim["skill"]: str(claim["level"]) for claim in c.answers.get("skills") or []}
    return {f"skill-{index}": levels.get(skill, "") for index, skill in enumerate(group.skills)}


def parse_skill_group(form: FormData, c: Context, group: SkillGroup) -> Parsed:
    """A group's ratings, merged with the other groups' saved ratings (a group is saved on its
    own; leaving every skill of a group 'Not rated' is an answer too)."""
    parsed = Parsed({})
    levels = {str(level.value) for level in SkillLevel}
    claims = []
    for index, skill in enumerate(group.skills):
        level = form_text(form, f"skill-{index}")
        parsed.values[f"skill-{index}"] = level
        if form_text(form, f"skill-{index}-name") != skill:
            parsed.errors.add("skill-0", "Your specialisms changed while you were on this page: try again")
        elif level in levels:
            claims.append({"skill": skill, "level": int(level)})
        elif level:
            parsed.errors.add(f"skill-{index}", f"Select a level for {skill}, or Not rated")
    others = [claim for claim in c.answers.get("skills") or [] if claim["skill"] not in group.skills]
    parsed.changes = {"skills": others + claims}
    return parsed


def _read_skills(c: Context) -> dict[str, Any]:
    levels = {claim["skill"]: str(claim["level"]) for claim in c.answers.get("skills") or []}
    values: dict[str, Any] = {}
    for index, skill in enumerate(relevant_skills(c.answers)):
        values[f"skill-{index}"] = levels.get(skill, "")
    return values


def _parse_skills(form: FormData, c: Context) -> Parsed:
    skills = relevant_skills(c.answers)
    parsed = Parsed({})
    claims = []
    levels = {str(level.value) for level in SkillLevel}
    for index, skill in enumerate(skills):
        level = form_text(form, f"skill-{index}")
        parsed.values[f"skill-{index}"] = level
        if form_text(form, f"skill-{index}-name") != skill:
            parsed.errors.add("skill-0", _("Your specialisms changed while you were on this page: try again"))
        elif level in levels:
            claims.append({"skill": skill, "level": int(level)})
    if not skills:
        parsed.errors.add("skill-0", _("Choose your specialisms first"))
    elif not claims:
        parsed.errors.add("skill-0", _("Rate yourself on at least one skill"))
    parsed.changes = {"skills": claims}
    return parsed


def _show_skills(c: Context) -> list[tuple[str, str]]:
    claims = c.answers.get("skills") or []
    text = "; ".join(f"{claim['skill']}: {SkillLevel(claim['level']).label}" for claim in claims)
    return [(_("Skills"), text)]


# --------------------------------------------------------------------------- work preferences


_GENERIC = frozenset({"council", "metropolitan", "borough", "city", "county", "district", "of", "the"})


def _plain(name: str) -> str:
    """A council's name without the words people add or leave out ('Walsall Council' → 'walsall')."""
    words = name.casefold().replace(",", " ").split()
    return " ".join(word for word in words if word not in _GENERIC) or name.casefold()


def council_named(text: str) -> str | None:
    """The GSS code of the council a person typed: its code, its name or its name with 'Council'."""
    councils = reference.councils()
    if text.upper() in councils:
        return text.upper()
    wanted = _plain(text)
    found = [c.gss_code for c in councils.values() if c.name.casefold() == text.casefold()]
    found = found or [c.gss_code for c in councils.values() if _plain(c.name) == wanted]
    return found[0] if len(found) == 1 else None


def _read_work(c: Context) -> dict[str, Any]:
    saved = c.answers.get("work_preferences") or {}
    names = [
        reference.councils()[gss].name
        for gss in saved.get("visible_to_councils", [])
        if gss in reference.councils()
    ]
    travel = saved.get("max_travel_km")  # kilometres, as the contract carries it; shown in miles
    return {
        "flexible": list(saved.get("flexible_working", [])),
        "travel": "" if travel is None else str(miles_from_km(travel)),
        "regions": list(saved.get("visible_to_regions", [])),
        "councils": "\n".join(names),
        **day_parts(saved.get("earliest_start"), "earliest"),
    }


def _parse_work(form: FormData, c: Context) -> Parsed:
    names = ("travel", "councils", "earliest-day", "earliest-month", "earliest-year")
    parsed = Parsed({name: form_text(form, name) for name in names})
    parsed.values["flexible"] = choices(form, "flexible")
    parsed.values["regions"] = choices(form, "regions")
    errors = parsed.errors
    if not set(parsed.values["flexible"]) <= {f.value for f in FlexibleWorking}:
        errors.add("flexible", _("Select the ways of working you would like"))
    travel = parsed.values["travel"]
    miles = whole_number(travel, 0, MAX_TRAVEL_MILES)
    if not travel:
        errors.add("travel", _("Enter the furthest you could travel to work each day, in miles"))
    elif miles is None:
        errors.add(
            "travel",
            _("The distance must be a whole number of miles from 0 to %(most)s") % {"most": MAX_TRAVEL_MILES},
        )
    if not set(parsed.values["regions"]) <= {r.value for r in Region}:
        errors.add("regions", _("Select the regions whose councils may see your profile"))
    gss_codes = []
    for line in parsed.values["councils"].splitlines():
        if line.strip():
            code = council_named(line.strip())
            if code is None:
                errors.add(
                    "councils",
                    _("We could not find a council called %(council)s: check the spelling")
                    % {"council": line.strip()},
                )
            else:
                gss_codes.append(code)
    if not parsed.values["regions"] and not gss_codes and "councils" not in errors.problems:
        errors.add(
            "regions", _("Select at least one region, or name a council, so that councils can find you")
        )
    earliest = day_of(form, "earliest", N_("The earliest date you could start"), errors)
    parsed.changes = {
        "work_preferences": {
            "flexible_working": parsed.values["flexible"],
            "max_travel_km": km_from_miles(miles) if miles is not None else 0,
            "visible_to_regions": parsed.values["regions"],
            "visible_to_councils": sorted(set(gss_codes)),
            "earliest_start": earliest,
        }
    }
    return parsed


def _show_work(c: Context) -> list[tuple[str, str]]:
    saved = c.answers.get("work_preferences")
    if not saved:
        return [(_("Work preferences"), "")]
    councils = reference.councils()
    seen_by = [Region(r).label for r in saved["visible_to_regions"]]
    seen_by += [councils[g].name for g in saved["visible_to_councils"] if g in councils]
    start = saved.get("earliest_start")
    return [
        (
            _("Flexible working"),
            ", ".join(FlexibleWorking(f).label for f in saved["flexible_working"]) or _("None"),
        ),
        (_("Furthest daily travel"), _miles(miles_from_km(saved["max_travel_km"]))),
        (_("Councils who may see you"), ", ".join(seen_by)),
        (
            _("Earliest start"),
            long_date(date.fromisoformat(start)) if start else _("As soon as possible"),
        ),
    ]


# --------------------------------------------------------------------------- privacy


def _read_consent(c: Context) -> dict[str, Any]:
    return {"consent": bool(c.answers.get("consent_to_processing"))}


def _parse_consent(form: FormData, c: Context) -> Parsed:
    parsed = Parsed({"consent": form_text(form, "consent") == "yes"})
    if not parsed.values["consent"]:
        parsed.errors.add(
            "consent", _("Agree to the privacy notice: we cannot process an application without it")
        )
    parsed.changes = {"privacy_notice_version": PRIVACY_NOTICE_VERSION, "consent_to_processing": True}
    return parsed


def _show_consent(c: Context) -> list[tuple[str, str]]:
    version = c.answers.get("privacy_notice_version")
    agreed = c.answers.get("consent_to_processing") and version
    return [(_("Privacy notice"), _("Agreed (version %(version)s)") % {"version": version} if agreed else "")]


def _asks_registration(programme: Programme) -> bool:
    return bool(domain.PROGRAMMES[programme].professional_bodies)


def _asks_specialisms(programme: Programme) -> bool:
    return domain.PROGRAMMES[programme].asks_for_specialisms


DETAILS, ELIGIBILITY, SKILLS, WORK, PRIVACY = (
    N_("Your details"),
    N_("Your eligibility"),
    N_("Your ICT skills"),
    N_("How you want to work"),
    N_("Privacy"),
)

QUESTIONS: tuple[Question, ...] = (
    Question(
        "name",
        N_("Your name"),
        DETAILS,
        ("given_name", "family_name"),
        {"given_name": "given_name", "family_name": "family_name"},
        _read_name,
        _parse_name,
        _show_name,
    ),
    Question(
        "contact",
        N_("Contact details"),
        DETAILS,
        ("phone", "preferred_language"),
        {"phone": "phone", "preferred_language": "language"},
        _read_contact,
        _parse_contact,
        _show_contact,
    ),
    Question(
        "postcode",
        N_("Where you live"),
        DETAILS,
        ("postcode_district",),
        {"postcode_district": "postcode"},
        _read_postcode,
        _parse_postcode,
        _show_postcode,
    ),
    Question(
        "right-to-work",
        N_("Right to work in the UK"),
        ELIGIBILITY,
        ("right_to_work",),
        {"right_to_work": "right_to_work"},
        _read_right_to_work,
        _parse_right_to_work,
        _show_right_to_work,
    ),
    Question(
        "career-break",
        N_("Your career break"),
        ELIGIBILITY,
        ("career_break",),
        {"career_break": "start-month"},
        _read_career_break,
        _parse_career_break,
        _show_career_break,
    ),
    Question(
        "experience",
        N_("Your experience"),
        ELIGIBILITY,
        ("years_experience",),
        {"years_experience": "years"},
        _read_experience,
        _parse_experience,
        _show_experience,
    ),
    Question(
        "registration",
        N_("Professional registration"),
        ELIGIBILITY,
        ("professional_registration",),
        {"professional_registration": "body"},
        _read_registration,
        _parse_registration,
        _show_registration,
        _asks_registration,
    ),
    Question(
        "specialisms",
        N_("Specialisms"),
        SKILLS,
        ("specialisms",),
        {"specialisms": "specialisms"},
        _read_specialisms,
        _parse_specialisms,
        _show_specialisms,
        _asks_specialisms,
    ),
    Question(
        "skills",
        N_("Skills self-assessment"),
        SKILLS,
        ("skills",),
        {"skills": "skill-0"},
        _read_skills,
        _parse_skills,
        _show_skills,
        _asks_specialisms,
    ),
    Question(
        "work-preferences",
        N_("Work preferences"),
        WORK,
        ("work_preferences",),
        {"work_preferences": "travel"},
        _read_work,
        _parse_work,
        _show_work,
    ),
    Question(
        "consent",
        N_("Privacy notice"),
        PRIVACY,
        ("privacy_notice_version", "consent_to_processing"),
        {"privacy_notice_version": "consent", "consent_to_processing": "consent"},
        _read_consent,
        _parse_consent,
        _show_consent,
    ),
)

BY_SLUG = {question.slug: question for question in QUESTIONS}


def questions_for(programme: Programme) -> list[Question]:
    """The pages a programme's application has, in order."""
    return [question for question in QUESTIONS if question.applies(programme)]


def question_for_field(programme: Programme, api_field: str) -> Question | None:
    """The page that asks for an answer (`skills.Systems design` → skills)."""
    name = api_field.split(".", 1)[0]
    return next((q for q in questions_for(programme) if name in q.fields), None)
