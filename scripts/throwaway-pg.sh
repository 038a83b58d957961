# Sourced by the scripts that measure on PostgreSQL: a throwaway database on the server named by
# LOAD_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), a work folder, and a
# clean-up that stops the processes listed in PIDS and drops both. Sets ADMIN_URL, DB, DB_URL, WORK.
ADMIN_URL=${LOAD_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
WORK=$(mktemp -d)
DB="tidings_${1:-bench}_$(date +%s)_$$"
DB_URL="${ADMIN_URL%/*}/$DB"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 1
  psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
psql -q "$ADMIN_URL" -c "CREATE DATABASE $DB"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ready() { for _ in $(seq 1 300); do curl -sf "$1/readyz" >/dev/null && return 0; sleep 0.1; done; echo "$1 never ready" >&2; exit 1; }
