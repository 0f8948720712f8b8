"""A throwaway vhost with throwaway broker users, set up by the real `rtw broker setup` over the
local RabbitMQ's management API, and deleted afterwards (every name random)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from pydantic import SecretStr

from ..broker_setup import BrokerSetupSettings
from ..broker_users import BrokerUser, platform_users

MANAGEMENT = os.environ.get("RTW_TEST_BROKER_ADMIN_URL", "http://127.0.0.1:15672")
DEFINITIONS = Path(__file__).resolve().parents[5] / "deploy" / "rabbitmq" / "definitions.json"


@dataclass
class Broker:
    """A throwaway vhost, its users' password files and the setup's settings."""

    settings: BrokerSetupSettings
    passwords: Path
    users: dict[str, str]
    """Role (`applications`, …, `dead-letters`, `ext-<team>`) to user name."""
    amqp_host: str = "127.0.0.1:5672"
    made: set[str] = field(default_factory=set)
    """Every user name that may have been made (deleted afterwards)."""

    def password(self, role: str) -> str:
        return (self.passwords / f"rtw_amqp_password_{role.replace('-', '_')}").read_text().strip()

    def url(self, role: str, password: str | None = None) -> str:
        secret = quote(password if password is not None else self.password(role), safe="")
        user = quote(self.users[role], safe="")
        return f"amqp://{user}:{secret}@{self.amqp_host}/{quote(self.settings.vhost, safe='')}"

    def add_password(self, role: str) -> None:
        """A password file for a role (an outside team's, `ext-<team>`) and its user's name."""
        (self.passwords / f"rtw_amqp_password_{role.replace('-', '_')}").write_text(
            secrets.token_urlsafe(24) + "\n"
        )
        self.users[role] = f"{self.settings.user_prefix}{role}"
        self.made.add(self.users[role])

    def rotate(self, role: str) -> tuple[str, str]:
        """A new password in the role's secret file: (old, new)."""
        old = self.password(role)
        new = secrets.token_urlsafe(24)
        (self.passwords / f"rtw_amqp_password_{role.replace('-', '_')}").write_text(new + "\n")
        return old, new

    def rtw(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        """Run `rtw` with this broker's setup settings (and `extra` variables)."""
        settings = self.settings
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("RTW_")},
            "RTW_BROKER_ADMIN_URL": settings.admin_url,
            "RTW_BROKER_ADMIN_USER": settings.admin_user,
            "RTW_BROKER_ADMIN_PASSWORD": settings.admin_password.get_secret_value(),
            "RTW_BROKER_VHOST": settings.vhost,
            "RTW_BROKER_USER_PREFIX": settings.user_prefix,
            "RTW_BROKER_PASSWORDS_DIR": str(self.passwords),
            "COLUMNS": "200",
            **extra,
        }
        return subprocess.run(
            [sys.executable, "-m", "rtw_platform.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A throwaway vhost and user prefix, every platform user's password file; all deleted after."""
    try:
        httpx.get(f"{MANAGEMENT}/api/overview", auth=("guest", "guest"), timeout=5).raise_for_status()
    except httpx.HTTPError as exc:  # pragma: no cover - the local setup enables it (make services)
        pytest.fail(f"RabbitMQ's management API is not on {MANAGEMENT} (run `make services`): {exc}")
    tag = uuid.uuid4().hex[:8]
    settings = BrokerSetupSettings(
        admin_url=MANAGEMENT,
        admin_user="guest",
        admin_password=SecretStr("guest"),
        vhost=f"t-{tag}",
        passwords_dir=tmp_path,
        user_prefix=f"t-{tag}-",
    )
    users: list[BrokerUser] = platform_users(settings.user_prefix)
    for user in users:
        (tmp_path / user.secret_file).write_text(secrets.token_urlsafe(24) + "\n")
    made = Broker(settings, tmp_path, {user.role: user.name for user in users})
    made.made.update(user.name for user in users)
    yield made
    with httpx.Client(base_url=f"{MANAGEMENT}/api", auth=("guest", "guest"), timeout=15) as api:
        api.delete(f"/vhosts/{quote(settings.vhost, safe='')}")
        for name in made.made:
            api.delete(f"/users/{quote(name, safe='')}")
