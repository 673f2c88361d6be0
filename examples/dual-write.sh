#!/usr/bin/env bash
# Dual-write: every trace goes to Weave and to Langtrace, each with its own key.
# Needs: WANDB_API_KEY and LANGTRACE_API_KEY (each backend's own key, used for that backend only).
set -euo pipefail
: "${WANDB_API_KEY:?set WANDB_API_KEY to your W&B API key}"
: "${LANGTRACE_API_KEY:?set LANGTRACE_API_KEY to your Langtrace API key}"
PORT=${PORT:-4318}
WEAVE_URL=${WEAVE_URL:-https://trace.wandb.ai}
LANGTRACE_URL=${LANGTRACE_URL:-https://app.langtrace.ai}
export WANDB_API_KEY LANGTRACE_API_KEY
tracebridge serve --listen "127.0.0.1:$PORT" --data-dir "${DATA_DIR:-./tracebridge-data}" \
  --weave "$WEAVE_URL" --weave-project my-team/my-project --langtrace "$LANGTRACE_URL" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; do
  kill -0 "$pid" 2>/dev/null || { echo "tracebridge exited; see its message above" >&2; exit 1; }
  sleep 0.2
done

# Any client: here Langtrace's own cURL example. Its key stays with tracebridge.
curl -sf -X POST "http://127.0.0.1:$PORT/api/trace" \
  -H 'content-type: application/json' -H 'x-api-key: my-client-key' \
  --data @test/fixtures/langtrace-curl.json
# Delivery is asynchronous: wait (10 s at most) until both backends have it.
for _ in $(seq 50); do
  [ "$(curl -sf "http://127.0.0.1:$PORT/metrics" | grep -c '^tracebridge_spans_forwarded_total')" -ge 2 ] && break
  sleep 0.2
done
