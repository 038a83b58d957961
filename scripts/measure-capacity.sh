#!/usr/bin/env bash
# The figures behind docs/scaling.md, on PostgreSQL: the database's size with the sample newsroom and
# N subscribers (default 1,000,000), the time to import them, and one digest to all of them over SMTP
# to Postfix's smtp-sink on loopback (queueing and sending, with the delivery rows it leaves and the
# sender's peak memory). The reference, measured in the same run, is the sink's ceiling: smtp-source
# pushing N messages of the digest's size over the same connections. With `dkim`, every message is
# signed with a fresh RSA-2048 key. While the digest is queued, a `tidings serve --no-jobs` node on
# the same database answers wrk (16 connections over an article, the home page, a section and the
# newsletter archive); its p99 then is printed beside its p99 with nothing else running.
# Usage: scripts/measure-capacity.sh [subscribers, default 1000000] [dkim]
# LOAD_DATABASE_URL names the PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres);
# a throwaway database is made there and dropped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/demo-avif.sh
N=${1:-1000000}
SIGN=${2:-}
CONNECTIONS=8

if ! command -v smtp-sink >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y postfix >/dev/null
fi
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null
for tool in smtp-sink smtp-source curl psql python3 wrk openssl; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
cargo build --release -p tidings --bin tidings >/dev/null
BIN=$PWD/target/release/tidings

source scripts/throwaway-pg.sh capacity
now() { date +%s.%N; }
mb() { psql -qtA "$DB_URL" -c "SELECT round(pg_database_size(current_database()) / 1048576.0)"; }
rows() { psql -qtA "$DB_URL" -c "SELECT count(*) FROM $1"; }
export TIDINGS_DATABASE__URL="$DB_URL" TIDINGS_NEWSLETTER__DIGEST_TIME=off RUST_LOG=error
export TIDINGS_SERVER__DATA_DIR="$WORK/site"

PORT=$(free_port)
env -u TIDINGS_TEST_DATABASE_URL "$BIN" demo --listen "127.0.0.1:$PORT" >/dev/null 2>&1 &
DEMO=$!
ready "http://127.0.0.1:$PORT"
wait_for_avif "$PORT"
kill "$DEMO"; wait "$DEMO" 2>/dev/null || true
EMPTY=$(mb)

python3 - "$N" > "$WORK/subscribers.csv" <<'PY'
import sys
n = int(sys.argv[1])
print("Email Address,First Name,Last Name,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED,LEID,EUID,NOTES")
for i in range(n):
    print(f"reader{i:07d}@example.org,Reader,{i},2,2025-01-02 10:00:00,192.0.2.1,2025-01-02 10:01:00,192.0.2.1,,,,,,,,2025-01-02 10:01:00,{i},{i},")
PY
start=$(now)
"$BIN" subscribers import "$WORK/subscribers.csv" | tail -1
end=$(now)
IMPORT_S=$(python3 -c "print(round($end - $start, 1))")
WITH_SUBSCRIBERS=$(mb)

