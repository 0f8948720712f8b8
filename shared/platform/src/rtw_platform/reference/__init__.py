"""Public reference data the platform ships with (see data/SOURCES.md for sources and licences):
UK councils with regions and centroids, postcode districts, the government digital and data
capability framework's roles and skills, and the ICT programme's specialisms."""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import TextIO

from rtw_contracts import Region

_DATA = files(__package__) / "data"


def _open(name: str) -> TextIO:
    # csv wants newline="" (Traversable.open does not take it): wrap the bytes ourselves.
    return io.TextIOWrapper((_DATA / name).open("rb"), encoding="utf-8", newline="")


@dataclass(frozen=True, slots=True)
class Council:
    """A current UK council."""

    gss_code: str
    name: str
    kind: str
    region: Region
    nation: str
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class PostcodeDistrict:
    """A postcode district (outward code) with its centroid, nearest council and region."""

    code: str
    latitude: float
    longitude: float
    nearest_council_gss: str
    region: Region


@dataclass(frozen=True, slots=True)
class RoleSkill:
    """A skill a framework role level needs, at a level (1 awareness … 4 expert)."""

    role_family: str
    role: str
    role_level: str
    role_level_rank: int
    skill: str
    skill_level: int


@cache
def councils() -> dict[str, Council]:
    """Every current UK council by GSS code."""
    with _open("councils.csv") as handle:
        return {
            row["gss_code"]: Council(
                gss_code=row["gss_code"],
                name=row["name"],
                kind=row["kind"],
                region=Region.from_label(row["region"]),
                nation=row["nation"],
                latitude=float(row["latitude"]),
                longitude=float(row["longitude"]),
            )
            for row in csv.DictReader(handle)
        }


@cache
def postcode_districts() -> dict[str, PostcodeDistrict]:
    """Every UK postcode district by outward code (upper case, e.g. `WS1`)."""
    with _open("postcode_districts.csv") as handle:
        return {
            row["outcode"]: PostcodeDistrict(
                code=row["outcode"],
                latitude=float(row["latitude"]),
                longitude=float(row["longitude"]),
                nearest_council_gss=row["nearest_council_gss"],
                region=Region.from_label(row["region"]),
            )
            for row in csv.DictReader(handle)
        }


def postcode_district(code: str) -> PostcodeDistrict | None:
    """The district for an outward code (any case, spaces ignored), or None if there is none."""
    return postcode_districts().get(code.replace(" ", "").upper())


#: A UK postcode: the outward code (the district), then optionally the inward code (sector and
#: unit), with or without the space between them (BS 7666 shapes, e.g. B1 1AA, SW1A 2AA, M11AE).
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)(?:([0-9][A-Z]{2}))?$")


def outward_code(postcode: str) -> str | None:
    """The district part of a full or partial UK postcode ('b1 1aa' → 'B1'), or None when the
    text is not in a postcode's format. The inward part is dropped here and never kept."""
    compact = "".join(postcode.split()).upper()
    found = _POSTCODE.match(compact)
    return found.group(1) if found else None


def district_of_postcode(postcode: str) -> PostcodeDistrict | None:
    """The known district of a full or partial UK postcode, or None."""
    code = outward_code(postcode)
    return None if code is None else postcode_district(code)


@cache
def framework_skills() -> dict[str, str]:
    """The framework's skills with their descriptions."""
    with _open("ddat_skills.csv") as handle:
        return {row["skill"]: row["description"] for row in csv.DictReader(handle)}


@cache
def role_skills() -> tuple[RoleSkill, ...]:
    """Every (role level, skill, level) the framework lists."""
    with _open("ddat_role_skills.csv") as handle:
        return tuple(
            RoleSkill(
                role_family=row["role_family"],
                role=row["role"],
                role_level=row["role_level"],
                role_level_rank=int(row["role_level_rank"]),
                skill=row["skill"],
                skill_level=int(row["skill_level_rank"]),
            )
            for row in csv.DictReader(handle)
        )


@cache
def skills_for_roles(roles: tuple[str, ...]) -> frozenset[str]:
    """The skills any level of the given framework roles needs."""
    wanted = set(roles)
    return frozenset(rs.skill for rs in role_skills() if rs.role in wanted)


@cache
def skill_groups(roles: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The skills the given roles need, grouped by the framework's role families (a skill needed
    by roles of several families is in the first of them by name): (family, skills), in order."""
    families: dict[str, str] = {}
    for rs in sorted(role_skills(), key=lambda rs: rs.role_family):
        if rs.role in roles:
            families.setdefault(rs.skill, rs.role_family)
    grouped: dict[str, list[str]] = {}
    for skill, family in families.items():
        grouped.setdefault(family, []).append(skill)
    return tuple((family, tuple(sorted(grouped[family]))) for family in sorted(grouped))


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 6371.0088 * 2 * math.asin(math.sqrt(a))
