#!/usr/bin/env bash
# Requests per second and p99 latency of a demo article page: Tidings (release build) against nginx
# serving the identical bytes as a static file, in the same run, with wrk at 64 connections.
# Usage: scripts/bench-pages.sh [seconds per run, default 15]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-15}
CONNECTIONS=64
THREADS=2
SLUG="council-approves-a-leaner-budget-after-a-night-of-testimony"

for tool in wrk nginx curl; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y wrk nginx-light curl" >&2; exit 1; }
done
cargo build --release -p tidings >/dev/null

WORK=$(mktemp -d)
chmod 755 "$WORK"  # nginx workers drop root and must read the files
cleanup() {
  [ -n "${TIDINGS_PID:-}" ] && kill "$TIDINGS_PID" 2>/dev/null || true
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  sleep 0.5
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
T_PORT=$(free_port)
N_PORT=$(free_port)

env -u TIDINGS_TEST_DATABASE_URL RUST_LOG=warn ./target/release/tidings demo --data-dir "$WORK/data" \
  --listen "127.0.0.1:$T_PORT" >/dev/null 2>&1 &
TIDINGS_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$T_PORT/readyz" >/dev/null && break; sleep 0.1; done

# The same bytes for nginx: the uncompressed page, as wrk (no Accept-Encoding) receives it from Tidings.
mkdir -p "$WORK/root/$SLUG" "$WORK/logs"
curl -sf "http://127.0.0.1:$T_PORT/$SLUG/" -o "$WORK/root/$SLUG/index.html"
cat > "$WORK/nginx.conf" <<CONF
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  types { text/html html; }
  default_type text/html;
  client_body_temp_path $WORK/logs;
  proxy_temp_path $WORK/logs;
  fastcgi_temp_path $WORK/logs;
  uwsgi_temp_path $WORK/logs;
  scgi_temp_path $WORK/logs;
  server {
    listen 127.0.0.1:$N_PORT;
    root $WORK/root;
    index index.html;
  }
}
CONF
nginx -c "$WORK/nginx.conf" -p "$WORK"
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$N_PORT/$SLUG/" >/dev/null && break; sleep 0.1; done
cmp <(curl -s "http://127.0.0.1:$T_PORT/$SLUG/") <(curl -s "http://127.0.0.1:$N_PORT/$SLUG/")
BYTES=$(stat -c %s "$WORK/root/$SLUG/index.html")

# wrk prints "Requests/sec: N" and, with --latency, a "99% Xms" line.
measure() {
  local out rps p99
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$1")
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  echo "$rps $(to_ms "$p99")"
}
to_ms() {
  local v=$1
  case "$v" in
    *us) awk -v x="${v%us}" 'BEGIN {print x / 1000}' ;;
    *ms) echo "${v%ms}" ;;
    *s) awk -v x="${v%s}" 'BEGIN {print x * 1000}' ;;
  esac
}

# Warm both, then alternate runs so both see the same machine conditions.
wrk -t2 -c"$CONNECTIONS" -d2s "http://127.0.0.1:$T_PORT/$SLUG/" >/dev/null
wrk -t2 -c"$CONNECTIONS" -d2s "http://127.0.0.1:$N_PORT/$SLUG/" >/dev/null
read -r n1 np1 <<<"$(measure "http://127.0.0.1:$N_PORT/$SLUG/")"
read -r t1 tp1 <<<"$(measure "http://127.0.0.1:$T_PORT/$SLUG/")"
read -r n2 np2 <<<"$(measure "http://127.0.0.1:$N_PORT/$SLUG/")"
read -r t2 tp2 <<<"$(measure "http://127.0.0.1:$T_PORT/$SLUG/")"

awk -v n1="$n1" -v n2="$n2" -v t1="$t1" -v t2="$t2" -v np1="$np1" -v np2="$np2" -v tp1="$tp1" -v tp2="$tp2" \
  -v bytes="$BYTES" -v c="$CONNECTIONS" -v d="$DURATION" 'BEGIN {
  n = (n1 + n2) / 2; t = (t1 + t2) / 2; np = (np1 + np2) / 2; tp = (tp1 + tp2) / 2;
  printf "article page: %d bytes; wrk -t2 -c%d -d%ss, two alternating runs each\n", bytes, c, d;
  printf "nginx    %10.0f req/s   p99 %7.2f ms   (runs: %.0f, %.0f)\n", n, np, n1, n2;
  printf "tidings  %10.0f req/s   p99 %7.2f ms   (runs: %.0f, %.0f)\n", t, tp, t1, t2;
  printf "ratio    throughput %.2fx nginx (target >= 0.80)   p99 %.2fx nginx (target <= 1.25)\n", t / n, tp / np;
}'
