"""Programme insight, computed from the events this service keeps: the funnel, reach, fairness and
savings. Reports count people and never show anyone's equality-monitoring answers."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from rtw_platform import reference
from rtw_platform.uow import UnitOfWork
from sqlmodel import col, select

from .domain import AdjustmentStatus, Stage
from .models import (
    AdjustmentRequest,
    AnonymisedApplication,
    Application,
    EqualityMonitoringAnswers,
    Hire,
    JourneyEntry,
    ReportCouncil,
    ReportVacancy,
)

#: The funnel's steps, each with the journey stages that show a person reached it.
FUNNEL: tuple[tuple[str, frozenset[str]], ...] = (
    ("started", frozenset()),  # every application, drafts included
    ("submitted", frozenset({Stage.SUBMITTED.value})),
    ("eligible", frozenset({Stage.SHORTLISTED.value, Stage.NOT_SHORTLISTED.value})),
    ("shortlisted", frozenset({Stage.SHORTLISTED.value})),
    ("second_stage", frozenset({Stage.SECOND_STAGE_SUBMITTED.value})),
    ("selected", frozenset({Stage.SELECTED.value})),
    ("trained", frozenset({Stage.TRAINED.value})),
    ("matched", frozenset({Stage.MATCHED.value})),
    ("reached_out", frozenset({Stage.REACHED_OUT.value})),
    ("hired", frozenset({Stage.HIRED.value})),
)
IMPLIES: dict[str, tuple[str, ...]] = {
    "submitted": ("started",),
    "eligible": ("started", "submitted"),
    "shortlisted": ("started", "submitted", "eligible"),
    "second_stage": ("started", "submitted", "eligible", "shortlisted"),
    "selected": ("started", "submitted", "eligible", "shortlisted"),
    "reached_out": ("matched",),
    "hired": ("matched", "reached_out"),
}
SMALL_GROUP = 5
FOUR_FIFTHS = 0.8
OUTSIDE = frozenset({"london", "south_east"})


@dataclass(frozen=True)
class HireFacts:
    """What the savings report counts of a hire."""

    council_id: UUID
    hours_per_week: float


@dataclass(frozen=True)
class Person:
    """An application as the reports see it: where it got to and when.

    Also what is left of an application whose person was erased (or whose retention period
    ended): an anonymised row (`AnonymisedApplication`), whose id is its own random one."""

    application_id: UUID
    programme: str
    cohort_id: str
    region: str | None
    district: str | None
    max_travel_km: float | None
    reached: dict[str, Any]  # step -> first time reached
    codes: dict[str, list[str]]  # stage -> reason codes
    equality: dict[str, str] = field(default_factory=dict)  # fairness question -> answer
    hires: tuple[HireFacts, ...] = ()


#: The equality-monitoring questions the fairness report groups people by, and whether the person
#: had a reasonable adjustment agreed (not asked: recorded by `people_of`, kept when anonymised).
QUESTIONS = ("sex", "age_band", "ethnicity", "disability", "caring", "adjustments")
#: The two groups of the "adjustments" row.
WITH_ADJUSTMENTS = "with_adjustments"
WITHOUT_ADJUSTMENTS = "without_adjustments"
#: The stages whose reason codes the funnel counts (the drop-off).
COUNTED_CODES = frozenset({Stage.INELIGIBLE.value, Stage.WITHDRAWN.value, Stage.DECLINED.value})
#: An anonymised row keeps no date: its steps are times after it started, from this origin.
_ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)


async def load_people(uow: UnitOfWork, cohort_id: str | None, programme: str | None) -> list[Person]:
    """Every application in scope, with the steps it reached (from its journey), and what is
    left of erased ones (their anonymised rows)."""
    statement = select(Application)
    kept = select(AnonymisedApplication)
    if cohort_id:
        statement = statement.where(Application.cohort_id == cohort_id)
        kept = kept.where(AnonymisedApplication.cohort_id == cohort_id)
    if programme:
        statement = statement.where(Application.programme == programme)
        kept = kept.where(AnonymisedApplication.programme == programme)
    applications = list((await uow.session.exec(statement)).all())
    anonymised = (await uow.session.exec(kept)).all()
    return await people_of(uow, applications) + [_from_anonymised(row) for row in anonymised]


async def people_of(uow: UnitOfWork, applications: Sequence[Application]) -> list[Person]:
    """These applications as the reports see them."""
    ids = [a.id for a in applications]
    if not ids:
        return []
    entries = (
        await uow.session.exec(select(JourneyEntry).where(col(JourneyEntry.application_id).in_(ids)))
    ).all()
    answers = (
        await uow.session.exec(
            select(EqualityMonitoringAnswers).where(col(EqualityMonitoringAnswers.application_id).in_(ids))
        )
    ).all()
    equality = {a.application_id: a.answers for a in answers}
    adjusted = set(
        (
            await uow.session.exec(
                select(AdjustmentRequest.application_id).where(
                    col(AdjustmentRequest.application_id).in_(ids),
                    AdjustmentRequest.status == AdjustmentStatus.AGREED.value,
                )
            )
        ).all()
    )
    hires: dict[UUID, list[HireFacts]] = defaultdict(list)
    for hire in (await uow.session.exec(select(Hire).where(col(Hire.application_id).in_(ids)))).all():
        hires[hire.application_id].append(HireFacts(hire.council_id, hire.hours_per_week))
    by_application: dict[UUID, list[JourneyEntry]] = defaultdict(list)
    for entry in entries:
        by_application[entry.application_id].append(entry)
    people = []
    for application in applications:
        steps = sorted(by_application.get(application.id, []), key=lambda e: e.occurred_at)
        reached: dict[str, Any] = {"started": application.created_at}
        codes: dict[str, list[str]] = {}
        for entry in steps:
            for step, stages in FUNNEL:
                if entry.stage in stages and step not in reached:
                    reached[step] = entry.occurred_at
            if entry.codes:
                codes.setdefault(entry.stage, []).extend(entry.codes)
        # A step implies those it cannot happen without (a shortlisting implies eligibility).
        for step in [s for s, _ in FUNNEL]:
            if step in reached:
                for earlier in IMPLIES.get(step, ()):
                    reached.setdefault(earlier, reached[step])
        preferences = (application.answers or {}).get("work_preferences") or {}
        people.append(
            Person(
                application_id=application.id,
                programme=application.programme,
                cohort_id=application.cohort_id,
                region=application.region,
                district=(application.answers or {}).get("postcode_district"),
                max_travel_km=preferences.get("max_travel_km"),
                reached=reached,
                codes=codes,
                equality={
                    **equality.get(application.id, {}),
                    "adjustments": WITH_ADJUSTMENTS if application.id in adjusted else WITHOUT_ADJUSTMENTS,
                },
                hires=tuple(
                    sorted(hires.get(application.id, []), key=lambda h: (str(h.council_id), h.hours_per_week))
                ),
            )
        )
    return people


def anonymised(person: Person) -> AnonymisedApplication:
    """What the reports keep of an application once its person is erased: only what each report
    counts, under a new random id, with no date (each step as a time after the start), no answer
    but the reports' dimensions, and nothing that links it to the person or to another row.

    Every report gives the same numbers from it as from the application (`load_people` reads it
    back into a `Person`)."""
    started = person.reached["started"]
    submitted = "submitted" in person.reached
    return AnonymisedApplication(
        id=uuid4(),
        programme=person.programme,
        cohort_id=person.cohort_id,
        region=person.region,
        # Reach counts applicants by the council nearest their postcode district, and looks for
        # selected people within travel distance of each vacancy.
        postcode_district=person.district if submitted else None,
        max_travel_km=person.max_travel_km if "selected" in person.reached else None,
        steps={step: _microseconds(at - started) for step, at in person.reached.items()},
        codes={stage: list(codes) for stage, codes in person.codes.items() if stage in COUNTED_CODES},
        equality={
            question: answer
            for question, answer in person.equality.items()
            if submitted and question in QUESTIONS and answer and answer != "prefer_not_to_say"
        },
        hires=[{"council_id": str(h.council_id), "hours_per_week": h.hours_per_week} for h in person.hires],
    )


def _microseconds(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _from_anonymised(row: AnonymisedApplication) -> Person:
    return Person(
        application_id=row.id,
        programme=row.programme,
        cohort_id=row.cohort_id,
        region=row.region,
        district=row.postcode_district,
        max_travel_km=row.max_travel_km,
        reached={step: _ORIGIN + timedelta(microseconds=us) for step, us in row.steps.items()},
        codes={stage: list(codes) for stage, codes in row.codes.items()},
        equality=dict(row.equality),
        hires=tuple(HireFacts(UUID(h["council_id"]), float(h["hours_per_week"])) for h in row.hires),
    )


def funnel(people: Sequence[Person]) -> dict[str, Any]:
    """How many reached each step, why people dropped out, and the median days at each step."""
    steps = []
    for index, (step, _) in enumerate(FUNNEL):
        count = sum(1 for p in people if step in p.reached)
        following = FUNNEL[index + 1][0] if index + 1 < len(FUNNEL) else None
        waits = [
            # A later step can come first (matched before the certificate): that is no wait.
            max(0.0, (p.reached[following] - p.reached[step]).total_seconds() / 86400)
            for p in people
            if following and step in p.reached and following in p.reached
        ]
        steps.append(
            {
                "step": step,
                "people": count,
                "median_days_to_next": round(statistics.median(waits), 1) if waits else None,
            }
        )
    ineligible: Counter[str] = Counter()
    withdrawals: Counter[str] = Counter()
    declines = 0
    for person in people:
        ineligible.update(person.codes.get(Stage.INELIGIBLE.value, []))
        withdrawals.update(person.codes.get(Stage.WITHDRAWN.value, []))
        declines += len(person.codes.get(Stage.DECLINED.value, []))
    return {
        "steps": steps,
        "drop_off": {
            "ineligibility_reasons": dict(ineligible.most_common()),
            "withdrawal_reasons": dict(withdrawals.most_common()),
            "declined_councils_interest": declines,
        },
    }


async def reach(uow: UnitOfWork, people: Sequence[Person]) -> dict[str, Any]:
    """Applicants, selections and hires per region and council; the share outside London and the
    South East; councils signed up per region; vacancies with no candidate within reach."""
    by_region: dict[str, Counter[str]] = defaultdict(Counter)
    by_council: dict[str, Counter[str]] = defaultdict(Counter)
    councils = reference.councils()
    for person in people:
        if "submitted" not in person.reached:
            continue
        district = reference.postcode_district(person.district) if person.district else None
        council = councils.get(district.nearest_council_gss) if district else None
        for step in ("submitted", "selected", "hired"):
            if step in person.reached:
                key = "applicants" if step == "submitted" else step
                by_region[person.region or "unknown"][key] += 1
                if council is not None:
                    by_council[council.name][key] += 1
    applicants = sum(c["applicants"] for c in by_region.values())
    outside = sum(c["applicants"] for region, c in by_region.items() if region not in OUTSIDE)
    signed = (await uow.session.exec(select(ReportCouncil))).all()
    councils_by_region = Counter(c.region for c in signed)
    vacancies = (await uow.session.exec(select(ReportVacancy))).all()
    pool = [p for p in people if "selected" in p.reached and p.district and p.max_travel_km is not None]
    unreachable = [
        str(v.id) for v in vacancies if not _anyone_within_reach(v, pool, {c.id: c for c in signed})
    ]
    return {
        "per_region": {region: dict(counts) for region, counts in sorted(by_region.items())},
        "per_council": {name: dict(counts) for name, counts in sorted(by_council.items())},
        "share_outside_london_and_south_east": round(outside / applicants, 4) if applicants else None,
        "pilot_share_for_comparison": 0.57,
        "councils_signed_up_per_region": dict(sorted(councils_by_region.items())),
        "vacancies_with_no_candidate_within_travel_distance": unreachable,
    }


def _anyone_within_reach(
    vacancy: ReportVacancy, pool: Sequence[Person], councils: dict[UUID, ReportCouncil]
) -> bool:
    if vacancy.work_mode == "remote":
        return bool(pool)
    places = [reference.postcode_district(b) for b in vacancy.bases]
    points = [(p.latitude, p.longitude) for p in places if p is not None]
    council = councils.get(vacancy.council_id)
    if not points and council is not None and council.gss_code in reference.councils():
        centre = reference.councils()[council.gss_code]
        points = [(centre.latitude, centre.longitude)]
    factor = 2 if vacancy.work_mode == "hybrid" else 1
    for person in pool:
        home = reference.postcode_district(person.district or "")
        if home is None:
            continue
        for lat, lon in points:
            if (
                reference.distance_km(home.latitude, home.longitude, lat, lon)
                <= (person.max_travel_km or 0) * factor
            ):
                return True
    return False


async def fairness(uow: UnitOfWork, people: Sequence[Person]) -> dict[str, Any]:
    """Each group's pass rate at each step and its ratio to the best group's; ratios under four
    fifths are flagged; groups of fewer than 5 people are not shown."""
    steps = ("eligible", "shortlisted", "selected", "hired")
    result: dict[str, Any] = {}
    for question in QUESTIONS:
        groups: dict[str, list[Person]] = defaultdict(list)
        for person in people:
            if "submitted" not in person.reached:
                continue
            value = person.equality.get(question)
            if value and value != "prefer_not_to_say":
                groups[value].append(person)
        rows: list[dict[str, Any]] = []
        for step in steps:
            rates = {}
            for group, members in groups.items():
                if len(members) >= SMALL_GROUP:
                    rates[group] = sum(1 for m in members if step in m.reached) / len(members)
            best = max(rates.values(), default=0)
            for group, members in sorted(groups.items()):
                if len(members) < SMALL_GROUP:
                    rows.append(
                        {
                            "step": step,
                            "group": group,
                            "people": "fewer than 5",
                            "pass_rate": None,
                            "ratio_to_highest": None,
                            "below_four_fifths": None,
                        }
                    )
                    continue
                ratio = rates[group] / best if best else None
                rows.append(
                    {
                        "step": step,
                        "group": group,
                        "people": len(members),
                        "pass_rate": round(rates[group], 4),
                        "ratio_to_highest": round(ratio, 4) if ratio is not None else None,
                        "below_four_fifths": ratio is not None and ratio < FOUR_FIFTHS,
                    }
                )
        result[question] = rows
    return result


#: The most an hourly rate may be in an assumption (£1,000 an hour): beyond is a typing mistake.
MAX_HOURLY_PENCE = 100_000
#: The most a recruitment cost may be (£1,000,000).
MAX_RECRUITMENT_PENCE = 100_000_000


class SavingsAssumptions(BaseModel):
    """What the savings estimate assumes (shown next to the numbers)."""

    model_config = ConfigDict(extra="forbid")

    agency_hourly_low_pence: int = Field(default=3000, ge=0, le=MAX_HOURLY_PENCE)
    agency_hourly_high_pence: int = Field(default=3500, ge=0, le=MAX_HOURLY_PENCE)
    employed_hourly_pence: int = Field(default=1571, ge=0, le=MAX_HOURLY_PENCE)
    weeks_per_year: float = Field(default=46, gt=0, le=52)
    recruitment_cost_pence: int = Field(default=2_400_000, ge=0, le=MAX_RECRUITMENT_PENCE)

    @field_validator("agency_hourly_high_pence")
    @classmethod
    def _high_not_below_low(cls, high: int, info: ValidationInfo) -> int:
        low = info.data.get("agency_hourly_low_pence")
        if low is not None and high < low:
            raise ValueError(
                "must not be less than agency_hourly_low_pence "
                "(they are the low and the high estimate of the agency's hourly cost)"
            )
        return high


async def savings(
    uow: UnitOfWork, people: Sequence[Person], assumptions: SavingsAssumptions
) -> dict[str, Any]:
    """Per hire: (agency hourly - employed hourly) x contracted hours x weeks, plus the avoided
    recruitment cost; totals per council, programme and cohort (a low and a high estimate)."""
    councils = {c.id: c.name for c in (await uow.session.exec(select(ReportCouncil))).all()}
    totals: dict[str, dict[str, Counter[str]]] = {
        "council": defaultdict(Counter),
        "programme": defaultdict(Counter),
        "cohort": defaultdict(Counter),
    }
    overall: Counter[str] = Counter()
    for person, hire in [(p, h) for p in people for h in p.hires]:
        yearly_hours = hire.hours_per_week * assumptions.weeks_per_year
        low = (
            assumptions.agency_hourly_low_pence - assumptions.employed_hourly_pence
        ) * yearly_hours + assumptions.recruitment_cost_pence
        high = (
            assumptions.agency_hourly_high_pence - assumptions.employed_hourly_pence
        ) * yearly_hours + assumptions.recruitment_cost_pence
        for kind, key in (
            ("council", councils.get(hire.council_id, str(hire.council_id))),
            ("programme", person.programme),
            ("cohort", person.cohort_id),
        ):
            totals[kind][key]["hires"] += 1
            totals[kind][key]["low_pence"] += round(low)
            totals[kind][key]["high_pence"] += round(high)
        overall["hires"] += 1
        overall["low_pence"] += round(low)
        overall["high_pence"] += round(high)
    return {
        "assumptions": assumptions.model_dump(),
        "total": dict(overall) or {"hires": 0, "low_pence": 0, "high_pence": 0},
        **{
            f"per_{kind}": {key: dict(values) for key, values in sorted(groups.items())}
            for kind, groups in totals.items()
        },
    }


def rows_for_csv(report: str, data: dict[str, Any]) -> tuple[list[str], Iterable[list[Any]]]:
    """A report as CSV columns and rows."""
    if report == "funnel":
        return ["step", "people", "median_days_to_next"], (
            [s["step"], s["people"], s["median_days_to_next"]] for s in data["steps"]
        )
    if report == "reach":
        return ["region", "applicants", "selected", "hired"], (
            [region, c.get("applicants", 0), c.get("selected", 0), c.get("hired", 0)]
            for region, c in data["per_region"].items()
        )
    if report == "fairness":
        return [
            "question",
            "step",
            "group",
            "people",
            "pass_rate",
            "ratio_to_highest",
            "below_four_fifths",
        ], (
            [
                question,
                r["step"],
                r["group"],
                r["people"],
                r["pass_rate"],
                r["ratio_to_highest"],
                r["below_four_fifths"],
            ]
            for question, rows in data.items()
            for r in rows
        )
    return ["scope", "name", "hires", "low_pence", "high_pence"], (
        [kind, name, v["hires"], v["low_pence"], v["high_pence"]]
        for kind in ("council", "programme", "cohort")
        for name, v in data[f"per_{kind}"].items()
    )
