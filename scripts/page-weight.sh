#!/usr/bin/env bash
# The demo article page's weight on a phone (scripts/page-weight.mjs): builds the release binary,
# installs Chromium and the browser tests' npm packages if missing, and prints every response.
# Usage: scripts/page-weight.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v chromium >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/dev/null
command -v npm >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm >/dev/null
cargo build --release -p tidings --bin tidings >/dev/null
[ -d tests/browser/node_modules/playwright-core ] || (cd tests/browser && npm ci --no-audit --no-fund >/dev/null)
env -u TIDINGS_TEST_DATABASE_URL TIDINGS_BIN="$PWD/target/release/tidings" node scripts/page-weight.mjs
