#!/usr/bin/env bash
# Two `tidings serve` nodes (release build) on one PostgreSQL database under wrk load, first as a
# reference with nothing changing, then while an editor publishes a story every half second through
# the admin API, alternating between the nodes. Every response must succeed (no connection error, no
# 5xx), and each story published on one node is timed until the other node serves it.
# Usage: scripts/load-nodes.sh [seconds per run, default 15] [connections per node, default 32]
# LOAD_DATABASE_URL names the PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres);
# a throwaway database is made there and dropped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/demo-avif.sh
DURATION=${1:-15}
CONNECTIONS=${2:-32}
SLUG="council-approves-a-leaner-budget-after-a-night-of-testimony"

for tool in wrk curl psql python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y wrk curl postgresql-client python3" >&2; exit 1; }
done
cargo build --release -p tidings >/dev/null
BIN=./target/release/tidings

source scripts/throwaway-pg.sh load
A_PORT=$(free_port)
B_PORT=$(free_port)
A="http://127.0.0.1:$A_PORT"
B="http://127.0.0.1:$B_PORT"
node_env=(env -u TIDINGS_TEST_DATABASE_URL RUST_LOG=warn TIDINGS_DATABASE__URL="$DB_URL"
  TIDINGS_NEWSLETTER__DIGEST_TIME=off)

# Node A fills the database with the sample newsroom; node B serves the same database.
"${node_env[@]}" "$BIN" demo --data-dir "$WORK/a" --listen "127.0.0.1:$A_PORT" >"$WORK/a.log" 2>&1 &
PIDS+=($!)
ready "$A"
# Node A holds the photos (media are per node): its job makes their AVIF copies before B starts.
wait_for_avif "$A_PORT"
"${node_env[@]}" "$BIN" serve --data-dir "$WORK/b" --listen "127.0.0.1:$B_PORT" >"$WORK/b.log" 2>&1 &
PIDS+=($!)
ready "$B"

"${node_env[@]}" "$BIN" --data-dir "$WORK/a" user add --email load@example.org --role editor >/dev/null
TOKEN=$("${node_env[@]}" "$BIN" --data-dir "$WORK/a" user token --email load@example.org --name load \
  --scope content:read --scope content:write --scope content:publish | grep -o 'tdg_[A-Za-z0-9_-]*' | head -1)

printf '/\n/%s/\n/tag/city-hall/\n/rss/\n' "$SLUG" >"$WORK/paths.txt"
for node in "$A" "$B"; do wrk -t1 -c8 -d2s -s scripts/wrk-paths.lua "$node" -- "$WORK/paths.txt" >/dev/null; done

# One wrk per node at once; prints "<node> p50 .. p95 .. requests N errors E p99 .. rps R".
load() {
  wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s -s scripts/wrk-paths.lua "$A" -- "$WORK/paths.txt" | tail -1 >"$WORK/load-a.txt" &
  local wa=$!
  wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s -s scripts/wrk-paths.lua "$B" -- "$WORK/paths.txt" | tail -1 >"$WORK/load-b.txt" &
  local wb=$!
  wait "$wa" "$wb"
  echo "A $(cat "$WORK/load-a.txt")"
  echo "B $(cat "$WORK/load-b.txt")"
}

# Publishes a story every half second on alternate nodes for the run's length, and times how long
# until the other node serves it. Prints "published N failed F worst_visible_ms W".
publish() {
  python3 - "$A" "$B" "$TOKEN" "$DURATION" <<'PY'
import sys, time, urllib.request, urllib.error
sys.path.insert(0, "scripts/lib")
from newsroom_api import call as api
a, b, token, duration = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
call = lambda base, method, path, body=None: api(base, token, method, path, body, timeout=10)
published = failed = 0
worst = 0.0
end = time.time() + duration
i = 0
while time.time() < end:
    on, other = (a, b) if i % 2 == 0 else (b, a)
    slug = "load-%d-%d" % (int(end), i)
    status, made = call(on, "POST", "/api/v1/admin/articles",
        {"title": "Load story %d" % i, "slug": slug, "body_markdown": "Published under load."})
    if status == 201:
        status, _ = call(on, "POST", "/api/v1/admin/articles/%d/publish" % made["id"])
    if status != 200:
        failed += 1
        print("publishing on %s failed: %s" % (on, status), file=sys.stderr)
    else:
        published += 1
        t0 = time.time()
        while True:
            try:
                with urllib.request.urlopen(other + "/" + slug + "/", timeout=5) as r:
                    if r.status == 200:
                        break
            except urllib.error.HTTPError:
                pass
            if time.time() - t0 > 10:
                failed += 1
                break
            time.sleep(0.01)
        worst = max(worst, time.time() - t0)
    i += 1
    time.sleep(0.5)
print("published %d failed %d worst_visible_ms %.0f" % (published, failed, worst * 1000))
PY
}

echo "two nodes on PostgreSQL; wrk -t1 -c$CONNECTIONS -d${DURATION}s on each, over /, an article, a section and the feed"
echo "reference (nothing published):"
load | tee "$WORK/ref.txt"
echo "while publishing:"
publish >"$WORK/pub.txt" &
PUB=$!
load | tee "$WORK/run.txt"
wait "$PUB"
cat "$WORK/pub.txt"

python3 - "$WORK/ref.txt" "$WORK/run.txt" "$WORK/pub.txt" <<'PY'
import sys
def parse(path):
    rows = {}
    for line in open(path):
        f = line.split()
        kv = dict(zip(f[1::2], f[2::2]))
        rows[f[0]] = {k: float(v) for k, v in kv.items()}
    return rows
ref, run = parse(sys.argv[1]), parse(sys.argv[2])
pub = open(sys.argv[3]).read().split()
pubd = dict(zip(pub[0::2], pub[1::2]))
rps = lambda r: sum(n["rps"] for n in r.values())
p99 = lambda r: max(n["p99"] for n in r.values())
errors = int(sum(n["errors"] for n in run.values()) + sum(n["errors"] for n in ref.values()))
print("reference: %.0f req/s across both nodes, worst p99 %.2f ms" % (rps(ref), p99(ref)))
print("publishing: %.0f req/s across both nodes, worst p99 %.2f ms; %s stories published, %s failed, "
      "seen on the other node within %s ms at worst" % (rps(run), p99(run), pubd["published"],
      pubd["failed"], pubd["worst_visible_ms"]))
print("ratio to reference: %.2fx throughput, %.2fx p99; errors: %d" % (rps(run) / rps(ref), p99(run) / p99(ref), errors))
sys.exit(1 if errors or int(pubd["failed"]) else 0)
PY
