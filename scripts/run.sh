#!/usr/bin/env bash
# Builds and runs the Spendlens portal on the embedded default: a SQLite file under
# ./data/, the in-process refresh worker, the sandbox provider, and a demo
# organization with sample companies. Extra arguments go to `spendlens serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

scripts/setup.sh run

export PATH="$ROOT/frontend/node_modules/.bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

printf '\033[1m==> Building the web app\033[0m\n'
trunk build --release
printf '\033[1m==> Building the server\033[0m\n'
cargo build -p server --bin spendlens
exec "$TARGET_DIR/debug/spendlens" serve "$@"
