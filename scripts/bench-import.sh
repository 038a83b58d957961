#!/usr/bin/env bash
# WordPress import at scale: for each size N (default 2000 and 20000), a synthetic WXR from
# ../shared/testdata/gen_wxr.py is imported into a fresh SQLite site with `tidings import
# wordpress`; time and peak RSS are printed next to a parse-only pass over the same file
# (`--dry-run`, which reads and checks the whole file and writes nothing), measured in the same run.
# Usage: scripts/bench-import.sh [N ...]
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(2000 20000)
GEN=${GEN:-../shared/testdata/gen_wxr.py}
[ -f "$GEN" ] || { echo "gen_wxr.py not found at $GEN (set GEN=path/to/gen_wxr.py)" >&2; exit 1; }
cargo build --release -p tidings >/dev/null
BIN=$PWD/target/release/tidings
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

measure() { # label, command...: prints seconds and peak RSS in MB
  local label=$1; shift
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$WORK/rss" "$@" > "$WORK/out" 2>&1 || { cat "$WORK/out"; exit 1; }
  end=$(date +%s.%N)
  awk -v l="$label" -v s="$start" -v e="$end" -v k="$(cat "$WORK/rss")" \
    'BEGIN { printf "%-28s %8.1f s  peak RSS %6.1f MB\n", l, e - s, k / 1024 }'
}

for n in "${SIZES[@]}"; do
  python3 "$GEN" "$n" "$WORK/site-$n.xml" >/dev/null
  size=$(du -m "$WORK/site-$n.xml" | cut -f1)
  echo "N=$n posts ($size MB WXR)"
  measure "  parse only (--dry-run)" env -u TIDINGS_TEST_DATABASE_URL RUST_LOG=error \
    "$BIN" import wordpress "$WORK/site-$n.xml" --dry-run --data-dir "$WORK/data-$n"
  measure "  import" env -u TIDINGS_TEST_DATABASE_URL RUST_LOG=error \
    "$BIN" import wordpress "$WORK/site-$n.xml" --data-dir "$WORK/data-$n" --report "$WORK/report-$n.txt"
  grep -E "^Imported" "$WORK/out" | sed 's/^/  /'
  rm -rf "$WORK/data-$n" "$WORK/site-$n.xml"
done
