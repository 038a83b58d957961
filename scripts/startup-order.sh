#!/usr/bin/env bash
# Writes crates/tidings/link-order.txt: the functions a release `tidings serve` runs on the demo
# data, first those of its start (up to answering /readyz and idling), then those of serving pages,
# by their symbol names. The release build links those functions first and in this order
# (crates/tidings/build.rs, LLD's --symbol-ordering-file), so the code a start touches sits together
# instead of scattered over the binary: each first call maps its neighbours too (the kernel maps up
# to 64 kB around every page faulted), and those neighbours are then code the start needs as well.
# Rerun it when the start changes much; names no longer found are passed over by the linker, so a
# stale list costs memory, never correctness. Needs valgrind (callgrind lists every function run,
# inlined ones aside).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y valgrind >/dev/null
command -v curl >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y curl >/dev/null
source scripts/lib/demo-avif.sh
cargo build --release -p tidings --bin tidings >/dev/null
BIN=$PWD/target/release/tidings
WORK=$(mktemp -d)
cleanup() {
  [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null || true
  sleep 0.3
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() {
  for _ in $(seq 1 3000); do curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return 0; sleep 0.1; done
  echo "tidings did not become ready" >&2
  return 1
}
PORT=$(free_port)
export RUST_LOG=warn
env -u TIDINGS_TEST_DATABASE_URL "$BIN" demo --data-dir "$WORK/data" --listen "127.0.0.1:$PORT" >/dev/null 2>&1 &
PID=$!
wait_ready "$PORT"
wait_for_avif "$PORT"
kill "$PID"; wait "$PID" 2>/dev/null || true

# One run per phase: a start left idle, then a start that serves the site's kinds of pages.
profile() { # out-file, then the requests to make once ready (paths)
  local out=$1; shift
  env -u TIDINGS_TEST_DATABASE_URL valgrind --tool=callgrind --demangle=no --compress-strings=no \
    --callgrind-out-file="$out" "$BIN" serve --data-dir "$WORK/data" --listen "127.0.0.1:$PORT" \
    >/dev/null 2>&1 &
  PID=$!
  wait_ready "$PORT"
  sleep 5
  for path in "$@"; do
    for encoding in identity br gzip; do
      curl -sf -o /dev/null -H "Accept-Encoding: $encoding" "http://127.0.0.1:$PORT$path" || true
    done
  done
  [ $# -gt 0 ] && sleep 3
  kill "$PID"; wait "$PID" 2>/dev/null || true
  PID=
}
profile "$WORK/start.out"
profile "$WORK/pages.out" / /council-approves-a-leaner-budget-after-a-night-of-testimony/ /tag/city-hall/ \
  /rss/ /newsletter/ /search/?q=harbour /assets/missing.css /no-such-page/

# Function names as callgrind saw them, in order of appearance, each once; start first.
python3 - "$WORK/start.out" "$WORK/pages.out" > crates/tidings/link-order.txt <<'PY'
import re
import sys
seen = set()
for path in sys.argv[1:]:
    with open(path, errors="replace") as f:
        for line in f:
            if not line.startswith(("fn=", "cfn=")):
                continue
            name = line.split("=", 1)[1].strip()
            if name.startswith("(") and ")" in name:
                name = name.split(")", 1)[1].strip()
            # callgrind marks a recursive call's deeper levels as name'2, name'3...
            name = re.sub(r"'\d+$", "", name)
            if not name or name in seen or " " in name or name.startswith("0x"):
                continue
            seen.add(name)
            print(name)
PY
echo "$(wc -l < crates/tidings/link-order.txt) functions written to crates/tidings/link-order.txt"
