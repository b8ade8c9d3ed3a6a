#!/usr/bin/env bash
# Runs every benchmark of issue #3 (docs/benchmarks.md, "Refresh engine and scale") on
# the local PostgreSQL, one after the other, and prints their tables. Each scenario makes
# its own database (spendlens_bench_*), starts and stops its own processes, and drops the
# database when it is done. About 20 minutes on 2 cores.
#
#   scripts/bench/run.sh            # every scenario
#   scripts/bench/run.sh noop       # one scenario (noop, latency, bulk, list, statuses, api, xero)
#
# Needs: PostgreSQL on 127.0.0.1:5432 (user postgres, trust), pgbench, and oha
# (installed here into ~/.cache/spendlens/tools when missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/spendlens/target}"
tools="$HOME/.cache/spendlens/tools"
if [[ ! -x "$tools/bin/oha" ]] && ! command -v oha >/dev/null; then
  echo "Installing oha (load generator) into $tools ..." >&2
  cargo install oha --locked --root "$tools"
fi
cargo build --release -p bench -p server --bin bench --bin spendlens
exec "$CARGO_TARGET_DIR/release/bench" "${@:-all}"
