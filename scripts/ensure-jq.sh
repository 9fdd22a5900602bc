#!/usr/bin/env bash
# Make sure `jq` is installed: the workflows paybill init writes use it (GitHub's runners
# have it), and so do the tests that run those workflows' steps.
set -euo pipefail
if command -v jq >/dev/null 2>&1; then
  exit 0
fi
echo "jq not found; installing the Debian package 'jq'" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends jq >/dev/null
