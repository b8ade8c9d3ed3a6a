#!/usr/bin/env bash
# Fairness between organizations (issue #19, docs/benchmarks.md "Fairness"): this build
# against a baseline build of an earlier commit, in one run. Organization A queues 20,000
# refreshes; while one worker drains them, organization B asks for 20 single refreshes.
#
#   scripts/bench/fairness.sh [BASELINE_COMMIT]   # default: bdfaf90, before fair claiming
#   PROFILE=debug scripts/bench/fairness.sh       # debug builds (the run of record in
#                                                 # docs/benchmarks.md), quicker to build
#
# The baseline is built from its own worktree with its own target directory (a target
# directory shared between checkouts mixes their crates). Needs PostgreSQL on
# 127.0.0.1:5432 (user postgres, trust). About 25 minutes on 2 cores the first time (two
# release builds), 2 minutes after.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/spendlens/target}"
base="${1:-bdfaf90}"
profile="${PROFILE:-release}"
flag=$([ "$profile" = release ] && echo --release || true)
cache="$HOME/.cache/spendlens/bench-baseline"
cargo build $flag -p bench -p server --bin bench --bin spendlens
if [[ ! -d "$cache/src" ]]; then
  git worktree add --detach "$cache/src" "$base"
else
  git -C "$cache/src" checkout --detach -q "$base"
fi
(cd "$cache/src" && CARGO_TARGET_DIR="$cache/target" cargo build $flag -p server --bin spendlens)
exec "$CARGO_TARGET_DIR/$profile/bench" fairness --baseline "$cache/target/$profile/spendlens" "${@:2}"
