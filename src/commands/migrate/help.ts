// migrate's usage: printed by `tracebridge migrate --help`.
export const MIGRATE_HELP = `usage: tracebridge migrate --from weave|langtrace URL --project PROJECT --to weave|langtrace|otlp URL [options]

Copy a project's history from the old backend, read through its query API page by page, to
another backend, translated for it. Resumable: interrupted, the same command sends exactly the
spans the destination has not acknowledged yet; run again after a full run, it sends nothing.

source:
  --from weave URL                read Weave's calls (POST URL/calls/stream_query), oldest first
  --from langtrace URL            read Langtrace's traces (POST URL/api/traces)
  --project PROJECT               Weave: ENTITY/PROJECT; Langtrace: the project's id
  --from-key KEY                  the key to read with (default WANDB_API_KEY for weave,
                                  LANGTRACE_API_KEY for langtrace: the project's API key)
  --since ISO, --until ISO        only traces started in [since, until) (2025-01-31 or 2025-01-31T12:00:00Z)

destination:
  --to weave|langtrace|otlp URL   the backend to send to
  --key KEY                       the key to send with (default WANDB_API_KEY for weave,
                                  LANGTRACE_API_KEY for langtrace; none for otlp)
  --weave-project ENTITY/PROJECT  the Weave project to write to (TRACEBRIDGE_WEAVE_PROJECT)

options:
  --rate SPANS/S                  at most this many spans per second
  --batch SPANS                   spans per request (default 500)
  --dry-run                       read and count, show the first spans as the destination would; send nothing
  --data-dir DIR                  where the checkpoint is kept (default ./tracebridge-data; TRACEBRIDGE_DATA_DIR)
  --checkpoint FILE               the checkpoint itself (default DATA_DIR/migrate-checkpoint.json)
  -h, --help                      this help

When source and destination use the same backend kind, one variable serves both: pass
--from-key or --key for the one that differs. A refused key (HTTP 401 or 403) on either side
stops the run at once, with the backend's reply.
exit codes: 0 all sent, 1 some rejected or not sent, 2 usage error, 130 interrupted
`;
