#!/usr/bin/env bash
# Play the demo cohort; start the platform first (and stop it after) if it is not running.
set -uo pipefail
ready() { .venv/bin/python -c "import httpx,sys; sys.exit(0 if all(httpx.get(f'http://127.0.0.1:{p}/health/ready', timeout=2).status_code == 200 for p in range(8001, 8006)) else 1)" 2>/dev/null; }
if ready; then
  exec .venv/bin/python deploy/local/demo.py
fi
echo "starting the platform for the demo"
.venv/bin/rtw up > var/platform.log 2>&1 &
platform=$!
for _ in $(seq 1 120); do ready && break; sleep 1; done
if ! ready; then echo "error: the platform did not start; see var/platform.log" >&2; kill -INT $platform; exit 1; fi
.venv/bin/python deploy/local/demo.py
status=$?
kill -INT $platform
wait $platform
exit $status
