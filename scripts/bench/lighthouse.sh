#!/usr/bin/env bash
# Lighthouse on the portal (issue #20, docs/benchmarks.md "Lighthouse"): mobile defaults
# (simulated throttling), on the sign-in page, the signed-in company list (the demo
# portfolio), a company page and the customer's consent page. Builds the web app
# (release) and the server, starts `spendlens serve` on the embedded default (SQLite in a
# temporary directory, the demo organization) on a free loopback port, signs in as the
# demo admin, makes a consent link ("Copy link"), and prints a table: each category's
# score (the median of RUNS runs by performance score), LCP, TBT and CLS.
#
#   scripts/bench/lighthouse.sh              # 3 runs a page
#   RUNS=5 scripts/bench/lighthouse.sh
#   REPORTS=/tmp/lh scripts/bench/lighthouse.sh   # also keep every run's JSON report and trace
#                                                 # (they hold the throwaway server's consent link)
#   REPORTS=/tmp/lh LANTERN=1 scripts/bench/lighthouse.sh   # and each run's simulated LCP graph
#   PAGES="companies consent" scripts/bench/lighthouse.sh   # only these pages
#   NO_BUILD=1 scripts/bench/lighthouse.sh        # measure what is built (STATIC_DIR: another dist)
#   SERVER_PROFILE=dev scripts/bench/lighthouse.sh   # a debug server (default: release)
#
# The server is the release build, as deployed: Lantern (Lighthouse's simulation) adds
# the server's observed response time (the median over the page's requests) to every
# request it simulates, so a debug server's slower API answers would lengthen even the
# static files' downloads, by more the busier the machine (docs/benchmarks.md).
#
# Needs Node 20 and a Chromium (CHROME_PATH, default /usr/bin/chromium); the browser is
# never downloaded. lighthouse is pinned in scripts/bench/lighthouse/package-lock.json.
# Not part of scripts/test.sh: it is a measurement, and a busy machine moves it.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
export PATH="$ROOT/frontend/node_modules/.bin:$HOME/.cargo/bin:$PATH"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
RUNS="${RUNS:-3}"
SERVER_PROFILE="${SERVER_PROFILE:-release}"
# Cargo's directory for a profile: `dev` builds go to `debug`.
SERVER_BIN="$TARGET_DIR/$([[ $SERVER_PROFILE == dev ]] && echo debug || echo "$SERVER_PROFILE")/spendlens"

step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

[[ -x "$CHROME_PATH" ]] || { echo "No Chromium at $CHROME_PATH (set CHROME_PATH)" >&2; exit 1; }
if [[ ! -x frontend/node_modules/.bin/wasm-opt ]]; then
  (cd frontend && npm ci --no-audit --no-fund)
fi
if [[ ! -d scripts/bench/lighthouse/node_modules/lighthouse ]]; then
  (cd scripts/bench/lighthouse && npm ci --no-audit --no-fund)
fi
if [[ -z "${NO_BUILD:-}" ]]; then
  step "Building the web app (release)"
  cargo run --quiet -p web-build >&2
  step "Building the server ($SERVER_PROFILE)"
  cargo build --profile "$SERVER_PROFILE" -p server --bin spendlens >&2
fi

work=$(mktemp -d)
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
base="http://127.0.0.1:$port"
step "Starting spendlens serve on $base (data in $work)"
DATABASE_URL="sqlite://$work/spendlens.db?mode=rwc" \
  SPENDLENS_OUTBOX_DIR="$work/outbox" \
  SPENDLENS_BIND="127.0.0.1:$port" \
  SPENDLENS_STATIC_DIR="${STATIC_DIR:-$ROOT/frontend/dist}" \
  RUST_LOG=warn \
  "$SERVER_BIN" serve >"$work/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 120); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.5
done

step "Signing in as the demo admin; a company page and a consent link"
curl -fsS -c "$work/cookies" -H 'Content-Type: application/json' \
  -d '{"email":"admin@demobank.example","password":"'"${SPENDLENS_DEMO_PASSWORD:-spendlens-demo}"'"}' \
  "$base/api/v1/session" >"$work/session.json"
session=$(awk '$6 == "spendlens_session" { print $7 }' "$work/cookies")
csrf=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).csrf_token)' "$work/session.json")
curl -fsS -b "$work/cookies" "$base/api/v1/companies?limit=100" >"$work/companies.json"
# The company page: the first company with data (charts and bills); the consent link: the
# last company, so that requesting information does not change the one measured.
read -r company consent_company < <(node -e '
  const list = JSON.parse(require("fs").readFileSync(process.argv[1]));
  const items = list.items ?? list;
  const withData = items.find((c) => c.data_updated_at) ?? items[0];
  console.log(withData.id, items[items.length - 1].id);' "$work/companies.json")
link=$(curl -fsS -b "$work/cookies" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
  -d '{"delivery":"link"}' "$base/api/v1/companies/$consent_company/information-requests" |
  node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.parse(s).link))')

step "Lighthouse $(node -p 'require("./scripts/bench/lighthouse/node_modules/lighthouse/package.json").version'), $RUNS runs a page"
[[ -z "${REPORTS:-}" ]] || mkdir -p "$REPORTS"
pages=()
for spec in "sign-in=$base/sign-in" "companies=$base/@signed-in" \
  "company=$base/companies/$company@signed-in" "consent=$link"; do
  # PAGES="companies consent" measures only those.
  if [[ -z "${PAGES:-}" || " $PAGES " == *" ${spec%%=*} "* ]]; then pages+=("$spec"); fi
done
node scripts/bench/lighthouse/run.mjs --runs "$RUNS" --cookie "spendlens_session=$session; spendlens_signed_in=1" \
  ${REPORTS:+--reports "$REPORTS"} ${REPORTS:+${LANTERN:+--lantern}} "${pages[@]}" >"$work/results.jsonl"

node -e '
  const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
  const s = (x) => x.toFixed(2);
  console.log("| Page | Performance | Accessibility | Best practices | LCP | TBT | CLS | FCP | Performance, every run |");
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    console.log(`| ${r.page} | ${s(r.performance)} | ${s(r.accessibility)} | ${s(r.bestPractices)} | ` +
      `${(r.lcpMs / 1000).toFixed(2)} s | ${Math.round(r.tbtMs)} ms | ${r.cls.toFixed(3)} | ` +
      `${(r.fcpMs / 1000).toFixed(2)} s | ${r.allPerformance.map(s).join(", ")} |`);
  }
  for (const r of rows) {
    const failed = [...r.failedAccessibility, ...r.failedBestPractices];
    if (failed.length) console.log(`${r.page}: failed audits: ${failed.join(", ")}`);
  }' "$work/results.jsonl"
