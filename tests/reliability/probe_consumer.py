"""Runs the probe service's consumer in its own process, for the crash test.

With --crash-marker PATH (and no file at PATH yet), the process creates the file and kills itself
with SIGKILL at the first acknowledgement: after the handler's transaction committed, before the
broker heard the ack.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from pathlib import Path
from typing import Any

from faststream.rabbit.message import RabbitMessage
from rtw_platform.logging import configure_logging
from rtw_platform.service import ServiceRuntime
from rtw_platform.settings import ServiceSettings
from rtw_platform.testing.probe import probe_definition


def crash_at_first_ack(marker: Path) -> None:
    original = RabbitMessage.ack

    async def ack(self: RabbitMessage, *args: Any, **kwargs: Any) -> None:
        if not marker.exists():
            marker.write_text("crashed after commit, before ack\n")
            os.kill(os.getpid(), signal.SIGKILL)
        await original(self, *args, **kwargs)

    RabbitMessage.ack = ack  # type: ignore[method-assign]


async def main(args: argparse.Namespace) -> None:
    configure_logging("probe", level="WARNING", json=True)
    if args.crash_marker:
        crash_at_first_ack(Path(args.crash_marker))
    settings = ServiceSettings(
        database_url=args.database_url, amqp_url=args.amqp_url, topology_prefix=args.prefix
    )
    runtime = ServiceRuntime(probe_definition(), settings)
    await runtime.start()
    print("ready", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runtime.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--amqp-url", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--crash-marker")
    asyncio.run(main(parser.parse_args()))
