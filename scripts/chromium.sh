#!/usr/bin/env bash
# Headless Chromium for the report test: Debian's package, installed once if missing.
#
#   scripts/chromium.sh     print the path of the browser (installs `chromium` as root if needed)
#
# No browser download of its own: only the distribution's package (the way scripts/postgres.sh
# installs PostgreSQL).
set -euo pipefail

# Campaign and company names in the sandbox (and in real accounts) include Chinese and Japanese:
# without a CJK font the PNG shows empty boxes. WenQuanYi Zen Hei covers both and is small.
# Both packages go in one apt-get run (one index update on a fresh machine).
packages=()
command -v chromium >/dev/null || packages+=(chromium)
if ! command -v fc-list >/dev/null || [ -z "$(fc-list :lang=ja 2>/dev/null)" ]; then
  packages+=(fonts-wqy-zenhei)
fi
if [ "$(id -u)" != "0" ]; then
  if [[ " ${packages[*]} " == *" chromium "* ]]; then
    echo "chromium.sh: need root (or sudo) to apt-get install chromium" >&2
    exit 1
  fi
  packages=()  # the font is a nicety: without root the PNG keeps its empty boxes
fi
if [ ${#packages[@]} -gt 0 ]; then
  echo "chromium.sh: installing ${packages[*]} from Debian packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi
command -v chromium
