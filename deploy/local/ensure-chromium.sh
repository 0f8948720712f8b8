#!/usr/bin/env bash
# Make sure Debian's Chromium is installed for the browser tests (Playwright drives it through
# executable_path; no browser is ever downloaded by a test tool). Set RTW_CHROMIUM to use another.
set -euo pipefail

chromium="${RTW_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "warning: no Chromium at $chromium and no apt-get to install it: the browser tests will be skipped" >&2
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    echo "warning: no Chromium at $chromium; install Debian's chromium package (root needed): the browser tests will be skipped" >&2
    exit 0
  fi
fi
echo "installing Debian's chromium package"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -q --no-install-recommends chromium >/dev/null \
  || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q --no-install-recommends chromium >/dev/null; }
"$chromium" --version
