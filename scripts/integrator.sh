#!/usr/bin/env bash
# An integrator's proof (issue #8): validates api-spec/openapi.json with
# openapi-spec-validator, generates a Python client from it with openapi-python-client,
# and runs e2e/integrator/test_generated_client.py with that client against a throwaway
# `spendlens serve` (fresh SQLite file, demo data, instant sandbox) and an API key made
# with `spendlens api-key create`. Exits non-zero on any failure.
# Usage: scripts/integrator.sh PATH/TO/spendlens PATH/TO/venv
set -euo pipefail
bin="$1"
venv="$2"
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() {
  if [ -n "${server:-}" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$venv/bin/openapi-spec-validator" "$root/api-spec/openapi.json"

# ruff (a dependency of the generator) formats the generated code: it must be on PATH.
(cd "$work" && PATH="$venv/bin:$PATH" "$venv/bin/openapi-python-client" generate \
  --path "$root/api-spec/openapi.json" --meta none --output-path "$work/spendlens_client" \
  >"$work/generate.log" 2>&1) || { cat "$work/generate.log"; exit 1; }
if grep -qi "warning" "$work/generate.log"; then
  echo "openapi-python-client could not generate every part of the client:" >&2
  cat "$work/generate.log" >&2
  exit 1
fi

# `exec`, so that $! is the server itself and the cleanup stops it.
(cd "$work" && SPENDLENS_BIND="127.0.0.1:$port" SPENDLENS_SANDBOX_LATENCY_MS=0 \
  SPENDLENS_STATIC_DIR="$work/none" RUST_LOG=warn exec "$bin" serve >"$work/server.log" 2>&1) &
server=$!
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$work/server.log"; exit 1; }
key=$(cd "$work" && RUST_LOG=warn "$bin" api-key create --org demo --name "integrator proof" | grep -o 'slk_[A-Za-z0-9_-]*' | head -1)
[ -n "$key" ] || { echo "spendlens api-key create printed no key" >&2; exit 1; }

status=0
(cd "$work" && SPENDLENS_URL="http://127.0.0.1:$port" SPENDLENS_API_KEY="$key" PYTHONPATH="$work" \
  "$venv/bin/python" "$root/e2e/integrator/test_generated_client.py") || status=$?
if [ "$status" != 0 ]; then
  echo "--- server log ---"; tail -40 "$work/server.log"
fi
exit "$status"
