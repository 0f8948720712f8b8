"""Why someone is not eligible, in the reader's language: worded from the reason's code and the
values it carries (`ReasonCode.params`) through the catalogue, never from its English `message`.

The English words here are those of the rules (`rtw_assessment.domain.eligibility_reasons`); a
test holds them to each other. A reason from before the values were carried (`params` null) is
shown from its `message` in English and, in another language, as the code's label (or its whole
sentence when the code needs no values)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from babel.dates import format_date
from rtw_contracts import IneligibilityReason, ReasonCode
from rtw_contracts.labels import label_for_code

from ..marking import N_
from .i18n import _BABEL_LOCALES, ENGLISH, current_language, translations

__all__ = ["reason_text", "reason_texts"]

_NO_RIGHT_TO_WORK = N_("The programme is open to people with the right to work in the UK.")
_OUTSIDE_WINDOW = N_("The application arrived on %(day)s, outside the cohort's window.")
_EXPERIENCE = N_(
    "The programme needs at least %(minimum)s years' experience in the profession; you told us %(years)s."
)
_NOT_REGISTERED = N_("The programme is for people who were registered with %(bodies)s.")
_WRONG_BODY = N_("%(body)s is not one of the bodies the programme accepts: %(bodies)s.")
_OUT_SHORT_RANGE = N_(
    "You have been out of practice for %(years)s years; the programme is for %(low)s to %(high)s years."
)
_OUT_SHORT = N_("You have been out of practice for %(years)s years; the programme needs %(low)s.")
_OUT_LONG = N_(
    "You have been out of practice for %(years)s years; the programme is for up to %(high)s years. "
    "The regulator's return-to-practice route may suit you."
)
_A_BODY = N_("a professional body")
_OR = N_("%(some)s or %(last)s")


def _number(value: Any) -> str:
    return f"{float(value):g}"


def _either(bodies: Sequence[str], gettext: Callable[[str], str]) -> str:
    if not bodies:
        return gettext(_A_BODY)
    if len(bodies) == 1:
        return bodies[0]
    return gettext(_OR) % {"some": ", ".join(bodies[:-1]), "last": bodies[-1]}


def _worded(code: IneligibilityReason, params: Mapping[str, Any], language: str) -> str:
    catalogue = translations(language)
    _ = catalogue.gettext
    if code is IneligibilityReason.NO_RIGHT_TO_WORK:
        return _(_NO_RIGHT_TO_WORK)
    if code is IneligibilityReason.OUTSIDE_WINDOW:
        submitted = date.fromisoformat(str(params["submitted_on"]))
        day = format_date(submitted, "d MMMM y", locale=_BABEL_LOCALES[language])
        return _(_OUTSIDE_WINDOW) % {"day": day}
    if code is IneligibilityReason.CAREER_BREAK_TOO_SHORT:
        months = int(params["months"])
        words = {"months": months, "minimum": int(params["minimum_months"])}
        # Written out whole (not with a variable) so that `make translations` finds the plurals.
        if params.get("kind") == "caring":
            return (
                catalogue.ngettext(
                    "Your career break to care for someone is %(months)s month; "
                    "the programme is for %(minimum)s months or more.",
                    "Your career break to care for someone is %(months)s months; "
                    "the programme is for %(minimum)s months or more.",
                    months,
                )
                % words
            )
        if params.get("kind") == "unemployed":
            return (
                catalogue.ngettext(
                    "Your time out of work is %(months)s month; "
                    "the programme is for %(minimum)s months or more.",
                    "Your time out of work is %(months)s months; "
                    "the programme is for %(minimum)s months or more.",
                    months,
                )
                % words
            )
        return (
            catalogue.ngettext(
                "Your career break is %(months)s month; the programme is for %(minimum)s months or more.",
                "Your career break is %(months)s months; the programme is for %(minimum)s months or more.",
                months,
            )
            % words
        )
    if code is IneligibilityReason.INSUFFICIENT_EXPERIENCE:
        minimum, years_told = _number(params["minimum_years"]), _number(params["years"])
        return _(_EXPERIENCE) % {"minimum": minimum, "years": years_told}
    bodies = [str(b) for b in params.get("bodies") or []]
    if code is IneligibilityReason.NOT_PREVIOUSLY_REGISTERED:
        return _(_NOT_REGISTERED) % {"bodies": _either(bodies, _)}
    if code is IneligibilityReason.MISSING_PROFESSIONAL_BODY:
        return _(_WRONG_BODY) % {"body": params["body"], "bodies": _either(bodies, _)}
    years = f"{float(params['years_out']):.1f}"
    high = params.get("maximum_years")
    if code is IneligibilityReason.OUT_OF_PRACTICE_TOO_SHORT:
        low = _number(params["minimum_years"])
        if high is None:
            return _(_OUT_SHORT) % {"years": years, "low": low}
        return _(_OUT_SHORT_RANGE) % {"years": years, "low": low, "high": _number(high)}
    if code is IneligibilityReason.OUT_OF_PRACTICE_TOO_LONG:
        return _(_OUT_LONG) % {"years": years, "high": _number(high)}
    raise KeyError(code)


def reason_text(reason: ReasonCode | Mapping[str, Any], language: str | None = None) -> str:
    """The reason in `language` (the page's by default), worded from its code and values."""
    language = language or current_language()
    if isinstance(reason, Mapping):
        reason = ReasonCode.model_validate(reason)
    needs_no_values = reason.code is IneligibilityReason.NO_RIGHT_TO_WORK
    if reason.params is not None or (needs_no_values and language != ENGLISH):
        try:
            return _worded(reason.code, reason.params or {}, language)
        except (KeyError, TypeError, ValueError):
            pass  # values missing or malformed: the words the reason came with
    if language == ENGLISH:
        return reason.message
    return label_for_code(reason.code.value, IneligibilityReason, language=language)


def reason_texts(reasons: Sequence[ReasonCode | Mapping[str, Any]], language: str | None = None) -> list[str]:
    """Each reason in `language` (the page's by default)."""
    return [reason_text(reason, language) for reason in reasons]
