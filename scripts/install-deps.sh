#!/usr/bin/env bash
# Installs the Debian packages quantty needs, when they are missing. Needs root for apt-get.
set -euo pipefail
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for p in libncursesw5-dev libopenblas-dev tmux sqlite3; do installed "$p" || missing+=("$p"); done
# python3 and pip may come from elsewhere (pyenv): only ask Debian for them when absent.
command -v python3 >/dev/null 2>&1 || missing+=(python3)
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "quantty needs these Debian packages: ${missing[*]}" >&2
    echo "run as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "installing ${missing[*]}..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null 2>&1 || { echo "quantty needs the Swift 6 toolchain on PATH (swift.org/install)" >&2; exit 1; }
