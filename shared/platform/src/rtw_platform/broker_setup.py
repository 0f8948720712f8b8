"""`rtw broker setup`: the broker's vhost, topology and users, from secrets, over RabbitMQ's
management HTTP API. Idempotent: run it at every start (Compose runs it as a one-off job before
the services); each run sets every user's password to its secret's current value, so rotation is
changing the secret and running it again, and nothing puts an old password back.

Each run also makes every service's publishing exchange `rtw.publish.<service>` and binds it to
`rtw.events` with exactly the routing keys that service produces (a binding for a key it no
longer produces is removed), so a deployment made when services published to `rtw.events`
itself moves over by running it again (docs/operations.md, "Publishing exchange per service");
and, with the teams file, each outside team's queues (`ext.<team>.<queue>`, its dead-letter queue
and exchange: a team declares none) and their limits (`ext-<team>-queues-limited`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from .broker_users import (
    EVENTS_EXCHANGE,
    TEAM_USER_PREFIX,
    BrokerUser,
    platform_users,
    publish_bindings,
    team_users,
)
from .dead_letter_migration import MigrationRefused, move_to_own_dead_letter_exchanges
from .settings import _secrets_dir
from .teams import TEAM_QUEUE_LIMITS, Team


class BrokerSetupSettings(BaseSettings):
    """`RTW_BROKER_*` settings of the setup job (the administrator's password may come from the
    secret file `rtw_broker_admin_password`)."""

    model_config = SettingsConfigDict(
        env_prefix="RTW_BROKER_", secrets_dir=_secrets_dir(), extra="ignore", case_sensitive=False
    )

    admin_url: str = Field(
        default="http://127.0.0.1:15672", description="RabbitMQ's management API (no credentials)."
    )
    admin_user: str = "guest"
    admin_password: SecretStr = SecretStr("guest")
    vhost: str = "rtw"
    passwords_dir: Path = Field(
        default=Path("/run/secrets"),
        description="Folder of the users' password files (`rtw_amqp_password_<service>`, "
        "`rtw_amqp_password_dead_letters`, `rtw_amqp_password_ext_<team>`).",
    )
    user_prefix: str = Field(default="", description="Prefix of every user name (tests).")
    amqp_port: int = Field(
        default=5672,
        description="The broker's AMQP port (on the management API's host): moving a queue onto "
        "its service's own dead-letter exchange (dead_letter_migration.py) takes its messages "
        "over AMQP.",
    )


class BrokerSetupFailed(RuntimeError):
    """The setup could not be completed (message says what to do)."""


@dataclass(frozen=True)
class SetupResult:
    """What a run did."""

    vhost: str
    users: list[str]
    definitions_imported: bool
    revoked: list[str]
    """Outside teams' users deleted because their team is no longer in the teams file."""
    moved: list[str] = field(default_factory=list)
    """Queues moved from the shared `rtw.dlx` onto their service's own dead-letter exchange."""
    unlike: list[str] = field(default_factory=list)
    """Outside teams' queues that exist with other arguments than the platform's (declared by the
    team before the setup made them): left alone, to be replaced by an operator
    (docs/operations.md, "Outside teams")."""


def read_passwords(users: list[BrokerUser], folder: Path) -> dict[str, str]:
    """Each user's password from its secret file; a missing or empty file is named."""
    passwords: dict[str, str] = {}
    missing = []
    for user in users:
        path = folder / user.secret_file
        value = path.read_text().strip() if path.is_file() else ""
        if not value:
            missing.append(str(path))
        passwords[user.name] = value
    if missing:
        raise BrokerSetupFailed(f"no password in {', '.join(missing)}")
    return passwords


def _for_vhost(definitions: dict[str, Any], vhost: str) -> dict[str, Any]:
    """The committed topology (exchanges, queues, bindings, policies) moved into `vhost`; users
    and permissions in a definitions file are refused (they come from secrets)."""
    if definitions.get("users") or definitions.get("permissions") or definitions.get("topic_permissions"):
        raise BrokerSetupFailed(
            "the definitions file holds users or permissions: they come from secrets (rtw broker setup)"
        )
    moved: dict[str, Any] = {}
    for kind in ("exchanges", "queues", "bindings", "policies", "parameters"):
        moved[kind] = [{**item, "vhost": vhost} for item in definitions.get(kind, [])]
    return moved


