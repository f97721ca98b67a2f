#!/usr/bin/env bash
# Installs headless Chromium and its WebDriver (Debian packages) for tests/test_site.py.
# Idempotent: does nothing when both are already there. Needs root (CI and the dev machines are).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-liberation >/dev/null
chromium --version
