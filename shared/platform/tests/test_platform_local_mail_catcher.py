"""`rtw up`'s mail catcher listens where the notifications service sends (RTW_SMTP_PORT) and keeps
what it catches in RTW_MAILDIR, so that a second local platform (the demo's) catches its own mail."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_catcher_listens_on_rtw_smtp_port_and_keeps_mail_in_rtw_maildir(tmp_path: Path) -> None:
    port = free_port()
    maildir = tmp_path / "mail"
    script = (
        "import time; from rtw_platform import local_run as l; p = l._start_mail_catcher(); "
        "print(p is not None, flush=True); time.sleep(60)"
    )
    runner = subprocess.Popen(
        [sys.executable, "-c", script],
        env={
            "RTW_SMTP_PORT": str(port),
            "RTW_MAILDIR": str(maildir),
            "PATH": "/usr/bin:/bin",
            "COLUMNS": "300",
        },
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert runner.stdout is not None
        said = ""
        while said not in ("True", "False"):  # after the catcher's own line
            said = runner.stdout.readline().strip()
            if not said and runner.poll() is not None:
                pytest.fail(f"the runner exited with {runner.returncode}")
        assert said == "True"
        deadline = time.monotonic() + 20
        while True:
            try:
                with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
                    smtp.sendmail(
                        "a@example.org", ["b@example.org"], "Subject: hello\r\n\r\nfrom the demo\r\n"
                    )
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        caught = list((maildir / "new").iterdir())
        assert len(caught) == 1
        assert "from the demo" in caught[0].read_text()
    finally:
        os.killpg(runner.pid, signal.SIGTERM)  # the runner and the catcher it started
        runner.wait(timeout=10)
