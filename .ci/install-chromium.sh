#!/usr/bin/env bash
# Installs Debian's headless Chromium and its WebDriver for the inspector's browser tests,
# only when one of them is missing. Idempotent and quiet; fails loudly if the install fails.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-chromium: chromium or chromedriver is missing and this is not root;" \
    "run: apt-get install -y chromium chromium-driver" >&2
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends \
    chromium chromium-driver; } >"$log" 2>&1; then
  echo "install-chromium: apt-get failed installing chromium and chromium-driver:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi

for tool in chromium chromedriver; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install-chromium: '$tool' is still missing after the install" >&2
    exit 1
  fi
done
