"""The scorecard form: a radio group per rubric criterion (1-4), a recommendation and notes."""

from __future__ import annotations

from dataclasses import dataclass

from rtw_contracts import Recommendation
from rtw_platform.web import FormErrors
from starlette.datastructures import FormData

from ..domain import Rubric, ScorecardIn, scorecard_problems

MAX_NOTES = 5000

#: The 1-4 scale as assessors see it.
SCALE: tuple[tuple[str, str, str], ...] = (
    ("1", "1: weak", "Little or no evidence for this criterion"),
    ("2", "2: some evidence", "Some evidence, with important gaps"),
    ("3", "3: good", "Good evidence, with minor gaps"),
    ("4", "4: strong", "Strong, consistent evidence throughout"),
)

RECOMMENDATIONS: tuple[tuple[str, str], ...] = tuple((r.value, r.label) for r in Recommendation)


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
        if raw in {value for value, _, _ in SCALE}:
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
