#!/usr/bin/env bash
# Make sure PostgreSQL server binaries (initdb, postgres, pg_ctl) are installed.
# The test suite starts and stops its own server on 127.0.0.1; nothing is left running.
set -euo pipefail
for dir in /usr/lib/postgresql/*/bin; do
  if [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ]; then
    exit 0
  fi
done
echo "PostgreSQL server binaries not found; installing the Debian package 'postgresql'" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
# The package starts a cluster of its own on Debian; the tests do not use it.
$SUDO service postgresql stop >/dev/null 2>&1 || true
