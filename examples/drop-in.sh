#!/usr/bin/env bash
# Drop-in swap: an app that exports to Weave now feeds Langtrace. Only the endpoint changes.
# Needs: LANGTRACE_API_KEY (your Langtrace key, sent as a Weave exporter would send its key).
set -euo pipefail
: "${LANGTRACE_API_KEY:?set LANGTRACE_API_KEY to your Langtrace API key}"
PORT=${PORT:-4318}
LANGTRACE_URL=${LANGTRACE_URL:-https://app.langtrace.ai}
tracebridge serve --listen "127.0.0.1:$PORT" --langtrace "$LANGTRACE_URL" --data-dir "${DATA_DIR:-./tracebridge-data}" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; do
  kill -0 "$pid" 2>/dev/null || { echo "tracebridge exited; see its message above" >&2; exit 1; }
  sleep 0.2
done

# What a Weave exporter sends (Basic api:KEY, project_id); the key reaches Langtrace as x-api-key.
# A key Langtrace has not accepted yet is delivered before the answer: a wrong one gets 401 here.
curl -sf -X POST "http://127.0.0.1:$PORT/otel/v1/traces" \
  -H 'content-type: application/json' \
  -H "authorization: Basic $(printf 'api:%s' "$LANGTRACE_API_KEY" | base64)" \
  -H 'project_id: my-team/my-project' \
  --data @test/fixtures/langtrace-curl.json
