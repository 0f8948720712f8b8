"""The cohort funnel as stages for a table and a bar chart (from `funnel.cohort_funnel`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Stage:
    """A step of the funnel: how many reached it, and their share of the applications."""

    label: str
    count: int
    percent: float


def funnel_stages(counts: dict[str, Any]) -> list[Stage]:
    """Applications → eligible → shortlisted → second stage sent → scored → selected."""
    applications = int(counts["applications"])
    screening: dict[str, int] = counts["screening"]
    eligible = applications - screening.get("ineligible", 0) - screening.get("unknown", 0)
    steps = [
        ("Applications", applications),
        ("Eligible", eligible),
        ("Shortlisted", screening.get("shortlisted", 0)),
        ("Second stage sent", int(counts["second_stage_submitted"])),
        ("Second stage scored", int(counts["second_stage_scored"])),
        ("Selected", int(counts["selection"].get("selected", 0))),
    ]
    return [
        Stage(label, count, round(100 * count / applications, 1) if applications else 0.0)
        for label, count in steps
    ]


def other_counts(counts: dict[str, Any]) -> list[tuple[str, int]]:
    """What the funnel does not show as a step."""
    screening: dict[str, int] = counts["screening"]
    selection: dict[str, int] = counts["selection"]
    return [
        ("Not shortlisted", screening.get("not_shortlisted", 0)),
        ("Eligible, waiting for the shortlist to close", screening.get("eligible", 0)),
        ("Waiting list", selection.get("waitlisted", 0)),
        ("Not selected", selection.get("rejected", 0)),
        ("Withdrawn", int(counts["withdrawn"])),
        ("Second stages waiting for scorecards", int(counts["awaiting_scorecards"])),
        ("Assignments not yet scored", int(counts["pending_assignments"])),
        ("Scored, assessors disagree (calibration)", int(counts["calibration_flagged"])),
    ]