# The size of one digest, for smtp-source: the first message the send would make, from a copy of
# the site with one subscriber (the sample newsroom and the outbox transport).
psql -q "$ADMIN_URL" -c "CREATE DATABASE ${DB}_one TEMPLATE $DB" 2>/dev/null || true
SIZE=9936
if psql -qtA "${ADMIN_URL%/*}/${DB}_one" -c "DELETE FROM subscribers WHERE id > (SELECT min(id) FROM subscribers)" >/dev/null 2>&1; then
  TIDINGS_DATABASE__URL="${ADMIN_URL%/*}/${DB}_one" TIDINGS_SERVER__DATA_DIR="$WORK/one" \
    "$BIN" newsletter digest --send >/dev/null 2>&1 && SIZE=$(stat -c %s "$WORK"/one/outbox/*.eml | head -1)
fi
psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS ${DB}_one WITH (FORCE)" 2>/dev/null || true

SINK_PORT=$(free_port)
smtp-sink -u postfix "127.0.0.1:$SINK_PORT" 1024 &
PIDS+=($!)
sleep 0.5
start=$(now)
smtp-source -s $CONNECTIONS -m "$N" -l "$SIZE" -f news@example.org -t reader@example.org "127.0.0.1:$SINK_PORT"
end=$(now)
CEILING=$(python3 -c "print(round($N / ($end - $start)))")

# A node serving the site from the same database, with no background work of its own.
SITE_PORT=$(free_port)
SITE="http://127.0.0.1:$SITE_PORT"
env -u TIDINGS_TEST_DATABASE_URL TIDINGS_SERVER__DATA_DIR="$WORK/site-node" "$BIN" serve --no-jobs \
  --listen "127.0.0.1:$SITE_PORT" >"$WORK/site.log" 2>&1 &
PIDS+=($!)
ready "$SITE"
printf '/council-approves-a-leaner-budget-after-a-night-of-testimony/\n/\n/tag/city-hall/\n/newsletter/\n' >"$WORK/paths.txt"
wrk -t1 -c16 -d3s -s scripts/wrk-paths.lua "$SITE" -- "$WORK/paths.txt" >/dev/null
QUIET=$(wrk -t1 -c16 -d10s --timeout 10s -s scripts/wrk-paths.lua "$SITE" -- "$WORK/paths.txt" | tail -1)

SIGN_ENV=()
if [ "$SIGN" = dkim ]; then
  openssl genrsa -traditional -out "$WORK/dkim.pem" 2048 2>/dev/null
  SIGN_ENV=(TIDINGS_MAIL__DKIM_KEY_FILE="$WORK/dkim.pem")
fi
start=$(now)
env "${SIGN_ENV[@]}" TIDINGS_MAIL__URL="smtp://127.0.0.1:$SINK_PORT" TIDINGS_MAIL__FROM="Ledger <news@example.org>" \
  TIDINGS_MAIL__CONNECTIONS=$CONNECTIONS /usr/bin/time -f "%M" -o "$WORK/rss" \
  "$BIN" newsletter digest --send > "$WORK/out" 2>&1 &
SEND_PID=$!
# wrk runs until the digest says it is queued, then stops on SIGINT and prints its figures.
wrk -t1 -c16 -d3600s --timeout 10s -s scripts/wrk-paths.lua "$SITE" -- "$WORK/paths.txt" >"$WORK/during" &
WRK_PID=$!
while ! grep -q "queued\|finishing" "$WORK/out" && kill -0 "$SEND_PID" 2>/dev/null; do sleep 0.05; done
QUEUED_AT=$(now)
kill -INT "$WRK_PID"; wait "$WRK_PID" || true
DURING=$(tail -1 "$WORK/during")
wait "$SEND_PID" || { cat "$WORK/out"; exit 1; }
end=$(now)
QUEUE_S=$(python3 -c "print(round($QUEUED_AT - $start, 1))")
SEND_S=$(python3 -c "print(round($end - $start, 1))")
RATE=$(python3 -c "print(round($N / ($end - $start)))")
RSS=$(( $(cat "$WORK/rss") / 1024 ))
AFTER_SEND=$(mb)
DELIVERIES=$(rows deliveries)

echo "PostgreSQL $(psql -qtA "$DB_URL" -c 'SHOW server_version'), $N subscribers, $CONNECTIONS SMTP connections"
echo "database: ${EMPTY} MB with the sample newsroom; ${WITH_SUBSCRIBERS} MB with the subscribers (imported in ${IMPORT_S} s); ${AFTER_SEND} MB after one digest (${DELIVERIES} delivery rows)"
echo "digest${SIGN:+ (DKIM RSA-2048)}: $N messages of $SIZE bytes queued and sent in ${SEND_S} s (queued in ${QUEUE_S} s) = ${RATE} msg/s, peak RSS ${RSS} MB"
echo "site node, nothing else running: $QUIET"
echo "site node, while the digest was queued: $DURING"
echo "ceiling: smtp-source $CEILING msg/s; ratio to ceiling: $(python3 -c "print(f'{$RATE/$CEILING:.2f}')")x"
