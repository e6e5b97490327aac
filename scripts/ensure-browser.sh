#!/usr/bin/env bash
# Debian's chromium for the console's browser tests (Playwright drives it; nothing downloads a browser).
set -eu
if ! command -v chromium >/dev/null; then
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
echo "chromium: $(command -v chromium)"
