"""Outside teams' access to the events, as configuration: `deploy/rabbitmq/teams.toml` lists each
team and the routing keys it is granted; `rtw broker setup --teams FILE` turns it into one broker
user per team (`ext-<team>`) that may declare, bind and read only its own queues (`ext.<team>.…`)
and, through a topic permission on `rtw.events`, bind only the routing keys it was granted. It
may publish nothing.

A routing key whose event carries personal data is granted only with a stated purpose (and how
long the team keeps it); a team granted any such key is also granted `candidate.erased.v1`, since
it must erase. A team asks for access with a pull request to the file (docs/subscribers.md).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from rtw_contracts import CandidateErased, Event
from rtw_contracts.personal_data import personal_data_fields
from rtw_contracts.registry import EVENTS

TEAM_QUEUE_LIMITS: dict[str, int | str] = {
    "max-length": 100_000,
    "max-length-bytes": 256 * 1024 * 1024,
    "overflow": "drop-head",
}
"""What the broker keeps in each outside team's queue (`ext.<team>.…`), set by policy (the
catch-all `outside-teams-queues-limited` in deploy/rabbitmq/definitions.json and the helm chart,
and each team's `ext-<team>-queues-limited` from the setup, which adds its overflow exchange):
past either limit the oldest message is dropped, or dead-lettered to `ext.<team>.overflow`.
Never `reject-publish`: RabbitMQ then nacks the publisher whenever any one queue a message is
routed to is full, so one team's backlog would stop the platform's relays (docs/subscribers.md).
A queue argument can only lower a limit (RabbitMQ applies the lower of policy and argument)."""

TEAM_NAME = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
QUEUE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,40}$")
DEAD_LETTERS_QUEUE = "dead-letters"
"""Each team's queue `ext.<team>.dead-letters`, made by the setup beside the ones the file names:
what the team rejects, and what overflows its queues, through `ext.<team>.overflow`."""
ERASURE_KEY = CandidateErased.ROUTING_KEY
_LINKS_TO_A_PERSON = ("candidate_id", "application_id", "application_ids")


class TeamsFileInvalid(ValueError):
    """The teams file cannot be used (the message names the team, the key and what to fix)."""


def carries_personal_data(event: type[Event]) -> bool:
    """Whether an event is personal data for a subscriber: it has fields marked personal in its
    contract, or it is about one candidate (their ids link it to them, docs/privacy.md).
    CandidateErased, the notice to erase, is not: every subscriber keeping personal data needs it.

    The one place this is decided, so that it can follow the contracts' own annotations."""
    if event is CandidateErased:
        return False
    return (
        bool(personal_data_fields(event))
        or bool(event.personal_fields())
        or any(name in event.model_fields for name in _LINKS_TO_A_PERSON)
    )


class Grant(BaseModel):
    """One routing key a team may bind."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    routing_key: str
    purpose: str = Field(default="", description="Why the team needs it (required for personal data).")
    keep_for: str = Field(default="", description="How long the team keeps what it takes from it.")

    @field_validator("purpose", "keep_for")
    @classmethod
    def _stripped(cls, value: str) -> str:
        return " ".join(value.split())


class Team(BaseModel):
    """A team outside the platform and what it is granted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    contact: str = Field(min_length=3, description="Who answers for the team's use of the data.")
    grants: tuple[Grant, ...] = Field(min_length=1)
    queues: tuple[str, ...] = Field(
        default=("events",),
        min_length=1,
        description="Its queues, `ext.<team>.<queue>` each, made by the setup (the team cannot).",
    )

    @property
    def user_role(self) -> str:
        """The role naming its broker user (`ext-<team>`) and password file."""
        return f"ext-{self.name}"

    def queue_names(self) -> list[str]:
        """Its queues as the broker names them (`ext.<team>.<queue>`), the file's order."""
        return [f"ext.{self.name}.{queue}" for queue in self.queues]

    @property
    def dead_letter_queue(self) -> str:
        """Its dead-letter queue, made by the setup: what it rejects and what overflows."""
        return f"ext.{self.name}.{DEAD_LETTERS_QUEUE}"

    @property
    def overflow_exchange(self) -> str:
        """Its queues' dead-letter exchange (fanout, to its dead-letter queue)."""
        return f"ext.{self.name}.overflow"

    def routing_keys(self) -> list[str]:
        """The keys it may bind: its grants, and `candidate.erased.v1` if any is personal."""
        keys = {grant.routing_key for grant in self.grants}
        if any(carries_personal_data(EVENTS[key]) for key in keys):
            keys.add(ERASURE_KEY)
        return sorted(keys)


def _check(team: Team) -> None:
    if not TEAM_NAME.fullmatch(team.name):  # fullmatch: `$` alone lets a final newline through
        raise TeamsFileInvalid(f"team {team.name!r}: a name is 3 to 32 lower-case letters, digits and dashes")
    for queue in team.queues:
        if not QUEUE_NAME.fullmatch(queue) or queue in (DEAD_LETTERS_QUEUE, "overflow"):
            raise TeamsFileInvalid(
                f"team {team.name}: queue {queue!r}: a queue is 1 to 41 lower-case letters, digits "
                f"and dashes, not {DEAD_LETTERS_QUEUE!r} or 'overflow' (the setup makes those)"
            )
    if len(set(team.queues)) != len(team.queues):
        raise TeamsFileInvalid(f"team {team.name}: a queue is listed twice")
    seen: set[str] = set()
    for grant in team.grants:
        event = EVENTS.get(grant.routing_key)
        if event is None:
            raise TeamsFileInvalid(
                f"team {team.name}: no event has the routing key {grant.routing_key!r} (see docs/events.md)"
            )
        if grant.routing_key in seen:
            raise TeamsFileInvalid(f"team {team.name}: {grant.routing_key} is granted twice")
        seen.add(grant.routing_key)
        if carries_personal_data(event) and not (grant.purpose and grant.keep_for):
            raise TeamsFileInvalid(
                f"team {team.name}: {grant.routing_key} carries personal data: state its purpose "
                "and keep_for beside the grant"
            )


def load_teams(path: Path) -> list[Team]:
    """The teams of a teams file, checked: known routing keys, a purpose and a keeping period
    beside every personal-data key, each team once."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TeamsFileInvalid(f"cannot read the teams file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise TeamsFileInvalid(f"{path} is not UTF-8 text (save it as UTF-8)") from None
    except tomllib.TOMLDecodeError as exc:
        raise TeamsFileInvalid(f"{path} is not valid TOML: {exc}") from None
    unknown = set(document) - {"teams"}
    if unknown:
        raise TeamsFileInvalid(f"{path}: unknown table {sorted(unknown)[0]!r} (only [[teams]])")
    entries = document.get("teams", [])
    if not isinstance(entries, list):
        raise TeamsFileInvalid(f"{path}: `teams` must be a list of [[teams]] tables")
    teams = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise TeamsFileInvalid(f"{path}: team {number} is not a table (write it as [[teams]])")
        try:
            team = Team.model_validate(entry)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"])
            raise TeamsFileInvalid(f"{path}: team {number}: {where}: {error['msg']}") from None
        _check(team)
        teams.append(team)
    names = [team.name for team in teams]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise TeamsFileInvalid(f"{path}: team {repeated[0]} is listed twice")
    return teams
