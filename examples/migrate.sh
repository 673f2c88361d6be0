#!/usr/bin/env bash
# Migration: move exported history into Weave, translated for it. Run it again after an
# interruption and it sends exactly what the backend has not acknowledged yet.
# Needs: WANDB_API_KEY (your W&B API key).
set -euo pipefail
: "${WANDB_API_KEY:?set WANDB_API_KEY to your W&B API key}"
WEAVE_URL=${WEAVE_URL:-https://trace.wandb.ai}
tracebridge replay --to weave "$WEAVE_URL" --weave-project my-team/history \
  --key "$WANDB_API_KEY" --rate 5000 --data-dir "${DATA_DIR:-./tracebridge-data}" \
  test/fixtures/langtrace-curl.json
tracebridge inspect test/fixtures/langtrace-curl.json   # what each backend shows, span by span
