#!/usr/bin/env bash
# Search at scale: builds N generated articles of about 800 words (default 100,000) on SQLite and,
# when PostgreSQL answers on 127.0.0.1:5432, on a throwaway PostgreSQL database too; times the index
# build and its growth of the database; then serves the site (release build) and measures, with wrk
# on one connection, the p50 and p95 latency of /search/ for one-, two- and three-word queries and
# two-word phrases (words beyond the corpus's 200 most frequent), beside an article page's in the
# same run. Usage: [BENCH_ENGINES="sqlite postgres"] scripts/bench-search.sh [articles] [seconds per class]
set -euo pipefail
cd "$(dirname "$0")/.."
ARTICLES=${1:-100000}
DURATION=${2:-10}

for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y wrk curl" >&2; exit 1; }
done
# Two builds: the example's dev-dependencies change the store's features, and built together they
# would change the server binary's too (and every other script would then build it afresh).
cargo build --release -p tidings --bin tidings >/dev/null
cargo build --release -p tidings-store --example search_corpus >/dev/null

WORK=$(mktemp -d)
PG_DB="tidings_bench_$$"
cleanup() {
  [ -n "${TIDINGS_PID:-}" ] && kill "$TIDINGS_PID" 2>/dev/null || true
  sleep 0.3
  if [ -n "${PG_MADE:-}" ]; then psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $PG_DB" postgres >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run_engine() {
  local name=$1 url=$2 out="$WORK/$1"
  echo "== $name: $ARTICLES articles"
  ./target/release/examples/search_corpus "$url" "$ARTICLES" "$out"
  local port; port=$(free_port)
  env -u TIDINGS_TEST_DATABASE_URL RUST_LOG=warn TIDINGS_DATABASE__URL="$url" \
    TIDINGS_SEARCH__PER_MINUTE=100000 TIDINGS_SITE__URL="http://127.0.0.1:$port" \
    ./target/release/tidings serve --no-jobs --data-dir "$WORK/data-$name" --listen "127.0.0.1:$port" \
    >"$WORK/$name.log" 2>&1 &
  TIDINGS_PID=$!
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  local base="http://127.0.0.1:$port"
  # Warm the caches the way a running site has them.
  wrk -t1 -c1 -d2s -s scripts/wrk-paths.lua "$base" -- "$out/one-word.txt" >/dev/null
  wrk -t1 -c1 -d1s -s scripts/wrk-paths.lua "$base" -- "$out/article.txt" >/dev/null
  local line
  for class in article one-word two-word three-word phrase; do
    line=$(wrk -t1 -c1 -d"${DURATION}s" -s scripts/wrk-paths.lua "$base" -- "$out/$class.txt" | tail -1)
    printf "%-8s %-11s %s\n" "$name" "$class" "$line"
  done
  kill "$TIDINGS_PID"; wait "$TIDINGS_PID" 2>/dev/null || true; TIDINGS_PID=
}

ENGINES=${BENCH_ENGINES:-sqlite postgres}
if [[ " $ENGINES " == *" sqlite "* ]]; then
  run_engine sqlite "sqlite:$WORK/search.db?mode=rwc"
fi
if [[ " $ENGINES " != *" postgres "* ]]; then
  echo "postgres: skipped (BENCH_ENGINES=$ENGINES)"
elif pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $PG_DB" postgres && PG_MADE=1
  run_engine postgres "postgres://postgres@127.0.0.1:5432/$PG_DB"
else
  echo "postgres: skipped (no server on 127.0.0.1:5432)"
fi
