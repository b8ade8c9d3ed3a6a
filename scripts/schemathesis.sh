#!/usr/bin/env bash
# Starts a throwaway server (fresh database, demo mode, instant sandbox), signs in as
# the demo admin, and runs schemathesis authenticated (session cookie + CSRF token)
# against its OpenAPI document with every check on. Exits non-zero on any failure.
# BACKEND is `sqlite` (a fresh file, the default) or `postgres`: a fresh database on
# SPENDLENS_TEST_POSTGRES_URL's server (default postgres@127.0.0.1:5432), owned by and
# served as the ordinary role spendlens_app, as the Rust tests do (a superuser would skip
# row-level security), dropped afterwards.
# Usage: scripts/schemathesis.sh PATH/TO/spendlens PATH/TO/st [BACKEND]
set -euo pipefail
bin="$1"
st="$2"
backend="${3:-sqlite}"
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
admin_url="${SPENDLENS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
database=""
cleanup() {
  if [ -n "${server:-}" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  if [ -n "$database" ]; then
    psql -q "$admin_url" -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" >/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
case "$backend" in
  sqlite) database_url="sqlite://$work/spendlens.db?mode=rwc" ;;
  postgres)
    database="spendlens_schemathesis_$(python3 -c 'import uuid; print(uuid.uuid4().hex)')"
    psql -q -v ON_ERROR_STOP=1 "$admin_url" >/dev/null <<SQL
DO \$\$ BEGIN CREATE ROLE spendlens_app LOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END \$\$;
CREATE DATABASE "$database" OWNER spendlens_app;
SQL
    authority="${admin_url#*://}"; authority="${authority%%/*}"; authority="${authority##*@}"
    database_url="postgres://spendlens_app@$authority/$database"
    ;;
  *) echo "unknown backend $backend (sqlite or postgres)" >&2; exit 2 ;;
esac
echo "schemathesis on $backend"
# `exec`, so that $! is the server itself and the cleanup stops it.
# Demo mode (explicit: on PostgreSQL it is off by default) gives the admin it signs in as.
(cd "$work" && DATABASE_URL="$database_url" SPENDLENS_BIND="127.0.0.1:$port" SPENDLENS_DEMO=true SPENDLENS_SANDBOX_LATENCY_MS=0 \
  SPENDLENS_RATE_LIMIT_PER_MINUTE=1000000 \
  SPENDLENS_STATIC_DIR="$work/none" RUST_LOG=warn exec "$bin" serve >"$work/server.log" 2>&1) &
server=$!
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$work/server.log"; exit 1; }
# The demo admin's session: the cookie and the CSRF token changes must echo.
curl -fsS -c "$work/cookies" -H 'content-type: application/json' \
  -d '{"email":"admin@demobank.example","password":"spendlens-demo"}' \
  "http://127.0.0.1:$port/api/v1/session" >"$work/session.json"
session=$(awk '$6 == "spendlens_session" {print $7}' "$work/cookies")
csrf=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf_token"])' "$work/session.json")
status=0
hooks_dir=$(cd "$(dirname "$0")" && pwd)
run_st() {
  (cd "$work" && PYTHONPATH="$hooks_dir" SCHEMATHESIS_HOOKS=schemathesis_hooks "$st" --config-file "$hooks_dir/schemathesis.toml" run "http://127.0.0.1:$port/api/v1/openapi.json" \
    --checks all \
    -H "Cookie: spendlens_session=$session" \
    -H "X-CSRF-Token: $csrf" \
    --max-examples 40 \
    --workers 2 \
    --seed 1 \
    --request-timeout 10 \
    --no-color "$@")
}
# Everything but signing out and changing users (either may end the session the run
# uses: a user made admin lets the demo admin be deactivated)...
run_st --exclude-operation-id sign_out --exclude-operation-id update_user || status=$?
# ...then changing users on its own, last.
if [ "$status" = 0 ]; then
  run_st --include-operation-id update_user || status=$?
fi
if [ "$status" != 0 ]; then
  echo "--- server errors ---"; grep -v "WARN" "$work/server.log" | tail -40
fi
exit "$status"
