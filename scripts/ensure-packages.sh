#!/usr/bin/env bash
# Installs the Debian packages named as arguments that are missing: with apt-get when run as
# root, otherwise prints the exact command to run and fails.
set -euo pipefail
if ! command -v swift >/dev/null 2>&1; then
  echo "error: swift is not on PATH; install Swift 6.x (https://www.swift.org/install/linux/) first" >&2
  exit 1
fi
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  echo "installing missing packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}"
else
  echo "error: missing packages: ${missing[*]}" >&2
  echo "run:   sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
