"""The teams file (deploy/rabbitmq/teams.toml): what it grants, what it refuses, and the broker
permissions it becomes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rtw_contracts import ApplicationContactGiven, CandidateErased, CandidateHired, CohortScheduled
from rtw_contracts.registry import EVENTS
from rtw_platform.broker_users import team_users
from rtw_platform.teams import TeamsFileInvalid, carries_personal_data, load_teams

pytestmark = pytest.mark.unit

CHECKED_IN = Path(__file__).resolve().parents[3] / "deploy" / "rabbitmq" / "teams.toml"


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "teams.toml"
    path.write_text(text)
    return path


def _team(grants: str, name: str = "payroll") -> str:
    return f'[[teams]]\nname = "{name}"\ncontact = "x@example.gov.uk"\n{grants}'


def _grant(key: str, purpose: str = "", keep_for: str = "") -> str:
    lines = f'[[teams.grants]]\nrouting_key = "{key}"\n'
    if purpose:
        lines += f'purpose = "{purpose}"\n'
    if keep_for:
        lines += f'keep_for = "{keep_for}"\n'
    return lines


def test_the_checked_in_teams_file_is_valid() -> None:
    load_teams(CHECKED_IN)


def test_which_events_are_personal_data() -> None:
    assert carries_personal_data(ApplicationContactGiven)  # fields marked personal
    assert carries_personal_data(CandidateHired)  # about one candidate
    assert not carries_personal_data(CohortScheduled)
    assert not carries_personal_data(CandidateErased)  # the notice to erase


def test_a_personal_data_key_needs_its_purpose_and_keeping_period(tmp_path: Path) -> None:
    key = ApplicationContactGiven.ROUTING_KEY
    for grant in (_grant(key), _grant(key, purpose="Invite them"), _grant(key, keep_for="a year")):
        with pytest.raises(TeamsFileInvalid, match=f"{re.escape(key)} carries personal data"):
            load_teams(_file(tmp_path, _team(grant)))
    [team] = load_teams(_file(tmp_path, _team(_grant(key, "Invite them", "a year"))))
    assert team.routing_keys() == sorted([key, CandidateErased.ROUTING_KEY])  # erasure comes with it


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (_team(_grant("application.nothing.v1")), "no event has the routing key"),
        (_team(_grant("#")), "no event has the routing key"),
        (_team(_grant("vacancy.posted.v1") * 2), "granted twice"),
        (_team(_grant("vacancy.posted.v1"), name="Pay Roll"), "a name is"),
        (_team(_grant("vacancy.posted.v1")) * 2, "listed twice"),
        (_team(""), "grants"),
        ("[other]\n", "unknown table"),
        ("[[teams]\n", "not valid TOML"),
    ],
)
def test_a_wrong_teams_file_is_refused_with_what_to_fix(tmp_path: Path, text: str, error: str) -> None:
    with pytest.raises(TeamsFileInvalid, match=error):
        load_teams(_file(tmp_path, text))


def test_a_teams_user_touches_only_its_own_queues_and_granted_keys(tmp_path: Path) -> None:
    text = _team('queues = ["vacancies"]\n' + _grant("vacancy.posted.v1")) + _team(
        _grant("cohort.scheduled.v1"), name="jobs"
    )
    [user, jobs] = team_users(load_teams(_file(tmp_path, text)), "t-")
    assert user.name == "t-ext-payroll"
    assert user.secret_file == "rtw_amqp_password_ext_payroll"
    assert user.configure == "^$"  # declares nothing: its queues are the setup's
    for name in ("ext.payroll.vacancies", "ext.payroll.other", "payroll", "ext.jobs.events", "rtw.events"):
        assert not re.match(user.configure, name)
    assert re.match(user.write, "ext.payroll.vacancies")  # binding needs write on the queue
    assert not [
        q
        for q in (
            *("ext.payroll.other", "ext.payroll.dead-letters", "ext.payroll.overflow", "ext.jobs.events"),
            *("matching.x", "rtw.events", "amq.default"),
        )
        if re.match(user.write, q)
    ]
    for name in ("rtw.events", "ext.payroll.vacancies", "ext.payroll.dead-letters"):
        assert re.match(user.read, name)
    for name in ("ext.jobs.events", "ext.payroll.other", "ext.payroll.overflow"):
        assert not re.match(user.read, name)
    assert re.match(jobs.write, "ext.jobs.events")  # the default queue
    assert user.topic_write == "^$"
    assert [key for key in EVENTS if re.match(user.topic_read, key)] == ["vacancy.posted.v1"]


@pytest.mark.parametrize(
    ("queues", "error"),
    [
        ('["Hires"]', "queue 'Hires'"),
        ('["a.b"]', "queue 'a.b'"),
        ('["dead-letters"]', "the setup makes those"),
        ('["overflow"]', "the setup makes those"),
        ('["x", "x"]', "listed twice"),
        ("[]", "queues"),
    ],
)
def test_a_teams_queues_are_checked(tmp_path: Path, queues: str, error: str) -> None:
    with pytest.raises(TeamsFileInvalid, match=error):
        load_teams(_file(tmp_path, _team(f"queues = {queues}\n" + _grant("vacancy.posted.v1"))))


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"teams = 3\n", "[[teams]]"),  # not a list of tables
        (b'teams = "payroll"\n', "[[teams]]"),
        (b"teams = [1]\n", "team 1 is not a table"),
        (b"\xff\xfe[[teams]]\n", "not UTF-8"),
    ],
)
def test_a_teams_file_of_the_wrong_shape_is_refused_with_what_to_fix(
    tmp_path: Path, content: bytes, says: str
) -> None:
    path = tmp_path / "teams.toml"
    path.write_bytes(content)
    with pytest.raises(TeamsFileInvalid, match=re.escape(says)):
        load_teams(path)


def test_a_team_name_ending_in_a_newline_is_refused(tmp_path: Path) -> None:
    # `$` also matches before a final newline: the user `ext-payroll\n` would be made.
    path = _file(tmp_path, _team(_grant("vacancy.posted.v1"), name="payroll\\n"))
    with pytest.raises(TeamsFileInvalid, match="lower-case letters"):
        load_teams(path)


def test_the_example_consumer_binds_the_erasure_with_the_keys_the_platform_grants_it_with() -> None:
    """The example consumer decides from the published schemas alone whether its keys bring
    `candidate.erased.v1`; it must decide as the grants do, or a team's consumer cannot start
    (binding a key it was not granted) or misses erasures."""
    import importlib.util
    import json

    from rtw_contracts.schemas import SCHEMA_DIR

    path = CHECKED_IN.parents[2] / "examples" / "subscriber" / "consumer.py"
    spec = importlib.util.spec_from_file_location("example_consumer", path)
    assert spec is not None
    assert spec.loader is not None
    consumer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(consumer)
    for key, event in EVENTS.items():
        if event is CandidateErased:
            continue
        schema = json.loads((SCHEMA_DIR / f"{key}.json").read_text())
        assert consumer.carries_personal_data(schema) == carries_personal_data(event), key