class ManagementApi:
    """The few calls of RabbitMQ's management API the setup makes."""

    def __init__(self, settings: BrokerSetupSettings) -> None:
        self._client = httpx.Client(
            base_url=settings.admin_url.rstrip("/") + "/api",
            auth=(settings.admin_user, settings.admin_password.get_secret_value()),
            timeout=15,
        )

    def __enter__(self) -> ManagementApi:
        return self

    def __exit__(self, *_: object) -> None:
        self._client.close()

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = self._client.request(method, path, json=body)
        if response.status_code == 401:
            raise BrokerSetupFailed(
                "the management API refused the administrator (check RTW_BROKER_ADMIN_USER and "
                "RTW_BROKER_ADMIN_PASSWORD)"
            )
        if response.status_code >= 400:
            raise BrokerSetupFailed(f"{method} {path}: {response.status_code} {response.text[:200]}")
        return response.json() if response.content else None

    def find(self, path: str) -> Any:
        """What a GET answers, or None where the API answers 404 (nothing there)."""
        response = self._client.request("GET", path)
        if response.status_code == 404:
            return None
        if response.status_code == 401 or response.status_code >= 400:
            return self.call("GET", path)  # says what went wrong
        return response.json()


def setup_broker(
    settings: BrokerSetupSettings, definitions: Path | None = None, teams: list[Team] | None = None
) -> SetupResult:
    """Create or update the vhost, the committed topology and every platform user with its
    password from its secret file and its permissions. With `teams` (the teams file), also each
    outside team's user, and delete the user of a team no longer listed (its access revoked)."""
    users = platform_users(settings.user_prefix)
    if teams is not None:
        users += team_users(teams, settings.user_prefix)
    passwords = read_passwords(users, settings.passwords_dir)
    vhost = quote(settings.vhost, safe="")
    revoked: list[str] = []
    moved: list[str] = []
    unlike: list[str] = []
    try:
        with ManagementApi(settings) as api:
            api.call("PUT", f"/vhosts/{vhost}", {})
            if definitions is not None:
                topology = _for_vhost(json.loads(definitions.read_text()), settings.vhost)
                api.call("POST", f"/definitions/{vhost}", topology)
            _declare_publish_exchanges(api, vhost)
            for user in users:
                name = quote(user.name, safe="")
                # PUT sets the password every time: the secret's current value wins.
                api.call("PUT", f"/users/{name}", {"password": passwords[user.name], "tags": ""})
                api.call(
                    "PUT",
                    f"/permissions/{vhost}/{name}",
                    {"configure": user.configure, "write": user.write, "read": user.read},
                )
                if user.topic_write is not None:
                    api.call(
                        "PUT",
                        f"/topic-permissions/{vhost}/{name}",
                        {"exchange": EVENTS_EXCHANGE, "write": user.topic_write, "read": user.topic_read},
                    )
                if user.publish_exchange is not None:
                    # A second topic permission, on its own publishing exchange: a publish with a
                    # key it does not produce is refused there (403), before any binding is asked.
                    api.call(
                        "PUT",
                        f"/topic-permissions/{vhost}/{name}",
                        {"exchange": user.publish_exchange, "write": user.publish_keys, "read": "^$"},
                    )
            if teams is not None:
                for team in teams:
                    _limit_team_queues(api, vhost, team.name)
                    unlike += _declare_team_queues(api, vhost, team)
                revoked = _revoke_unlisted_teams(
                    api, settings.user_prefix, {user.name for user in users}, settings.vhost
                )
            moved = move_to_own_dead_letter_exchanges(api, settings, settings.user_prefix)
    except MigrationRefused as exc:
        raise BrokerSetupFailed(str(exc)) from None
    except httpx.TransportError as exc:
        raise BrokerSetupFailed(
            f"cannot reach RabbitMQ's management API at {settings.admin_url} (check "
            f"RTW_BROKER_ADMIN_URL): {exc}"
        ) from None
    made = [user.name for user in users]
    return SetupResult(settings.vhost, made, definitions is not None, revoked, moved, unlike)


def _declare_publish_exchanges(api: ManagementApi, vhost: str) -> None:
    """`rtw.events`, every service's publishing exchange, and the exchange-to-exchange bindings
    from each to `rtw.events` for exactly its own routing keys (a binding for any other key, left
    by an earlier release, is removed). Declaring an exchange that exists with the same
    properties, or a binding that exists, changes nothing."""
    exchange = {"type": "topic", "durable": True, "auto_delete": False, "internal": False, "arguments": {}}
    events = quote(EVENTS_EXCHANGE, safe="")
    api.call("PUT", f"/exchanges/{vhost}/{events}", exchange)
    for name, keys in publish_bindings().items():
        source = quote(name, safe="")
        api.call("PUT", f"/exchanges/{vhost}/{source}", exchange)
        path = f"/bindings/{vhost}/e/{source}/e/{events}"
        present = {binding["routing_key"]: binding for binding in api.call("GET", path) or []}
        for key in keys:
            if key not in present:
                api.call("POST", path, {"routing_key": key, "arguments": {}})
        for key, binding in present.items():
            if key not in keys:
                api.call("DELETE", f"{path}/{quote(binding['properties_key'], safe='')}")


def team_policy_name(team: str) -> str:
    """The policy limiting an outside team's queues."""
    return f"{TEAM_USER_PREFIX}{team}-queues-limited"


