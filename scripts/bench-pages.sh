#!/usr/bin/env bash
# Requests per second and p99 latency of a demo article page: Tidings (release build) against nginx
# serving the identical bytes as static files, in the same run. Four cases: plain and with
# `Accept-Encoding: br` (nginx sends the same precompressed bytes with brotli_static), each at 64
# and at 512 connections; three alternating runs of each server per case, medians compared.
# Usage: scripts/bench-pages.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/demo-avif.sh
source scripts/lib/static-nginx.sh
DURATION=${1:-10}
THREADS=2
SLUG="council-approves-a-leaner-budget-after-a-night-of-testimony"
BROTLI_MODULE=/usr/lib/nginx/modules/ngx_http_brotli_static_module.so

for tool in wrk nginx curl python3; do
  command -v "$tool" >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y wrk nginx-light curl >/dev/null
done
[ -f "$BROTLI_MODULE" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y libnginx-mod-http-brotli-static >/dev/null
# TIDINGS_BIN names another build to measure (to compare two builds in one sitting); else this one.
BIN=${TIDINGS_BIN:-$PWD/target/release/tidings}
[ -n "${TIDINGS_BIN:-}" ] || cargo build --release -p tidings --bin tidings >/dev/null
ulimit -n 65536 2>/dev/null || true

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

env -u TIDINGS_TEST_DATABASE_URL RUST_LOG=warn "$BIN" demo --data-dir "$WORK/data" \
  --listen "127.0.0.1:$T_PORT" >/dev/null 2>&1 &
TIDINGS_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$T_PORT/readyz" >/dev/null && break; sleep 0.1; done
wait_for_avif "$T_PORT"

# The same bytes for nginx: the page as Tidings sends it without and with brotli.
mkdir -p "$WORK/root/$SLUG"
curl -sf "http://127.0.0.1:$T_PORT/$SLUG/" -o "$WORK/root/$SLUG/index.html"
# A page is brotli-compressed quickly when first made and refined off the request path: take the
# bytes once two fetches half a second apart agree.
for _ in $(seq 1 40); do
  curl -sf -H 'Accept-Encoding: br' "http://127.0.0.1:$T_PORT/$SLUG/" -o "$WORK/root/$SLUG/index.html.br"
  sleep 0.5
  cmp -s "$WORK/root/$SLUG/index.html.br" <(curl -sf -H 'Accept-Encoding: br' "http://127.0.0.1:$T_PORT/$SLUG/") && break
done
NGINX_MODULES="load_module $BROTLI_MODULE;" static_nginx "$WORK" "$N_PORT" "brotli_static on;"
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$N_PORT/$SLUG/" >/dev/null && break; sleep 0.1; done
cmp <(curl -s "http://127.0.0.1:$T_PORT/$SLUG/") <(curl -s "http://127.0.0.1:$N_PORT/$SLUG/")
cmp <(curl -s -H 'Accept-Encoding: br' "http://127.0.0.1:$T_PORT/$SLUG/") \
  <(curl -s -H 'Accept-Encoding: br' "http://127.0.0.1:$N_PORT/$SLUG/")
BYTES=$(stat -c %s "$WORK/root/$SLUG/index.html")
BR_BYTES=$(stat -c %s "$WORK/root/$SLUG/index.html.br")

to_ms() {
  local v=$1
  case "$v" in
    *us) awk -v x="${v%us}" 'BEGIN {print x / 1000}' ;;
    *ms) echo "${v%ms}" ;;
    *s) awk -v x="${v%s}" 'BEGIN {print x * 1000}' ;;
  esac
}
# One run: "requests/s p99-ms errors" (wrk prints "Requests/sec: N", with --latency a "99% X" line,
# and a "Non-2xx" or "Socket errors" line when anything went wrong).
measure() { # url connections [header]
  local out rps p99 errors
  if [ -n "${3:-}" ]; then
    out=$(wrk -t"$THREADS" -c"$2" -d"${DURATION}s" --latency -H "$3" "$1")
  else
    out=$(wrk -t"$THREADS" -c"$2" -d"${DURATION}s" --latency "$1")
  fi
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/ {e = 1} END {print e + 0}' <<<"$out")
  echo "$rps $(to_ms "$p99") $errors"
}

echo "article page: $BYTES bytes plain, $BR_BYTES with brotli; wrk -t$THREADS, ${DURATION}s runs, three alternating runs per server, medians"
printf "%-6s %-5s %12s %10s %12s %10s %9s %9s\n" case conns "nginx req/s" "p99 ms" "tidings" "p99 ms" "req/s x" "p99 x"
for variant in plain br; do
  header=""
  [ "$variant" = br ] && header="Accept-Encoding: br"
  for conns in 64 512; do
    # Warm both, then alternate so both see the same machine conditions.
    wrk -t2 -c"$conns" -d2s ${header:+-H "$header"} "http://127.0.0.1:$T_PORT/$SLUG/" >/dev/null
    wrk -t2 -c"$conns" -d2s ${header:+-H "$header"} "http://127.0.0.1:$N_PORT/$SLUG/" >/dev/null
    n_runs=(); t_runs=()
    for _ in 1 2 3; do
      n_runs+=("$(measure "http://127.0.0.1:$N_PORT/$SLUG/" "$conns" "$header")")
      t_runs+=("$(measure "http://127.0.0.1:$T_PORT/$SLUG/" "$conns" "$header")")
    done
    python3 - "$variant" "$conns" "${n_runs[@]}" "${t_runs[@]}" <<'PY'
import statistics, sys
variant, conns = sys.argv[1], sys.argv[2]
runs = [tuple(float(x) for x in r.split()) for r in sys.argv[3:]]
nginx, tidings = runs[:3], runs[3:]
med = lambda rs, i: statistics.median(r[i] for r in rs)
n_rps, n_p99, t_rps, t_p99 = med(nginx, 0), med(nginx, 1), med(tidings, 0), med(tidings, 1)
errors = sum(r[2] for r in runs)
print(f"{variant:<6} {conns:<5} {n_rps:12.0f} {n_p99:10.2f} {t_rps:12.0f} {t_p99:10.2f} {t_rps / n_rps:8.2f}x {t_p99 / n_p99:8.2f}x"
      + ("  (errors in a run)" if errors else ""))
runs = lambda rs: ', '.join(f'{r[0]:.0f} ({r[1]:.2f} ms)' for r in rs)
print(f"       runs (req/s, p99): nginx {runs(nginx)}; tidings {runs(tidings)}")
PY
  done
done
echo "targets: req/s x >= 1.00 and p99 x <= 1.00 in every case"
