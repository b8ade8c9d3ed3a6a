#!/usr/bin/env bash
# Runs every check and test of Spendlens, as CI does:
#   formatting, clippy, the wire-types dependency check, the dependency policy
#   (cargo-deny: licences, bans, sources), the Rust tests on SQLite and
#   on PostgreSQL (a fresh database per test), the WASM build, the browser e2e test in
#   headless Chromium, schemathesis against the served OpenAPI document (on SQLite and
#   on PostgreSQL), and a Python client generated from api-spec/openapi.json
#   (openapi-python-client) used as an integrator would.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

scripts/setup.sh test

export PATH="$ROOT/frontend/node_modules/.bin:$PATH"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
CACHE="${SPENDLENS_CACHE:-$HOME/.cache/spendlens}"
started=$(date +%s)
passed=0

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
ok() { passed=$((passed + 1)); printf '\033[32mok\033[0m %s\n' "$*"; }

step "Formatting (cargo fmt --check)"
cargo fmt --all -- --check
ok "formatting"

step "Lints (clippy -D warnings: server side, then the WASM frontend)"
cargo clippy --workspace --exclude frontend --all-targets --quiet -- -D warnings
cargo clippy -p frontend --target wasm32-unknown-unknown --quiet -- -D warnings
# As `trunk serve` builds it too: the portal with the customer's and the admin pages
# (frontend/Cargo.toml).
cargo clippy -p frontend --target wasm32-unknown-unknown \
  --features customer-pages-in-portal,admin-pages-in-portal --quiet -- -D warnings
ok "clippy"

step "Wire types stay free of server dependencies, and domain + api-types build for wasm32"
forbidden=$(cargo tree -p api-types -e normal --prefix none --target all | grep -E '^(sea-orm|sea-query|sqlx|actix|tokio|reqwest|lettre)[ -]' || true)
if [ -n "$forbidden" ]; then
  echo "api-types pulls server-side crates:" >&2
  echo "$forbidden" >&2
  exit 1
fi
cargo check -p domain -p api-types --target wasm32-unknown-unknown --quiet
ok "api-types depends on no sea-orm, actix, tokio, sqlx, reqwest or lettre"

# Advisories are left out: they need the RustSec database from the network, and this
# check runs offline (`cargo deny check advisories` by hand).
step "Dependency policy (cargo deny: licences, bans, sources; deny.toml)"
# cargo-deny reads every target's packages (windows-sys…), which a build on Linux never
# downloads: on a fresh machine they come from crates.io first (a no-op once there).
cargo fetch --locked --quiet
cargo deny --offline check --hide-inclusion-graph licenses bans sources
ok "cargo deny: licences, bans, sources"

step "Rust tests on SQLite"
SPENDLENS_TEST_DATABASE=sqlite cargo nextest run --workspace --exclude frontend --no-fail-fast
ok "Rust tests (SQLite)"

step "Rust tests on PostgreSQL (127.0.0.1:5432, a fresh database per test)"
SPENDLENS_TEST_DATABASE=postgres cargo nextest run -p server --no-fail-fast
ok "Rust tests (PostgreSQL)"

step "WASM build of the web app (web-build: cargo, wasm-bindgen, wasm-opt, compression)"
cargo run --quiet -p web-build
ok "web app built: $(du -b frontend/dist/*.wasm | awk '{printf "%s%s %s bytes", sep, $2, $1; sep = ", "}')"

step "Browser e2e in headless Chromium"
cargo build -p server --bin spendlens -p fakes --bin spendlens-fakes --quiet
(cd e2e && SPENDLENS_BIN="$TARGET_DIR/debug/spendlens" SPENDLENS_FAKES_BIN="$TARGET_DIR/debug/spendlens-fakes" \
  SPENDLENS_STATIC_DIR="$ROOT/frontend/dist" npm test)
ok "e2e (Chromium)"

step "schemathesis against the served OpenAPI document, on SQLite and on PostgreSQL"
scripts/schemathesis.sh "$TARGET_DIR/debug/spendlens" "$CACHE/venv/bin/st" sqlite
scripts/schemathesis.sh "$TARGET_DIR/debug/spendlens" "$CACHE/venv/bin/st" postgres
ok "schemathesis (SQLite and PostgreSQL)"

step "An integrator's client generated from api-spec/openapi.json (openapi-python-client)"
scripts/integrator.sh "$TARGET_DIR/debug/spendlens" "$CACHE/venv"
ok "generated Python client: list, refresh, status; spec valid (openapi-spec-validator)"

printf '\nAll checks passed in %ss.\n' "$(( $(date +%s) - started ))"
# The closing line CI reads.
printf 'checks: %d passed, 0 failed\n' "$passed"
