#!/usr/bin/env bash
# Starts a throwaway server (fresh SQLite file, demo data, instant sandbox) and runs
# schemathesis against its OpenAPI document with every check on. Exits non-zero on any
# failure. Usage: scripts/schemathesis.sh PATH/TO/spendlens PATH/TO/st
set -euo pipefail
bin="$1"
st="$2"
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() {
  if [ -n "${server:-}" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
# `exec`, so that $! is the server itself and the cleanup stops it.
(cd "$work" && SPENDLENS_BIND="127.0.0.1:$port" SPENDLENS_SANDBOX_LATENCY_MS=0 \
  SPENDLENS_STATIC_DIR="$work/none" RUST_LOG=warn exec "$bin" serve >"$work/server.log" 2>&1) &
server=$!
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$work/server.log"; exit 1; }
status=0
hooks_dir=$(cd "$(dirname "$0")" && pwd)
(cd "$work" && PYTHONPATH="$hooks_dir" SCHEMATHESIS_HOOKS=schemathesis_hooks "$st" run "http://127.0.0.1:$port/api/v1/openapi.json" \
  --checks all \
  --max-examples 40 \
  --workers 2 \
  --seed 1 \
  --request-timeout 10 \
  --no-color) || status=$?
if [ "$status" != 0 ]; then
  echo "--- server errors ---"; grep -v "WARN" "$work/server.log" | tail -40
fi
exit "$status"
