#!/usr/bin/env bash
# A breaking-news spike: 2,000 readers on one article page (wrk, 2,000 connections) while an editor
# publishes a story and updates the article every second through the admin API, so the page cache is
# rebuilt under load. Beside it, nginx serving the same page's bytes at the same concurrency, in the
# same run. Every response must succeed: no connection error, no timeout, nothing but 200.
# Usage: scripts/bench-spike.sh [seconds per run, default 20] [connections, default 2000]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/demo-avif.sh
source scripts/lib/static-nginx.sh
DURATION=${1:-20}
CONNECTIONS=${2:-2000}
SLUG="council-approves-a-leaner-budget-after-a-night-of-testimony"

for tool in wrk nginx curl python3; do
  command -v "$tool" >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y wrk nginx-light curl >/dev/null
done
# TIDINGS_BIN names another build to measure (to compare two builds in one sitting); else this one.
BIN=${TIDINGS_BIN:-$PWD/target/release/tidings}
[ -n "${TIDINGS_BIN:-}" ] || cargo build --release -p tidings --bin tidings >/dev/null
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

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
T="http://127.0.0.1:$T_PORT"

run_env=(env -u TIDINGS_TEST_DATABASE_URL RUST_LOG=warn TIDINGS_NEWSLETTER__DIGEST_TIME=off)
"${run_env[@]}" "$BIN" demo --data-dir "$WORK/data" --listen "127.0.0.1:$T_PORT" >"$WORK/tidings.log" 2>&1 &
TIDINGS_PID=$!
for _ in $(seq 1 100); do curl -sf "$T/readyz" >/dev/null && break; sleep 0.1; done
wait_for_avif "$T_PORT"
"${run_env[@]}" "$BIN" --data-dir "$WORK/data" user add --email desk@example.org --role editor >/dev/null
TOKEN=$("${run_env[@]}" "$BIN" --data-dir "$WORK/data" user token --email desk@example.org --name spike \
  --scope content:read --scope content:write --scope content:publish | grep -o 'tdg_[A-Za-z0-9_-]*' | head -1)

mkdir -p "$WORK/root/$SLUG"
curl -sf "$T/$SLUG/" -o "$WORK/root/$SLUG/index.html"
static_nginx "$WORK" "$N_PORT"
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$N_PORT/$SLUG/" >/dev/null && break; sleep 0.1; done

# One run: "requests/s p99-ms errors", errors being failed connections, reads, writes, timeouts
# and answers other than 2xx/3xx.
measure() {
  local out
  out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency "$1")
  python3 - "$out" <<'PY'
import re, sys
out = sys.argv[1]
def ms(v):
    n, unit = re.match(r"([\d.]+)(us|ms|s)", v).groups()
    return float(n) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
p99 = ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
errors += int(m.group(1)) if m else 0
print(f"{rps:.0f} {p99:.2f} {errors}")
PY
}

# Publishes a new story and rewrites the spiked article's standfirst every second; prints
# "published N updated U failed F".
editor() {
  python3 - "$T" "$TOKEN" "$DURATION" "$SLUG" <<'PY'
import sys, time
sys.path.insert(0, "scripts/lib")
from newsroom_api import call as api
base, token, duration, slug = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
call = lambda method, path, body=None: api(base, token, method, path, body)
status, found = call("GET", "/api/v1/admin/articles?limit=100")
article = next(a for a in found["items"] if a["slug"] == slug)
published = updated = failed = 0
end = time.time() + duration - 1
i = 0
while time.time() < end:
    status, made = call("POST", "/api/v1/admin/articles",
        {"title": "Update %d on the budget vote" % i, "slug": "spike-%d-%d" % (int(end), i),
         "body_markdown": "The latest from the council chamber."})
    if status == 201:
        status, _ = call("POST", "/api/v1/admin/articles/%d/publish" % made["id"])
    if status == 200:
        published += 1
    else:
        failed += 1
    status, current = call("GET", "/api/v1/admin/articles/%d" % article["id"])
    status, _ = call("PATCH", "/api/v1/admin/articles/%d" % article["id"],
        {"dek": "Updated at %s: evening buses and two libraries are spared." % time.strftime("%H:%M:%S"),
         "version": current["version"]}) if status == 200 else (status, None)
    if status == 200:
        updated += 1
    else:
        failed += 1
        print("update failed: %s" % status, file=sys.stderr)
    i += 1
    time.sleep(1)
print("published %d updated %d failed %d" % (published, updated, failed))
PY
}

wrk -t2 -c200 -d3s "http://127.0.0.1:$N_PORT/$SLUG/" >/dev/null
wrk -t2 -c200 -d3s "$T/$SLUG/" >/dev/null
echo "one article page, wrk -t2 -c$CONNECTIONS -d${DURATION}s; an editor publishes and updates every second during the Tidings run"
N_RUN=$(measure "http://127.0.0.1:$N_PORT/$SLUG/")
editor >"$WORK/editor.txt" &
EDITOR_PID=$!
T_RUN=$(measure "$T/$SLUG/")
wait "$EDITOR_PID"
python3 - "$N_RUN" "$T_RUN" "$(cat "$WORK/editor.txt")" <<'PY'
import sys
n, t = [tuple(float(x) for x in r.split()) for r in sys.argv[1:3]]
ed = sys.argv[3].split()
e = dict(zip(ed[0::2], (int(x) for x in ed[1::2])))
print(f"nginx:   {n[0]:8.0f} req/s  p99 {n[1]:8.2f} ms  errors {n[2]:.0f}")
print(f"tidings: {t[0]:8.0f} req/s  p99 {t[1]:8.2f} ms  errors {t[2]:.0f}  "
      f"(editor: {e['published']} published, {e['updated']} updates, {e['failed']} failed)")
print(f"ratio to nginx: {t[0] / n[0]:.2f}x req/s, {t[1] / n[1]:.2f}x p99")
sys.exit(1 if n[2] or t[2] or e["failed"] or not e["updated"] else 0)
PY
