#!/usr/bin/env bash
# Installs what Spendlens needs to build (and, with `test`, to test), idempotently:
# each step checks first and does nothing when the tool is already there.
# Everything comes from crates.io, npm, PyPI or Debian: nothing is downloaded at build time.
#
#   scripts/setup.sh run    # the wasm32 target and binaryen's wasm-opt (npm); the web app is
#                           # built by crates/web-build, with wasm-bindgen as a library
#   scripts/setup.sh test   # the same, plus nextest, cargo-deny, Chromium, playwright-core,
#                           # the Python test tools (scripts/requirements-test.txt), PostgreSQL
set -euo pipefail
cd "$(dirname "$0")/.."

purpose="${1:-run}"
CARGO_DENY_VERSION=0.20.2
CACHE="${SPENDLENS_CACHE:-$HOME/.cache/spendlens}"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

command -v cargo >/dev/null || { echo "Rust is required: https://rustup.rs" >&2; exit 1; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "Adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# wasm-opt from npm's binaryen 132 (Debian's older one produces a broken app).
if [ ! -x frontend/node_modules/.bin/wasm-opt ]; then
  say "Installing binaryen (wasm-opt) from npm"
  (cd frontend && npm ci --no-audit --no-fund --loglevel=error)
fi

[ "$purpose" = test ] || exit 0

if ! command -v cargo-nextest >/dev/null; then
  say "Installing cargo-nextest"
  cargo install cargo-nextest --locked
fi

# For the dependency policy check (deny.toml); about 7 minutes on 2 cores, once
# (docs/benchmarks.md).
if ! cargo deny --version 2>/dev/null | grep -q "$CARGO_DENY_VERSION"; then
  say "Installing cargo-deny $CARGO_DENY_VERSION (about 7 minutes, once)"
  cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked
fi

if [ ! -x /usr/bin/chromium ]; then
  say "Installing Chromium from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

if [ ! -d e2e/node_modules/playwright-core ]; then
  say "Installing playwright-core (no browser download)"
  (cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi

# The Python test tools, pinned in scripts/requirements-test.txt; reinstalled when that
# file changes.
if ! cmp -s scripts/requirements-test.txt "$CACHE/venv/requirements-test.txt"; then
  say "Installing the Python test tools from PyPI (scripts/requirements-test.txt)"
  [ -x "$CACHE/venv/bin/pip" ] || python3 -m venv "$CACHE/venv"
  "$CACHE/venv/bin/pip" install -q -r scripts/requirements-test.txt
  cp scripts/requirements-test.txt "$CACHE/venv/requirements-test.txt"
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  say "Starting PostgreSQL"
  for version in /etc/postgresql/*; do
    pg_ctlcluster --skip-systemctl-redirect "$(basename "$version")" main start || true
  done
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  pg_isready -h 127.0.0.1 -p 5432
fi
