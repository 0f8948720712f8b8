#!/usr/bin/env bash
# Make sure Debian's Chromium is installed for the browser tests (Playwright drives it through
# executable_path; no browser is ever downloaded by a test tool). Set RTW_CHROMIUM to use another.
set -euo pipefail

# In CI (CI=true, or RTW_TEST_REQUIRE_SERVICES=1) a Chromium that cannot be had fails here, as the
# browser tests would: a run must not pass with them skipped.
chromium="${RTW_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
  exit 0
fi
required=0
ci="${CI:-}"
if [ "${ci,,}" = "true" ] || [ "${RTW_TEST_REQUIRE_SERVICES:-}" = "1" ]; then
  required=1
fi
cannot() {
  if [ "$required" = 1 ]; then
    echo "error: $1: the browser tests cannot run (required here: CI=true or RTW_TEST_REQUIRE_SERVICES=1)" >&2
    exit 1
  fi
  echo "warning: $1: the browser tests will be skipped" >&2
  exit 0
}
if ! command -v apt-get >/dev/null; then
  cannot "no Chromium at $chromium and no apt-get to install it"
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    cannot "no Chromium at $chromium; install Debian's chromium package (root needed)"
  fi
fi
echo "installing Debian's chromium package"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -q --no-install-recommends chromium >/dev/null \
  || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q --no-install-recommends chromium >/dev/null; }
"$chromium" --version
