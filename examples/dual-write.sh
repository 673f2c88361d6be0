#!/usr/bin/env bash
# Dual-write: every trace goes to Weave and to Langtrace, each with its own key.
set -euo pipefail
PORT=${PORT:-4318}
WEAVE_URL=${WEAVE_URL:-https://trace.wandb.ai}
LANGTRACE_URL=${LANGTRACE_URL:-https://app.langtrace.ai}
export WANDB_API_KEY LANGTRACE_API_KEY   # each backend's own key, used for that backend only
tracebridge serve --listen "127.0.0.1:$PORT" --data-dir "${DATA_DIR:-./tracebridge-data}" \
  --weave "$WEAVE_URL" --weave-project my-team/my-project --langtrace "$LANGTRACE_URL" &
trap 'kill $!' EXIT
until curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; do sleep 0.2; done

# Any client: here Langtrace's own cURL example. Its key stays with tracebridge.
curl -sf -X POST "http://127.0.0.1:$PORT/api/trace" \
  -H 'content-type: application/json' -H 'x-api-key: my-client-key' \
  --data @test/fixtures/langtrace-curl.json
sleep 1   # delivery is asynchronous: give the queues a moment before stopping
