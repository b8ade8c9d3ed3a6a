#!/usr/bin/env bash
# Builds and runs the Spendlens portal on the embedded default: a SQLite file under
# ./data/, the in-process refresh worker, the sandbox provider, and a demo
# organization with sample companies. Extra arguments go to `spendlens serve`.
#
# The server (debug) and the web app (wasm32, release) build at the same time; then
# `web-build` binds, optimises and compresses the web app (crates/web-build). Nothing
# else is installed: no trunk (`trunk serve` is a developer's option, README).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/frontend/node_modules/.bin:$HOME/.cargo/bin:$PATH"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
started=$(date +%s)

# A progress line per phase, with what it takes on 2 cores the first time (README).
phase() { printf '\033[1m==> [%ss] %s\033[0m (%s)\n' "$(($(date +%s) - started))" "$1" "$2"; }

phase "Checking the tools: the wasm32 target, binaryen's wasm-opt" "a few seconds the first time"
scripts/setup.sh run

phase "Building the server and the web app, side by side" "about 7½ minutes the first time, seconds after"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The web app builds in the background: a profile of its own, so the two builds hold
# different locks of the target directory. Its output goes to a log, shown if it fails.
cargo build --quiet --manifest-path frontend/Cargo.toml --bin frontend --bin customer \
  --target wasm32-unknown-unknown --profile wasm-release >"$log" 2>&1 &
web=$!
if ! cargo build --quiet -p server -p web-build --bin spendlens --bin web-build; then
  kill "$web" 2>/dev/null || true
  exit 1
fi
if ! wait "$web"; then
  cat "$log" >&2
  echo "The web app's build failed." >&2
  exit 1
fi

phase "Binding, optimising and compressing the web app (web-build)" "about 30 s when the app changed (three apps), 1 s otherwise"
"$TARGET_DIR/debug/web-build"

phase "Starting the portal" "seconds"
exec "$TARGET_DIR/debug/spendlens" serve "$@"
