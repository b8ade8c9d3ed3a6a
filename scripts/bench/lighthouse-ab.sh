#!/usr/bin/env bash
# Two (or more) builds of the web app compared by Lighthouse, interleaved: each round runs
# every build once (a fresh server and Chromium each time, through lighthouse.sh with
# RUNS=1), so that a machine getting slower or faster during the measurement moves every
# build alike. Prints each run, then each build's medians per page.
#
#   PAGES=companies scripts/bench/lighthouse-ab.sh 6 /tmp/dist-base frontend/dist
#
# The builds are `dist/` directories (`cargo run -p web-build DIR`), served by the same
# server binary (built if missing, as lighthouse.sh does without NO_BUILD; SERVER_PROFILE as
# there). PAGES as in lighthouse.sh (default: all four).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:?usage: lighthouse-ab.sh ROUNDS DIST DIST...}"
shift
(($# >= 2)) || { echo "usage: lighthouse-ab.sh ROUNDS DIST DIST..." >&2; exit 2; }
profile="${SERVER_PROFILE:-release}"
[[ -x "${CARGO_TARGET_DIR:-target}/$([[ $profile == dev ]] && echo debug || echo "$profile")/spendlens" ]] ||
  cargo build --profile "$profile" -p server --bin spendlens
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for round in $(seq 1 "$rounds"); do
  for dist in "$@"; do
    NO_BUILD=1 STATIC_DIR="$(realpath "$dist")" RUNS=1 scripts/bench/lighthouse.sh 2>/dev/null |
      grep -E '^\| (sign-in|companies|company|consent) \|' |
      sed "s|^|$dist |" | tee -a "$results"
  done
done
node -e '
  const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((line) => {
    const [dist, rest] = [line.slice(0, line.indexOf(" |")), line.slice(line.indexOf(" |") + 1)];
    const cells = rest.split("|").map((c) => c.trim());
    return { dist, page: cells[1], performance: +cells[2], lcp: parseFloat(cells[5]), tbt: parseFloat(cells[6]) };
  });
  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
  console.log("\n| page | build | runs | performance (median) | TBT (median) | LCP (median) |");
  console.log("|---|---|---|---|---|---|");
  for (const page of [...new Set(rows.map((r) => r.page))]) {
    for (const dist of [...new Set(rows.map((r) => r.dist))]) {
      const mine = rows.filter((r) => r.page === page && r.dist === dist);
      console.log(`| ${page} | ${dist} | ${mine.length} | ${median(mine.map((r) => r.performance)).toFixed(2)} | ` +
        `${median(mine.map((r) => r.tbt))} ms | ${median(mine.map((r) => r.lcp)).toFixed(2)} s |`);
    }
  }' "$results"
