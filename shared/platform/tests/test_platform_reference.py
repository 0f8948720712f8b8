"""The reference geography puts known places under the right council, near its centre."""

from __future__ import annotations

import pytest
from rtw_contracts import Region
from rtw_platform import reference

pytestmark = pytest.mark.unit

#: Town-centre postcode districts and the council they are in. Scotland's council centres were
#: once 100-590 km off: Stornoway (HS1) was counted under Inverclyde, 231 km from its centre.
KNOWN_PLACES = [
    ("EH1", "City of Edinburgh"),
    ("HS1", "Na h-Eileanan Siar"),
    ("ZE1", "Shetland Islands"),
    ("G1", "Glasgow City"),
    ("KW15", "Orkney Islands"),
    ("AB10", "Aberdeen City"),
    ("DD1", "Dundee City"),
    ("WS1", "Walsall"),
    ("CF10", "Cardiff"),
    ("BT1", "Belfast"),
]


@pytest.mark.parametrize(("district", "council"), KNOWN_PLACES)
def test_a_known_place_is_under_its_council_and_near_its_centre(district: str, council: str) -> None:
    place = reference.postcode_district(district)
    assert place is not None
    found = reference.councils()[place.nearest_council_gss]

    assert found.name == council
    assert place.region is found.region
    km = reference.distance_km(place.latitude, place.longitude, found.latitude, found.longitude)
    assert km < 25, f"{district} is {km:.0f} km from the centre of {council}"


def test_every_scottish_council_has_its_centre_in_scotland_near_its_own_districts() -> None:
    scottish = {c.gss_code: c for c in reference.councils().values() if c.region is Region.SCOTLAND}
    assert len(scottish) == 32
    districts = [d for d in reference.postcode_districts().values() if d.nearest_council_gss in scottish]
    assert {d.region for d in districts} == {Region.SCOTLAND}
    for code, council in scottish.items():
        own = [d for d in districts if d.nearest_council_gss == code]
        assert own, f"no postcode district is under {council.name}"
        nearest = min(
            reference.distance_km(d.latitude, d.longitude, council.latitude, council.longitude) for d in own
        )
        assert nearest < 25, f"{council.name}'s centre is {nearest:.0f} km from its nearest district"


@pytest.mark.parametrize(
    ("typed", "district"),
    [
        ("B1 1AA", "B1"),
        ("b11aa", "B1"),
        ("  sw1a 2aa ", "SW1A"),
        ("M1 1AE", "M1"),
        ("WS1", "WS1"),
        ("ws11 1ab", "WS11"),
        ("EC1A 1BB", "EC1A"),
    ],
)
def test_a_full_postcode_or_its_first_part_gives_the_district_only(typed: str, district: str) -> None:
    assert reference.outward_code(typed) == district
    found = reference.district_of_postcode(typed)
    assert found is not None
    assert found.code == district


@pytest.mark.parametrize("typed", ["B1 1A", "hello", "1AA", "B1 1AA 1AA", "", "BB1A1 1AA"])
def test_text_not_shaped_like_a_postcode_has_no_district(typed: str) -> None:
    assert reference.outward_code(typed) is None
    assert reference.district_of_postcode(typed) is None


def test_the_skill_groups_hold_each_needed_skill_once_by_role_family() -> None:
    roles = ("Data analyst", "Infrastructure engineer", "Security architect")
    groups = reference.skill_groups(roles)
    assert [family for family, _ in groups] == ["Architecture", "Data", "IT operations"]
    skills = [skill for _, group in groups for skill in group]
    assert sorted(skills) == sorted(reference.skills_for_roles(roles))
    assert len(skills) == len(set(skills))
