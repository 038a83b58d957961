#!/usr/bin/env bash
# Start time: from exec of `tidings serve` (release build, demo data) to its first 200 on `/`, next
# to nginx's from exec to its first 200 on a static page, in the same run; the median of N starts
# of each, alternating. The first request after start renders the home page (nothing is cached yet).
# Usage: scripts/bench-start.sh [starts, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/demo-avif.sh
STARTS=${1:-10}
for tool in nginx curl python3; do
  command -v "$tool" >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y nginx-light curl >/dev/null
done
# TIDINGS_BIN names another build to measure (to compare two builds in one sitting); else this one.
BIN=${TIDINGS_BIN:-$PWD/target/release/tidings}
[ -n "${TIDINGS_BIN:-}" ] || cargo build --release -p tidings --bin tidings >/dev/null

WORK=$(mktemp -d)
chmod 755 "$WORK"
cleanup() {
  [ -n "${DEMO_PID:-}" ] && kill "$DEMO_PID" 2>/dev/null || true
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  sleep 0.3
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The demo data, written once and then served by plain `serve` starts.
PORT=$(free_port)
env -u TIDINGS_TEST_DATABASE_URL RUST_LOG=warn "$BIN" demo --data-dir "$WORK/data" \
  --listen "127.0.0.1:$PORT" >/dev/null 2>&1 &
DEMO_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
wait_for_avif "$PORT"
kill "$DEMO_PID"; wait "$DEMO_PID" 2>/dev/null || true; DEMO_PID=

N_PORT=$(free_port)
mkdir -p "$WORK/root" "$WORK/logs"
echo '<!doctype html><title>ok</title>' > "$WORK/root/index.html"
cat > "$WORK/nginx.conf" <<CONF
daemon off;
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log warn;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path $WORK/logs; proxy_temp_path $WORK/logs; fastcgi_temp_path $WORK/logs; uwsgi_temp_path $WORK/logs; scgi_temp_path $WORK/logs; server { listen 127.0.0.1:$N_PORT; root $WORK/root; } }
CONF

python3 - "$STARTS" "$BIN" "$WORK" "$PORT" "$N_PORT" <<'PY'
import http.client, os, signal, statistics, subprocess, sys, time
starts, binary, work, port, n_port = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
env = {k: v for k, v in os.environ.items() if k != "TIDINGS_TEST_DATABASE_URL"}
env["RUST_LOG"] = "warn"

def first_ok(cmd, port, path):
    """Seconds from exec to the first 200 on path, polling every half millisecond."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", path)
                if c.getresponse().status == 200:
                    return time.perf_counter() - started
            except OSError:
                time.sleep(0.0005)
            if time.perf_counter() - started > 30:
                raise SystemExit(f"{cmd[0]} gave no 200 within 30 s")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait()

tidings = [binary, "serve", "--data-dir", f"{work}/data", "--listen", f"127.0.0.1:{port}"]
nginx = ["nginx", "-c", f"{work}/nginx.conf", "-p", work]
t, n = [], []
for _ in range(starts):
    n.append(first_ok(nginx, n_port, "/"))
    t.append(first_ok(tidings, port, "/"))
tm, nm = statistics.median(t) * 1000, statistics.median(n) * 1000
print(f"nginx   exec to first 200: median {nm:6.1f} ms  (runs: {', '.join(f'{x*1000:.1f}' for x in n)})")
print(f"tidings exec to first 200: median {tm:6.1f} ms  (runs: {', '.join(f'{x*1000:.1f}' for x in t)})")
print(f"ratio: {tm / nm:.2f}x nginx; target: tidings under 50 ms")
PY