def _limit_team_queues(api: ManagementApi, vhost: str, team: str) -> None:
    """The team's queues (`ext.<team>.…`) are held to TEAM_QUEUE_LIMITS; what overflows (the
    oldest first) goes to the team's own dead-letter exchange `ext.<team>.overflow`, if the team
    made one (docs/subscribers.md, "How much the broker keeps for you")."""
    name = quote(team_policy_name(team), safe="")
    api.call(
        "PUT",
        f"/policies/{vhost}/{name}",
        {
            "pattern": rf"^ext\.{re.escape(team)}\.",
            "apply-to": "queues",
            # Above the catch-all `outside-teams-queues-limited` and `dead-letters-kept-30-days`
            # (one policy applies to a queue: the highest priority's).
            "priority": 3,
            "definition": {**TEAM_QUEUE_LIMITS, "dead-letter-exchange": f"ext.{team}.overflow"},
        },
    )


def team_queue_arguments(team: Team, queue: str) -> dict[str, Any]:
    """The arguments the setup declares a team's queue with: a durable quorum queue held to
    TEAM_QUEUE_LIMITS (as its policy holds it, so that the queue keeps them without the policy),
    its oldest message dead-lettered to `ext.<team>.overflow` (its dead-letter queue's own overflow
    is dropped: RabbitMQ drops a message dead-lettered round a cycle without a rejection)."""
    arguments: dict[str, Any] = {
        "x-queue-type": "quorum",
        "x-max-length": TEAM_QUEUE_LIMITS["max-length"],
        "x-max-length-bytes": TEAM_QUEUE_LIMITS["max-length-bytes"],
        "x-overflow": TEAM_QUEUE_LIMITS["overflow"],
    }
    if queue != team.dead_letter_queue:
        arguments["x-dead-letter-exchange"] = team.overflow_exchange
    return arguments


def _declare_team_queues(api: ManagementApi, vhost: str, team: Team) -> list[str]:
    """Declare the team's queues (those its entry names and its dead-letter queue) and its
    overflow exchange, bound to the dead-letter queue. Declaring what exists with the same
    arguments changes nothing; a queue there with other arguments (declared by the team when teams
    could) is left alone, with its messages and bindings, and returned, for an operator to replace.
    A queue the file no longer names is not deleted (the team loses access to it)."""
    unlike = []
    for queue in [*team.queue_names(), team.dead_letter_queue]:
        path = f"/queues/{vhost}/{quote(queue, safe='')}"
        arguments = team_queue_arguments(team, queue)
        present = api.find(path)
        if present is None:
            api.call("PUT", path, {"durable": True, "auto_delete": False, "arguments": arguments})
        elif present.get("arguments") != arguments or not present.get("durable"):
            unlike.append(queue)
    exchange = quote(team.overflow_exchange, safe="")
    api.call(
        "PUT",
        f"/exchanges/{vhost}/{exchange}",
        {"type": "fanout", "durable": True, "auto_delete": False, "internal": False, "arguments": {}},
    )
    path = f"/bindings/{vhost}/e/{exchange}/q/{quote(team.dead_letter_queue, safe='')}"
    if not api.call("GET", path):
        api.call("POST", path, {"routing_key": "", "arguments": {}})
    return unlike


def _revoke_unlisted_teams(api: ManagementApi, user_prefix: str, kept: set[str], vhost: str) -> list[str]:
    """Take this vhost's access from every outside team's user (`<prefix>ext-…`) that the teams
    file no longer lists. Users are the whole broker's: one with access to another vhost too (a
    staging vhost beside production) keeps it and only loses this one's; one with access to this
    vhost only is deleted; one with no access here is another vhost's, left alone."""
    team_prefix = f"{user_prefix}{TEAM_USER_PREFIX}"
    unlisted = sorted(
        user["name"]
        for user in api.call("GET", "/users") or []
        if user["name"].startswith(team_prefix) and user["name"] not in kept
    )
    here = quote(vhost, safe="")
    revoked = []
    for name in unlisted:
        user = quote(name, safe="")
        vhosts = {permission["vhost"] for permission in api.call("GET", f"/users/{user}/permissions") or []}
        if vhost not in vhosts:
            continue
        policy = team_policy_name(name.removeprefix(team_prefix))
        if policy in {p["name"] for p in api.call("GET", f"/policies/{here}") or []}:
            api.call("DELETE", f"/policies/{here}/{quote(policy, safe='')}")
        if vhosts == {vhost}:
            api.call("DELETE", f"/users/{user}")
        else:
            api.call("DELETE", f"/permissions/{here}/{user}")
            topics = api.call("GET", f"/users/{user}/topic-permissions") or []
            if any(topic["vhost"] == vhost for topic in topics):
                api.call("DELETE", f"/topic-permissions/{here}/{user}")
        revoked.append(name)
    return revoked
