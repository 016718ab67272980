#!/usr/bin/env bash
# Headless Chromium for the report test: Debian's package, installed once if missing.
#
#   scripts/chromium.sh     print the path of the browser (installs `chromium` as root if needed)
#
# No browser download of its own: only the distribution's package (the way scripts/postgres.sh
# installs PostgreSQL).
set -euo pipefail

found=$(command -v chromium || true)
if [ -z "$found" ]; then
  echo "chromium.sh: installing Chromium from Debian packages" >&2
  if [ "$(id -u)" != "0" ]; then
    echo "chromium.sh: need root (or sudo) to apt-get install chromium" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
  found=$(command -v chromium)
fi
# Campaign and company names in the sandbox (and in real accounts) include Chinese and Japanese:
# without a CJK font the PNG shows empty boxes. WenQuanYi Zen Hei covers both and is small.
if command -v fc-list >/dev/null && [ -z "$(fc-list :lang=ja 2>/dev/null)" ] && [ "$(id -u)" = "0" ]; then
  echo "chromium.sh: installing a CJK font (fonts-wqy-zenhei) from Debian packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends fonts-wqy-zenhei >/dev/null
fi
echo "$found"
