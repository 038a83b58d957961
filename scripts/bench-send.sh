#!/usr/bin/env bash
# One digest to N subscribers (default 100,000) over SMTP to Postfix's smtp-sink on loopback:
# messages per second and peak resident memory of `tidings newsletter digest --send`, next to the
# sink's own ceiling measured in the same run with smtp-source (same message size and number of
# connections). Then the same send with DKIM signing (RSA-2048) for its cost.
# Usage: scripts/bench-send.sh [subscribers, default 100000]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
CONNECTIONS=8

if ! command -v smtp-sink >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y postfix >/dev/null
fi
for tool in smtp-sink smtp-source curl openssl python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
cargo build --release -p tidings >/dev/null
BIN=$PWD/target/release/tidings

WORK=$(mktemp -d)
cleanup() {
  [ -n "${SINK_PID:-}" ] && kill "$SINK_PID" 2>/dev/null || true
  [ -n "${DEMO_PID:-}" ] && kill "$DEMO_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }

# A site with the sample newsroom (its stories are from the last day) and N confirmed subscribers.
PORT=$(free_port)
env -u TIDINGS_TEST_DATABASE_URL RUST_LOG=error "$BIN" demo --data-dir "$WORK/site" --listen "127.0.0.1:$PORT" >/dev/null 2>&1 &
DEMO_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
kill "$DEMO_PID"; wait "$DEMO_PID" 2>/dev/null || true; DEMO_PID=
python3 - "$N" > "$WORK/subscribers.csv" <<'PY'
import sys
n = int(sys.argv[1])
print("Email Address,First Name,Last Name,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED,LEID,EUID,NOTES")
for i in range(n):
    print(f"reader{i:06d}@example.org,Reader,{i},2,2025-01-02 10:00:00,192.0.2.1,2025-01-02 10:01:00,192.0.2.1,,,,,,,,2025-01-02 10:01:00,{i},{i},")
PY
export TIDINGS_NEWSLETTER__DIGEST_TIME=off RUST_LOG=error
# One message to the outbox first, to learn the size smtp-source should send.
cp -r "$WORK/site" "$WORK/site-one"
head -2 "$WORK/subscribers.csv" > "$WORK/one.csv"
TIDINGS_SERVER__DATA_DIR="$WORK/site-one" "$BIN" subscribers import "$WORK/one.csv" >/dev/null
TIDINGS_SERVER__DATA_DIR="$WORK/site-one" "$BIN" newsletter digest --send >/dev/null
SIZE=$(stat -c %s "$WORK"/site-one/outbox/*.eml)
TIDINGS_SERVER__DATA_DIR="$WORK/site" "$BIN" subscribers import "$WORK/subscribers.csv" | tail -1
cp -r "$WORK/site" "$WORK/site-dkim"

SINK_PORT=$(free_port)
smtp-sink -u postfix "127.0.0.1:$SINK_PORT" 1024 &
SINK_PID=$!
sleep 0.5

send() { # data dir, label, extra env
  local dir=$1 label=$2; shift 2
  local start end
  start=$(now)
  env TIDINGS_SERVER__DATA_DIR="$dir" TIDINGS_MAIL__URL="smtp://127.0.0.1:$SINK_PORT" \
    TIDINGS_MAIL__FROM="Ledger <news@example.org>" TIDINGS_MAIL__CONNECTIONS=$CONNECTIONS "$@" \
    /usr/bin/time -f "%M" -o "$WORK/rss" "$BIN" newsletter digest --send > "$WORK/out" 2>&1 || { cat "$WORK/out"; exit 1; }
  end=$(now)
  local rate rss
  rate=$(python3 -c "print(round($N / ($end - $start)))")
  rss=$(( $(cat "$WORK/rss") / 1024 ))
  echo "$label: $N messages in $(python3 -c "print(round($end - $start, 1))") s = $rate msg/s, peak RSS $rss MB" >&2
  tail -1 "$WORK/out" >&2
  echo "$rate"
}

# The sink's ceiling: smtp-source pushing messages of the digest's size over the same connections.
start=$(now)
smtp-source -s $CONNECTIONS -m "$N" -l "$SIZE" -f news@example.org -t reader@example.org "127.0.0.1:$SINK_PORT"
end=$(now)
CEILING=$(python3 -c "print(round($N / ($end - $start)))")
echo "smtp-source ceiling: $N messages of $SIZE bytes over $CONNECTIONS connections = $CEILING msg/s" >&2

PLAIN=$(send "$WORK/site" "tidings, no DKIM")
openssl genrsa -traditional -out "$WORK/dkim.pem" 2048 2>/dev/null
SIGNED=$(send "$WORK/site-dkim" "tidings, DKIM RSA-2048" TIDINGS_MAIL__DKIM_KEY_FILE="$WORK/dkim.pem")
python3 -c "print(f'ratio to ceiling: {$PLAIN/$CEILING:.2f}x without DKIM, {$SIGNED/$CEILING:.2f}x with DKIM; with DKIM {$SIGNED/$PLAIN:.2f}x of the rate without (targets: 0.80x of the ceiling without, 0.60x of that rate with)')"
