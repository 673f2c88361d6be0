#!/usr/bin/env bash
# Drop-in swap: an app that exports to Weave now feeds Langtrace. Only the endpoint changes.
set -euo pipefail
PORT=${PORT:-4318}
LANGTRACE_URL=${LANGTRACE_URL:-https://app.langtrace.ai}
tracebridge serve --listen "127.0.0.1:$PORT" --langtrace "$LANGTRACE_URL" --data-dir "${DATA_DIR:-./tracebridge-data}" &
trap 'kill $!' EXIT
until curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; do sleep 0.2; done

# What a Weave exporter sends (Basic api:KEY, project_id); the key reaches Langtrace as x-api-key.
curl -sf -X POST "http://127.0.0.1:$PORT/otel/v1/traces" \
  -H 'content-type: application/json' \
  -H "authorization: Basic $(printf 'api:%s' "$LANGTRACE_API_KEY" | base64)" \
  -H 'project_id: my-team/my-project' \
  --data @test/fixtures/langtrace-curl.json
sleep 1   # delivery is asynchronous: give the queue a moment before stopping
