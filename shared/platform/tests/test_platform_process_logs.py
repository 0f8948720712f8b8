"""A service process writes only JSON lines, also while the database and the broker are away
and when it is stopped: every library's line as well as the platform's."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit


def test_a_service_that_cannot_reach_the_broker_logs_only_json(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RTW_")}
    env |= {
        "RTW_DEVELOPMENT_MODE": "true",
        "RTW_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:9/nothing",
        "RTW_AMQP_URL": "amqp://nobody:nothing@127.0.0.1:9/",
        "RTW_MAILDIR": str(tmp_path / "mail"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "rtw_platform.cli", "serve", "notifications", "--port", "18941"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=45)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)

    lines = [line for line in (stdout + stderr).splitlines() if line.strip()]
    assert lines, "the failing service said nothing"
    not_json = []
    for line in lines:
        try:
            json.loads(line)
        except ValueError:
            not_json.append(line)
    assert not not_json, "\n".join(not_json[:20])
    records = [json.loads(line) for line in lines]
    assert all(record.get("level") and record.get("timestamp") for record in records), records
    assert any(record["event"] == "outbox_relay_waiting" for record in records), records
