#!/usr/bin/env bash
# Resident memory of `tidings serve` (release build) right after start, idle, on the demo data set,
# then its peak under 64 connections of wrk over the home page, an article, a section and the feed;
# next to nginx's (master plus workers) idle and under the same load on a static page, measured in
# the same run as a reference. Also prints the release binary's size.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/demo-avif.sh
for tool in wrk nginx curl; do
  command -v "$tool" >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y wrk nginx-light curl >/dev/null
done
# TIDINGS_BIN names another build to measure (to compare two builds in one sitting); else this one.
BIN=${TIDINGS_BIN:-$PWD/target/release/tidings}
[ -n "${TIDINGS_BIN:-}" ] || cargo build --release -p tidings --bin tidings >/dev/null
LOAD_SECONDS=15
WORK=$(mktemp -d)
chmod 755 "$WORK"
cleanup() {
  [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null || true
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  sleep 0.5
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# Fill a data dir with the demo, stop, then start a plain `serve` on it and let it settle.
PORT=$(free_port)
env -u TIDINGS_TEST_DATABASE_URL RUST_LOG=warn "$BIN" demo --data-dir "$WORK/data" --listen "127.0.0.1:$PORT" >/dev/null 2>&1 &
PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
wait_for_avif "$PORT"
kill "$PID"; wait "$PID" 2>/dev/null || true
env -u TIDINGS_TEST_DATABASE_URL RUST_LOG=warn "$BIN" serve --data-dir "$WORK/data" --listen "127.0.0.1:$PORT" >/dev/null 2>&1 &
PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
sleep 3
TIDINGS_KB=$(rss_kb "$PID")

N_PORT=$(free_port)
mkdir -p "$WORK/root" "$WORK/logs"
echo ok > "$WORK/root/index.html"
cat > "$WORK/nginx.conf" <<CONF
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log warn;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path $WORK/logs; proxy_temp_path $WORK/logs; fastcgi_temp_path $WORK/logs; uwsgi_temp_path $WORK/logs; scgi_temp_path $WORK/logs; server { listen 127.0.0.1:$N_PORT; root $WORK/root; } }
CONF
nginx -c "$WORK/nginx.conf" -p "$WORK"
sleep 1
MASTER=$(cat "$WORK/nginx.pid")
NGINX_KB=$(( $(rss_kb "$MASTER") + $(for p in $(pgrep -P "$MASTER"); do rss_kb "$p"; done | awk '{s+=$1} END {print s+0}') ))

nginx_kb() { echo $(( $(rss_kb "$MASTER") + $(for p in $(pgrep -P "$MASTER"); do rss_kb "$p"; done | awk '{s+=$1} END {print s+0}') )); }
# The highest value of the command's output while wrk runs, sampled every 100 ms.
peak_under_load() { # url-or-paths-args... -- sampler
  local sampler=$1; shift
  wrk -t2 -c64 -d"${LOAD_SECONDS}s" "$@" >/dev/null &
  local w=$! max=0 v
  while kill -0 "$w" 2>/dev/null; do
    v=$($sampler)
    [ "$v" -gt "$max" ] && max=$v
    sleep 0.1
  done
  echo "$max"
}
tidings_sample() { rss_kb "$PID"; }
printf '/\n/council-approves-a-leaner-budget-after-a-night-of-testimony/\n/tag/city-hall/\n/rss/\n' >"$WORK/paths.txt"
TIDINGS_LOAD_KB=$(peak_under_load tidings_sample -s scripts/wrk-paths.lua "http://127.0.0.1:$PORT" -- "$WORK/paths.txt")
NGINX_LOAD_KB=$(peak_under_load nginx_kb "http://127.0.0.1:$N_PORT/")
BINARY=$(stat -c %s "$BIN")

awk -v t="$TIDINGS_KB" -v n="$NGINX_KB" -v tl="$TIDINGS_LOAD_KB" -v nl="$NGINX_LOAD_KB" -v b="$BINARY" 'BEGIN {
  printf "tidings serve, idle after start: %.1f MB RSS (target < 20 MB)\n", t / 1024;
  printf "nginx (master + workers), idle:  %.1f MB RSS\n", n / 1024;
  printf "ratio: %.2fx nginx\n", t / n;
  printf "tidings serve, peak under 64 connections: %.1f MB RSS (target < 40 MB)\n", tl / 1024;
  printf "nginx, peak under 64 connections:          %.1f MB RSS (ratio %.2fx)\n", nl / 1024, tl / nl;
  printf "release binary: %.1f MB\n", b / 1048576;
}'
