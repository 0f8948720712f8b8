"""The scorecard form: a radio group per rubric criterion (1-4), a recommendation and notes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rtw_contracts import Recommendation
from rtw_platform.web import FormErrors
from starlette.datastructures import FormData

from ..domain import Rubric, ScorecardIn, scorecard_problems

MAX_NOTES = 5000

#: The 1-4 scale as assessors see it (each criterion's anchors say what each score means there).
SCALE: tuple[tuple[str, str], ...] = (
    ("1", "1: weak"),
    ("2", "2: some evidence"),
    ("3", "3: good"),
    ("4", "4: strong"),
)

RECOMMENDATIONS: tuple[tuple[str, str], ...] = tuple((r.value, r.label) for r in Recommendation)


def recommendation_name(value: str) -> str:
    """A recommendation as assessors read it, e.g. 'Strong yes'."""
    return dict(RECOMMENDATIONS).get(value, value.replace("_", " ").capitalize())


def values_of(rubric: Rubric, mine: dict[str, Any] | None) -> dict[str, str]:
    """The form as the assessor last sent it (empty before they send it: nothing pre-selected)."""
    if mine is None:
        return {}
    values = {score_field(c.id): str(mine["scores"].get(c.id, "")) for c in rubric.criteria}
    values["recommendation"] = mine["recommendation"]
    values["comments"] = mine["comments"]
    return values


def score_field(criterion_id: str) -> str:
    """The form field of a criterion (and the id the error summary links to)."""
    return f"scores-{criterion_id}"


@dataclass
class ScorecardForm:
    """What the assessor sent, as typed (for showing the form again), and the problems."""

    values: dict[str, str]
    errors: FormErrors
    card: ScorecardIn | None


def read_scorecard(form: FormData, rubric: Rubric) -> ScorecardForm:
    """The scorecard, or the problems with it (in the order of the page)."""
    values = {score_field(c.id): _text(form, score_field(c.id)) for c in rubric.criteria}
    values["recommendation"] = _text(form, "recommendation")
    values["comments"] = _text(form, "comments")
    errors = FormErrors()
    scores: dict[str, int] = {}
    for criterion in rubric.criteria:
        raw = values[score_field(criterion.id)]
        if raw in {value for value, _ in SCALE}:
            scores[criterion.id] = int(raw)
        elif raw:
            errors.add(score_field(criterion.id), "Use the scale 1 (weak) to 4 (strong).")
    for api_field, message in scorecard_problems(rubric, scores):
        errors.add(api_field.replace(".", "-"), message)
    if values["recommendation"] not in {value for value, _ in RECOMMENDATIONS}:
        errors.add("recommendation", "Choose your overall recommendation.")
    if len(values["comments"]) > MAX_NOTES:
        errors.add("comments", f"Notes must be {MAX_NOTES:,} characters or fewer.")
    if errors:
        return ScorecardForm(values, errors, None)
    card = ScorecardIn(
        scores=scores,
        recommendation=Recommendation(values["recommendation"]),
        comments=values["comments"],
    )
    return ScorecardForm(values, errors, card)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""
