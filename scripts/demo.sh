#!/usr/bin/env bash
# `make demo`: the whole loop on the bundled spec/, against a sandbox (a local AWS emulator
# and a local PostgreSQL on 127.0.0.1, stopped at the end):
#   validate -> compile (generated/ is current) -> plan -> apply in waves -> an empty second
#   plan -> drift made by hand in the database -> drift reported -> apply repairs that
#   target -> no drift.
# Everything it writes is under .build/demo; generated/ is only checked, never rewritten.
# Every node of a wave runs at once (PAYBILL_JOBS, 12 by default: spec/'s largest wave has
# 11 nodes): the stacks mostly wait for the AWS provider's database waits, and the plans,
# refreshes and provider starts between them are CPU-bound; on a shared machine more
# processes also get a larger share of its cores (with four jobs the drift step took nearly
# twice as long). A wave queues its largest stacks first: that matters with fewer jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
PAYBILL=".venv/bin/paybill"
DEMO=".build/demo"
JOBS="${PAYBILL_JOBS:-12}"
START=$SECONDS

# Each step is a phase, timed: "step NAME what it does". The phases' seconds are printed
# at the end, so a slow demo says where its time went.
PHASES=""
PHASE=""
PHASE_START=$SECONDS
phase_end() {
  if [ -n "$PHASE" ]; then PHASES="$PHASES $PHASE $((SECONDS - PHASE_START)) s,"; fi
  PHASE_START=$SECONDS
}
step() {
  phase_end
  PHASE=$1
  shift
  printf '\n\033[1m== %s\033[0m\n' "$*"
}
# Runs a command whose exit code is part of the story (plan and drift: 0 none, 2 changes).
expect() {
  local want=$1
  shift
  set +e
  "$@"
  local got=$?
  set -e
  if [ "$got" != "$want" ]; then
    echo "demo: '$*' exited $got, expected $want" >&2
    exit 1
  fi
}

step validate "validate and check that the committed generated/ is what spec/ compiles to"
$PAYBILL validate spec
$PAYBILL compile spec --out generated --check

rm -rf "$DEMO"
mkdir -p "$DEMO"
step sandbox "start the sandbox: a local AWS emulator and a local PostgreSQL"
$PAYBILL sandbox up "$DEMO/sandbox"
trap '$PAYBILL sandbox down "$DEMO/sandbox" >/dev/null || true' EXIT
# shellcheck disable=SC1091
. "$DEMO/sandbox/sandbox.env"

step plan "plan the first deployment (exit 2: changes); the pull-request comment, first lines"
expect 2 $PAYBILL plan --out "$DEMO/plan" --jobs "$JOBS"
head -n 40 "$DEMO/plan/summary.md"

step apply "apply the reviewed plan in dependency waves (the AWS provider waits on databases: minutes)"
$PAYBILL apply --plan "$DEMO/plan" --jobs "$JOBS"

step plan-again "plan again, against what was just applied: nothing to do (exit 0)"
expect 0 $PAYBILL plan --base . --out "$DEMO/plan-again" --jobs "$JOBS"
head -n 3 "$DEMO/plan-again/summary.md"

step make-drift "drift made by hand: a grant the spec does not make, in the pool's database"
.venv/bin/python - <<'PY'
import os
import psycopg

template = open(os.environ["PAYBILL_DSN_FILE"]).read().splitlines()[-1].partition("=")[2]
with psycopg.connect(template.replace("{target}", "pool-eu-shared"), autocommit=True) as conn:
    conn.execute('GRANT SELECT ON "billing"."invoices" TO PUBLIC')
print('GRANT SELECT ON "billing"."invoices" TO PUBLIC')
PY
step drift "drift: every stack refreshed and planned, every database compared (exit 2: drift)"
expect 2 $PAYBILL drift --out "$DEMO/drift" --jobs "$JOBS"
head -n 20 "$DEMO/drift/drift.md"

step repair "apply repairs the drifted target; drift of the databases and ACL files finds nothing (exit 0)"
# The stacks were refreshed and found unchanged by the drift above; only the database was
# repaired, so this check skips the stacks' refresh (a minute of the provider's CPU).
$PAYBILL apply --only sql:pool-eu-shared --jobs "$JOBS"
expect 0 $PAYBILL drift --no-terraform --out "$DEMO/drift-again" --jobs "$JOBS"

step stop "stop the sandbox: the emulator forgets everything, the working copies go with it"
$PAYBILL sandbox down "$DEMO/sandbox"
trap - EXIT
phase_end
printf '\n\033[1m== %s\033[0m\n' "done in $((SECONDS - START)) s:${PHASES%,}"
echo "The plan is in $DEMO/plan, the drift report in $DEMO/drift."
