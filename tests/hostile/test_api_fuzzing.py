"""Hostile input over HTTP: every service's API fuzzed from its own OpenAPI document
(schemathesis): no answer is a server error, whatever is sent."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.http import create_app
from rtw_platform.registry import installed_services
from rtw_platform.testing.fixtures import BrokerNamespace, settings_for_test

pytestmark = pytest.mark.reliability


def _serve(name: str, database_url: str, namespace: BrokerNamespace, port: int, tmp: str) -> Iterator[str]:
    definition = installed_services()[name]
    extra: dict[str, Any] = {"http_port": port}
    if "file_store_url" in definition.settings_class.model_fields:
        extra["file_store_url"] = f"file://{tmp}"
    if "dispatch_enabled" in definition.settings_class.model_fields:
        extra["dispatch_enabled"] = False
    service_settings = settings_for_test(definition, database_url, namespace, **extra)
    app = create_app(definition, service_settings, configure_logs=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.mark.parametrize("name", list(installed_services()))
def test_no_request_makes_a_server_error(
    name: str, clean_database: str, broker_namespace: BrokerNamespace, unused_tcp_port: int, tmp_path: Any
) -> None:
    served = _serve(name, clean_database, broker_namespace, unused_tcp_port, str(tmp_path))
    base = next(served)
    try:
        secret = installed_services()[name].settings_class().token_secret.get_secret_value()
        admin = {"Authorization": f"Bearer {issue_token(secret, Principal('fuzzer', Role.ADMIN))}"}
        schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
        failures: list[str] = []
        statuses: Counter[int] = Counter()
        for operation in schema.get_all_operations():
            op = operation.ok()
            strategy = op.as_strategy()

            # Derandomized: the same requests every run (new ones come from changing the API).
            @settings(
                max_examples=25,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
                derandomize=True,
            )
            @given(case=strategy)
            def fuzz(case: Any) -> None:
                response = case.call(base_url=base, headers={**(case.headers or {}), **admin}, timeout=20)
                statuses[response.status_code] += 1
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path} {case.query} -> {response.status_code}: {response.text[:200]}"
                    )

            fuzz()
        assert not failures, "\n".join(failures[:20])
        assert sum(statuses.values()) > 20, statuses  # the fuzzer really sent requests
        print(f"{name}: {sum(statuses.values())} requests, answers {dict(sorted(statuses.items()))}")
        assert httpx.get(f"{base}/health/live").status_code == 200  # still up
    finally:
        for _ in served:
            pass
