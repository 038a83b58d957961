#!/usr/bin/env bash
# The API against its own contract: serves the demo site (debug build) on a loopback port and runs
# schemathesis (from PyPI, in a virtualenv under target/) over /api/openapi.json: every operation,
# every phase (examples, coverage, fuzzing, stateful), every check but one. Any server error or
# any answer the document does not describe fails the run. Left out: positive_data_acceptance,
# which expects every value the schema allows to succeed; a cursor is opaque (the schema can say
# only its alphabet), so a made-up one is rightly refused with 400.
# Usage: scripts/api-contract.sh [examples per operation, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
EXAMPLES=${1:-10}

VENV=target/schemathesis-venv
if [ ! -x "$VENV/bin/schemathesis" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'schemathesis>=4,<5'
fi
cargo build --quiet -p tidings

WORK=$(mktemp -d)
cleanup() {
  [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
env -u TIDINGS_TEST_DATABASE_URL RUST_LOG=warn TIDINGS_SITE__URL="$BASE" \
  TIDINGS_SEARCH__PER_MINUTE=100000 TIDINGS_API__TOKEN_PER_MINUTE=100000 \
  ./target/debug/tidings demo --data-dir "$WORK/data" --listen "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 300); do curl -sf "$BASE/readyz" >/dev/null && break; sleep 0.1; done

SCHEMATHESIS="$PWD/$VENV/bin/schemathesis"
run() {
  echo "== schemathesis: $1"
  shift
  # From the work folder, so that its caches stay out of the checkout.
  (cd "$WORK" && "$SCHEMATHESIS" run "$BASE/api/openapi.json" \
    --phases examples,coverage,fuzzing,stateful \
    --checks all \
    --exclude-checks positive_data_acceptance \
    --max-examples "$EXAMPLES" \
    --seed 20261130 \
    --generation-database none \
    --no-color \
    --report junit --report-dir "$WORK/report" \
    "$@")
}
status=0
run "without a token" || status=$?

# An owner's token holding every scope, made the way an operator would.
./target/debug/tidings --data-dir "$WORK/data" user add --email contract@example.org --role owner >/dev/null
TOKEN=$(./target/debug/tidings --data-dir "$WORK/data" user token --email contract@example.org \
  --name "Contract run" --scope content:read --scope content:write --scope content:publish \
  --scope media:write --scope subscribers:read --scope subscribers:write --scope donations:read 2>/dev/null)
run "with a token holding every scope" -H "Authorization: Bearer $TOKEN" || status=$?
if grep -q "panicked\|ERROR" "$WORK/server.log"; then
  echo "the server logged errors:" >&2
  grep "panicked\|ERROR" "$WORK/server.log" | head -20 >&2
  status=1
fi
exit $status
